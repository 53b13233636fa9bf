"""``corpuscope app``: start the Streamlit front end (127.0.0.1:8501 by default)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from inspectors.core.errors import BadInput

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "app" / "main.py"
SAMPLE = REPO / "sample_data" / "demo"


def streamlit_command(port: int, address: str, headless: bool = True) -> list[str]:
    """The ``streamlit run`` command line for the app (usage statistics off, bound to ``address``)."""
    return [sys.executable, "-m", "streamlit", "run", str(MAIN),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true" if headless else "false",
            "--browser.gatherUsageStats", "false",
            "--browser.serverAddress", address, "--browser.serverPort", str(port)]


@click.command("app")
@click.option("--corpus", "source", default=None, metavar="SOURCE",
              help="Corpus the app opens on (path, glob, URL, hf:// path or catalogue name). "
                   "Default: the bundled demo corpus sample_data/demo.")
@click.option("--port", type=int, default=8501, show_default=True, help="Port to listen on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the app local to this machine.")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open a browser tab once the app is up.")
def app(source, port, address, open_browser):
    """Start the browser front end (Streamlit) on ADDRESS:PORT; Ctrl-C stops it."""
    if not MAIN.is_file():
        raise BadInput(f"the app is not installed beside the package ({MAIN} is missing); run from a checkout")
    env = dict(os.environ)
    env["CORPUSCOPE_APP_CORPUS"] = source or str(SAMPLE)
    click.echo(f"corpuscope app on http://{address}:{port}  (corpus: {env['CORPUSCOPE_APP_CORPUS']}; Ctrl-C stops)")
    command = streamlit_command(port, address, headless=not open_browser)
    os.chdir(REPO)  # so that .streamlit/config.toml applies
    if os.name == "posix":
        # Become the Streamlit server, so that a signal to this process stops the app (no orphan).
        os.execve(sys.executable, command, env)
    try:
        sys.exit(subprocess.call(command, env=env))
    except KeyboardInterrupt:
        sys.exit(0)
