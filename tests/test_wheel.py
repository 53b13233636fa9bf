"""A wheel built from the repo works installed non-editable, outside the checkout.

The wheel is built from a copy of the repo (so that no ``build/`` or stale files of the checkout end up
in it), installed with ``--no-deps`` into a fresh venv that sees this environment's packages (so nothing
is downloaded), and then used from a temp folder: ``corpuscope query list``, ``corpuscope query run`` of
every saved query on the installed demo corpus, the Overview, the app's first page and
``corpuscope app`` up to its health check. Every cache lives under the test's temp folder.

Also here: the checks that keep the distribution honest (Streamlit settings match
``.streamlit/config.toml``, every declared dependency is imported, ``corpuscope app``'s environment).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import site
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
QUERIES = sorted(p.stem for p in (REPO / "queries").glob("*.sql"))
# Repo folder -> where the wheel puts it (inspectors/resources.py finds both layouts).
MAPPED = {"app": "inspectors_app", "queries": "inspectors/queries", "sample_data/demo": "inspectors/sample_data/demo",
          "inspectors": "inspectors"}
COPY_IGNORE = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "build", "dist", "*.egg-info", ".venv",
                                     "test-artifacts", ".pytest_cache", ".benchmarks")


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("timeout", 300)
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def _repo_files(folder: str) -> list[str]:
    """Files under the repo's ``folder`` (no caches), relative to it."""
    root = REPO / folder
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def _setuptools_is_new_enough() -> bool:
    """Whether the installed setuptools meets ``[build-system] requires`` (then no isolated build)."""
    wanted = next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    minimum = re.search(r">=\s*(\d+)", wanted)
    try:
        have = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return False
    return minimum is None or have >= int(minimum.group(1))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    shutil.copytree(REPO, source, ignore=COPY_IGNORE)
    # With an older setuptools, pip builds in isolation and fetches the declared backend from PyPI.
    flags = ["--no-build-isolation"] if _setuptools_is_new_enough() else []
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *flags, "-q", str(source), "-w", str(root / "dist")],
         cwd=root, env={**os.environ, "PIP_NO_INPUT": "1"})
    (built,) = (root / "dist").glob("corpuscope-*.whl")
    return built


class Installed:
    """The wheel installed into a fresh venv; ``run`` executes a command there from a temp folder."""

    def __init__(self, root: Path, wheel: Path):
        self.root, self.wheel = root, wheel
        self.venv = root / "venv"
        self.cwd = root / "cwd"
        self.cwd.mkdir()
        _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", self.venv])
        self.bin = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.site = Path(_run([self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              cwd=self.cwd).stdout.strip())
        if sys.prefix != sys.base_prefix:  # running in a venv: let the new one see its packages too
            (self.site / "_outer_env.pth").write_text(
                "".join(f"import site; site.addsitedir({d!r})\n" for d in site.getsitepackages()))
        home = root / "caches"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("CORPUSCOPE_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        self.env.update({
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(self.venv),
            "HOME": str(home / "user"),
            "CORPUSCOPE_HOME": str(home / "corpuscope"),
            "HF_HOME": str(home / "hf"),
            "HF_DATASETS_CACHE": str(home / "hf" / "datasets"),
            "XDG_CACHE_HOME": str(home / "xdg"),
            "TLDEXTRACT_CACHE": str(home / "tldextract"),
            "RAY_TMPDIR": str(home / "ray"),
            "MPLCONFIGDIR": str(home / "mpl"),
            "PIP_NO_INPUT": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        })
        # This environment's pip (seen through the system site-packages) installs into the venv. The
        # checkout is installed editable outside the venv: pip leaves it alone, and the venv's copy wins.
        self.run(self.python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel)
        self.where = json.loads(self.run(self.python, "-c", (
            "import json, inspectors; from inspectors import resources; from inspectors.core import queries; "
            "print(json.dumps({'inspectors': inspectors.__file__, 'app': str(resources.app_main()), "
            "'queries': str(queries.builtin_dir()), 'demo': str(resources.demo_dir())}))")).stdout)
        self.demo = self.where["demo"]

    def run(self, *command, env=None, **kwargs) -> subprocess.CompletedProcess:
        return _run(command, cwd=self.cwd, env={**self.env, **(env or {})}, **kwargs)

    def corpuscope(self, *args, **kwargs) -> subprocess.CompletedProcess:
        return self.run(self.bin / "corpuscope", *args, **kwargs)


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Installed:
    return Installed(tmp_path_factory.mktemp("installed"), wheel)


