"""Dolma's own attribute files (``attributes/<name>/<path>`` beside ``documents/<path>``) as columns
``dolma_<name>_<key>`` of ``documents``, joined by id, through the real CLI and the run layer."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import shared


def _write(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


DOCS = {
    "2019-09/a.json.gz": [("a1", "The court held that the contract was void. " * 4),
                          ("a2", "Mua bán hàng hóa theo quy định của pháp luật Việt Nam. " * 4),
                          ("a3", "Short page.")],
    "2019-09/b.json.gz": [("b1", "Another ordinary English web page about cooking pasta. " * 3),
                          ("b2", "Yet another page, this one about gardening in spring. " * 3)],
}


def _dolma_tree(root):
    """A Dolma-format release: documents/ and two taggers' attributes/ (lines out of document order)."""
    for rel, docs in DOCS.items():
        _write(root / "documents" / rel, [{"id": i, "text": t, "source": "test", "added": "2024-01-01",
                                           "created": "2019-09-01", "metadata": {"url": f"https://ex.com/{i}"}}
                                          for i, t in docs])
    _quality(root, {"a1": 0.91, "a2": 0.35, "a3": 0.05, "b1": 0.7, "b2": 0.6})
    # a paragraph-level tagger on shard a only, with a missing line (a3) and a nested object
    _write(root / "attributes" / "toxicity-0" / "2019-09" / "a.json.gz", [
        {"id": "a2", "attributes": {"toxicity-0__jigsaw_sentence_v2__toxic": [[0, 10, 0.2], [10, 40, 0.75]],
                                    "pii": {"email": []}}},
        {"id": "a1", "attributes": {"toxicity-0__jigsaw_sentence_v2__toxic": [], "pii": {"email": [[3, 9, 1.0]]}}},
    ])


def _quality(root, quality):
    """A document-level tagger's attribute files for both shards, lines in reverse document order."""
    for rel, docs in DOCS.items():
        lines = [{"id": i, "attributes": {"quality__fasttext_hq_v1__hq": [[0, len(t), quality[i]]],
                                          "quality__fasttext_hq_v1__lq": [[0, len(t), round(1 - quality[i], 2)]]}}
                 for i, t in reversed(docs)]
        _write(root / "attributes" / "quality" / rel, lines)


def _rows(cli, root, sql):
    code, out, err = cli("sql", root, sql, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_attribute_files_become_columns_joined_by_id(cli, home, tmp_path):
    root = tmp_path / "release"
    _dolma_tree(root)
    code, out, err = cli("profile", root)
    assert code == 0, err
    assert "5 documents" in out  # attribute files are not documents
    rows = _rows(cli, root, "SELECT id, language, dolma_quality_fasttext_hq_v1__hq AS hq, "
                            "dolma_quality_fasttext_hq_v1__lq AS lq, dolma_toxicity_0_jigsaw_sentence_v2__toxic AS tox, "
                            "dolma_toxicity_0_jigsaw_sentence_v2__toxic_spans AS tox_spans, "
                            "dolma_toxicity_0_pii__email AS email, dolma_toxicity_0_pii__email_spans AS email_spans "
                            "FROM documents ORDER BY id")
    by_id = {r["id"]: r for r in rows}
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "b1", "b2"]
    # joined by id although the attribute lines run in reverse order
    assert {i: r["hq"] for i, r in by_id.items()} == {"a1": 0.91, "a2": 0.35, "a3": 0.05, "b1": 0.7, "b2": 0.6}
    assert by_id["a1"]["lq"] == pytest.approx(0.09)
    # span lists: the highest span score and the number of spans; no spans or no line -> NULL
    assert (by_id["a2"]["tox"], by_id["a2"]["tox_spans"]) == (0.75, 2)
    assert (by_id["a1"]["tox"], by_id["a1"]["tox_spans"]) == (None, 0)
    assert (by_id["a3"]["tox"], by_id["a3"]["tox_spans"]) == (None, None)  # no attribute line
    assert (by_id["b1"]["tox"], by_id["b1"]["tox_spans"]) == (None, None)  # no attribute file for shard b
    assert (by_id["a1"]["email"], by_id["a1"]["email_spans"]) == (1.0, 1)
    # cross-tabbed with corpuscope's own labels
    table = _rows(cli, root, "SELECT language, count(*) AS n, avg(dolma_quality_fasttext_hq_v1__hq) AS hq "
                             "FROM documents GROUP BY language ORDER BY language")
    assert sum(r["n"] for r in table) == 5 and {r["language"] for r in table} >= {"en", "vi"}
    vi = next(r for r in table if r["language"] == "vi")
    assert vi["hq"] == pytest.approx(0.35)


