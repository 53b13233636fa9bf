"""Saved queries: list, read and run any query file with its parameters."""

import streamlit as st

import ui
from inspectors.core import queries

st.title("Saved queries")
st.caption("Every query file in `queries/` (and `$CORPUSCOPE_QUERIES`). A *slice* yields a finding with "
           "intervals and evidence; a *report* yields a table. Parameters are typed and always bound.")

found, broken = [], []
with ui.guard("Saved queries could not be read"):
    found = queries.list_queries(broken)
for error in broken:
    st.warning(f"Skipped a query file that does not load: {error}")
if not found:
    st.stop()
st.dataframe([{"name": q.name, "kind": q.kind, "version": q.version, "title": q.title,
               "requires": ", ".join(q.requires)} for q in found], hide_index=True, width="stretch")

names = [q.name for q in found]
name = st.selectbox("Query", names, index=names.index("vietnamese_share") if "vietnamese_share" in names else 0,
                    key="sq_query", format_func=lambda n: f"{n} — {next(q.title for q in found if q.name == n)}")
query = next(q for q in found if q.name == name)
st.markdown(f"**{query.title}** · {query.kind} · v{query.version}")
st.write(query.description)
with st.expander(f"File {query.path.name}"):
    st.code(query.text, language="sql")

corpus = ui.current_corpus()
st.markdown(f"Runs on **{corpus.name}** ({len(corpus.shards)} shards; change it in the sidebar).")
params = ui.param_widgets(query, "sq")
plan = ui.plan_picker(corpus, "sq", allow_stratified=query.kind == "slice" and bool(query.strata))
measures = ui.measure_picker("sq")
if ui.was_cancelled("sq"):
    st.warning("Cancelled; finished shards stay cached. Run again to resume.")
if st.button("Run query", type="primary", icon=":material/play_arrow:", key="sq_run"):
    with ui.guard(f"{query.name} failed"):
        result = ui.run_query(query, corpus, params, plan, "sq", measures=measures)
        if result is not None:
            st.session_state["sq_result"] = (query.name, corpus.source, measures, result)

stored = st.session_state.get("sq_result")
if stored and stored[:3] == (query.name, corpus.source, measures):
    result = stored[3]
    st.divider()
    if isinstance(result, ui.Finding):
        ui.show_finding(result, "sq")
    else:
        ui.shards_badge(result.shards_read, result.shards_total, result.exact)
        ui.show_report(result)
