"""Where corpuscope's fixed folders are: the app, the saved queries and the demo corpus.

In a checkout they are the top-level folders ``app/``, ``queries/`` and ``sample_data/demo/`` beside the
``inspectors`` package. A wheel carries them as package data (see ``[tool.setuptools]`` in
``pyproject.toml``)::

    site-packages/inspectors_app/          <- app/ (main.py, ui.py, pages/)
    site-packages/inspectors/queries/      <- queries/*.sql
    site-packages/inspectors/sample_data/demo/   <- sample_data/demo/ (100 KB of shards)

Each function returns the installed copy when there is one, else the checkout's folder (an editable
install or ``python -m inspectors.cli`` run from the repo). Paths are found relative to this file, not
through ``importlib``, so the app, queries and demo always come from the same installation as the code.
Everything here is read-only: saved slices go to the user's query folder, caches to ``CORPUSCOPE_HOME``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # .../inspectors
_ROOT = PACKAGE.parent  # site-packages when installed; the repo root in a checkout
APP_PACKAGE = "inspectors_app"


def _checkout(*parts: str) -> Path | None:
    """``parts`` under the repo root, when this package runs from a checkout (not from site-packages)."""
    if (_ROOT / "pyproject.toml").is_file():
        return _ROOT.joinpath(*parts)
    return None


def _locate(installed: Path, *checkout_parts: str) -> Path:
    if installed.exists():
        return installed
    return _checkout(*checkout_parts) or installed


def app_dir() -> Path:
    """The Streamlit app's folder (``main.py``, ``ui.py``, ``pages/``)."""
    return _locate(_ROOT / APP_PACKAGE, "app")


def app_main() -> Path:
    """The app's entry script, for ``streamlit run``."""
    return app_dir() / "main.py"


def queries_dir() -> Path:
    """The saved queries shipped with corpuscope (``queries/`` in a checkout)."""
    return _locate(PACKAGE / "queries", "queries")


def demo_dir() -> Path:
    """The bundled demo corpus (``sample_data/demo`` in a checkout), opened by the app by default."""
    return _locate(PACKAGE / "sample_data" / "demo", "sample_data", "demo")