def test_retagged_or_removed_attribute_files_are_joined_again(cli, home, tmp_path):
    import shutil

    root = tmp_path / "release"
    _dolma_tree(root)
    assert cli("profile", root)[0] == 0
    code, out, _ = cli("profile", root)
    assert "2 cached" in out
    _quality(root, {"a1": 0.1, "a2": 0.2, "a3": 0.3, "b1": 0.4, "b2": 0.5})  # the tagger ran again
    code, out, err = cli("profile", root)
    assert code == 0 and "2 updated" in out, out + err
    rows = _rows(cli, root, "SELECT id, dolma_quality_fasttext_hq_v1__hq AS hq FROM documents ORDER BY id")
    assert [r["hq"] for r in rows] == [0.1, 0.2, 0.3, 0.4, 0.5]
    shutil.rmtree(root / "attributes" / "toxicity-0")
    assert cli("profile", root)[0] == 0
    code, out, _ = cli("sql", root, "SELECT * FROM documents LIMIT 1", "--format", "json")
    columns = set(json.loads(out)[0])
    assert "dolma_quality_fasttext_hq_v1__hq" in columns
    assert not any(c.startswith("dolma_toxicity_0") for c in columns)


def _slice(path, title, where, header=""):
    """A saved slice on the release's documents (requiring language), loaded."""
    from inspectors.core.queries import load

    path.write_text(f"-- ---\n-- title: {title}\n-- version: 1\n-- kind: slice\n-- requires: [language]\n"
                    f"{header}-- ---\nSELECT * FROM documents WHERE {where}\n", encoding="utf-8")
    return load(path)


def test_a_slice_on_dolma_columns_runs_through_the_run_layer(home, tmp_path):
    from inspectors.core import run

    root = tmp_path / "release"
    _dolma_tree(root)
    query = _slice(tmp_path / "high_quality.sql", "High quality (Dolma's own tagger)",
                   "dolma_quality_fasttext_hq_v1__hq >= 0.6")
    finding = run.run(query, str(root), workers=1)
    assert finding.estimate("documents")["matched"] == 3  # a1, b1, b2
    assert finding.estimate("documents")["total"] == 5


def test_a_stratified_slice_reads_dolma_columns_in_its_sample(home, tmp_path):
    from inspectors.core import run

    root = tmp_path / "release"
    _dolma_tree(root)
    query = _slice(tmp_path / "high_quality_vi.sql", "Vietnamese, high quality by Dolma's tagger",
                   "dolma_quality_fasttext_hq_v1__lq >= 0.6",
                   "-- strata:\n--   - {name: vi_letters, when: \"regexp_matches(text, '[ăâđêôơư]')\"}\n")
    finding = run.run(query, str(root), plan={"strategy": "stratified", "per_stratum": 50}, workers=1)
    assert finding.estimate("documents")["matched"] == 2  # a2 (0.65), a3 (0.95); every document is sampled
    assert finding.estimate("documents")["total"] == 5


