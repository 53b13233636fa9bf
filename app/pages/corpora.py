"""Corpora: the catalogue of open corpora and the models trained on them; add your own source."""

import streamlit as st

import ui
from inspectors.core import overview

st.title("Corpora")
st.caption("Open training corpora, the facts about each, and the openness of the models trained on them. "
           "Add your own source, then check its shards and the cost of a plan before scanning anything.")

# ---- add a source
with st.form("add_source", border=True):
    st.markdown("**Add a source**")
    new = st.text_input("Path, glob, URL or hf:// path", placeholder="hf://datasets/ORG/NAME/data/*.parquet", key="add_source_text",
                        help="A local file, folder or glob of Parquet/JSONL(.gz/.zst) shards, an http(s):// URL, "
                             "an hf://datasets/ORG/NAME[@REV]/glob path, or a catalogue name.")
    if st.form_submit_button("Add and select", icon=":material/add:") and new.strip():
        opened = None
        with ui.guard(f"Could not open {new.strip()}"):
            opened = ui.get_corpus(new.strip())
        if opened is not None:
            st.session_state["_corpus_added"] = new.strip()
            ui.add_source(new.strip())  # reruns the app; the sidebar then shows the new corpus
    added = st.session_state.pop("_corpus_added", None)
    if added:
        st.success(f"Added {added}; it is now the current corpus.")

# ---- catalogue
catalogue = None
with ui.guard("The catalogue could not be loaded"):
    catalogue = ui.catalogue()
if catalogue is not None:
    corpora = catalogue.corpora
    st.subheader(f"Catalogue ({len(corpora)} corpora)")
    st.dataframe(ui.catalogue_table(corpora), hide_index=True, width="stretch")
    names = [c.name for c in corpora]
    if names:
        chosen = st.selectbox("Corpus facts", names, key="cat_pick")
        entry = catalogue.corpus(chosen)
        ui.show_catalogue_entry(catalogue, entry)
        if st.button(f"Use {chosen} as the current corpus", icon=":material/check:", key="cat_use"):
            ui.add_source(chosen)  # reruns the app; the sidebar then shows it

# ---- shards and cost of the current corpus
st.subheader("Shards and cost plan")
source = ui.current_source()
corpus = None
with ui.guard(f"Could not list the shards of {source}"):
    corpus = ui.get_corpus(source)
if corpus is not None:
    st.markdown(f"Current corpus **{corpus.name}** (`{corpus.source}`): {len(corpus.shards)} shards.")
    plan = ui.plan_picker(corpus, "cp")
    with ui.guard("Could not work out the cost of the plan"):
        cost = ui.run.plan_cost(corpus, plan, ui.all_inspectors(), workers=ui.workers())
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Shards read", f"{len(cost.shards)} of {cost.shards_total}")
        c2.metric("Bytes to fetch", ui.human_bytes(cost.fetch_bytes),
                  help="Only the needed Parquet column chunks (from the footers); JSONL is read whole. "
                       "Local files are read in place.")
        c3.metric("Requests", f"{cost.requests:,}")
        c4.metric("Estimated time", f"{cost.seconds:,.0f} s" if cost.seconds is not None else "—", help="From throughput measured on earlier transfers; local files need no transfer.")
        c1.caption(f"Cached already: {cost.cached} of {len(cost.shards)}")
        if cost.read_bytes:
            c2.caption(f"Local files: {ui.human_bytes(cost.read_bytes)} read in place from disk, nothing fetched")
        st.dataframe([{"shard": c.shard, "format": c.format, "size": c.size, "fetch bytes": c.fetch_bytes,
                       "read in place": c.read_bytes, "row groups": c.row_groups, "status": c.status,
                       "note": c.note or ""} for c in cost.shards],
                     hide_index=True, width="stretch")
        with st.expander(f"All {len(corpus.shards)} shards"):
            st.dataframe(overview.shard_plan(corpus, plan).drop(columns=["uri"]), hide_index=True, width="stretch")
        st.caption("The plan draws shards with a seed, so the same seed reads the same shards. Nothing is "
                   "scanned until you open the Overview or run a query; profiled shards stay cached.")
