"""The "Training exposure" page through ``AppTest``: open, choose a stream and checkpoint, see the curve."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import REPO
from test_streams_build import build_pythia

MAIN = REPO / "app" / "main.py"


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _page(tmp_path, monkeypatch):
    """The page open on a small Pythia stream with one planted sequence at step 2."""
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    built = build_pythia(tmp_path / "pythia", steps=4, B=8, planted_steps=(2,))
    at = AppTest.from_file(str(MAIN), default_timeout=180)
    _ok(at.run())
    _ok(at.switch_page("pages/exposure.py").run())
    return at, built


def test_exposure_page_runs_a_slice_on_a_stream(tmp_path, home, monkeypatch):
    at, built = _page(tmp_path, monkeypatch)
    assert at.title[0].value == "Training exposure" and at.caption
    at.text_input(key="exp_spec").set_value(f"pythia:{built['prefix']}")
    at.number_input(key="exp_batch").set_value(8)
    _ok(at.run())
    at.number_input(key="exp_step").set_value(4)
    at.number_input(key="exp_block").set_value(1)
    _ok(at.run())
    at.button(key="exp_run").click()
    _ok(at.run())
    text = "\n".join(m.value for m in at.markdown)
    assert "of tokens seen by step 4" in text
    assert [m for m in at.metric if m.label == "tokens seen"][0].value == "2,049"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_exposure_page_runs_a_stratified_plan(tmp_path, home, monkeypatch):
    at, built = _page(tmp_path, monkeypatch)
    at.text_input(key="exp_spec").set_value(f"pythia:{built['prefix']}")
    at.number_input(key="exp_batch").set_value(8)
    _ok(at.run())
    at.number_input(key="exp_step").set_value(4)
    at.number_input(key="exp_block").set_value(1)
    at.toggle(key="exp_strat").set_value(True)
    _ok(at.run())
    at.number_input(key="exp_per").set_value(10)
    at.button(key="exp_run").click()
    _ok(at.run())
    finding = at.session_state["exp_finding"]
    assert finding.plan["strategy"] == "stratified"
    assert all(s["sampled"] == min(s["documents"], 10) for s in finding.extra["strata"])
    assert "of tokens seen by step 4" in "\n".join(m.value for m in at.markdown)


def test_exposure_page_names_the_gap_in_an_amber_folder(tmp_path, home, monkeypatch):
    """A local Amber folder without train_2.jsonl: the page warns of step 2 before and after the run."""
    from test_streams_build import amber_tokenizer, build_amber

    at, _ = _page(tmp_path, monkeypatch)
    built = build_amber(tmp_path / "amber")
    (tmp_path / "amber" / "train_2.jsonl").unlink()
    at.text_input(key="exp_spec").set_value(f"amber:{built['base']}")
    at.text_input(key="exp_tok").set_value(amber_tokenizer(tmp_path))
    _ok(at.run())
    assert any("step(s) 2 (a gap in the stream)" in w.value for w in at.warning), [w.value for w in at.warning]
    at.number_input(key="exp_step").set_value(3)
    at.number_input(key="exp_block").set_value(1)
    at.button(key="exp_run").click()
    _ok(at.run())
    assert at.session_state["exp_finding"].extra["stream"]["missing_steps"] == [2]
    assert any("step(s) 2: nothing was counted" in w.value for w in at.warning), [w.value for w in at.warning]


def test_exposure_page_numbers_an_amber_streams_steps_from_0(tmp_path, home, monkeypatch):
    """Amber's 4 chunks are steps 0-3; the page's header said "3 steps"."""
    from test_streams_build import amber_tokenizer, build_amber

    at, _ = _page(tmp_path, monkeypatch)
    built = build_amber(tmp_path / "amber")
    at.text_input(key="exp_spec").set_value(f"amber:{built['base']}")
    at.text_input(key="exp_tok").set_value(amber_tokenizer(tmp_path))
    _ok(at.run())
    assert any("· steps 0–3" in m.value for m in at.markdown), [m.value for m in at.markdown]


def test_exposure_page_words_a_fixed_order_stream_as_the_cli_does(tmp_path, home, monkeypatch):
    """The page said "seed None" for Pythia (a fixed order) where the CLI says "none (fixed order)"."""
    from inspectors.streams.exposure import describe

    at, built = _page(tmp_path, monkeypatch)
    at.text_input(key="exp_spec").set_value(f"pythia:{built['prefix']}")
    at.number_input(key="exp_batch").set_value(8)
    _ok(at.run())
    header = next(m.value for m in at.markdown if "config hash" in m.value)
    assert "seed none (fixed order)" in header and "seed None" not in header and "steps 1–4" in header, header
    at.number_input(key="exp_step").set_value(4)
    at.number_input(key="exp_block").set_value(1)
    at.button(key="exp_run").click()
    _ok(at.run())
    finding = at.session_state["exp_finding"]
    assert "seed none (fixed order)," in describe(finding)  # what `corpuscope exposure` prints
    assert "seed None" not in finding.corpus["revision"], finding.corpus
