"""End to end in real headless Chromium: start the app with the README's command, load the Overview on the
demo corpus, run the Vietnamese query, and check the result text and chart are on the page.

Needs Debian's ``chromium`` (``apt-get install chromium``) and Playwright for Python; never
``playwright install``. Screenshots land in ``test-artifacts/`` (git-ignored): ``overview.png`` and
``vietnamese_query.png``, or ``failure.png`` (with any exception the app shows) when a step fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _app_command(port: int) -> list[str]:
    """``corpuscope app --corpus SAMPLE --port PORT`` (through the group once ``app`` is registered)."""
    from inspectors.cli import main

    entry = "from inspectors.cli import main; main()" if "app" in main.commands else \
        "from inspectors.cli.app_cmd import app; app()"
    prefix = ["app"] if "app" in main.commands else []
    return [sys.executable, "-c", entry, *prefix, "--corpus", str(SAMPLE), "--port", str(port)]


@pytest.fixture
def running_app(tmp_path):
    port = _free_port()
    env = dict(os.environ, CORPUSCOPE_HOME=str(tmp_path / "home"), CORPUSCOPE_QUERIES=str(tmp_path / "queries"))
    log = open(tmp_path / "app.log", "w")
    process = subprocess.Popen(_app_command(port), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    else:
        process.terminate()
        pytest.fail(f"the app did not start: {(tmp_path / 'app.log').read_text()}")
    assert process.poll() is None, (tmp_path / "app.log").read_text()
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _app_errors(page) -> str:
    """The text of every exception the app shows on the page (empty when there is none)."""
    try:
        return "\n".join(page.locator("[data-testid='stException']").all_inner_texts())
    except Exception as error:  # the page itself may be gone
        return f"(could not read the page: {error})"


def _note_failure(error: Exception, page, name: str) -> None:
    """Add a screenshot (``test-artifacts/NAME``) and any exception the app shows to a failing step."""
    shot = ARTIFACTS / name
    try:
        page.screenshot(path=str(shot), full_page=True)
        error.add_note(f"screenshot: {shot}")
    except Exception as shot_error:
        error.add_note(f"no screenshot: {shot_error}")
    errors = _app_errors(page)
    if errors:
        error.add_note(f"the app shows an exception:\n{errors}")


@contextlib.contextmanager
def _chromium_page(failure: str):
    """A headless chromium page (1400x1000); a failing step gets a screenshot ``test-artifacts/FAILURE``
    and any exception the app shows."""
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "install Debian chromium: apt-get install -y chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        except Exception as error:
            _note_failure(error, page, failure)
            raise
        finally:
            browser.close()


def test_overview_and_vietnamese_query_in_chromium(running_app):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    assert Path(CHROMIUM).exists(), "install Debian chromium: apt-get install -y chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        chart = "[data-testid='stVegaLiteChart']"
        try:
            page.goto(running_app, wait_until="domcontentloaded")
            # The Overview profiles the demo corpus on first load, then draws its charts (slow on a busy machine).
            expect(page.get_by_text("6 of 6 shards read", exact=False).first).to_be_visible(timeout=120_000)
            expect(page.locator(chart).first).to_be_visible(timeout=20_000)
            expect(page.get_by_text("Language", exact=True).first).to_be_attached(timeout=20_000)
            page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

            page.get_by_role("link", name="Saved queries").click()
            expect(page.get_by_text("Vietnamese share", exact=False).first).to_be_visible(timeout=15_000)
            page.get_by_role("button", name="Run query").click()
            # Wait for the very element the checks are about: the "of documents" line naming the query
            # and its share, not whichever "of documents" text shows up first.
            result = page.get_by_text("of documents", exact=False).filter(has_text="Vietnamese share")
            expect(result.filter(has_text="%").first).to_be_visible(timeout=60_000)
            # The chart and the evidence come after the headline, each in its own message from the app.
            expect(page.locator(chart).first).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Evidence documents", exact=False).first).to_be_attached(timeout=30_000)
            assert page.locator("[data-testid='stException']").count() == 0, _app_errors(page)
            page.screenshot(path=str(ARTIFACTS / "vietnamese_query.png"), full_page=True)
        except Exception as error:
            _note_failure(error, page, "failure.png")
            raise
        finally:
            browser.close()


def test_switch_corpus_in_chromium(running_app, tmp_path):
    """Issue 15 item 1: "Add and select" and "Use X as the current corpus" switch the sidebar's corpus
    (no StreamlitWidgetAlreadyInstantiatedError), and the sidebar box takes a typed path."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    folder = tmp_path / "mine"
    shutil.copytree(SAMPLE / "flat", folder)
    other = tmp_path / "other"
    shutil.copytree(SAMPLE / "flat", other)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sidebar = page.locator("[data-testid='stSidebar']")
        try:
            page.goto(running_app, wait_until="domcontentloaded")
            expect(page.get_by_text("6 of 6 shards read", exact=False).first).to_be_visible(timeout=120_000)
            page.get_by_role("link", name="Corpora").click()
            box = page.get_by_role("textbox", name="Path, glob, URL or hf:// path")
            expect(box).to_be_visible(timeout=60_000)
            box.fill(str(folder))
            page.get_by_role("button", name="Add and select").click()
            expect(page.get_by_text(f"Added {folder}", exact=False).first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Current corpus mine", exact=False).first).to_be_visible(timeout=30_000)
            assert page.locator("[data-testid='stException']").count() == 0, _app_errors(page)

            # The catalogue's button: the corpus may be unreachable offline, which is a message, not a crash.
            page.get_by_role("button", name="Use ").first.click()
            page.wait_for_timeout(3000)
            expect(page.get_by_text("Shards and cost plan").first).to_be_visible(timeout=60_000)
            assert page.locator("[data-testid='stException']").count() == 0, _app_errors(page)

            # A path typed into the sidebar box becomes the current corpus.
            combo = sidebar.locator("input").first
            combo.click()
            combo.fill(str(other))
            combo.press("Enter")
            expect(page.get_by_text("Current corpus other", exact=False).first).to_be_visible(timeout=60_000)
            assert page.locator("[data-testid='stException']").count() == 0, _app_errors(page)
            page.screenshot(path=str(ARTIFACTS / "switch_corpus.png"), full_page=True)
        except Exception as error:
            _note_failure(error, page, "failure_switch.png")
            raise
        finally:
            browser.close()


def test_a_deep_link_as_the_first_request_gets_the_app_navigation(running_app):
    """A bookmarked page opened before anyone opened "/" (Streamlit then treats ``app/pages/`` as v1 pages
    and runs the page file without ``main.py``): the page still has the sidebar's Corpus picker and the
    declared page list, not Streamlit's folder listing with a "main" entry."""
    expect = pytest.importorskip("playwright.sync_api").expect
    with _chromium_page("deep_link_failure.png") as page:
        page.goto(f"{running_app}/coverage", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="Coverage").first).to_be_visible(timeout=60_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        expect(sidebar.get_by_text("Corpus", exact=True)).to_be_visible(timeout=30_000)
        expect(sidebar.get_by_role("link", name="Training exposure")).to_be_visible()
        assert sidebar.get_by_role("link", name="main", exact=True).count() == 0
        assert page.locator("[data-testid='stException']").count() == 0, _app_errors(page)
        page.screenshot(path=str(ARTIFACTS / "deep_link.png"))
