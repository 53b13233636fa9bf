"""Issue 15: what broke in a newcomer's first afternoon, each through the real entry point (AppTest or CLI)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import REPO, SAMPLE

MAIN = REPO / "app" / "main.py"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    monkeypatch.delenv("CORPUSCOPE_APP_CORPUS", raising=False)
    return AppTest.from_file(str(MAIN), default_timeout=120)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_coverage_regex_placeholder_matches_and_duckdb_validates(app):
    """Item 6: the placeholder ``\\bĐiều \\d+`` matches Vietnamese statutes (``\\b`` made Unicode-aware),
    and the pattern is checked by DuckDB's RE2, not Python's re."""
    ok(app.run())
    ok(app.switch_page("pages/coverage.py").run())
    box = app.text_input(key="cov_regex")
    assert box.placeholder == r"\bĐiều \d+"
    app.multiselect(key="cov_lang").set_value([])
    box.set_value(box.placeholder)
    ok(app.button(key="cov_run").click().run())
    assert app.session_state["cov_finding"].estimate("documents")["matched"] > 0
    # Look-behind is Python syntax RE2 lacks: refused up front, by the engine that would run it.
    app.text_input(key="cov_regex").set_value(r"(?<=Điều )\d+").run()
    assert any("not valid RE2" in e.value for e in app.error), [e.value for e in app.error]
    # \p{Lu} is valid RE2 (Python's re rejects it): accepted and run.
    app.text_input(key="cov_regex").set_value(r"\p{Lu}\d+").run()
    assert not app.error, [e.value for e in app.error]
    ok(app.button(key="cov_run").click().run())
    assert not app.exception


def test_ray_tmpdir_is_short_whatever_tmpdir_is(tmp_path):
    """Item 13: Ray's socket folder does not sit inside TMPDIR, so a long TMPDIR cannot push its AF_UNIX
    paths past 107 bytes; a fresh interpreter with a 150-character TMPDIR gets a short RAY_TMPDIR."""
    import os
    import subprocess
    import sys

    long_tmp = tmp_path / ("x" * 150)
    long_tmp.mkdir()
    code = "import sys; sys.path.insert(0, 'tests'); import conftest, os; print(os.environ['RAY_TMPDIR'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env=dict(os.environ, TMPDIR=str(long_tmp))).stdout.strip()
    assert out.startswith("/tmp/cs-ray-") and len(out) < 40, out
    # A Ray socket path (session folder + sockets/plasma_store) stays well under 107 bytes.
    assert len(out + "/session_2026-12-02_15-41-02_123456_12345/sockets/plasma_store") <= 107
    import shutil
    shutil.rmtree(out, ignore_errors=True)


def chart_labels(at: AppTest, index: int = 0) -> list:
    """The ``label`` column of the data behind the app's ``index``-th Altair chart."""
    import pyarrow as pa

    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    data = charts[index].proto.datasets[0].data.data
    return pa.ipc.open_stream(data).read_all().column("label").to_pylist()


