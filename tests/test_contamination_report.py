"""Contamination where users look: `corpuscope report` and the app's Evaluations page."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO, SAMPLE, shared, write_lm_eval_results
from test_contamination_cli import task_files  # noqa: F401  (a fixture)


@pytest.fixture
def annotated(cli, home, tmp_path, task_files):  # noqa: F811
    """A real lm-eval results file annotated by `contamination join --results` (12 of 40 items dirty)."""
    results = tmp_path / "results_2024-06-03T01-50-28.099832.json"
    shutil.copy(next(shared("lm_eval_results", "lm-evaluation-harness_v0.4_format").rglob("results_*.json")), results)
    return _scan_and_join(cli, task_files[0], SAMPLE / "flat", results, tmp_path / "annotated.json")


def _scan_and_join(cli, samples, corpus, results, out):
    """Scan ``samples`` against ``corpus`` and join the scan to ``results`` as ``out`` (bootstrap seed 2)."""
    record = out.with_suffix(".scan.json")
    code, stdout, _ = cli("contamination", samples, "--corpus", corpus, "--workers", "1", "--out", record)
    assert code == 0, stdout
    code, stdout, _ = cli("contamination", "join", record, samples, "--results", results, "--out", out, "--seed", "2")
    assert code == 0, stdout
    return out


def test_join_gives_the_dirty_share_an_interval(annotated):
    gpt3 = json.loads(annotated.read_text())["corpuscope"]["contamination"]["tasks"]["demo_qa"]["methods"]["gpt3"]
    low, high = gpt3["share_dirty_ci95"]
    assert gpt3["share_dirty"] == pytest.approx(0.3)
    assert 0.05 < low < 0.3 < high < 0.6


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_report_shows_contamination_per_task_and_method(cli, annotated, tmp_path, suffix):
    out = tmp_path / f"report{suffix}"
    code, stdout, _ = cli("report", annotated, "-o", out)
    assert code == 0, stdout
    assert "3 contamination row(s)" in stdout  # one task x three methods
    text = out.read_text()
    assert "Contamination per item" in text and "demo_qa" in text
    for method in ("gpt3", "palm", "llama2"):
        assert method in text
    assert "12 of 40" in text and "30%" in text  # dirty items and their share
    assert "1.000 [1.000, 1.000]" in text  # every dirty item is answered right in the fixture
    assert "clean is never claimed on a sample" in text and "lower bound" in text


def test_report_refuses_a_broken_contamination_key(cli, annotated, tmp_path):
    data = json.loads(annotated.read_text())
    data["corpuscope"]["contamination"] = {"kind": "something else"}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    code, _, stderr = cli("report", broken, "-o", tmp_path / "r.html")
    assert code == 2 and str(broken) in stderr and stderr.count("\n") == 1


def _evaluations_page(monkeypatch, tmp_path, results):
    """The app's Evaluations page after typing ``results``'s path (no exception, no error shown)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    monkeypatch.delenv("CORPUSCOPE_APP_CORPUS", raising=False)
    app = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/evaluations.py").run()
    app.text_input(key="ev_paths").set_value(str(results))
    app.run()
    assert not app.exception and not app.error, [e.value for e in [*app.exception, *app.error]]
    return app


def test_evaluations_page_shows_clean_vs_dirty(annotated, monkeypatch, tmp_path):
    app = _evaluations_page(monkeypatch, tmp_path, annotated)
    assert any(s.value == "Contamination per item" for s in app.subheader)
    assert any("never claimed on a sample" in w.value for w in app.warning)
    frames = [df.value for df in app.dataframe if "share_dirty" in df.value.columns]
    assert len(frames) == 1
    table = frames[0].set_index("method")
    assert set(table.index) == {"gpt3", "palm", "llama2"}
    assert table.loc["gpt3", "dirty"] == 12 and table.loc["gpt3", "share_dirty"] == pytest.approx(0.3)
    assert table.loc["gpt3", "share_low"] < 0.3 < table.loc["gpt3", "share_high"]
    assert table.loc["gpt3", "score_dirty"] == 1.0
    assert table.loc["gpt3", "not_found_low"] <= table.loc["gpt3", "score_not_found"] <= table.loc["gpt3", "not_found_high"]


def test_scan_writes_a_finding_per_method_with_provenance(cli, home, tmp_path, task_files):  # noqa: F811
    from inspectors.core import findings

    samples, _ = task_files
    folder = tmp_path / "findings"
    code, stdout, stderr = cli("contamination", samples, "--corpus", SAMPLE / "flat", "--workers", "1",
                               "--findings", folder)
    assert code == 0, stdout
    paths = sorted(folder.glob("*.json"))
    assert [p.name.rsplit("-", 1)[1] for p in paths] == ["contamination_gpt3.json", "contamination_llama2.json",
                                                         "contamination_palm.json"]
    gpt3 = findings.load(folder / f"{samples.stem}-contamination_gpt3.json")
    assert gpt3.params["task"] == "demo_qa" and gpt3.params["stride"] == 13 and gpt3.exact
    items = gpt3.estimate("items")
    assert (items["matched"], items["total"]) == (12, 40) and items["ci95"][0] < 0.3 < items["ci95"][1]
    docs = gpt3.estimate("documents")
    assert 12 <= docs["matched"] < docs["total"] and docs["method"] == "exact"
    assert gpt3.corpus["shards_fingerprint"] and gpt3.shards["read"] == gpt3.shards["total"] == 3 and gpt3.shards["read_list"] is None
    assert gpt3.provenance["tool_version"] and gpt3.provenance["benchmark"]["n_items"] == 40
    assert gpt3.evidence and gpt3.evidence[0]["shard"].endswith(".parquet") and gpt3.extra["lower_bound"] is True
    assert len({findings.load(p).id for p in paths}) == 3
    code, shown, _ = cli("finding", "show", folder / f"{samples.stem}-contamination_gpt3.json")
    assert code == 0 and "items" in shown and "12 of 40" in shown

    # A shard sample: provenance names the shards read and the documents interval is no longer exact.
    code, _, _ = cli("contamination", samples, "--corpus", SAMPLE / "dolma", "--sample-shards", "2", "--seed", "1",
                     "--workers", "1", "--findings", tmp_path / "sampled")
    assert code == 0
    sampled = findings.load(next((tmp_path / "sampled").glob("*gpt3.json")))
    assert sampled.shards["read"] == 2 and len(sampled.shards["read_list"]) == 2 and not sampled.exact
    assert sampled.plan["sample_shards"] == 2 and sampled.estimate("documents")["method"] != "exact"


