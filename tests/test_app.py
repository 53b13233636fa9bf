"""The Streamlit app through ``AppTest``: every page of the one page list runs without an exception, and the
main widgets work (choose a corpus, run a slice, save it, compare two corpora, SQL sandbox, evaluations)."""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest
from streamlit.testing.v1 import AppTest

from conftest import REPO, SAMPLE

MAIN = REPO / "app" / "main.py"
TIMEOUT = 120


def page_list() -> list[str]:
    """The pages declared in ``app/main.py`` (the one page list)."""
    return re.findall(r'st\.Page\("([^"]+)"', MAIN.read_text())


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A fresh session of the app; saved queries go to a temp folder, never into the repo's queries/."""
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    monkeypatch.delenv("CORPUSCOPE_APP_CORPUS", raising=False)
    return AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_every_page_runs(app):
    pages = page_list()
    assert len(pages) == 9 and "pages/overview.py" in pages
    ok(app.run())
    assert app.title[0].value == "Overview"
    assert "6 of 6 shards read" in markdown(app)
    assert len(app.get("arrow_vega_lite_chart")) >= 5 or len(app.get("vega_lite_chart")) >= 5
    for page in pages:
        ok(app.switch_page(page).run())
        assert app.title, page
        assert app.caption, f"{page} explains itself in a caption"


