"""SQL console: read-only SQL over the current corpus's ``documents`` view, sandboxed."""

import re

import streamlit as st

import ui

st.title("SQL console")
st.caption("Read-only SQL over the `documents` view of the current corpus (one row per profiled document: "
           "`shard, row, id, url, source, text` and every attribute column). External file access is "
           "disabled and only the corpus views are visible: reading files, writing, ATTACH and INSTALL fail.")

corpus = ui.current_corpus()

profiled = ui.profiled_badge(corpus)
PROFILE_ALL = "Profile all shards"  # the button's name, which the console's errors and warnings quote
st.caption("The console reads the shards profiled so far; profile the rest to query the whole corpus.")
if profiled < len(corpus.shards):
    if ui.was_cancelled("sql"):
        st.warning("Cancelled; finished shards stay cached.")
    if st.button(PROFILE_ALL, icon=":material/play_arrow:", key="sql_profile"):
        with ui.guard("Profiling failed"):
            ui.profile_all(corpus, "sql")
            st.rerun()

example = "select language, count(*) as documents\nfrom documents\ngroup by 1\norder by 2 desc"
sql = st.text_area("SQL", example, height=140, key="sql_text")
limit = st.number_input("Show at most this many rows", 10, 100_000, 1000, step=100, key="sql_limit")
if st.button("Run", type="primary", icon=":material/play_arrow:", key="sql_run"):
    st.session_state["sql_result"] = None  # a refused or failed query must not leave the last result on screen
    with ui.guard():
        try:
            st.session_state["sql_result"] = (corpus.source, ui.console_select(corpus, sql, f'press "{PROFILE_ALL}"'))
        except ui.CorpuscopeError as error:
            reason = re.sub(r"^(SQL:\s*)?(refused:\s*)?", "", str(error))
            # Only what the sandbox refuses is "refused"; a typo or a timeout is the query's own failure.
            if isinstance(error, ui.QueryRefused):
                st.error(f"Query refused: {reason}", icon=":material/block:")
            else:
                st.error(f"Query failed: {reason}", icon=":material/error:")

stored = st.session_state.get("sql_result")
result = stored[1] if stored and ui.ran_on(
    corpus, stored[0], "The last result came from {source}; run the query again for this corpus.") else None
if result is not None:
    st.caption(f"{result.num_rows:,} rows")
    st.dataframe(result.slice(0, int(limit)).to_pandas(), hide_index=True, width="stretch")