def _inside(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


# ------------------------------------------------------------------------------------------ the wheel

def test_wheel_holds_app_queries_demo_and_data(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
        metadata = archive.read(info.replace("entry_points.txt", "METADATA")).decode()
    for folder, target in MAPPED.items():
        for name in _repo_files(folder):
            assert f"{target}/{name}" in names, f"{folder}/{name} is not in the wheel (as {target}/{name})"
    assert {"inspectors_app/main.py", "inspectors_app/ui.py", "inspectors/queries/vietnamese_share.sql",
            "inspectors/data/catalogue.yaml"} <= names
    assert any(n.startswith("inspectors/sample_data/demo/flat/") and n.endswith(".parquet") for n in names)
    assert any(n.startswith("inspectors/sample_data/demo/dolma/") and n.endswith(".jsonl.gz") for n in names)
    assert {n.split("/")[0] for n in names} - {"inspectors", "inspectors_app"} == {info.split("/")[0]}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert re.search(r"\[corpuscope\.inspectors\]\s*\nbuiltin\s*=\s*inspectors\.builtin\b", entry_points)
    assert re.search(r"\[console_scripts\]\s*\ncorpuscope\s*=\s*inspectors\.cli:main\b", entry_points)
    requires = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)", metadata, re.MULTILINE)
    assert "datasets" not in requires and "ai2-olmo" in requires  # ai2-olmo only as the olmo extra
    assert re.search(r"^Requires-Dist: ai2-olmo.*extra == \"olmo\"", metadata, re.MULTILINE)
    assert wheel.name in (REPO / "README.md").read_text(encoding="utf-8"), "the README's wheel name is stale"


# -------------------------------------------------------------------------------- installed, used

def test_installed_copy_is_used_not_the_checkout(installed):
    for key, path in installed.where.items():
        assert _inside(path, installed.venv), f"{key} resolves to {path}, not inside the venv"
        assert not _inside(path, REPO), f"{key} resolves into the checkout: {path}"
    assert Path(installed.where["app"]).is_file()
    assert sorted(p.stem for p in Path(installed.where["queries"]).glob("*.sql")) == QUERIES
    demo = Path(installed.demo)
    assert sorted(str(p.relative_to(demo)) for p in demo.rglob("*") if p.is_file()) == _repo_files("sample_data/demo")


def test_query_list_and_every_saved_query_runs_on_the_installed_demo(installed):
    listed = [line.split()[0] for line in installed.corpuscope("query", "list").stdout.splitlines() if line.strip()]
    assert sorted(listed) == QUERIES
    shown = installed.corpuscope("query", "show", "vietnamese_share").stdout
    assert _inside(re.search(r"^file: (.+)$", shown, re.MULTILINE).group(1), installed.venv)
    # Profile once with the default process pool (its workers import the installed package too); the
    # queries then read the cached attribute shards, inline (--workers 1), a few at a time.
    profiled = installed.corpuscope("profile", installed.demo).stdout
    assert re.search(r"\b0 failed\b", profiled), profiled
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        results = list(pool.map(
            lambda q: installed.corpuscope("query", "run", q, "--corpus", installed.demo, "--workers", "1"), QUERIES))
    assert all(r.returncode == 0 and r.stdout.strip() for r in results)


def test_overview_on_the_installed_demo(installed):
    out = installed.run(installed.python, "-c", (
        "from inspectors.core import overview, run; from inspectors import resources; "
        "o = overview.build_overview(run.resolve_corpus(str(resources.demo_dir())), run.Plan('shard_sample', 4, None, 1)); "
        "print(o.shards_read, o.shards_total, len(o.tables), len(overview.dimensions()))")).stdout.split()
    read, total, tables, dims = map(int, out)
    assert read == 4 and total == 6 and tables == dims == 7


def test_installed_app_renders_its_first_page(installed):
    """``AppTest`` runs the installed ``main.py`` (the Overview) with the environment ``corpuscope app`` sets."""
    out = installed.run(installed.python, "-c", (
        "from streamlit.testing.v1 import AppTest; from inspectors import resources\n"
        "at = AppTest.from_file(str(resources.app_main()), default_timeout=120).run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert not at.error, [e.value for e in at.error]\n"
        "print(at.title[0].value)"), env={"CORPUSCOPE_APP_CORPUS": installed.demo}).stdout
    assert out.strip().splitlines()[-1] == "Overview"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_corpuscope_app_serves(installed):
    port = _free_port()
    log_path = installed.root / "app.log"
    from test_plugins import write_inspector

    # each registers an inspector: a file that registers none is refused before the server starts
    earlier = write_inspector(installed.cwd, "earlier", "earlier_shout")
    mine = write_inspector(installed.cwd, "my_inspectors", "mine_shout")
    with open(log_path, "w") as log:
        process = subprocess.Popen([installed.bin / "corpuscope", "app", "--port", str(port),
                                    "--inspector-module", mine.name], cwd=installed.cwd,
                                   env={**installed.env, "CORPUSCOPE_INSPECTOR_MODULES": str(earlier)},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            answer, deadline = None, time.time() + 45
            while time.time() < deadline and process.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                        answer = response.read().decode().strip()
                        break
                except OSError:
                    time.sleep(0.3)
            assert answer == "ok", f"no health answer ({answer!r}); log:\n{log_path.read_text()}"
            environ = Path(f"/proc/{process.pid}/environ")  # on POSIX the command becomes the server
            if environ.exists():
                env = dict(e.split("=", 1) for e in environ.read_bytes().decode().split("\0") if "=" in e)
                assert env["CORPUSCOPE_APP_CORPUS"] == installed.demo
                assert env["CORPUSCOPE_INSPECTOR_MODULES"] == os.pathsep.join([str(earlier), str(mine.resolve())])
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    text = log_path.read_text()
    assert f"corpus: {installed.demo};" in text, text


def test_nothing_written_into_the_installed_package(installed, wheel):
    """Caches and saved queries go to CORPUSCOPE_HOME; the installed files are only what the wheel holds."""
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if not n.split("/")[0].endswith(".dist-info")}
    present = {str(p.relative_to(installed.site)) for top in ("inspectors", "inspectors_app")
               for p in (installed.site / top).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert present == names


# ---------------------------------------------------------------------------- keeping it declared

def test_streamlit_settings_match_the_checkout_config():
    from inspectors.cli import app_cmd

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{key}": value for section, values in config.items() for key, value in values.items()}
    command = app_cmd.streamlit_command(8765, "127.0.0.1")
    flags = dict(zip(command[5::2], command[6::2]))
    for key, value in flat.items():
        if key in ("server.port", "server.address"):
            continue  # the command's own --port/--address
        expected = str(value).lower() if isinstance(value, bool) else str(value)
        assert flags.get(f"--{key}") == expected, f"{key} in .streamlit/config.toml is not passed to Streamlit"


def test_every_declared_dependency_is_imported():
    """A required dependency is imported (or its package data is read) somewhere in inspectors/ or app/."""
    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("inspectors", "app")
                        for p in (REPO / folder).rglob("*.py"))
    provides: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            provides.setdefault(re.sub(r"[-_.]+", "-", dist).lower(), set()).add(module)
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement).group()).lower()
        modules = provides.get(name, set())
        assert modules, f"{name} is declared but not installed"
        used = [m for m in modules if re.search(rf"^\s*(import|from) {m}\b|[\"']{m}[\"']", sources, re.MULTILINE)]
        assert used, f"{name} is declared but none of {sorted(modules)} is imported"


def test_app_environment_opens_the_demo_and_appends_inspector_modules(tmp_path):
    from inspectors import resources
    from inspectors.cli.app_cmd import CORPUS_ENV, INSPECTOR_MODULES_ENV, app_environment

    env = app_environment(None, base={})
    assert env[CORPUS_ENV] == str(resources.demo_dir()) and INSPECTOR_MODULES_ENV not in env
    mine = tmp_path / "mine.py"
    mine.write_text("")
    env = app_environment("dolma:v1.7", (str(mine),), base={INSPECTOR_MODULES_ENV: "already.py"})
    assert env[CORPUS_ENV] == "dolma:v1.7"
    assert env[INSPECTOR_MODULES_ENV] == os.pathsep.join(["already.py", str(mine.resolve())])


def test_app_refuses_a_missing_inspector_module(cli, tmp_path):
    code, _, err = cli("app", "--inspector-module", tmp_path / "nope.py")
    assert code == 2 and "nope.py" in err