def test_choose_corpus_from_a_path(app, tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(SAMPLE / "flat", folder)
    ok(app.run())
    ok(app.switch_page("pages/corpora.py").run())
    app.text_input(key="add_source_text").set_value(str(folder))
    app.button[0].click()  # the form's submit button comes first on the page
    ok(app.run())
    assert app.session_state["corpus"] == str(folder)
    assert "3 shards" in markdown(app)
    ok(app.switch_page("pages/overview.py").run())
    assert "3 of 3 shards read" in markdown(app)
    # A source that does not exist is a message, not a traceback.
    ok(app.switch_page("pages/corpora.py").run())
    app.text_input(key="add_source_text").set_value(str(tmp_path / "nope"))
    app.button[0].click().run()
    assert not app.exception
    assert any("does not exist" in e.value for e in app.error)


def test_build_run_and_save_a_slice(app, tmp_path):
    ok(app.run())
    ok(app.switch_page("pages/coverage.py").run())
    app.text_input(key="cov_title").set_value("Vietnamese statutes")
    app.text_input(key="cov_regex").set_value(r"Điều \d+")
    ok(app.button(key="cov_run").click().run())
    text = markdown(app)
    assert "Vietnamese statutes" in text and "of documents" in text and "6 of 6 shards read" in text
    assert "<mark>" in text  # the regex match is highlighted in the evidence
    assert "Evidence documents" in text
    assert app.session_state["cov_finding"].estimate("documents")["matched"] > 0
    assert len(app.get("download_button")) >= 2
    app.text_input(key="cov_name").set_value("vi_statutes")
    ok(app.button(key="cov_save").click().run())
    saved = tmp_path / "queries" / "vi_statutes.sql"
    assert saved.is_file(), [s.value for s in app.success]
    assert "regexp_matches(text, $pattern)" in saved.read_text()
    ok(app.switch_page("pages/saved_queries.py").run())
    assert any(o.startswith("vi_statutes ") for o in app.selectbox(key="sq_query").options)


def test_saved_query_with_sample_plan_shows_interval(app):
    ok(app.run())
    ok(app.switch_page("pages/saved_queries.py").run())
    app.selectbox(key="sq_query").set_value("vietnamese_share")
    ok(app.run())
    ok(app.button_group(key="sq_strategy").set_value("shard_sample").run())
    app.number_input(key="sq_k").set_value(4)
    app.number_input(key="sq_seed").set_value(3)
    ok(app.button(key="sq_run").click().run())
    finding = app.session_state["sq_result"][-1]
    assert finding.shards == {**finding.shards, "read": 4, "total": 6}
    assert "4 of 6 shards read" in markdown(app)
    low, high = finding.estimate("documents")["ci95"]
    assert low <= finding.estimate("documents")["share"] <= high


def test_compare_two_corpora(app):
    ok(app.run())
    ok(app.switch_page("pages/compare.py").run())
    app.multiselect(key="cmp_corpora").set_value([str(SAMPLE), str(SAMPLE / "dolma")])
    ok(app.button(key="cmp_run").click().run())
    results = app.session_state["cmp_results"]
    assert len(results) == 2
    assert len(app.dataframe) >= 1 and len(app.dataframe[0].value) == 2
    assert "Vietnamese share" in markdown(app) or any("Vietnamese share" in s.value for s in app.subheader)


def test_sql_console_is_read_only_and_sandboxed(app):
    ok(app.run())
    ok(app.switch_page("pages/sql_console.py").run())
    ok(app.button(key="sql_run").click().run())
    assert len(app.dataframe) == 1 and len(app.dataframe[0].value) >= 5
    for statement, expected in [
        ("select * from read_csv('/etc/passwd')", "refused"),
        ("copy (select 1) to '/tmp/corpuscope-x.csv'", "only read-only SELECT"),
        ("attach '/tmp/x.db' as x", "only read-only SELECT"),
        ("install httpfs", "only read-only SELECT"),
    ]:
        app.text_area(key="sql_text").set_value(statement)
        app.button(key="sql_run").click().run()
        assert not app.exception, statement
        assert any(expected in e.value for e in app.error), (statement, [e.value for e in app.error])
        # Issue 15 item 5: the previous result is gone, and "refused" is said once.
        assert not app.dataframe, statement
        assert sum(e.value.lower().count("refused") for e in app.error) == 1, [e.value for e in app.error]
    # A query's own error (a mistyped column) failed; nothing refused it.
    app.text_area(key="sql_text").set_value("select no_such_column from documents")
    app.button(key="sql_run").click().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any(e.startswith("Query failed: SQL error:") and "no_such_column" in e for e in errors), errors
    assert not any("refused" in e.lower() for e in errors), errors
    # A good query after a refused one shows its rows again.
    app.text_area(key="sql_text").set_value("select count(*) as n from documents")
    ok(app.button(key="sql_run").click().run())
    assert len(app.dataframe) == 1


SLOW_SQL = "select count(*) as n from range(100000000) a, range(100000000) b where a.range + b.range = 7"


def test_a_timed_out_query_says_what_the_app_user_can_do(app, tmp_path, monkeypatch):
    """A query past the app's limit said "raise it with --timeout SECONDS", a flag the app has not: the SQL
    console and a saved report now name the limit and what can be done (narrow it, or the CLI's --timeout)."""
    ok(app.run())
    monkeypatch.setattr(sys.modules["ui"], "APP_TIMEOUT", 1.0)
    ok(app.switch_page("pages/sql_console.py").run())
    app.text_area(key="sql_text").set_value(SLOW_SQL)
    app.button(key="sql_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    (error,) = [e.value for e in app.error]
    assert "timeout of 1 s" in error and "narrow the query" in error and "raise it with" not in error, error
    folder = tmp_path / "queries"
    folder.mkdir(exist_ok=True)
    (folder / "slow_report.sql").write_text("-- ---\n-- title: Slow report\n-- version: 1\n-- kind: report\n"
                                            "-- requires: [length]\n-- ---\n"
                                            "SELECT count(*) AS n FROM documents a, range(100000000) b, "
                                            "range(100000000) c WHERE b.range + c.range = a.row\n")
    ok(app.switch_page("pages/saved_queries.py").run())
    app.selectbox(key="sq_query").set_value("slow_report").run()
    app.button(key="sq_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    (error,) = [e.value for e in app.error]
    assert "timeout of 1 s" in error and "narrow the query" in error and "raise it with" not in error, error


def test_evaluations_join_results_with_a_finding(app, tmp_path):
    from inspectors.core import run

    finding = run.run("language_share", str(SAMPLE), {"language": "vi"}, workers=1)
    results = {"results": {"xnli_vi": {"alias": "xnli_vi", "acc,none": 0.41, "acc_stderr,none": 0.01}},
               "configs": {"xnli_vi": {}}, "n-shot": {"xnli_vi": 0}, "versions": {"xnli_vi": 1.0},
               "config": {"model": "hf", "model_args": "pretrained=my-org/my-model"}, "model_name": "my-org/my-model"}
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.file_uploader(key="ev_results").set_value([("results_demo.json", json.dumps(results).encode(), "application/json")])
    app.file_uploader(key="ev_findings").set_value([("vi.json", finding.to_json().encode(), "application/json")])
    app.text_input(key="ev_map").set_value(f"my-org/my-model={finding.corpus_name}")
    ok(app.run())
    assert any("xnli_vi" in str(df.value) for df in app.dataframe)
    assert len(app.get("download_button")) >= 3  # annotated JSON, HTML and Markdown report


def test_evaluations_refuses_a_hand_edited_finding_naming_the_upload_and_field(app, tmp_path):
    """An uploaded finding with "documents": "lots" loaded without a word (its documents estimate vanished);
    the page now says which upload and which field, and keeps the good upload."""
    from inspectors.core import run

    finding = run.run("language_share", str(SAMPLE), {"language": "vi"}, workers=1)
    bad = finding.to_dict()
    bad["documents"] = "lots"
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.file_uploader(key="ev_findings").set_value([("bad.json", json.dumps(bad).encode(), "application/json"),
                                                   ("vi.json", finding.to_json().encode(), "application/json")])
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "bad.json" in errors[0] and '"documents" must be an estimate' in errors[0], errors


def _evaluations_with_mapping(app, tmp_path, mapping: str):
    """The Evaluations page with one results file and ``mapping`` in its model → corpus box: the results
    file and the page's errors."""
    results = _results_file(tmp_path / "results.json")
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(str(results))
    app.text_input(key="ev_map").set_value(mapping)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return results, [e.value for e in app.error]


def test_evaluations_names_its_mapping_box_for_a_malformed_pair(app, tmp_path, cli):
    """A model → corpus pair without "=" said "--model-corpus takes MODEL=CORPUS…", a CLI flag the page has not;
    the page names its box now, and `attach` still names --model-corpus."""
    results, errors = _evaluations_with_mapping(app, tmp_path, "my-org/my-model")
    assert len(errors) == 1 and 'The "Model → training corpus" box takes MODEL=CORPUS' in errors[0], errors
    assert "--" not in errors[0] and app.text_input(key="ev_map").label.startswith("Model → training corpus")
    code, _, err = cli("attach", results, "--auto", "--model-corpus", "my-org/my-model", "-o", tmp_path / "x.json")
    assert code == 2 and "--model-corpus takes MODEL=CORPUS" in err, err


def _results_file(path, task="xnli_vi", model="my-org/my-model"):
    """A minimal lm-evaluation-harness v0.4 results file at ``path``."""
    path.write_text(json.dumps({
        "results": {task: {"alias": task, "acc,none": 0.41, "acc_stderr,none": 0.01}},
        "configs": {task: {}}, "n-shot": {task: 0}, "versions": {task: 1.0},
        "config": {"model": "hf", "model_args": f"pretrained={model}"}, "model_name": model}))
    return path


def test_evaluations_one_bad_results_file_keeps_the_others(app, tmp_path):
    good = _results_file(tmp_path / "good.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(f"{good}, {tmp_path / 'missing.json'}, {broken}").run()
    assert not app.exception, [e.value for e in app.exception]
    errors = [e.value for e in app.error]
    assert len(errors) == 2, errors
    assert any("missing.json" in e and "does not exist" in e for e in errors), errors
    assert any("broken.json" in e and "not JSON" in e for e in errors), errors
    # The good file's scores are still shown, not "Add at least one results file".
    assert any("xnli_vi" in str(df.value) for df in app.dataframe)
    assert not any("at least one results file" in i.value for i in app.info)


def test_evaluations_unmatched_finding_names_the_query_the_tasks_need(app, tmp_path):
    from inspectors.core import run

    # A finding of another query (source code share) cannot join xnli_vi: the page says which one would.
    finding = run.run("source_code_share", str(SAMPLE), {}, workers=1)
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(str(_results_file(tmp_path / "results.json")))
    app.file_uploader(key="ev_findings").set_value([("code.json", finding.to_json().encode(), "application/json")])
    ok(app.run())
    note = " ".join(i.value for i in app.info if "No task of these results" in i.value)
    assert "`language_share` with" in note and "language = vi (xnli_vi" in note and "vietnamese_share" in note and "xnli_vi" in note, note
    assert not any(len(df.value) == 0 for df in app.dataframe), "an empty join table is not shown"


def test_documents_show_the_language_mix_as_text_not_a_python_repr(app):
    ok(app.run())  # the Overview profiles the demo corpus
    ok(app.switch_page("pages/documents.py").run())
    labels = "\n".join(c.value for c in app.caption if c.value.startswith("shard "))
    assert "languages: en 100%" in labels, labels[:300]
    assert "{'code'" not in labels and "'share'" not in labels


def _x_scale(chart_json: str) -> tuple[dict, dict]:
    """The x axis and scale of the first layer of a layered Vega-Lite spec."""
    x = json.loads(chart_json)["layer"][0]["encoding"]["x"]
    return x.get("axis", {}), x.get("scale", {})


def test_score_vs_share_axis_has_a_range_when_every_point_has_one_share(app, tmp_path):
    from inspectors.core import run

    # One exact finding (no interval width) joined to one task: every x value is the same share.
    finding = run.run("language_share", str(SAMPLE), {"language": "vi"}, workers=1)
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(str(_results_file(tmp_path / "results.json")))
    app.file_uploader(key="ev_findings").set_value([("vi.json", finding.to_json().encode(), "application/json")])
    app.text_input(key="ev_map").set_value(f"my-org/my-model={finding.corpus_name}")
    ok(app.run())
    charts = [c for kind in ("arrow_vega_lite_chart", "vega_lite_chart") for c in app.get(kind)
              if "share of the training corpus" in c.proto.spec]
    assert len(charts) == 1
    axis, scale = _x_scale(charts[0].proto.spec)
    assert scale.get("zero") is True and scale.get("padding") == 0, scale  # from 0% (not -2%) past the share
    assert "~" in axis.get("format", ""), axis  # ticks read "19.2%", not "19.166667%"


def test_score_vs_share_axis_fits_the_data_when_shares_differ(monkeypatch):
    import pandas as pd

    monkeypatch.syspath_prepend(str(REPO / "app"))
    import ui

    table = pd.DataFrame({"model": ["a", "b"], "task": ["t", "t"], "score": [0.4, 0.5], "stderr": [0.01, 0.01],
                          "share": [0.10, 0.30], "ci_low": [0.08, 0.25], "ci_high": [0.12, 0.35]})
    axis, scale = _x_scale(ui.score_vs_share_chart(table).to_json())
    assert scale.get("zero") is False, scale  # a real spread keeps the axis on the data


def test_a_saved_query_finding_is_offered_on_evaluations(app, tmp_path):
    ok(app.run())
    ok(app.switch_page("pages/saved_queries.py").run())
    app.selectbox(key="sq_query").set_value("vietnamese_share")
    ok(app.run())
    ok(app.button(key="sq_run").click().run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(str(_results_file(tmp_path / "results.json")))
    app.run()
    assert "vietnamese_share on demo" in app.multiselect(key="ev_session").options


def _switch_corpus(app, source) -> None:
    """Make ``source`` the current corpus through the Corpora page's form."""
    ok(app.switch_page("pages/corpora.py").run())
    app.text_input(key="add_source_text").set_value(str(source))
    app.button[0].click()
    ok(app.run())
    assert app.session_state["corpus"] == str(source)


def test_console_and_documents_badges_count_profiled_shards_without_intervals(app, home):
    """Their badge said "2 of 6 shards read · sampled, 95% intervals shown": they read what is profiled and
    draw no interval, so it says "2 of 6 shards profiled · only these are counted"."""
    ok(app.switch_page("pages/coverage.py").run())  # the demo corpus in a fresh cache; not the Overview, which profiles every shard
    app.segmented_control(key="cov_strategy").set_value("shard_sample").run()
    app.number_input(key="cov_k").set_value(2).run()
    ok(app.button(key="cov_run").click().run())
    for page in ("pages/sql_console.py", "pages/documents.py"):
        ok(app.switch_page(page).run())
        text = markdown(app)
        assert "2 of 6 shards profiled · only these are counted" in text and "intervals" not in text, (page, text)


def test_console_tells_how_to_profile_with_its_own_button(app, home):
    """Before or after profiling some shards, the console said "run `corpuscope profile SOURCE`" though its
    "Profile all shards" button does it; it names the button now, and `corpuscope sql` keeps the command."""
    ok(app.switch_page("pages/sql_console.py").run())  # the demo corpus in a fresh cache; not the Overview
    app.button(key="sql_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    (error,) = [e.value for e in app.error]
    assert 'is profiled yet; press "Profile all shards" first' in error and "corpuscope profile" not in error, error
    ok(app.switch_page("pages/coverage.py").run())
    app.segmented_control(key="cov_strategy").set_value("shard_sample").run()
    app.number_input(key="cov_k").set_value(2).run()
    ok(app.button(key="cov_run").click().run())
    ok(app.switch_page("pages/sql_console.py").run())
    ok(app.button(key="sql_run").click().run())
    warnings = [w.value for w in app.warning]
    assert any('2 of 6 shards are profiled; `documents` holds only those (press "Profile all shards" for the rest)'
               in w for w in warnings), warnings


def test_save_box_names_the_slice_just_run(app):
    """The "Query name" box kept the first slice's name when a slice with another title ran, so Save wrote the
    new slice under the old name; it suggests the name of the slice on screen now."""
    ok(app.run())
    ok(app.switch_page("pages/coverage.py").run())
    ok(app.button(key="cov_run").click().run())
    first = app.text_input(key="cov_name").value
    app.text_input(key="cov_title").set_value("Law documents").run()
    ok(app.button(key="cov_run").click().run())
    assert app.session_state["cov_finding"].title == "Law documents"
    assert app.text_input(key="cov_name").value == "law_documents" != first


def test_stratified_is_offered_only_for_a_slice_with_strata(app):
    """A built slice (or a saved one without strata) offered "Stratified", which then failed asking to edit the
    query's header; the plan offers it only where the query declares strata."""
    ok(app.run())
    ok(app.switch_page("pages/coverage.py").run())
    assert app.segmented_control(key="cov_strategy").options == ["Full scan (exact)", "Shard sample"]
    app.segmented_control(key="cov_mode").set_value("Saved slice").run()
    ok(app.selectbox(key="cov_saved").set_value("vietnamese_share").run())
    assert "Stratified" in app.segmented_control(key="cov_strategy").options
    ok(app.switch_page("pages/saved_queries.py").run())
    ok(app.selectbox(key="sq_query").set_value("language_share").run())
    assert "Stratified" not in app.segmented_control(key="sq_strategy").options


def test_the_console_does_not_show_another_corpus_rows(app):
    ok(app.run())
    ok(app.switch_page("pages/sql_console.py").run())
    app.text_area(key="sql_text").set_value("select count(*) as n from documents")
    ok(app.button(key="sql_run").click().run())
    assert app.dataframe[0].value["n"][0] == 720
    _switch_corpus(app, SAMPLE / "flat")  # 3 shards, 360 documents
    ok(app.switch_page("pages/sql_console.py").run())
    assert not app.dataframe, "the console showed the demo corpus's 720 under the flat corpus"
    assert "run the query again" in markdown(app)


def test_coverage_does_not_show_another_corpus_finding(app):
    ok(app.run())
    ok(app.switch_page("pages/coverage.py").run())
    ok(app.button(key="cov_run").click().run())
    assert "6 of 6 shards read" in markdown(app)
    _switch_corpus(app, SAMPLE / "flat")
    ok(app.switch_page("pages/coverage.py").run())
    assert "Corpus **flat**" in markdown(app)
    assert "6 of 6 shards read" not in markdown(app) and "run it again" in markdown(app)
    assert app.session_state["cov_finding"] is not None  # still offered on Evaluations


def test_coverage_warns_about_a_language_the_inspector_cannot_emit(app):
    """Issue 13: a saved slice asked for a language code outside the language inspector's label set showed
    0% without a word; a warning names the code and the inspector and points to the list it can emit."""
    from inspectors.core import registry

    ok(app.run())
    ok(app.switch_page("pages/coverage.py").run())
    app.segmented_control(key="cov_mode").set_value("Saved slice").run()
    ok(app.selectbox(key="cov_saved").set_value("language_share").run())
    assert not app.warning, [w.value for w in app.warning]
    ok(app.text_input(key="cov_language_share_language").set_value("xx-nonsense").run())
    (warning,) = [w.value for w in app.warning]
    inspector = registry.latest()["language"].key()
    assert "'xx-nonsense'" in warning and inspector in warning and "Build a slice" in warning, warning


def test_evaluations_refuses_a_corpus_no_finding_could_name(app, tmp_path, cli):
    """A model → corpus pair naming an unknown corpus (`my-model=nonsense-corpus`) was accepted without a word,
    and every finding then read as measured on another corpus; the page and `attach` (one check) name the value
    and list the known corpora."""
    results, errors = _evaluations_with_mapping(app, tmp_path, "my-org/my-model=nonsense-corpus")
    assert len(errors) == 1 and "'nonsense-corpus'" in errors[0] and "dolma" in errors[0], errors
    code, _, err = cli("attach", results, "--auto", "--model-corpus", "my-org/my-model=nonsense-corpus",
                       "-o", tmp_path / "x.json")
    assert code == 2 and "--model-corpus" in err and "'nonsense-corpus'" in err and "dolma" in err, err
    assert not (tmp_path / "x.json").exists()
    app.text_input(key="ev_map").set_value("my-org/my-model=dolma").run()
    assert not app.error, [e.value for e in app.error]


def test_a_broken_results_file_is_named_once(app, tmp_path):
    """"Could not read the results file X: results file X is not JSON" named the file twice; once now."""
    bad = tmp_path / "bad-results.json"
    bad.write_text("{not json")
    ok(app.run())
    ok(app.switch_page("pages/evaluations.py").run())
    app.text_input(key="ev_paths").set_value(str(bad)).run()
    assert not app.exception, [e.value for e in app.exception]
    (error,) = [e.value for e in app.error]
    assert error.count("bad-results.json") == 1 and "is not JSON" in error, error
