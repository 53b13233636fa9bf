"""Compare: one saved slice across several corpora, side by side, with intervals."""

import pandas as pd
import streamlit as st

import ui

st.title("Compare corpora")
st.caption("Run one saved slice on several corpora with the same plan and compare the shares side by side — "
           "e.g. Vietnamese legal documents in Dolma vs the Pile vs FineWeb-2 vs CulturaX.")

query = ui.saved_slice_picker("cmp_query")
params = ui.param_widgets(query, "cmp")

options = ui.known_sources()
chosen = st.multiselect("Corpora", options, default=[ui.current_source()], format_func=ui.label_source,
                        key="cmp_corpora", accept_new_options=True,
                        help="Pick catalogue corpora or type a path / URL / hf:// source.")
measure = st.segmented_control("Measure", list(ui.MEASURE_LABELS), default="documents",
                               format_func=ui.MEASURE_LABELS.get, key="cmp_measure") or "documents"
with st.expander("Plan (the same for every corpus)"):
    strategy = st.segmented_control("Plan", ["full", "shard_sample"], default="full", key="cmp_strategy",
                                    format_func={"full": "Full scan", "shard_sample": "Shard sample"}.get) or "full"
    c1, c2, c3 = st.columns(3)
    k = c1.number_input("Shards per corpus (k)", 1, 100_000, 20, key="cmp_k")
    rows = c2.number_input("Rows per shard (0 = all)", 0, 10_000_000, 0, step=500, key="cmp_rows")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="cmp_seed")
plan = ui.Plan() if strategy == "full" else ui.Plan("shard_sample", int(k), int(rows) or None, int(seed))

if ui.was_cancelled("cmp"):
    st.warning("Cancelled; finished shards stay cached. Run again to resume.")
if st.button("Compare", type="primary", icon=":material/play_arrow:", key="cmp_run", disabled=not chosen):
    results = {}
    for source in chosen:
        with ui.guard(f"{ui.label_source(source)}"):
            corpus = ui.get_corpus(source)
            finding = ui.run_query(query, corpus, params, plan, "cmp")
            if finding is not None:
                results[source] = finding
    st.session_state["cmp_results"] = results

results = st.session_state.get("cmp_results") or {}
if results:
    rows = []
    for source, finding in results.items():
        est = finding.estimate(measure)
        if not est:
            continue
        rows.append({"corpus": finding.corpus_name, "share": est["share"], "ci_low": est["ci95"][0],
                     "ci_high": est["ci95"][1], "matched": est["matched"], "total": est["total"],
                     "shards": f"{finding.shards['read']} of {finding.shards['total']}",
                     "method": est.get("method", "")})
    if not rows:
        st.warning(f"None of the findings has {measure} counts.")
        st.stop()
    table = pd.DataFrame(rows)
    first = next(iter(results.values()))
    st.subheader(first.title)
    for row in rows:
        st.badge(f"{row['corpus']}: {row['shards']} shards read", icon=":material/dataset:",
                 color="green" if row["shards"].split(" of ")[0] == row["shards"].split(" of ")[1] else "orange")
    st.altair_chart(ui.estimate_chart(table, f"Share of {measure} in the slice, per corpus"), width="stretch")
    st.caption("Points are estimated shares; red bars are 95% intervals. Overlapping intervals mean the "
               "corpora may not differ; full scans are exact.")
    shown = table.assign(share=ui.pct_series(table["share"]),
                         interval=[f"[{ui.pct(a)}, {ui.pct(b)}]" for a, b in zip(table["ci_low"], table["ci_high"])])
    st.dataframe(shown[["corpus", "share", "interval", "matched", "total", "shards", "method"]], hide_index=True,
                 width="stretch",
                 column_config={"matched": st.column_config.NumberColumn(format="%.0f"),
                                "total": st.column_config.NumberColumn(format="%.0f")})
    for source, finding in results.items():
        with st.expander(f"Evidence from {finding.corpus_name}"):
            ui.show_evidence(finding.evidence)
