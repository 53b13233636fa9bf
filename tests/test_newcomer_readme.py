"""Issue 15 item 15: the README's worked example runs as written — the offline block on the demo corpus,
and the example inspector file with the commands that use it — in a fresh folder, through the shell."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(title)
    following = re.search(r"^##+ ", README[start + len(title):], re.M)
    return README[start:start + len(title) + (following.start() if following else len(README))]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


@pytest.fixture
def shell(tmp_path):
    (tmp_path / "sample_data").symlink_to(REPO / "sample_data")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    launcher = bindir / "corpuscope"  # this checkout's CLI, whatever is installed
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from inspectors.cli import main; main()' \"$@\"\n")
    launcher.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(REPO), CORPUSCOPE_HOME=str(tmp_path / "home"),
               PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", HF_HUB_OFFLINE="1")

    def run(script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)

    run.cwd = tmp_path
    return run


def test_offline_worked_example_runs_as_written(shell):
    (script,) = blocks(section("### Offline, on the bundled demo corpus"), "bash")
    done = shell(script)
    assert done.returncode == 0, done.stderr[-3000:]
    report = (shell.cwd / "report.html").read_text(encoding="utf-8")
    assert "xnli" in report and "<svg" in report
    assert "≈" in done.stdout  # the sampled run marks its counts as estimates
    for line in script.splitlines():  # every file the block reads, it created
        for name in re.findall(r"(\S+\.json)\b", line):
            assert (shell.cwd / name).exists(), name


def test_readme_inspector_example_runs(shell):
    part = section("### Your own inspector")
    (code,) = blocks(part, "python")
    (script,) = blocks(part, "bash")
    (shell.cwd / "legal_terms.py").write_text(code, encoding="utf-8")
    done = shell(script)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"vi\s+\d{2,}", done.stdout), done.stdout


def test_networked_example_names_only_files_it_creates_or_your_own():
    (script,) = blocks(section("### The same questions of real corpora"), "bash")
    created = set(re.findall(r"(?:--out|-o) (\S+)", script))
    for name in re.findall(r"(?<![\w/.-])([\w.-]+\.json)\b", script):
        assert name in created, f"{name} is read but nothing in the README creates it"
