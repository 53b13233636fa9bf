"""The document browser: ``corpuscope docs`` and the Documents page — labels, filters on any label and on
the text (bound, RE2), paging, masked and highlighted snippets."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE, app_session


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    """A CORPUSCOPE_HOME where the demo corpus is profiled with every inspector."""
    import os

    from inspectors.core import run

    home = tmp_path_factory.mktemp("docs-home")
    old = os.environ.get("CORPUSCOPE_HOME")
    os.environ["CORPUSCOPE_HOME"] = str(home)
    corpus = run.resolve_corpus(str(SAMPLE))
    run.profile(corpus, run.Plan(), run.RunOptions(workers=1))
    yield home
    if old is None:
        os.environ.pop("CORPUSCOPE_HOME", None)
    else:
        os.environ["CORPUSCOPE_HOME"] = old


def test_docs_cli_filters_pages_and_masks(cli, profiled):
    code, out, err = cli("docs", SAMPLE, "--where", "language=vi", "--text", r"\bĐiều \d+", "--limit", "3",
                         "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    assert first["matched"] > 3 and len(first["documents"]) == 3
    assert all(d["language"] == "vi" and "**Điều" in d["snippet"] for d in first["documents"])
    code, out, _ = cli("docs", SAMPLE, "--where", "language=vi", "--text", r"\bĐiều \d+", "--limit", "3",
                       "--offset", "3", "--format", "json")
    second = json.loads(out)
    assert {d["id"] for d in second["documents"]}.isdisjoint(d["id"] for d in first["documents"])
    # numeric and negative filters, on any label column
    code, out, _ = cli("docs", SAMPLE, "--where", "n_bytes>=900", "--where", "language!=en", "--limit", "50",
                       "--format", "json")
    rows = json.loads(out)["documents"]
    assert rows and all(r["n_bytes"] >= 900 and r["language"] != "en" for r in rows)
    # values are bound, not pasted: a quote is just a value that matches nothing
    code, out, _ = cli("docs", SAMPLE, "--where", "language=vi' OR '1'='1", "--format", "json")
    assert code == 0 and json.loads(out)["matched"] == 0
    # unknown columns and bad regexes are input errors, said once
    code, _, err = cli("docs", SAMPLE, "--where", "nope=1")
    assert code == 2 and "no column 'nope'" in err
    code, _, err = cli("docs", SAMPLE, "--text", r"(?<=Điều )\d+")
    assert code == 2 and "not valid RE2" in err
    # e-mail addresses and phone numbers never leave unmasked
    code, out, _ = cli("docs", SAMPLE, "--limit", "1000", "--format", "json")
    from inspectors.core.evidence import mask

    for doc in json.loads(out)["documents"]:
        assert mask(doc["snippet"]) == doc["snippet"]
    code, out, _ = cli("docs", SAMPLE, "--where", "language=vi", "--limit", "2")
    assert "matching document(s)" in out and "more: --offset 2" in out


def test_documents_page_filters_and_pages(profiled, tmp_path, monkeypatch):
    app = app_session(tmp_path, monkeypatch, "pages/documents.py")
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.title[0].value == "Documents"
    app.multiselect(key="doc_lang").set_value(["vi"]).run()
    app.text_input(key="doc_text").set_value(r"\bĐiều \d+").run()
    assert not app.error, [e.value for e in app.error]
    text = "\n".join(m.value for m in app.markdown)
    assert "matching documents" in text and "<mark>Điều" in text
    first = [m.value for m in app.markdown if "<b>" in m.value]
    app.button(key="doc_next").click().run()
    second = [m.value for m in app.markdown if "<b>" in m.value]
    assert second and second != first and "showing 11–" in "\n".join(m.value for m in app.markdown)
    app.text_input(key="doc_where").set_value("nope=1").run()
    assert any("no column 'nope'" in e.value for e in app.error)


@pytest.mark.parametrize("bad", ["garbage", "n_bytes>=abc"])
def test_a_bad_filter_is_named_by_the_control_it_was_typed_in(profiled, tmp_path, monkeypatch, cli, bad):
    """The Documents page said "--where takes COLUMN OP VALUE…", a CLI flag a browser user never saw; the page
    names its own box now, and the CLI still names --where."""
    app = app_session(tmp_path, monkeypatch, "pages/documents.py")
    app.text_input(key="doc_where").set_value(bad).run()
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and 'The "More filters" box takes' in errors[0] and "--where" not in errors[0], errors
    assert app.text_input(key="doc_where").label.startswith("More filters")
    code, _, err = cli("docs", SAMPLE, "--where", bad)
    assert code == 2 and err.startswith("Error: --where takes") and repr(bad) in err, err


def test_an_unknown_filter_column_is_named_with_the_control_it_was_typed_in(profiled, tmp_path, monkeypatch, cli):
    """A filter on a column that does not exist said "no column 'nope' in documents" and named no control,
    unlike the other filter errors; it leads with the page's box (the CLI with --where) now."""
    app = app_session(tmp_path, monkeypatch, "pages/documents.py")
    app.text_input(key="doc_where").set_value("nope=1").run()
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and 'The "More filters" box: no column \'nope\' in documents' in errors[0], errors
    code, _, err = cli("docs", SAMPLE, "--where", "nope=1")
    assert code == 2 and err.startswith("Error: --where: no column 'nope' in documents"), err
