"""Issue 15 item 3 in the app: a corpus that cannot be listed fails fast, once; the failure is remembered
for the session (pages open at once, with the same one-line message) until the user presses Retry."""

from __future__ import annotations

import socket

from conftest import REPO


def test_failed_listing_is_remembered_until_retry(tmp_path, monkeypatch, home):
    from streamlit.testing.v1 import AppTest

    from inspectors.core import run

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connection refused
    source = f"http://127.0.0.1:{port}/shards.txt"  # a URL list: opening the corpus must fetch it
    calls = []
    real = run.resolve_corpus
    monkeypatch.setattr(run, "resolve_corpus", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    monkeypatch.setenv("CORPUSCOPE_APP_CORPUS", source)
    app = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    app.run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "cannot reach 127.0.0.1 (no network?)" in errors[0]
    for page in ("pages/coverage.py", "pages/sql_console.py", "pages/documents.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert [e.value for e in app.error] == errors, page  # the same message, said once
    assert calls == [source]  # listed once for the whole session
    app.button(key="corpus_retry").click().run()
    assert calls == [source, source]  # Retry lists it again
    assert [e.value for e in app.error] == errors


def test_an_unreachable_hub_listing_gives_the_same_one_line_hint(cli, home, monkeypatch):
    """``pile-deduped`` (an hf:// listing through huggingface_hub) fails like a URL read does
    (``tests/test_reliability.py``): at once, one line, ``cannot reach HOST (no network?)``, exit 1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    code, _, err = cli("sql", "pile-deduped", "SELECT count(*) FROM documents")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1, err
    assert len(lines) == 1 and "cannot reach 127.0.0.1 (no network?)" in lines[0], err
