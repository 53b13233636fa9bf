"""Evaluations: join lm-evaluation-harness results with coverage findings; score vs coverage share."""

import streamlit as st

import ui

st.title("Evaluations")
st.caption("Upload (or pick) lm-evaluation-harness result files and corpuscope findings: each task's score is "
           "joined with how much matching text the model's training corpus held, with its 95% interval. "
           "Files annotated by `corpuscope contamination join` also show clean-vs-dirty accuracy per task. "
           "The original scores are never altered.")

evals = ui.evals_module()
if evals is None:
    st.info("The evaluations library (`inspectors.evals`) is not installed in this build.")
    st.stop()

c1, c2 = st.columns(2)
uploaded = c1.file_uploader("lm-evaluation-harness results (v0.3 or v0.4 JSON)", type=["json"],
                            accept_multiple_files=True, key="ev_results")
typed = c1.text_input("…or paths on this machine (comma-separated)", "", key="ev_paths")
finding_files = c2.file_uploader("Findings (JSON from Coverage / `corpuscope query run --out`)", type=["json"],
                                 accept_multiple_files=True, key="ev_findings")
session_findings = ui.session_findings()
use_session = c2.multiselect("…or findings computed in this session", list(session_findings), key="ev_session")
MAPPING = "Model → training corpus"  # the box's name, which a malformed pair's error quotes
mapping_text = st.text_input(f"{MAPPING} (optional, MODEL=CORPUS[:version], comma-separated)", "",
                             key="ev_map", help="For models the catalogue does not know.")
unit = st.segmented_control("Coverage measured in", ["documents", "bytes", "tokens"], default="documents",
                            key="ev_unit") or "documents"

results = ui.load_eval_results(uploaded, [p.strip() for p in typed.split(",") if p.strip()])
loaded_findings = ui.load_findings(finding_files) + [session_findings[k] for k in use_session]

if not results:
    st.info("Add at least one results file to begin.")
    st.stop()

from inspectors.evals.attach import parse_model_corpus  # noqa: E402

mapping = {}
with ui.guard("The model → corpus mapping is not valid"):
    mapping = parse_model_corpus([p.strip() for p in mapping_text.split(",") if p.strip()], f'The "{MAPPING}" box',
                                 loaded_findings)

st.subheader("Scores")
st.dataframe(ui.scores_table(results, mapping), hide_index=True, width="stretch")
st.caption("One row per model and task: the task's primary metric and its standard error as reported by the harness.")

dirty = None
with ui.guard("Could not read a contamination join"):
    dirty = ui.contamination_table(results, mapping)
if dirty is not None and len(dirty):
    from inspectors.evals.contamination import CAVEAT  # noqa: E402

    st.subheader("Contamination per item")
    st.warning(CAVEAT, icon=":material/info:")
    st.dataframe(dirty, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="percent") for c in ("share_dirty", "share_low", "share_high")})
    st.caption("From `corpuscope contamination join --results`: per task and method (GPT-3 13-gram, PaLM 70% of "
               "8-grams, Llama-2 token share), the share of items found dirty and the score on dirty vs not-found "
               "items, each with its 95% bootstrap interval over items.")

if not loaded_findings:
    st.info("Add findings to join each task with the coverage of its language or domain.")
    st.stop()

with ui.guard("Could not join results and findings"):
    table, annotated, report, warnings = ui.join_evals(results, loaded_findings, mapping, unit)
    for warning in warnings:  # one per cause, however many tasks and files it touched
        st.warning(warning, icon=":material/warning:")
    st.subheader("Score vs coverage share")
    if len(table) and table["share"].notna().any():
        st.altair_chart(ui.score_vs_share_chart(table), width="stretch")
        st.caption("Each point is one task of one model: x is the share of the training corpus in the matching "
                   "slice (horizontal bars: 95% interval), y is the task score (vertical bars: ± 1.96 standard "
                   "errors when reported).")
    else:
        wanted = ui.wanted_findings(results)
        st.info("No task of these results matched a finding's query (the task map links tasks to queries, "
                "e.g. a Vietnamese task to a Vietnamese slice). "
                + ("These tasks join findings of: " + "; ".join(wanted) + "." if wanted
                   else "The task map covers none of these tasks."))
    if len(table):
        st.dataframe(table, hide_index=True, width="stretch")
    st.subheader("Downloads")
    cols = st.columns(max(1, len(annotated)) + 2)
    for col, (name, data) in zip(cols, annotated.items()):
        col.download_button(f"Annotated {name}", data, file_name=name, mime="application/json",
                            icon=":material/download:", key=f"ev_dl_{ui.slug(name)}")
    if report.get("html"):
        cols[-2].download_button("Report (HTML)", report["html"], file_name="report.html", mime="text/html",
                                 icon=":material/download:", key="ev_dl_html")
    if report.get("markdown"):
        cols[-1].download_button("Report (Markdown)", report["markdown"], file_name="report.md",
                                 mime="text/markdown", icon=":material/download:", key="ev_dl_md")
