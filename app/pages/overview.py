"""Overview of one corpus: what it holds by language, topic, format, domain, source and length."""

import streamlit as st

import ui
from inspectors.core import overview

st.title("Overview")
st.caption("What the current corpus holds, by language, topic, format, web domain, source and document "
           "length. Sampled plans show 95% intervals (shard bootstrap) on every share.")

corpus = ui.current_corpus()

st.markdown(f"**{corpus.name}** · `{corpus.source}` · {len(corpus.shards)} shards")
with st.expander("Plan", expanded=False):
    plan = ui.plan_picker(corpus, "ov", allow_stratified=False)
measure = st.segmented_control("Measure", list(ui.MEASURE_LABELS), default="documents",
                               format_func=ui.MEASURE_LABELS.get, key="ov_measure",
                               help="Count documents, UTF-8 bytes, or tokens.") or "documents"

if ui.was_cancelled("ov"):
    st.session_state["ov_paused"] = True
    st.warning("Cancelled; finished shards stay cached. Press *Build overview* to resume.")
data = ui.cached_overview(corpus, plan)
auto = not st.session_state.get("ov_paused") and ui.is_small_local(corpus) and plan.strategy == "full"
if st.button("Build overview", type="primary", icon=":material/play_arrow:", key="ov_build"):
    st.session_state["ov_paused"] = False
    auto = True
if data is None and not auto:
    st.info("Large or remote corpus, or a sampled plan: check the plan above, then press *Build overview*. "
            "Shards are profiled once and cached.")
    st.stop()

if data is None:
    with ui.guard("Overview failed"):
        data = ui.get_overview(corpus, plan, "ov")
if data is None:
    st.stop()

ui.shards_badge(data.shards_read, data.shards_total, data.exact)
for key, reason in data.skipped.items():
    st.caption(f":material/info: {key.replace('_', ' ')} not shown: {reason}")
tokens_missing = all(table["tokens"].isna().all() for table in data.tables.values() if "tokens" in table.columns)
if measure == "tokens" and tokens_missing:
    st.warning("No token counts in this corpus's attributes; showing nothing for tokens.")

interval_note = ("Red bars are 95% intervals from a shard bootstrap (shards are clusters)."
                 if not data.exact else "Full scan: figures are exact, so the interval bars have no width.")


def chart(dimension) -> None:
    frame = overview.long_table(data, dimension.key, measure)
    if dimension.chart == "heatmap" and len(dimension.columns) == 2:
        x, y = dimension.columns[1], dimension.columns[0]
        st.altair_chart(ui.heatmap(frame, x, y, dimension.label, measure), width="stretch")
    else:
        st.altair_chart(ui.share_bars(frame, dimension.label, measure), width="stretch")
    st.caption(f"{dimension.caption} {ui.label_set_note(dimension.columns)} {interval_note}".strip())


bars = [d for d in data.dimensions if d.chart != "heatmap"]
for i in range(0, len(bars), 2):
    for column, dimension in zip(st.columns(2), bars[i:i + 2]):
        with column:
            chart(dimension)
for dimension in data.dimensions:
    if dimension.chart == "heatmap":
        chart(dimension)

with st.expander("Tables"):
    for dimension in data.dimensions:
        st.markdown(f"**{dimension.label}**")
        st.dataframe(data.tables[dimension.key], hide_index=True, width="stretch")
