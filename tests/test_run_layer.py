"""The run layer: one path for every front end, inspectors that describe themselves, I/O read once."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE
from inspectors.core import registry, run, store
from inspectors.core.findings import Finding
from inspectors.core.plan import Plan

CORE = REPO / "inspectors" / "core"
USER_INSPECTOR = '''
import pyarrow as pa
import pyarrow.compute as pc
from inspectors.core.registry import Inspector, register


@register
class Wordy(Inspector):
    """Words per document, and whether it is long."""

    name = "wordy"
    version = 1
    inputs = ("text",)
    output_schema = pa.schema([("n_words", pa.int64()), ("wordiness", pa.string())])
    labels = {"wordiness": ("short", "long")}

    def inspect(self, batch):
        text = batch.column(batch.schema.get_field_index("text"))
        words = pc.fill_null(pc.list_value_length(pc.utf8_split_whitespace(text)), 0).cast(pa.int64())
        long = pc.greater(words, 60)
        return {"n_words": words, "wordiness": pc.if_else(long, "long", "short")}
'''
USER_QUERY = '''-- ---
-- title: Long documents
-- version: 1
-- kind: slice
-- requires: [wordy, language]
-- ---
SELECT * FROM documents WHERE wordiness = 'long'
'''


def _corpus():
    return run.resolve_corpus(str(SAMPLE))


def _cli(*args, env=None):
    """The real command in a fresh process (user inspectors must not leak into this one)."""
    result = subprocess.run([sys.executable, "-c", "from inspectors.cli import main; main()", *map(str, args)],
                            capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)
    return result.returncode, result.stdout, result.stderr


# ------------------------------------------------------------------ inspectors describe themselves

def test_changed_data_file_reruns_that_inspector_only(home, tmp_path, monkeypatch):
    from inspectors.builtin.topic import DATA_DIR, TopicInspector

    copies = []
    for f in TopicInspector.data_files:
        shutil.copy(f, tmp_path / f.name)
        copies.append(tmp_path / f.name)
    monkeypatch.setattr(TopicInspector, "data_files", tuple(copies))
    corpus = _corpus()
    before = TopicInspector.identity()
    assert before.startswith("topic_v1@")
    run.profile(corpus, Plan(), run.RunOptions(workers=1))
    first = {s.uri: store.read_info(store.attribute_path(s)).inspectors for s in corpus.shards}
    lexicon = tmp_path / "lexicons.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# a new term\n", encoding="utf-8")
    after = TopicInspector.identity()
    assert after != before and DATA_DIR.is_dir()
    statuses = []
    run.profile(corpus, Plan(), run.RunOptions(workers=1, progress=lambda p: statuses.append(p.status)))
    assert statuses == ["updated"] * len(corpus.shards)
    for shard in corpus.shards:
        now = store.read_info(store.attribute_path(shard)).inspectors
        assert now["topic"] == after
        assert {k: v for k, v in now.items() if k != "topic"} == {k: v for k, v in first[shard.uri].items()
                                                                  if k != "topic"}


def test_inspectors_describe_measures_labels_and_data():
    providers = registry.measure_providers()
    assert set(providers) >= {"bytes", "tokens"}
    for unit, (cls, column) in providers.items():
        assert column in cls.output_schema.names, unit
    labels = registry.label_values()
    from inspectors.builtin.topic import FORMATS, TOPICS, UNKNOWN

    assert set(labels["topic"]) == set(TOPICS) | {UNKNOWN} and set(labels["format"]) == set(FORMATS) | {UNKNOWN}
    assert "und" in labels["language"] and "vi" in labels["language"]  # the codes the default can emit
    assert labels["host"] is None  # an open set
    for cls in registry.latest().values():
        for f in cls.data_files:
            assert Path(f).is_file(), (cls.key(), f)


def test_app_slice_choices_are_values_the_inspectors_emit():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/coverage.py").run()
    labels = registry.label_values()
    assert not at.exception
    assert set(at.multiselect(key="cov_topics").options) == set(labels["topic"])
    assert set(at.multiselect(key="cov_formats").options) == set(labels["format"])


# ------------------------------------------------------------------ user inspectors are first-class

def test_user_inspector_works_in_every_command(home, tmp_path):
    module = tmp_path / "wordy.py"
    module.write_text(USER_INSPECTOR, encoding="utf-8")
    query = tmp_path / "long_documents.sql"
    query.write_text(USER_QUERY, encoding="utf-8")
    env = {"CORPUSCOPE_HOME": str(home)}
    code, out, err = _cli("query", "validate", query, env=env)
    assert code == 2 and "wordy" in err and "--inspector-module" in err
    code, out, err = _cli("query", "validate", query, "--inspector-module", module, env=env)
    assert code == 0 and "ok      long_documents" in out, err
    code, out, err = _cli("plan", SAMPLE, "--query", query, "--inspector-module", module, env=env)
    assert code == 0 and "wordy" in out, err
    code, out, err = _cli("query", "run", query, "--corpus", SAMPLE, "--inspector-module", module,
                          "--format", "json", "--workers", "2", env=env)
    assert code == 0, err
    finding = Finding.from_json(out)
    assert finding.inspectors["wordy"] == "wordy_v1" and 0 < finding.estimate("documents")["share"] < 1
    code, out, err = _cli("sql", SAMPLE, "select wordiness, count(*) n from documents group by 1 order by 1",
                          "--format", "json", env={**env, "CORPUSCOPE_INSPECTOR_MODULES": str(module)})
    assert code == 0, err
    assert [r["wordiness"] for r in json.loads(out)] == ["long", "short"]


# ------------------------------------------------------------------ core never names a built-in

def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_core_never_imports_or_names_a_builtin():
    for path in CORE.rglob("*.py"):
        bad = [n for n in _imports(path) if n.startswith("inspectors.builtin")]
        assert not bad, (path, bad)
    # Label columns (language, topic…) are the documents view's schema that slices filter on; what core
    # must not name is an inspector, or a measure's column.
    builtin_names = ({cls.name for cls in registry.latest().values()} | {"n_bytes", "n_tokens"}) - set(
        registry.label_values())
    for name in ("coverage.py", "overview.py", "slice_builder.py", "run.py", "views.py", "stratified.py"):
        tree = ast.parse((CORE / name).read_text(encoding="utf-8"))
        literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not literals & builtin_names, (name, literals & builtin_names)


def test_app_imports_only_the_run_layer_results_and_registry():
    allowed = {"inspectors.core.run", "inspectors.core.findings", "inspectors.core.overview",
               "inspectors.core.registry", "inspectors.core.errors", "inspectors.core.plan",
               "inspectors.core.queries", "inspectors.core.sources", "inspectors.core.slice_builder",
               "inspectors.core.catalogue", "inspectors.evals", "inspectors.resources"}
    for path in (REPO / "app").rglob("*.py"):
        for name in _imports(path):
            if not name.startswith("inspectors.") or name in ("inspectors.core", "inspectors.evals"):
                continue
            assert any(name == a or name.startswith(a + ".") for a in allowed), (path, name)


# ------------------------------------------------------------------ I/O: read once

def test_cached_query_run_reads_each_footer_once_and_probes_no_shard(home, monkeypatch):
    from inspectors.core import shards as shards_mod

    corpus = _corpus()
    run.profile(corpus, Plan(), run.RunOptions(workers=1))
    probes = []
    real = shards_mod.schema_paths
    monkeypatch.setattr(shards_mod, "schema_paths", lambda shard: probes.append(shard.uri) or real(shard))
    footers = [0]  # attribute footers read (every reader of attribute metadata goes through read_schema)
    read_schema = store.read_schema
    monkeypatch.setattr(store, "read_schema", lambda path: footers.__setitem__(0, footers[0] + 1) or read_schema(path))
    finding = run.run("vietnamese_legal_documents", corpus, workers=1)
    assert finding.shards["read"] == len(corpus.shards)
    assert footers[0] == len(corpus.shards)
    assert probes == []
    footers[0] = 0
    result = run.run("language_distribution", corpus, plan=Plan("shard_sample", 4, None, 1), workers=1)
    assert footers[0] == 4 and probes == [] and "document_share_ci_low" in result.table.column_names


def test_documents_with_text_can_be_scanned_twice(home, cli):
    assert cli("profile", SAMPLE, "--workers", "1")[0] == 0
    code, out, err = cli("sql", SAMPLE, "select (select count(*) from documents where text like '%a%') a, "
                                        "(select count(*) from documents) n", "--format", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    code, out, _ = cli("sql", SAMPLE, "select count(*) a from documents where text like '%a%'", "--format", "json")
    assert row == {"a": json.loads(out)[0]["a"], "n": 720}


def test_report_numbers_leave_as_numbers(home, cli):
    code, out, err = cli("query", "run", "language_distribution", "--corpus", SAMPLE, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(isinstance(r[k], int) for r in rows for k in ("documents", "bytes", "tokens"))


# ------------------------------------------------------------------ progress, cancel, stratified cache

def test_progress_and_cancel_keep_finished_shards(home):
    corpus = _corpus()
    seen = []
    options = run.RunOptions(workers=1, progress=seen.append, cancel=lambda: len(seen) >= 2)
    with pytest.raises(run.Cancelled, match="2 of 6 shards"):
        run.run_query(run.find_query("vietnamese_share"), corpus, {}, Plan(), options)
    assert [(p.stage, p.done, p.total) for p in seen] == [("profile", 1, 6), ("profile", 2, 6)]
    assert run.cached_count(corpus) == 2


def test_stratified_second_pass_is_cached(home, monkeypatch):
    from inspectors.core import stratified

    corpus = _corpus()
    plan = Plan("stratified", None, None, 3, 25)
    first = run.run("vietnamese_share", corpus, plan=plan, workers=1)
    calls = []
    real = stratified.tag_sample
    monkeypatch.setattr(stratified, "tag_sample", lambda *a, **k: calls.append(a[0].uri) or real(*a, **k))
    again = run.run("vietnamese_share", corpus, plan=plan, workers=1)
    assert calls == [] and again.estimates == first.estimates and again.extra == first.extra


# ------------------------------------------------------------------ typed findings, one per front end

def test_old_finding_files_still_load(tmp_path):
    old = {"kind": "corpuscope.finding", "finding_version": 1,
           "query": {"name": "vietnamese_share", "title": "Vietnamese share", "version": 1, "sha256": "ab",
                     "params": {"min_score": 0.5}},
           "corpus": {"name": "demo", "version": None, "revision": None, "source": "x", "shards_fingerprint": "f"},
           "plan": {"strategy": "full", "sample_shards": None, "rows_per_shard": None, "seed": 0, "per_stratum": None},
           "shards": {"read": 6, "total": 6, "read_list": None},
           "documents": {"matched": 1.0, "total": 2.0, "share": 0.5, "ci95": [0.5, 0.5], "matched_ci95": [1.0, 1.0],
                         "method": "exact"},
           "bytes": None, "tokens": None, "evidence": [], "inspectors": {"language": "language_v1+fasttext"},
           "provenance": {"tool_version": "0.1.0", "created": "2026-11-28T10:00:00Z", "query_sha256": "ab"}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    from inspectors.core import findings

    loaded = findings.load(path)
    assert loaded.to_dict() == old and loaded.estimate("documents")["share"] == 0.5 and loaded.units == ["documents"]
    with pytest.raises(Exception, match="not a corpuscope finding"):
        Finding.from_dict({"kind": "other"}, "x.json")


def test_app_cli_and_attach_give_byte_identical_findings(home, tmp_path, monkeypatch, cli):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    # CLI
    out = tmp_path / "cli.json"
    code, _, err = cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "language=vi", "--out", out)
    assert code == 0, err
    from_cli = out.read_text(encoding="utf-8").rstrip("\n")
    # app
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/saved_queries.py").run()
    at.selectbox(key="sq_query").set_value("language_share")
    at.run()
    at.text_input(key="sq_language_share_language").set_value("vi")
    at.button(key="sq_run").click().run()
    assert not at.exception
    from_app = at.session_state["sq_result"][-1].to_json()
    # attach --auto
    task_map = tmp_path / "tasks.yaml"
    task_map.write_text("version: 1\ntasks:\n  xnli_vi: {family: xnli, language: vi, query: language_share, "
                        "params: {language: vi}}\n", encoding="utf-8")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({
        "results": {"xnli_vi": {"alias": "xnli_vi", "acc,none": 0.41, "acc_stderr,none": 0.01}},
        "configs": {"xnli_vi": {}}, "n-shot": {"xnli_vi": 0}, "versions": {"xnli_vi": 1.0},
        "config": {"model": "hf", "model_args": "pretrained=my-org/my-model"}, "model_name": "my-org/my-model"}))
    annotated = tmp_path / "annotated.json"
    code, _, err = cli("attach", results, "--auto", "--task-map", task_map, "--model-corpus",
                       f"my-org/my-model={SAMPLE}", "-o", annotated)
    assert code == 0, err
    block = json.loads(annotated.read_text(encoding="utf-8"))["corpuscope"]["tasks"]["xnli_vi"]["findings"][0]
    block.pop("id")
    from_attach = Finding.from_dict(block).to_json()
    assert from_cli == from_app == from_attach


def test_overview_language_chart_says_how_many_languages_can_be_named(home):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.run()
    assert not at.exception
    n = len(registry.label_values()["language"]) - 1  # und is not a language
    captions = " ".join(c.value for c in at.caption)
    assert f"The language inspector can name {n} values (+ und)" in captions
    assert "cannot tell, not that there is none" in captions