def test_report_chart_labels_come_from_declared_dimensions(app, cli):
    """Item 2 (already fixed by the run layer, issue 9): a report's chart uses the query's declared
    dimensions as its labels, never a byte sum; and report numbers leave the library as numbers."""
    import json

    ok(app.run())
    ok(app.switch_page("pages/saved_queries.py").run())
    app.selectbox(key="sq_query").set_value("language_distribution").run()
    ok(app.button(key="sq_run").click().run())
    labels = chart_labels(app)
    assert "vi" in labels and "en" in labels, labels
    assert not any(str(v).replace(".", "").isdigit() for v in labels), labels
    code, out, _ = cli("query", "run", "language_distribution", "--corpus", str(SAMPLE), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    for row in rows:
        for column in ("documents", "bytes", "tokens"):
            if row.get(column) is not None:
                assert isinstance(row[column], (int, float)), (column, row[column])


def test_sampled_overview_survives_a_measure_switch(app):
    """Item 4 (already fixed by the run layer, issue 9): after a shard-sample build, switching Measure
    re-renders from what was computed instead of asking to build again."""
    ok(app.run())
    app.segmented_control(key="ov_strategy").set_value("shard_sample").run()
    app.number_input(key="ov_k").set_value(3).run()
    ok(app.button(key="ov_build").click().run())
    assert "3 of 6 shards read" in "\n".join(m.value for m in app.markdown)
    charts = len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart"))
    assert charts >= 3
    for measure in ("tokens", "bytes", "documents"):
        ok(app.segmented_control(key="ov_measure").set_value(measure).run())
        assert not any("press *Build overview*" in i.value for i in app.info), measure
        assert len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")) == charts, measure


BLOOM_XNLI = "lm_eval_results/lm-evaluation-harness_v0.3_format_multilingual/bloom/bloom-1b1/bloom-1b1_xnli_0-shot.json"
VI_TASKS = ("xnli_vi", "xcopa_vi", "xstorycloze_vi", "m_mmlu_vi", "arc_vi", "hellaswag_vi")


def _pythia_results(path, tasks=VI_TASKS, model="EleutherAI/pythia-160m"):
    """A v0.4 results file of a Pile-trained model with several Vietnamese tasks."""
    import json

    data = {"results": {t: {"alias": t, "acc,none": 0.4, "acc_stderr,none": 0.01} for t in tasks},
            "configs": {t: {} for t in tasks}, "n-shot": {t: 0 for t in tasks}, "versions": {t: 1.0 for t in tasks},
            "config": {"model": "hf", "model_args": f"pretrained={model}"}, "model_name": model}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def vi_finding(tmp_path_factory):
    from inspectors.core import run

    finding = run.run("language_share", str(SAMPLE), {"language": "vi"}, workers=1)
    path = tmp_path_factory.mktemp("finding") / "vi.json"
    path.write_text(finding.to_json())
    return finding, path


def test_attach_prints_one_grouped_warning_per_cause(cli, tmp_path, vi_finding):
    """Item 7, CLI: one warning per cause across files and tasks (not one per task); bloom-1b1 is known
    to the catalogue (its corpus is what is missing); no trailing "matched no task" for explained findings."""
    from conftest import shared

    _, finding = vi_finding
    a = _pythia_results(tmp_path / "a.json")
    b = _pythia_results(tmp_path / "b.json")
    code, out, err = cli("attach", a, b, shared(BLOOM_XNLI), "--finding", finding, "-o", str(tmp_path / "out") + "/")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, err
    other = next(w for w in warnings if "not attached" in w)
    assert "6 tasks" in other and "(2 files)" in other and "pile" in other and "--corpus pile" in other
    bloom = next(w for w in warnings if "bloom-1b1" in w)
    assert "is in the catalogue" in bloom and "not in the catalogue" not in bloom
    assert "--model-corpus bigscience/bloom-1b1=" in bloom
    assert "matched no task" not in err


def test_evaluations_page_groups_warnings_without_cli_flags(app, tmp_path, vi_finding):
    """Item 7, app: one warning per cause, none naming a CLI flag; one model name in every table;
    readable chart axis titles."""
    import json

    from conftest import shared

    finding, _ = vi_finding
    a = _pythia_results(tmp_path / "a.json")
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(f"{a}, {shared(BLOOM_XNLI)}")
    app.file_uploader(key="ev_findings").set_value([("vi.json", finding.to_json().encode(), "application/json")])
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    warnings = [w.value for w in app.warning]
    assert len(warnings) == 2, warnings
    assert not any("--" in w for w in warnings), warnings
    assert any("6 tasks" in w and "sidebar" in w for w in warnings), warnings
    assert any("bloom-1b1 is in the catalogue" in w for w in warnings), warnings
    models = set()
    for frame in app.dataframe:
        if "model" in frame.value.columns:
            models |= set(frame.value["model"])
    assert models <= {"EleutherAI/pythia-160m", "bigscience/bloom-1b1"}, models
    # Map the model to the finding's corpus: the score-vs-share chart appears, with one title per axis.
    app.text_input(key="ev_map").set_value(f"EleutherAI/pythia-160m={finding.corpus_name}")
    app.run()
    assert not app.exception
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    score = next(s for s in specs if "Task score" in json.dumps(s.get("title")))
    titles = {layer["encoding"][ch].get("title") for layer in score["layer"] for ch in ("x", "y")
              if ch in layer["encoding"]}
    assert titles == {"share of the training corpus in the task's slice", "task score"}, titles
    legend = score["layer"][0]["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["labelLimit"] >= 300


def test_sampled_counts_are_marked_as_estimates(cli, app):
    """Item 9: a shard sample with a row cap does not print "0 of 300" as if counted: both numbers are
    marked ≈, the matched count has its interval, a note says what the totals are; an exact scan stays
    plain; report tables print shares as percentages."""
    code, out, _ = cli("query", "run", "language_share", "--corpus", str(SAMPLE), "--param", "language=en",
                       "--sample-shards", "3", "--rows-per-shard", "50")
    assert code == 0
    docs = next(line for line in out.splitlines() if line.startswith("documents"))
    assert "≈" in docs and "95% CI" in docs.split(" of ")[0], docs
    assert "note: sampled (3 of 6 shards)" in out and "at most 50 rows of each shard" in out
    code, out, _ = cli("query", "run", "vietnamese_share", "--corpus", str(SAMPLE))
    assert "138 of 720" in out and "≈" not in out and "note:" not in out
    code, out, _ = cli("query", "run", "language_distribution", "--corpus", str(SAMPLE))
    en = next(line for line in out.splitlines() if line.startswith("en "))
    # Shares as percentages (whatever the language inspector in force says), never raw fractions.
    assert re.search(r"\b\d{1,3}\.\d{2}%", en) and not re.search(r"\b0\.\d{4}", en), en
    # The app says the same: an estimate is labelled as one.
    ok(app.run())
    ok(app.switch_page("pages/saved_queries.py").run())
    app.segmented_control(key="sq_strategy").set_value("shard_sample").run()
    app.number_input(key="sq_k").set_value(3).run()
    ok(app.button(key="sq_run").click().run())
    assert any("(estimate)" in m.label for m in app.metric), [m.label for m in app.metric]
    assert any("counts are estimates" in c.value for c in app.caption)


def test_folder_sources_pick_one_format_and_take_include_exclude(cli, home, tmp_path):
    """Item 11: a folder with the same statutes as Parquet and JSONL and raw JSON under raw/ is read as
    Parquet only, saying what was skipped; --include/--exclude choose (on every command with SOURCE);
    duplicate ids across shards are warned about."""
    import shutil as sh

    from conftest import shared

    folder = tmp_path / "mixed"
    (folder / "raw").mkdir(parents=True)
    for name in ("vlc2021_laws.parquet", "vlc2021_laws.jsonl.gz"):
        sh.copy(shared("vi_legal_vlc2021", name), folder / name)
    sh.copy(shared("langid_xquad_paragraphs", "raw", "xquad.vi.json.gz"), folder / "raw" / "xquad.vi.json.gz")
    code, out, err = cli("profile", folder, "--inspectors", "length", "--workers", "1")
    assert code == 0, err
    assert "1 of 1 shards" in out and "109 documents" in out, out
    assert "skipped 2 JSON(L) file(s) shadowed by Parquet" in err and "raw/xquad.vi.json.gz" in err, err
    assert "more than one shard" not in err
    # Both formats on purpose: the duplicate ids are said once, with an example.
    code, out, err = cli("profile", folder, "--include", "*.parquet", "--include", "vlc2021_laws.jsonl.gz",
                         "--inspectors", "length", "--workers", "1")
    assert code == 0, err
    assert "2 of 2 shards" in out and "218 documents" in out
    assert "109 document id(s) appear in more than one shard" in err, err
    # --exclude, on a command another module owns: sql gets the options through column_options.
    code, out, err = cli("sql", folder, "select count(*) as n from documents", "--exclude", "*.parquet",
                         "--exclude", "raw/*", "--format", "json")
    assert code == 0, err
    assert '"n": 109' in out
    code, _, err = cli("plan", folder, "--include", "*.csv")
    assert code != 0 and "no shard left" in err
    for command in (("profile",), ("plan",), ("sql",), ("query", "run")):
        _, help_text, _ = cli(*command, "--help")
        assert "--include" in help_text and "--exclude" in help_text, command
