"""Test set-up: every cache (corpuscope's, DuckDB's, Hugging Face's, Ray's) lives in a temp folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout; $CORPUSCOPE_SHARED_DATA names it elsewhere, and a git worktree
# one level deeper (wt/N) finds it two levels up.
SHARED = Path(os.environ.get("CORPUSCOPE_SHARED_DATA") or next(
    (p for p in (REPO.parent / "shared" / "data", REPO.parents[1] / "shared" / "data") if p.exists()),
    REPO.parent / "shared" / "data"))
SAMPLE = REPO / "sample_data" / "demo"

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="corpuscope-tests-"))
# Ray puts AF_UNIX sockets under RAY_TMPDIR, and their paths may not exceed 107 bytes: a folder inside a long
# TMPDIR (macOS /var/folders/..., CI runners) breaks every Ray test, so Ray gets a short folder of its own.
_RAY_TMP = Path(tempfile.mkdtemp(prefix="cs-ray-", dir="/tmp" if os.path.isdir("/tmp") else None))
_CACHE_ENV = {
    "CORPUSCOPE_HOME": _SESSION_TMP / "corpuscope",
    "HF_HOME": _SESSION_TMP / "hf",
    "HF_DATASETS_CACHE": _SESSION_TMP / "hf" / "datasets",
    "XDG_CACHE_HOME": _SESSION_TMP / "xdg",
    "RAY_TMPDIR": _RAY_TMP,
    "TLDEXTRACT_CACHE": _SESSION_TMP / "tldextract",
    "MPLCONFIGDIR": _SESSION_TMP / "mpl",
}
# A user's own settings must not reach the tests: CORPUSCOPE_ATTRIBUTES=s3://... would send attribute
# shards to their bucket, RAY_ADDRESS would join their cluster. Only the inputs tests are told about stay.
_KEPT = {"CORPUSCOPE_SHARED_DATA", "CORPUSCOPE_LLAMA_TGZ"}
for _name in [n for n in os.environ if n.startswith("CORPUSCOPE_") and n not in _KEPT]:
    del os.environ[_name]
for _name in ("RAY_ADDRESS", "HF_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN", "HUGGINGFACE_HUB_CACHE"):
    os.environ.pop(_name, None)
for _name, _path in _CACHE_ENV.items():
    os.environ[_name] = str(_path)
os.environ["HF_HUB_OFFLINE"] = os.environ.get("HF_HUB_OFFLINE", "0")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)
    shutil.rmtree(_RAY_TMP, ignore_errors=True)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty CORPUSCOPE_HOME for one test."""
    path = tmp_path / "home"
    monkeypatch.setenv("CORPUSCOPE_HOME", str(path))
    return path


@pytest.fixture
def cli():
    """Invoke the real ``corpuscope`` click group; returns (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from inspectors.cli import main

    def invoke(*args: str):
        runner = CliRunner()
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def shared(*parts: str) -> Path:
    """Path into ../shared/data; skips nothing: the data must be there (CI has it)."""
    path = SHARED.joinpath(*parts)
    assert path.exists(), f"{path} is missing: tests read real data from ../shared/data"
    return path


def app_session(tmp_path, monkeypatch, page: str | None = None):
    """A fresh AppTest session of the app (saved queries in ``tmp_path``), run once, on ``page`` if given."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    monkeypatch.delenv("CORPUSCOPE_APP_CORPUS", raising=False)
    app = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    app.run()
    if page:
        app.switch_page(page).run()
    return app


def write_lm_eval_results(path: Path, task: str, acc: float, stderr: float, model: str = "my-org/my-model") -> Path:
    """A minimal lm-eval v0.4 results file for one task of ``model``."""
    import json

    path.write_text(json.dumps({
        "results": {task: {"alias": task, "acc,none": acc, "acc_stderr,none": stderr}},
        "configs": {task: {}}, "n-shot": {task: 0}, "versions": {task: 1.0},
        "config": {"model": "hf", "model_args": f"pretrained={model}"}, "model_name": model}))
    return path