def test_a_broken_attribute_line_fails_naming_the_file(cli, home, tmp_path):
    root = tmp_path / "release"
    _dolma_tree(root)
    _write(root / "attributes" / "quality" / "2019-09" / "b.json.gz", [{"attributes": {}}])
    code, out, err = cli("profile", root)
    assert code != 0
    assert "attributes/quality/2019-09/b.json.gz" in err and "line 1" in err
    assert len([line for line in err.splitlines() if line.startswith("Error")]) == 1


def test_inspectors_may_not_take_the_dolma_prefix():
    import pyarrow as pa

    from inspectors.core.registry import Inspector, register

    class Clash(Inspector):
        name = "clash_dolma"
        output_schema = pa.schema([("dolma_quality", pa.float64())])

    with pytest.raises(ValueError, match="reserved prefix dolma_"):
        register(Clash)


def test_dolma_test_fixtures_release(cli, home):
    """allenai/dolma's own test release: documents/000.json.gz with four taggers' attribute files."""
    root = shared("dolma_test_fixtures", "provided")
    code, out, err = cli("profile", root)
    assert code == 0, err
    assert "10 documents" in out
    rows = _rows(cli, root, "SELECT id, dolma_toxicity, dolma_sample_random_number_v1__random AS random, "
                            "dolma_duplicate_paragraphs_bff_duplicate_paragraph_spans_spans AS dup_spans, "
                            "dolma_pii_email AS email, dolma_pii_email_spans AS email_spans, "
                            "dolma_pii_too_much_pii AS too_much FROM documents ORDER BY row")
    assert len(rows) == 10
    # values as written in the attribute files (read here independently of corpuscope)
    expected = {}
    for name in ("toxicity", "sample", "duplicate_paragraphs", "pii"):
        with gzip.open(root / "attributes" / name / "000.json.gz", "rt") as f:
            for line in f:
                record = json.loads(line)
                expected.setdefault(record["id"], {}).update(record["attributes"])
    for row in rows:
        want = expected[row["id"]]
        assert row["dolma_toxicity"] == want["toxicity"]
        assert row["random"] == want["sample__random_number_v1__random"][0][2]
        assert row["dup_spans"] == len(want["bff_duplicate_paragraph_spans"])
        email = want.get("pii", {}).get("email")
        assert row["email_spans"] == (len(email) if email is not None else None)
        assert row["email"] == (max(s[2] for s in email) if email else None)
        too_much = want.get("pii", {}).get("too_much_pii")
        assert row["too_much"] == (None if too_much is None else float(too_much))
    assert sum(r["dup_spans"] > 0 for r in rows) >= 1
    # the document browser filters on them like on any label column
    code, out, err = cli("docs", root, "--where", "dolma_toxicity>=0.8", "--format", "json")
    assert code == 0, err
    page = json.loads(out)
    assert page["matched"] == sum(r["dolma_toxicity"] >= 0.8 for r in rows) == 3
    assert all(d["dolma_toxicity"] >= 0.8 for d in page["documents"])


def test_a_hub_release_joins_its_attribute_files(cli, home, tmp_path, monkeypatch):
    """The same release on a hub (the stand-in on 127.0.0.1): attributes/ is listed, not read as documents,
    and its values are the local release's."""
    from http_server import TestServer, dataset_repo

    root = shared("dolma_test_fixtures", "provided")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("CORPUSCOPE_HTTP_RETRIES", "1")
    sql = ("SELECT id, dolma_toxicity, dolma_pii_email_spans AS email_spans, "
           "dolma_sample_random_number_v1__random AS random FROM documents ORDER BY id")
    assert cli("profile", root)[0] == 0
    local = _rows(cli, root, sql)
    with TestServer(tmp_path, repos=[dataset_repo("org/dolma-release", root)]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        source = "hf://datasets/org/dolma-release"
        code, out, err = cli("profile", source, "--workers", "1")
        assert code == 0, err
        assert "10 documents" in out  # the attribute files are not documents
        remote = _rows(cli, source, sql)
    assert len(remote) == 10 and remote == local
    assert any(r["dolma_toxicity"] is not None for r in remote)
