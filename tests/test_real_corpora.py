"""End to end on real data from ../shared/data: profile through the CLI, then count with SQL."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from conftest import shared


def test_xquad_paragraphs_twelve_languages(home, cli):
    """`profile` + `sql` on the XQuAD paragraphs: 12 languages, ~240 paragraphs each, >= 95% right."""
    shard = shared("langid_xquad_paragraphs", "xquad_paragraphs.parquet")
    code, out, err = cli("profile", shard)
    assert code == 0, err
    code, out, err = cli("sql", shard, "select language, count(*) as n from documents group by 1 order by 2 desc",
                         "--format", "json")
    assert code == 0, err
    counts = {row["language"]: row["n"] for row in json.loads(out)}
    top = dict(list(counts.items())[:12])
    assert set(top) == {"ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"}
    assert all(228 <= n <= 252 for n in top.values()), counts

    truth = pq.read_table(shard, columns=["lang"]).column("lang").to_pylist()
    code, out, err = cli("sql", shard, "select row, language from documents order by row", "--format", "json")
    assert code == 0, err
    predicted = [r["language"] for r in json.loads(out)]
    for lang in set(truth):
        rows = [i for i, t in enumerate(truth) if t == lang]
        right = sum(predicted[i] == lang for i in rows) / len(rows)
        assert right >= 0.95, (lang, right)


def test_vietnamese_statutes_end_to_end(home, cli):
    """The Vietnamese legal slice finds the VLC2021 statutes, with evidence and exact intervals."""
    shard = shared("vi_legal_vlc2021", "vlc2021_laws.parquet")
    code, out, err = cli("query", "run", "vietnamese_legal_documents", "--corpus", shard, "--format", "json")
    assert code == 0, err
    finding = json.loads(out)
    assert finding["documents"]["total"] == 109
    assert finding["documents"]["share"] >= 0.97
    assert finding["documents"]["ci95"] == [finding["documents"]["share"]] * 2
    assert finding["shards"] == {"read": 1, "total": 1, "read_list": None}
    assert finding["evidence"] and "**" in finding["evidence"][0]["snippet"]
    assert "format=legal_document" in finding["evidence"][0]["evidence"]


def test_attach_auto_runs_the_mapped_queries_for_real(home, cli, tmp_path):
    """`attach --auto` on a real BLOOM xnli file: the vi task gets the same share `query run` gives."""
    from conftest import SAMPLE

    results = shared("lm_eval_results", "lm-evaluation-harness_v0.3_format_multilingual", "bloom", "bloom-1b1",
                     "bloom-1b1_xnli_0-shot.json")
    out = tmp_path / "annotated.json"
    code, _, err = cli("attach", results, "--auto", "--model-corpus", f"bigscience/bloom-1b1={SAMPLE}", "-o", out)
    assert code == 0, err
    annotated = json.loads(out.read_text())
    original = json.loads(results.read_text())
    assert {k: v for k, v in annotated.items() if k != "corpuscope"} == original
    finding = annotated["corpuscope"]["tasks"]["xnli_vi"]["findings"][0]
    code, text, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "language=vi",
                          "--format", "json")
    assert finding["documents"] == json.loads(text)["documents"]
    code, _, err = cli("report", out, "-o", tmp_path / "report.html")
    assert code == 0, err
    assert "xnli" in (tmp_path / "report.html").read_text()
