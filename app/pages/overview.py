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

cancelled = ui.was_cancelled("ov")
if cancelled:
    st.session_state["ov_paused"] = True
    st.warning("Profiling cancelled; finished shards stay cached. Press *Build overview* to resume.")
auto = not st.session_state.get("ov_paused") and ui.is_small_local(corpus) and plan.strategy == "full"
if st.button("Build overview", type="primary", icon=":material/play_arrow:", key="ov_build"):
    st.session_state["ov_paused"] = False
    auto = True
if not auto:
    st.info("Large or remote corpus: check the plan above, then press *Build overview*. "
            "Shards are profiled once and cached.")
    st.stop()

data = None
with ui.guard("Overview failed"):
    data = ui.get_overview(corpus, plan, "ov")
if data is None:
    st.stop()

ui.shards_badge(data.shards_read, data.shards_total, data.exact)
for key, reason in data.skipped.items():
    st.caption(f":material/info: {key.replace('_', ' ')} not shown: {reason}")
if measure == "tokens" and "language" in data.tables and data.tables["language"]["tokens"].isna().all():
    st.warning("No token counts in this corpus's attributes; showing nothing for tokens.")

interval_note = ("Red bars are 95% intervals from a shard bootstrap (shards are clusters)."
                 if not data.exact else "Full scan: figures are exact, so the interval bars have no width.")


def bars(key: str, title: str, caption: str, top: int = 15) -> None:
    if key not in data.tables:
        return
    frame = overview.long_table(data, key, measure, top=top)
    st.altair_chart(ui.share_bars(frame, title, measure), width="stretch")
    st.caption(f"{caption} {interval_note}")


left, right = st.columns(2)
with left:
    bars("language", "Language", "Share of the corpus per detected language (ISO 639-1; `und` = undetermined).")
with right:
    bars("source", "Source", "Share per source or subset named in the corpus (Dolma's `source`, the Pile's set).")
left, right = st.columns(2)
with left:
    bars("topic", "Topic", "Share per topic label (WebOrganizer-style taxonomy; law separates legal documents "
                           "from news about courts).")
with right:
    bars("format", "Format", "Share per format label (article, statute, forum, code…).")
left, right = st.columns(2)
with left:
    bars("registered_domain", "Registered domain (top 15)",
         "Share per registered domain (eTLD+1); smaller domains are folded into one row.")
with right:
    if "length" in data.tables:
        frame = overview.long_table(data, "length", measure)
        st.altair_chart(ui.share_bars(frame, "Document length (UTF-8 bytes, power-of-two buckets)", measure),
                        width="stretch")
        st.caption(f"Each bar counts documents whose size falls in [bucket, 2 × bucket). {interval_note}")

if "language_topic" in data.tables:
    frame = overview.long_table(data, "language_topic", measure)
    st.altair_chart(ui.heatmap(frame, "topic", "language", "Language × topic", measure), width="stretch")
    st.caption("Share of the corpus in each language and topic cell; hover a cell for its 95% interval.")

with st.expander("Tables"):
    for key, table in data.tables.items():
        st.markdown(f"**{key.replace('_', ' ')}**")
        st.dataframe(table, hide_index=True, width="stretch")
