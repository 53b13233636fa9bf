"""Slices and reports through `query run`: plans, intervals, findings, evidence, reproducibility."""

from __future__ import annotations

import json

from conftest import SAMPLE
from inspectors.core.evidence import mask, snippet

SLICE_KEYS = {"query", "corpus", "documents", "bytes", "tokens", "shards", "plan", "provenance", "evidence",
              "inspectors", "kind", "finding_version"}


def _run(cli, *args):
    code, out, err = cli("query", "run", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_full_scan_finding_keys_and_exact_interval(home, cli, tmp_path):
    out = tmp_path / "finding.json"
    finding = _run(cli, "vietnamese_share", "--corpus", SAMPLE, "--out", out)
    assert SLICE_KEYS <= set(finding)
    for unit in ("documents", "bytes", "tokens"):
        est = finding[unit]
        assert {"matched", "total", "share", "ci95"} <= set(est)
        assert est["ci95"] == [est["share"], est["share"]] and est["method"] == "exact"
    assert finding["shards"]["read"] == finding["shards"]["total"] == 6
    assert set(finding["provenance"]) >= {"tool_version", "created", "query_sha256"}
    assert finding["query"]["sha256"] == finding["provenance"]["query_sha256"]
    assert json.loads(out.read_text()) == finding
    code, text, err = cli("finding", "show", out)
    assert code == 0 and "6 of 6 shards read" in text and "95% CI" in text


def test_shard_sample_is_reproducible_and_brackets_the_truth(home, cli):
    truth = _run(cli, "vietnamese_share", "--corpus", SAMPLE)["documents"]["share"]
    first = _run(cli, "vietnamese_share", "--corpus", SAMPLE, "--sample-shards", "4", "--seed", "3")
    again = _run(cli, "vietnamese_share", "--corpus", SAMPLE, "--sample-shards", "4", "--seed", "3")
    assert first["shards"]["read"] == 4 and first["shards"]["total"] == 6
    assert first["plan"] == {"strategy": "shard_sample", "sample_shards": 4, "rows_per_shard": None, "seed": 3,
                             "per_stratum": None}
    for unit in ("documents", "bytes", "tokens"):
        assert first[unit] == again[unit]
    low, high = first["documents"]["ci95"]
    assert low < first["documents"]["share"] < high and low <= truth <= high


def test_stratified_scan_inspects_a_sample_and_covers_the_truth(home, cli):
    truth = _run(cli, "vietnamese_legal_documents", "--corpus", SAMPLE)["documents"]["share"]
    finding = _run(cli, "vietnamese_legal_documents", "--corpus", SAMPLE, "--stratified", "--per-stratum", "40")
    assert finding["plan"]["strategy"] == "stratified"
    assert {s["name"] for s in finding["strata"]} >= {"vi_legal_markers", "rest"}
    assert sum(s["documents"] for s in finding["strata"]) == 720  # every document lands in a stratum
    assert finding["inspected_share"] < 0.25
    low, high = finding["documents"]["ci95"]
    assert low <= truth <= high
    assert finding == {**_run(cli, "vietnamese_legal_documents", "--corpus", SAMPLE, "--stratified",
                              "--per-stratum", "40"), "provenance": finding["provenance"]}


def test_sampled_report_has_intervals_per_row(home, cli):
    code, out, err = cli("query", "run", "language_distribution", "--corpus", SAMPLE, "--sample-shards", "4",
                         "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(r["document_share_ci_low"] <= r["document_share"] <= r["document_share_ci_high"] for r in rows)


def test_report_formats(home, cli):
    for fmt, marker in (("table", "rows)"), ("csv", "language,documents"), ("markdown", "| language |")):
        code, out, err = cli("query", "run", "language_distribution", "--corpus", SAMPLE, "--format", fmt)
        assert code == 0 and marker in out, (fmt, err)


def test_param_binding_is_typed(home, cli):
    finding = _run(cli, "language_share", "--corpus", SAMPLE, "--param", "language=de")
    assert finding["query"]["params"] == {"language": "de", "min_score": 0.5}
    assert 0 < finding["documents"]["matched"] < 720
    code, _, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "min_score=high")
    assert code == 2 and "min_score must be float" in err
    code, _, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "language='vi' OR 1=1 --")
    assert code == 0  # bound as a value: matches no language, injects nothing


def test_snippets_mask_contacts_and_highlight():
    text = "Liên hệ luatsu@example.com hoặc +84 912 345 678. Căn cứ Điều 5 của Luật này."
    assert "example.com" not in mask(text) and "912" not in mask(text)
    cut = snippet(text, ("Điều \\d+",))
    assert "**Điều 5**" in cut and "[email]" in cut and "[phone]" in cut


def _language_inspector() -> str:
    from inspectors.core import registry

    return registry.latest()["language"].key()


def test_a_language_the_inspector_cannot_emit_is_warned_about(home, cli):
    """Issue 13: `language=xx-nonsense` (or a real code outside the label set, cr) silently gave 0%, as if
    there were none; a warning on stderr names the code and the inspector, and the exit code stays 0."""
    for code in ("xx-nonsense", "cr"):
        status, out, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", f"language={code}")
        assert status == 0, err
        assert f"warning: language {code!r}" in err and _language_inspector() in err, err
        assert "corpuscope inspectors list" in err, err
    status, _, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "language=vi")
    assert status == 0 and "warning" not in err, err


def test_a_built_slice_with_an_unknown_language_is_warned_about():
    from inspectors.core import label_check, slice_builder

    query = slice_builder.draft(slice_builder.build(slice_builder.SliceSpec(languages=("vi", "xx-nonsense"))), "s")
    (note,) = label_check.unknown_label_notes(query, query.bind({}), "HERE")
    assert "'xx-nonsense'" in note and _language_inspector() in note and "HERE" in note, note
