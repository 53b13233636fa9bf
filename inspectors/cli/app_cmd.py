"""``corpuscope app``: start the Streamlit front end (127.0.0.1:8501 by default).

The app, the saved queries and the demo corpus come from ``inspectors.resources`` (the checkout's
top-level folders, or the copies a wheel installs). Streamlit's settings are passed as flags
(``STREAMLIT_SETTINGS``, the same as the checkout's ``.streamlit/config.toml``), so they apply wherever
the app is installed and the server keeps the caller's working directory (relative paths work).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from inspectors import resources
from inspectors.cli.options import inspector_module_option
from inspectors.core.errors import BadInput

CORPUS_ENV = "CORPUSCOPE_APP_CORPUS"
INSPECTOR_MODULES_ENV = "CORPUSCOPE_INSPECTOR_MODULES"  # read by inspectors.core.plugins in every process

# Mirrors .streamlit/config.toml (tests/test_wheel.py checks that they agree). Local tool first: no
# telemetry; errors are shown by the app as messages, never as tracebacks on the page.
STREAMLIT_SETTINGS = {
    "browser.gatherUsageStats": "false",
    "client.showErrorDetails": "none",
    "client.toolbarMode": "minimal",
    "theme.primaryColor": "#4C78A8",
}


def streamlit_command(port: int, address: str, headless: bool = True) -> list[str]:
    """The ``streamlit run`` command line for the app (usage statistics off, bound to ``address``)."""
    command = [sys.executable, "-m", "streamlit", "run", str(resources.app_main()),
               "--server.port", str(port), "--server.address", address,
               "--server.headless", "true" if headless else "false",
               "--browser.serverAddress", address, "--browser.serverPort", str(port)]
    for key, value in STREAMLIT_SETTINGS.items():
        command += [f"--{key}", value]
    return command


def app_environment(source: str | None, inspector_modules: tuple[str, ...] = (),
                    base: dict[str, str] | None = None) -> dict[str, str]:
    """The Streamlit process's environment: the corpus to open (``source``, else the bundled demo, as an
    absolute path) and ``inspector_modules`` appended to ``$CORPUSCOPE_INSPECTOR_MODULES``."""
    env = dict(os.environ if base is None else base)
    if source and os.path.exists(source):
        source = os.path.abspath(source)
    env[CORPUS_ENV] = source or str(resources.demo_dir())
    if inspector_modules:
        entries = [e for e in env.get(INSPECTOR_MODULES_ENV, "").split(os.pathsep) if e]
        entries += [str(Path(m).resolve()) for m in inspector_modules]
        env[INSPECTOR_MODULES_ENV] = os.pathsep.join(dict.fromkeys(entries))
    return env


@click.command("app")
@click.option("--corpus", "source", default=None, metavar="SOURCE",
              help="Corpus the app opens on (path, glob, URL, hf:// path or catalogue name). "
                   "Default: the bundled demo corpus (sample_data/demo).")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="Port to listen on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the app local to this machine.")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open a browser tab once the app is up.")
@inspector_module_option
def app(source, port, address, open_browser, modules):
    """Start the browser front end (Streamlit) on ADDRESS:PORT; Ctrl-C stops it."""
    main = resources.app_main()
    if not main.is_file():
        raise BadInput(f"the app is not installed ({main} is missing); reinstall corpuscope")
    if source:
        from inspectors.core.sources import check_offline

        check_offline(source)  # a typo fails here, not on a page of a server already started
    if modules:
        from inspectors.core import plugins

        for module in modules:  # likewise a file that fails to import or registers no inspector
            plugins.load_module(module)
    env = app_environment(source, modules)
    click.echo(f"corpuscope app on http://{address}:{port}  (corpus: {env[CORPUS_ENV]}; Ctrl-C stops)")
    command = streamlit_command(port, address, headless=not open_browser)
    if os.name == "posix":
        # Become the Streamlit server, so that a signal to this process stops the app (no orphan).
        sys.stdout.flush()
        os.execve(sys.executable, command, env)
    try:
        sys.exit(subprocess.call(command, env=env))
    except KeyboardInterrupt:
        sys.exit(0)
