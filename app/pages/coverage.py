"""Coverage: build a slice with widgets (or pick a saved one), run it with a plan, read the evidence."""

import json

import streamlit as st

import ui
from inspectors.core import slice_builder

st.title("Coverage")
st.caption("How much of the corpus is in a slice — e.g. Vietnamese legal documents — with a 95% interval, "
           "the evidence documents behind the number, and a finding you can save and attach to evaluations.")

corpus = ui.current_corpus()
st.markdown(f"Corpus **{corpus.name}** · {len(corpus.shards)} shards")

mode = st.segmented_control("Start from", ["Build a slice", "Saved slice"], default="Build a slice",
                            key="cov_mode") or "Build a slice"
query = None
params: dict = {}
text = None
if mode == "Build a slice":
    lists = ui.slice_choices()
    c1, c2 = st.columns(2)
    title = c1.text_input("Title", "Vietnamese documents", key="cov_title")
    languages = c1.multiselect("Languages", lists["languages"], default=["vi"], accept_new_options=True,
                               key="cov_lang", help="ISO 639-1 codes; type to add one.")
    min_score = c1.slider("Minimum language score", 0.0, 1.0, 0.5, 0.05, key="cov_score")
    topics = c1.multiselect("Topics", lists["topics"], default=[], accept_new_options=True, key="cov_topics")
    formats = c1.multiselect("Formats", lists["formats"], default=[], accept_new_options=True, key="cov_formats")
    hosts = c2.multiselect("Hosts or registered domains", lists["hosts"], default=[], accept_new_options=True,
                           key="cov_hosts")
    suffixes = c2.multiselect("Public suffixes", lists["suffixes"], default=[], accept_new_options=True,
                              key="cov_suffixes", help="e.g. vn, gov.vn")
    sources = c2.multiselect("Sources", lists["sources"], default=[], accept_new_options=True, key="cov_sources")
    keywords = c2.text_input("Keywords (comma-separated, any of them, case-insensitive)", "", key="cov_kw")
    regex = c2.text_input("Regular expression (RE2)", "", key="cov_regex", placeholder=r"\bĐiều \d+",
                          help="RE2 syntax, checked by DuckDB itself (\\p{Lu} works, look-behind does not). "
                               "RE2's \\b knows ASCII letters only, so \\b is turned into a boundary that "
                               "knows Unicode letters (Đ, ư, …).")
    spec = slice_builder.SliceSpec(
        title=title, languages=tuple(languages), min_language_score=min_score, topics=tuple(topics),
        formats=tuple(formats), hosts=tuple(hosts), suffixes=tuple(suffixes), sources=tuple(sources),
        keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()), regex=regex.strip())
    with ui.guard("The slice is not valid"):
        text = slice_builder.build(spec)
        query = slice_builder.draft(text, slice_builder.suggest_name(title))
        ui.warn_unknown_labels(query, {})  # a built slice's choices are its parameters' defaults
    if text:
        with st.expander("The saved query this slice becomes"):
            st.code(text, language="sql")
else:
    query = ui.saved_slice_picker("cov_saved")
    st.caption(query.description)
    params = ui.param_widgets(query, "cov")

plan = ui.plan_picker(corpus, "cov", allow_stratified=bool(query and query.strata))  # a built slice has none
measures = ui.measure_picker("cov")
if ui.was_cancelled("cov"):
    st.warning("Cancelled; finished shards stay cached. Run again to resume.")
run = st.button("Run slice", type="primary", icon=":material/play_arrow:", key="cov_run", disabled=query is None)
if run and query is not None:
    with ui.guard("The slice failed"):
        finding = ui.run_query(query, corpus, params, plan, "cov", measures=measures)
        if finding is not None:
            st.session_state["cov_finding"] = finding
            st.session_state["cov_text"] = text
            # The name box keeps what it holds once drawn (its key is its identity): a new slice gets its own name.
            st.session_state.pop("cov_name", None)

finding = st.session_state.get("cov_finding")
if finding and not ui.ran_on(corpus, str(finding.corpus.get("source")),
                             "The last slice ran on {source}; run it again for this corpus."):
    finding = None  # kept for Evaluations, not shown as this corpus's
if finding:
    st.divider()
    ui.show_finding(finding, "cov")
    st.divider()
    st.markdown("##### Save this slice as a query file")
    saved_text = st.session_state.get("cov_text")
    if not saved_text:
        st.caption(f"This finding comes from the saved query `{finding.name}`; nothing to save.")
    else:
        c1, c2, c3 = st.columns([2, 2, 1])
        name = c1.text_input("Query name", slice_builder.suggest_name(finding.title), key="cov_name",
                             help="Lower-case letters, digits and _; the file is NAME.sql.")
        c2.caption(f"Saved to your query folder `{slice_builder.user_dir()}` (set `CORPUSCOPE_QUERIES` to choose it).")
        overwrite = c3.checkbox("Overwrite", key="cov_overwrite")
        if st.button("Save query", icon=":material/save:", key="cov_save"):
            with ui.guard("Could not save the query"):
                path = slice_builder.save(saved_text, name, overwrite=overwrite)
                st.success(f"Saved {path}. It now appears on the Saved queries and Compare pages.")
                st.toast(f"Saved {path.name}", icon=":material/save:")
    with st.expander("Finding JSON"):
        st.json(json.loads(finding.to_json()), expanded=False)