def test_a_contamination_finding_attaches_to_its_task(cli, home, tmp_path, task_files):  # noqa: F811
    samples, _ = task_files
    folder = tmp_path / "findings"
    assert cli("contamination", samples, "--corpus", SAMPLE / "flat", "--workers", "1", "--findings", folder)[0] == 0
    results = write_lm_eval_results(tmp_path / "results.json", "demo_qa", 0.55, 0.08)
    task_map = tmp_path / "map.yaml"
    task_map.write_text("version: 1\ntasks:\n  demo_qa: {family: demo, query: contamination_gpt3, params: {task: demo_qa}}\n")
    out = tmp_path / "annotated.json"
    code, stdout, stderr = cli("attach", results, "--finding", next(folder.glob("*gpt3.json")), "--task-map", task_map,
                               "--model-corpus", "my-org/my-model=flat", "-o", out)
    assert code == 0, stderr
    attached = json.loads(out.read_text())["corpuscope"]["tasks"]["demo_qa"]["findings"]
    assert [f["query"]["name"] for f in attached] == ["contamination_gpt3"]


@pytest.fixture
def two_joins(cli, annotated, tmp_path, task_files):  # noqa: F811
    """``annotated`` joined again with a scan of another corpus (the dolma sample): two joins in one file."""
    return _scan_and_join(cli, task_files[0], SAMPLE / "dolma", annotated, tmp_path / "annotated-twice.json")


def test_a_second_join_keeps_the_first(two_joins):
    from inspectors.evals.contamination import join_key

    block = json.loads(two_joins.read_text())["corpuscope"]
    joins = block["contamination_joins"]
    assert len(joins) == 2 and {j["corpus"]["name"] for j in joins.values()} == {"flat", "dolma"}
    assert block["contamination"]["corpus"]["name"] == "dolma"  # the latest join stays where the contract put it
    assert all(join_key(j) == k for k, j in joins.items())
    assert joins[join_key({**block["contamination"], "corpus": {"name": "flat"}})]["tasks"]["demo_qa"]["methods"][
        "gpt3"]["n_dirty"] == 12


def test_rejoining_the_same_scan_replaces_it(cli, two_joins, tmp_path, task_files):  # noqa: F811
    samples, _ = task_files
    record = tmp_path / "annotated-twice.scan.json"
    out = tmp_path / "annotated-thrice.json"
    code, stdout, _ = cli("contamination", "join", record, samples, "--results", two_joins, "--out", out, "--seed", "5")
    assert code == 0, stdout
    joins = json.loads(out.read_text())["corpuscope"]["contamination_joins"]
    assert len(joins) == 2 and {j["interval"]["seed"] for j in joins.values()} == {2, 5}


def test_report_and_app_show_every_join(cli, two_joins, tmp_path, monkeypatch):
    out = tmp_path / "report.md"
    code, stdout, _ = cli("report", two_joins, "-o", out)
    assert code == 0, stdout
    assert "6 contamination row(s)" in stdout  # two corpora x one task x three methods
    text = out.read_text()
    assert "12 of 40" in text and "| flat (3 of 3 shards) |" in text and "| dolma (" in text
    app = _evaluations_page(monkeypatch, tmp_path, two_joins)
    table = next(df.value for df in app.dataframe if "share_dirty" in df.value.columns)
    assert len(table) == 6 and set(table["corpus"]) == {"flat", "dolma"}
    assert set(table["benchmark"]) == {"samples_demo_qa_2024-06-03T01-50-28.099832"}


def _finding_view(path: str, app_dir: str) -> None:
    import sys

    sys.path.insert(0, app_dir)
    import ui

    from inspectors.core import findings

    ui.show_finding(findings.load(path), "t")


def test_finding_view_without_documents(cli, home, tmp_path, task_files):  # noqa: F811
    """A contamination finding over a corpus that held no document (no documents estimate) still shows."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from streamlit.testing.v1 import AppTest

    _, user = task_files
    empty = tmp_path / "empty"
    empty.mkdir()
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), empty / "e-0.parquet")
    folder = tmp_path / "findings"
    code, stdout, _ = cli("contamination", user, "--corpus", empty, "--workers", "1", "--findings", folder)
    assert code == 0, stdout
    path = sorted(folder.glob("*.json"))[0]
    data = json.loads(path.read_text())
    assert data["documents"] is None and data["items"]["matched"] == 0
    app = AppTest.from_function(_finding_view, args=(str(path), str(REPO / "app")), default_timeout=60)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("0%" in m.value and "of items" in m.value for m in app.markdown)
