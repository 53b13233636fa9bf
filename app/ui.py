"""Shared pieces of the corpuscope app: corpus and plan pickers, runs with progress and cancel, error
display, charts with 95% error bars, and the finding view.

Work goes through the run layer (``inspectors.core.run``); the app only renders its typed results
(``Finding``, report tables, the ``Overview``) and the registry's descriptions. It holds no SQL.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import warnings
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from inspectors import resources
from inspectors.core import findings, overview, queries, registry, run
from inspectors.core.errors import CorpuscopeError, QueryRefused  # noqa: F401 (the SQL console tells it apart)
from inspectors.core.findings import Finding
from inspectors.core.plan import Plan
from inspectors.core.sources import Corpus

SAMPLE = resources.demo_dir()  # the bundled demo corpus: sample_data/demo in a checkout, package data in a wheel
CORPUS_ENV = "CORPUSCOPE_APP_CORPUS"
WORKERS_ENV = "CORPUSCOPE_APP_WORKERS"
APP_TIMEOUT = 60.0  # seconds one statement of a page's query may run (a runaway query must not hold a core)
# What a timed-out query's error tells the app's user, who cannot change the limit here (the CLI's --timeout can).
APP_TIMEOUT_HINT = ("the app's limit: narrow the query, or run it with `corpuscope sql` or `corpuscope query run` "
                    "and --timeout SECONDS")
AUTO_PROFILE_BYTES = 256 * 2**20  # local corpora smaller than this are profiled when a page opens
MEASURE_LABELS = {"documents": "Documents", "bytes": "Bytes", "tokens": "Tokens"}


def _hand_over_to_main() -> None:
    """Make a page run through ``main.py`` even when it is the first request the server sees.

    Streamlit treats a ``pages/`` folder beside the entry script as v1 pages until ``st.navigation`` has
    run once in the process; a deep link (``/coverage``) opened first then runs the page file alone: no
    Corpus picker, Streamlit's folder listing (with "main") as the sidebar. Every page imports this module,
    so on that first run it switches the v1 mode off and reruns, and ``main.py`` draws the page.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


_hand_over_to_main()


# ----------------------------------------------------------------------------------------- errors

@contextlib.contextmanager
def guard(what: str = "", named: bool = False):
    """Show a corpuscope error (or an unexpected one) as a message instead of a traceback. ``named``: the
    code inside names its culprit in its own errors, so ``what`` prefixes only an unexpected one."""
    try:
        yield
    except CorpuscopeError as error:
        st.error(f"{what + ': ' if what and not named else ''}{error}", icon=":material/error:")
    except Exception as error:  # noqa: BLE001  (the app must never show a traceback)
        st.error(f"{what + ': ' if what else ''}unexpected {type(error).__name__}: {error}",
                 icon=":material/bug_report:")


def workers() -> int:
    """Worker processes for profiling (``$CORPUSCOPE_APP_WORKERS``, default up to 4 cores)."""
    value = os.environ.get(WORKERS_ENV)
    return int(value) if value else max(1, min(4, os.cpu_count() or 1))


# ----------------------------------------------------------------------------------------- corpora

def default_source() -> str:
    """The corpus the app opens on: ``--corpus`` of ``corpuscope app``, else the bundled demo."""
    return os.environ.get(CORPUS_ENV) or str(SAMPLE)


def catalogue():
    """The corpus catalogue (built-in merged with the user's file; cached by the library)."""
    from inspectors.core.catalogue import load_catalogue

    return load_catalogue()


def catalogue_names() -> list[str]:
    """Catalogue corpus names (empty when the user's catalogue file fails to load)."""
    try:
        return [c.name for c in catalogue().corpora]
    except CorpuscopeError:
        return []


def known_sources() -> list[str]:
    """Sources to choose from: the default, ones the user added this session, and the catalogue."""
    out = [default_source(), str(SAMPLE)]
    out += st.session_state.get("user_sources", [])
    out += catalogue_names()
    return list(dict.fromkeys(out))


def label_source(source: str) -> str:
    """Short display label for a source."""
    if source == str(SAMPLE):
        return "demo (bundled sample corpus)"
    return source


PENDING_CORPUS = "_corpus_pending"  # set by pages; the sidebar applies it before its widget exists


def add_source(source: str, rerun: bool = True) -> None:
    """Remember ``source`` for this session and make it the current corpus.

    The sidebar's select box owns ``st.session_state["corpus"]`` once it is drawn, and pages run after
    it, so a page cannot assign that key (StreamlitAPIException). The choice goes into a pending key
    instead, and the app reruns: the sidebar applies it before it instantiates the widget.
    """
    source = source.strip()
    users = st.session_state.setdefault("user_sources", [])
    if source not in users:
        users.append(source)
    st.session_state[PENDING_CORPUS] = source
    if rerun:
        st.rerun()


def current_source() -> str:
    """The corpus chosen in the sidebar (shared by all pages)."""
    if "corpus" not in st.session_state:
        st.session_state["corpus"] = st.session_state.pop(PENDING_CORPUS, None) or default_source()
    return st.session_state["corpus"]


def _apply_pending_corpus() -> None:
    """Move a page's pending corpus choice into the widget key (only before the widget is drawn)."""
    pending = st.session_state.pop(PENDING_CORPUS, None)
    if pending:
        st.session_state["corpus"] = pending


def _typed_corpus() -> None:
    """The sidebar box's callback: remember a typed path, glob, URL or hf:// path for the session."""
    value = (st.session_state.get("corpus") or "").strip()
    if not value:
        st.session_state["corpus"] = default_source()
        return
    users = st.session_state.setdefault("user_sources", [])
    if value not in users and value not in known_sources():
        users.append(value)


def saved_slice_picker(key: str):
    """A select box of the saved slice queries (Vietnamese share first); stops the page when there are none."""
    from inspectors.core import queries

    slices = []
    with guard("Saved queries could not be read"):
        slices = [q for q in queries.list_queries(broken=[]) if q.kind == "slice"]
    if not slices:
        st.info("No saved slice queries found; build one on the Coverage page and save it.")
        st.stop()
    by_name = {q.name: q for q in slices}
    names = list(by_name)
    default = names.index("vietnamese_share") if "vietnamese_share" in by_name else 0
    name = st.selectbox("Saved slice", names, index=default, key=key,
                        format_func=lambda n: f"{n} — {by_name[n].title}")
    return by_name[name]


def current_corpus() -> Corpus:
    """The sidebar's corpus, resolved; shows the error and stops the page when it cannot be opened."""
    corpus = None
    source = current_source()
    with guard("Could not open the corpus"):
        corpus = get_corpus(source)
    if corpus is None:
        st.button("Retry", key="corpus_retry", icon=":material/refresh:", on_click=retry_corpus, args=(source,),
                  help="The failure is remembered for this session so pages open at once; list the corpus again.")
        st.stop()
    return corpus


def sidebar_corpus_picker() -> str:
    """The sidebar select box that sets the current corpus for every page; a path, glob, URL or hf:// path
    can be typed in as well."""
    _apply_pending_corpus()
    options = known_sources()
    current = current_source()
    if current not in options:
        options.append(current)
    st.sidebar.selectbox("Corpus", options, index=options.index(current), key="corpus",
                         format_func=label_source, accept_new_options=True, on_change=_typed_corpus,
                         help="Every page works on this corpus. Pick one, or type a path, glob, http(s):// "
                              "URL or hf://datasets/ORG/NAME/glob path and press Enter. More on the Corpora page.")
    return st.session_state["corpus"]


@st.cache_data(show_spinner="Listing shards…", ttl=3600)
def _resolve(source: str, overrides: tuple) -> Corpus:
    return run.resolve_corpus(source, dict(overrides))


def get_corpus(source: str, overrides: dict | None = None) -> Corpus:
    """The resolved corpus (shard list cached for an hour). A failed listing is remembered for the session
    and raised again at once, so an offline corpus does not make every page wait; ``retry_corpus`` forgets it."""
    key = (source, tuple(sorted((overrides or {}).items())))
    failed = st.session_state.setdefault("_failed_sources", {})
    if key in failed:
        raise failed[key]
    try:
        return _resolve(*key)
    except CorpuscopeError as error:
        failed[key] = error
        raise


def retry_corpus(source: str) -> None:
    """Forget the remembered failures of ``source``, so the next page lists it again."""
    failed = st.session_state.setdefault("_failed_sources", {})
    for key in [k for k in failed if k[0] == source]:
        del failed[key]


# ----------------------------------------------------------------------------------------- plans

def plan_picker(corpus: Corpus, key: str, allow_stratified: bool = True) -> Plan:
    """Widgets for a plan: full scan, seeded shard sample or stratified; returns the ``Plan``."""
    total = len(corpus.shards)
    labels = {"full": "Full scan (exact)", "shard_sample": "Shard sample", "stratified": "Stratified"}
    options = list(labels) if allow_stratified else ["full", "shard_sample"]
    strategy = st.segmented_control("Plan", options, default="full", format_func=labels.get, key=f"{key}_strategy",
                                    help="A full scan gives exact numbers; a sample reads k of K shards "
                                         "and reports 95% intervals (shards are clusters). Stratified is "
                                         "offered for a slice whose query declares strata.") or "full"
    if strategy == "full":
        return Plan()
    cols = st.columns(3)
    k = cols[0].number_input("Shards to read (k)", 1, max(1, total), min(max(1, total // 2), total), key=f"{key}_k")
    rows = cols[1].number_input("Rows per shard (0 = all)", 0, 10_000_000, 0, step=500, key=f"{key}_rows")
    seed = cols[2].number_input("Seed", 0, 2**31 - 1, 0, key=f"{key}_seed")
    if strategy == "stratified":
        per = st.number_input("Documents per stratum", 1, 100_000, 200, key=f"{key}_per")
        return Plan("stratified", int(k), None, int(seed), int(per))
    return Plan("shard_sample", int(k), int(rows) or None, int(seed))


def plan_key(plan: Plan) -> tuple:
    """A hashable key for ``plan`` (cache keys)."""
    return tuple(sorted(plan.to_dict().items()))


def shards_badge(read: int, total: int, exact: bool | None = None) -> None:
    """The visible "k of K shards read" badge (green when exact)."""
    exact = (read == total) if exact is None else exact
    note = "exact" if exact else "sampled, 95% intervals shown"
    st.badge(f"{read} of {total} shards read · {note}", icon=":material/dataset:",
             color="green" if exact else "orange")


# ----------------------------------------------------------------------------------------- long work

def _cancel(key: str) -> None:
    st.session_state[f"{key}_cancelled"] = True


def was_cancelled(key: str) -> bool:
    """True once after the Cancel button of ``key`` was pressed (then forgotten)."""
    return bool(st.session_state.pop(f"{key}_cancelled", False))


def is_small_local(corpus: Corpus) -> bool:
    """True for local corpora small enough to profile as soon as a page opens."""
    size = run.local_size(corpus)
    return size is not None and size < AUTO_PROFILE_BYTES


_STAGES = {"profile": "Profiling", "prefilter": "Prefiltering", "tag": "Tagging the sample", "query": "Tabulating"}


def _with_progress(key: str, label: str, work):
    """Call ``work(options)`` with a progress bar and a Cancel button wired to the run layer's callbacks.

    Cancel reruns the page, which stops this run at its next progress update; the run layer then
    drops the shards not yet started, and finished shards stay cached, so the next run resumes.
    """
    box = st.empty()
    runs = st.session_state.setdefault("_runs_started", {})
    runs[key] = runs.get(key, 0) + 1  # one page may run several times (Compare), each with its own button
    with box.container():
        bar = st.progress(0.0, text=f"{label}…")
        st.button("Cancel", key=f"{key}_cancel_{runs[key]}", icon=":material/cancel:", on_click=_cancel, args=(key,),
                  help="Stop after the shards in flight; finished shards stay cached.")

    def progress(step: run.Progress) -> None:
        detail = f" ({step.status}: {step.detail})" if step.status else (f" ({step.detail})" if step.detail else "")
        bar.progress(step.done / max(1, step.total),
                     text=f"{_STAGES.get(step.stage, step.stage)}: {step.done} of {step.total}{detail}")

    options = run.RunOptions(workers=workers(), progress=progress, timeout=APP_TIMEOUT, timeout_hint=APP_TIMEOUT_HINT,
                             cancel=lambda: bool(st.session_state.get(f"{key}_cancelled")))
    try:
        return work(options)
    finally:
        box.empty()


def _cache() -> dict:
    return st.session_state.setdefault("run_cache", {})


def run_query(query: queries.Query, corpus: Corpus, params: dict, plan: Plan, key: str, evidence_docs: int = 5,
              measures: dict[str, str] | None = None):
    """Run ``query`` through the run layer with progress and cancel; cached per session by its inputs.

    ``measures`` picks how a measure is counted (``measure_picker``). Returns a ``Finding`` for a slice,
    a ``ReportResult`` for a report.
    """
    values = query.bind(params)
    measures = dict(measures or {})
    cache_key = ("query", corpus.source, tuple(sorted(corpus.overrides.items())), str(query.path), query.sha256,
                 json.dumps(values, sort_keys=True, default=str), plan_key(plan), evidence_docs,
                 tuple(sorted(measures.items())))
    cache = _cache()
    if cache_key not in cache:
        def work(options):
            options.evidence_docs = evidence_docs
            options.measures = measures
            return run.run_query(query, corpus, values, plan, options)
        cache[cache_key] = _with_progress(key, f"Running {query.title}", work)
    return cache[cache_key]


def _overview_key(corpus: Corpus, plan: Plan) -> tuple:
    return ("overview", corpus.source, tuple(sorted(corpus.overrides.items())), plan_key(plan))


def cached_overview(corpus: Corpus, plan: Plan) -> overview.Overview | None:
    """The Overview already built this session for ``corpus`` and ``plan``, if any."""
    return _cache().get(_overview_key(corpus, plan))


def get_overview(corpus: Corpus, plan: Plan, key: str) -> overview.Overview:
    """Build the Overview through the run layer (progress, cancel), cached per session by corpus and plan."""
    cache_key = _overview_key(corpus, plan)
    cache = _cache()
    if cache_key not in cache:
        cache[cache_key] = _with_progress(key, f"Building the overview of {corpus.name}",
                                          lambda options: overview.build_overview(corpus, plan, options))
    result = cache[cache_key]
    seen = st.session_state.setdefault("seen_values", {})
    for dimension in result.dimensions:
        table = result.tables[dimension.key]
        for column in dimension.columns:
            seen.setdefault(column, set()).update(str(v) for v in table[column].head(50))
    return result


def profile_all(corpus: Corpus, key: str) -> None:
    """Profile every shard with every inspector (the SQL console's "Profile all shards")."""
    _with_progress(key, f"Profiling {corpus.name}", lambda options: run.profile(corpus, Plan(), options))


# ----------------------------------------------------------------------------------------- charts

def pct(x) -> str:
    """A share as a percentage with sensible precision."""
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    return f"{100 * x:.3g}%"


def share_bars(frame: pd.DataFrame, title: str, measure: str = "documents", height: int | None = None,
               sort: bool = True) -> alt.Chart:
    """Horizontal bars of ``share`` per ``label`` with 95% error bars (``ci_low``..``ci_high``)."""
    data = frame.copy()
    data["share_pct"] = pct_series(data["share"])
    data["ci_text"] = [f"[{pct(lo)}, {pct(hi)}]" for lo, hi in zip(data["ci_low"], data["ci_high"])]
    order = list(data.sort_values("order", kind="stable")["label"]) if sort and "order" in data.columns else None
    y = alt.Y("label:N", sort=order, title=None)
    tooltip = [alt.Tooltip("label:N", title="category"), alt.Tooltip("value:Q", title=MEASURE_LABELS[measure], format=",.0f"),
               alt.Tooltip("share_pct:N", title="share"), alt.Tooltip("ci_text:N", title="95% interval")]
    bars = alt.Chart(data).mark_bar(color="#4C78A8").encode(
        x=alt.X("share:Q", title=f"share of {measure}", axis=alt.Axis(format="%")), y=y, tooltip=tooltip)
    errors = alt.Chart(data).mark_errorbar(ticks=True, color="#E45756", thickness=2).encode(
        x=alt.X("ci_low:Q", title=f"share of {measure}"), x2="ci_high:Q", y=y, tooltip=tooltip)
    return (bars + errors).properties(title=title, height=alt.Step(height or 24))


def pct_series(values) -> list[str]:
    """Percentages for a column of shares."""
    return [pct(v) for v in values]


def heatmap(frame: pd.DataFrame, x: str, y: str, title: str, measure: str) -> alt.Chart:
    """A ``y`` by ``x`` heat map of ``share`` with the interval in the tooltip."""
    data = frame.copy()
    data["share_pct"] = pct_series(data["share"])
    data["ci_text"] = [f"[{pct(lo)}, {pct(hi)}]" for lo, hi in zip(data["ci_low"], data["ci_high"])]
    return alt.Chart(data).mark_rect().encode(
        x=alt.X(f"{x}:N", title=x), y=alt.Y(f"{y}:N", title=y),
        color=alt.Color("share:Q", title=f"share of {measure}", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(format="%")),
        tooltip=[f"{y}:N", f"{x}:N", alt.Tooltip("value:Q", title=MEASURE_LABELS[measure], format=",.0f"),
                 alt.Tooltip("share_pct:N", title="share"), alt.Tooltip("ci_text:N", title="95% interval")],
    ).properties(title=title, height=alt.Step(28))


def estimate_chart(rows: pd.DataFrame, title: str, label: str = "corpus") -> alt.Chart:
    """Points with 95% error bars: one row per ``label`` with ``share``, ``ci_low``, ``ci_high``."""
    data = rows.copy()
    data["share_pct"] = pct_series(data["share"])
    data["ci_text"] = [f"[{pct(lo)}, {pct(hi)}]" for lo, hi in zip(data["ci_low"], data["ci_high"])]
    y = alt.Y(f"{label}:N", title=None, sort=list(data[label]))
    tooltip = [f"{label}:N", alt.Tooltip("share_pct:N", title="share"), alt.Tooltip("ci_text:N", title="95% interval")]
    if "shards" in data.columns:
        tooltip.append(alt.Tooltip("shards:N", title="shards read"))
    x = alt.X("share:Q", title="share", axis=alt.Axis(format="%"), scale=alt.Scale(zero=True))
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    rule = base.mark_rule(color="#E45756", strokeWidth=3).encode(x=alt.X("ci_low:Q", title="share"), x2="ci_high:Q")
    low = base.mark_tick(color="#E45756", thickness=2, size=16).encode(x="ci_low:Q")
    high = base.mark_tick(color="#E45756", thickness=2, size=16).encode(x="ci_high:Q")
    points = base.mark_point(filled=True, size=110, color="#4C78A8", opacity=1).encode(x=x)
    text = base.mark_text(align="left", dx=8, dy=-12, color="#333").encode(x=x, text="share_pct:N")
    return alt.layer(rule, low, high, points, text).properties(title=title, height=alt.Step(44))


# ----------------------------------------------------------------------------------------- findings

def finding_rows(finding: Finding) -> pd.DataFrame:
    """One row per unit (documents, bytes, tokens…) of a finding: matched, total, share and interval."""
    rows = []
    for unit in finding.units:
        est = finding.estimate(unit)
        lo, hi = est["ci95"]
        rows.append({"unit": unit, "matched": est["matched"], "total": est["total"], "share": est["share"],
                     "ci_low": lo, "ci_high": hi, "method": est.get("method", "")})
    return pd.DataFrame(rows)


def highlight(snippet: str) -> str:
    """HTML for an evidence snippet: escaped text with the ``**match**`` spans marked."""
    parts = (snippet or "").split("**")
    out = []
    for i, part in enumerate(parts):
        text = html.escape(part)
        out.append(f"<mark>{text}</mark>" if i % 2 else text)
    return "".join(out)


def measure_picker(key: str) -> dict[str, str]:
    """One select box per measure that can be counted several ways (tokens: which tokenizer); the choices."""
    chosen = {}
    options = run.measure_choices()
    cols = st.columns(max(1, len(options)))
    for col, (measure, choices) in zip(cols, options.items()):
        chosen[measure] = col.selectbox(f"Count {measure} with", choices, key=f"{key}_measure_{measure}",
                                        help="The finding names what counted it (a tokenizer, its file's SHA-256).")
    return chosen


def show_finding(finding: Finding, key: str) -> None:
    """The estimate with its interval, the "k of K" badge, a chart, evidence documents and downloads."""
    s = finding.shards
    rows = finding_rows(finding)
    shards_badge(s["read"], s["total"], finding.exact)
    # A contamination finding over a benchmark whose items matched no document has items but no documents.
    unit = "documents" if finding.estimate("documents") else next(iter(finding.units), None)
    if unit is None:
        st.markdown(f"#### {html.escape(finding.title)}")
        st.info("This finding holds no estimate (nothing was counted in the shards read).")
    else:
        head = finding.estimate(unit)
        lo, hi = head["ci95"]
        st.markdown(f"#### {html.escape(finding.title)}: **{pct(head['share'])}** of {html.escape(unit)} "
                    f"<span style='color:gray'>(95% CI {pct(lo)} – {pct(hi)})</span>", unsafe_allow_html=True)
    cols = st.columns(max(1, len(rows)))
    for col, row in zip(cols, rows.itertuples()):
        matched, _, total = findings.counts_text(finding, row.unit).partition(" of ")
        col.metric(f"{row.unit} matched" + ("" if finding.exact else " (estimate)"), matched.split(" (")[0],
                   help=f"{matched} of {total}; {row.method}")
        col.caption(f"of {total} · share {pct(row.share)} · 95% CI [{pct(row.ci_low)}, {pct(row.ci_high)}]")
    for unit in finding.units:
        if finding.counted_by(unit):
            st.caption(f":material/tag: {unit.capitalize()} counted by {finding.counted_by(unit)}.")
    if findings.sample_note(finding):
        st.caption(f":material/info: {findings.sample_note(finding).capitalize()}.")
    if unit is not None:
        chart_rows = rows.rename(columns={"unit": "measure"})
        st.altair_chart(estimate_chart(chart_rows, "Share of the corpus with its 95% interval", label="measure"),
                        width="stretch")
        st.caption("Points are the estimated share of the corpus in the slice; red bars are 95% intervals "
                   "(a full scan is exact, so its bar has no width). Method: " + head.get("method", ""))
    show_evidence(finding.evidence)
    name = f"{finding.name}-{finding.corpus_name}"
    c1, c2 = st.columns(2)
    c1.download_button("Download finding JSON", finding.to_json(), file_name=f"{name}.json", mime="application/json",
                       icon=":material/download:", key=f"{key}_dl_json")
    c2.download_button("Download summary (Markdown)", findings.describe(finding, "markdown"),
                       file_name=f"{name}.md", mime="text/markdown",
                       icon=":material/description:", key=f"{key}_dl_md")


def link(url: str | None) -> str:
    """An HTML link for http(s) URLs (anything else is shown as text, never made clickable)."""
    if not url:
        return "no url"
    text = html.escape(url)
    if url.startswith(("http://", "https://")):
        return f"<a href=\"{html.escape(url, quote=True)}\" target=\"_blank\" rel=\"noopener\">{text}</a>"
    return text


def show_evidence(docs: list[dict]) -> None:
    """Evidence documents with highlighted matches and why each one was counted."""
    st.markdown(f"##### Evidence documents ({len(docs)})")
    if not docs:
        st.info("No matching document in the shards read, so there is no evidence to show.")
        return
    st.caption("A seeded random sample of matched documents; matches are highlighted, e-mail addresses "
               "and phone numbers masked.")
    for doc in docs:
        with st.container(border=True):
            st.markdown(f"<b>{html.escape(str(doc.get('id')))}</b> · {link(doc.get('url'))}", unsafe_allow_html=True)
            st.markdown(f"<div style='line-height:1.5'>{highlight(doc.get('snippet') or '')}</div>",
                        unsafe_allow_html=True)
            st.caption(f"shard {doc.get('shard', '').rsplit('/', 1)[-1]}, row {doc.get('row')}"
                       + (f" · why: {doc['evidence']}" if doc.get("evidence") else ""))


def browse_documents(corpus: Corpus, where: list[str], text: str | None, limit: int, offset: int,
                     filter_label: str) -> run.Page:
    """One page of the document browser (``run.browse``); a bad filter's error names ``filter_label``."""
    return run.browse(corpus, where, text, limit, offset, filter_label=filter_label)


def label_text(value) -> str:
    """A label value as a reader wants it: floats rounded, and a list of records (a document's language
    mix, ``[{"code": "en", "share": 0.9}, …]``) as "en 90%, vi 10%", not as a Python repr."""
    if isinstance(value, float):
        return str(round(value, 3))
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        return ", ".join(" ".join(pct(x) if k == "share" else label_text(x) for k, x in v.items() if x is not None)
                         for v in value)
    if hasattr(value, "tolist"):  # a NumPy array from Arrow
        return label_text(value.tolist())
    return str(value)


def document_card(row: dict) -> None:
    """One browsed document: id and link, its labels, and the masked, highlighted snippet."""
    skip = ("shard", "row", "id", "url", "snippet")
    labels = " · ".join(f"{k}: {label_text(v)}" for k, v in row.items() if k not in skip and v is not None)
    with st.container(border=True):
        st.markdown(f"<b>{html.escape(str(row.get('id')))}</b> · {link(row.get('url'))}", unsafe_allow_html=True)
        st.markdown(f"<div style='line-height:1.5'>{highlight(row.get('snippet') or '')}</div>",
                    unsafe_allow_html=True)
        st.caption(f"shard {str(row.get('shard', '')).rsplit('/', 1)[-1]}, row {row.get('row')} · {labels}")


# ----------------------------------------------------------------------------------------- params

def param_widgets(query: queries.Query, key: str) -> dict:
    """One widget per query parameter, typed, defaulting to the query's default; returns raw values.
    A value its label's inspector can never emit is warned about under the widgets (``warn_unknown_labels``)."""
    values = {}
    for p in query.params:
        label = f"{p.name} ({p.type})"
        wkey = f"{key}_{query.name}_{p.name}"
        if p.choices:
            values[p.name] = st.selectbox(label, list(p.choices), index=list(p.choices).index(p.default)
                                          if p.default in p.choices else 0, help=p.help, key=wkey)
        elif p.type == "int":
            values[p.name] = int(st.number_input(label, value=int(p.default or 0), step=1, help=p.help, key=wkey))
        elif p.type == "float":
            values[p.name] = float(st.number_input(label, value=float(p.default or 0.0), help=p.help, key=wkey,
                                                   format="%.3f"))
        elif p.type == "bool":
            values[p.name] = st.checkbox(label, value=bool(p.default), help=p.help, key=wkey)
        elif p.type == "list":
            default = ", ".join(map(str, p.default or []))
            values[p.name] = st.text_input(label, value=default, help=(p.help + " Comma-separated.").strip(),
                                           key=wkey)
        else:
            values[p.name] = st.text_input(label, value="" if p.default is None else str(p.default), help=p.help,
                                           key=wkey)
    warn_unknown_labels(query, values)
    return values


def slug(text: str) -> str:
    """A widget-key-safe slug."""
    return re.sub(r"[^a-zA-Z0-9]+", "_", text)[:60]


# ----------------------------------------------------------------------------------------- catalogue view

def _fields(obj) -> dict:
    import dataclasses

    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return dict(obj)
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_short(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_short(v)}" for k, v in value.items())
    return "" if value is None else str(value)


CATALOGUE_COLUMNS = ("name", "version", "description", "license", "languages", "size", "documents", "tokens",
                     "models", "homepage")


def human_number(value) -> str:
    """A large count as people write it: 2.31T, 886B, 23,085; "—" when unknown."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:,.0f}"


def catalogue_table(corpora) -> pd.DataFrame:
    """One row per catalogue corpus with its main facts; sizes as their own readable columns."""
    rows = []
    for entry in corpora:
        fields = _fields(entry)
        row = {}
        for k in CATALOGUE_COLUMNS:
            if k not in fields:
                continue
            if k == "size" and isinstance(fields[k], dict):
                for unit in ("documents", "tokens", "bytes"):
                    row[unit] = human_number(fields[k].get(unit))
            else:
                row[k] = _short(fields[k])
        rows.append(row)
    return pd.DataFrame(rows)


FACT_LABELS = {"shard_spec": "shards", "compressed_bytes": "compressed bytes"}


def catalogue_facts(fields: dict) -> list[tuple[str, str]]:
    """(fact, value) rows for a corpus entry: nested mappings spread into one row per known key, sizes
    readable, unknown values left out, and each value's source named beside it."""
    sources = fields.get("sources") or {}
    rows = []
    for key, value in fields.items():
        if key in ("name", "description", "models", "sources") or value in (None, "", (), [], {}):
            continue
        label = FACT_LABELS.get(key, key).replace("_", " ")
        if key == "size" and isinstance(value, dict):
            for unit, number in value.items():
                if number is not None:
                    rows.append((f"{FACT_LABELS.get(unit, unit)}", human_number(number)))
            continue
        if key == "columns" and isinstance(value, dict):
            value = ", ".join(f"{k} = {v}" for k, v in value.items() if v) or "—"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {_short(v)}" for k, v in value.items() if v not in (None, ""))
        rows.append((label, _short(value)))
    for key, url in sources.items():
        rows.append((f"source of {FACT_LABELS.get(key, key).replace('_', ' ')}", str(url)))
    return rows


def show_catalogue_entry(catalogue, entry) -> None:
    """Every recorded fact of a corpus, and an openness card per model trained on it."""
    fields = _fields(entry)
    st.markdown(f"#### {html.escape(str(fields.get('name')))}")
    if fields.get("description"):
        st.write(fields["description"])
    facts = catalogue_facts(fields)
    st.table(pd.DataFrame({"fact": [f for f, _ in facts], "value": [v for _, v in facts]}))
    models = fields.get("models") or []
    if not models:
        return
    st.markdown("**Models trained on it**")
    cols = st.columns(min(3, len(models)))
    for i, model in enumerate(models):
        found = model
        if isinstance(model, str):
            try:
                found = catalogue.model(model)
            except CorpuscopeError:
                found = model
        with cols[i % len(cols)].container(border=True):
            model_card(found)


def model_card(model) -> None:
    """The openness card of one model: weights, data, code, licence and whatever else is recorded."""
    if isinstance(model, str):
        st.markdown(f"**{html.escape(model)}**")
        st.caption("No openness facts recorded.")
        return
    fields = _fields(model)
    st.markdown(f"**{html.escape(str(fields.get('name') or fields.get('id') or 'model'))}**")
    openness = fields.get("openness")
    if isinstance(openness, dict) or (openness is not None and not isinstance(openness, str)):
        items = _fields(openness) if not isinstance(openness, dict) else openness
    else:
        items = {k: v for k, v in fields.items() if k not in ("name", "id")}
    for k, v in items.items():
        source = None
        if isinstance(v, dict) and "open" in v:  # the catalogue's {open: bool | null, source: url}
            v, source = v["open"], v.get("source")
        mark = ":material/check_circle:" if v is True else (":material/cancel:" if v is False else ":material/help:")
        label = k.replace("_", " ") + ("" if isinstance(v, bool) or v is None else f": {_short(v)}")
        st.markdown(f"{mark} [{label}]({source})" if source else f"{mark} {label}")


def human_bytes(n) -> str:
    """``n`` bytes as KB/MB/GB/TB."""
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} PB"


def cached_shards(corpus: Corpus, plan: Plan) -> int:
    """How many of the plan's shards already have an attribute file."""
    return run.cached_count(corpus, plan)


def profiled_badge(corpus: Corpus) -> int:
    """The "k of K shards profiled" badge of pages that read what is cached (the SQL console, Documents),
    which count only those shards and draw no interval; returns k."""
    done, total = cached_shards(corpus, Plan()), len(corpus.shards)
    note = "all of them" if done == total else "only these are counted"
    st.badge(f"{done} of {total} shards profiled · {note}", icon=":material/dataset:",
             color="green" if done == total else "orange")
    return done


# Common choices for the open label sets (any language code, host or suffix can be typed in too).
OPEN_CHOICES = {
    "language": ["vi", "en", "de", "fr", "es", "zh", "ru", "ja", "ko", "ar", "hi", "id", "th", "pt", "it"],
    "registered_domain": ["thuvienphapluat.vn", "luatvietnam.vn", "vbpl.vn", "chinhphu.vn"],
    "suffix": ["vn", "gov.vn", "com.vn", "edu.vn", "org", "com", "de", "fr"],
}
SLICE_FIELDS = {"languages": "language", "topics": "topic", "formats": "format", "hosts": "registered_domain",
                "suffixes": "suffix", "sources": "source"}


def label_set_note(columns) -> str:
    """What a chart of label ``columns`` can show: how many values each closed label set holds, so that
    0% for a value outside it reads as "cannot tell", not "none"."""
    closed = registry.label_values()
    notes = [f"The {column} inspector can name {len(closed[column]) - ('und' in closed[column])} values"
             + (" (+ und)" if "und" in closed[column] else "")
             for column in columns if closed.get(column)]
    if not notes:
        return ""
    return "; ".join(notes) + ": 0% for one outside that list means it cannot tell, not that there is none."


def warn_unknown_labels(query: queries.Query, params: dict) -> None:
    """A warning for each parameter value of ``query`` that its label's inspector can never emit, so that
    the 0% it gets reads as "cannot tell", not "none". Parameters that do not bind say nothing here:
    the run names them."""
    try:
        values = query.bind(params)
    except CorpuscopeError:
        return
    where = "the lists of the Coverage page's **Build a slice** (and `corpuscope inspectors list --format json`)"
    for note in run.label_notes(query, values, where):
        st.warning(note, icon=":material/warning:")


def slice_choices() -> dict[str, list[str]]:
    """Options for the slice widgets: a label's closed value set from its inspector, else the values
    seen in Overview tables this session, then common choices."""
    seen = st.session_state.get("seen_values", {})
    closed = registry.label_values()
    out = {}
    for key, column in SLICE_FIELDS.items():
        if closed.get(column):
            out[key] = list(closed[column])
            continue
        values = sorted(v for v in seen.get(column, set()) if v and not v.startswith("("))
        out[key] = list(dict.fromkeys(values + OPEN_CHOICES.get(column, [])))
    return out


def show_report(result: run.ReportResult) -> None:
    """A report table, and a bar chart of its first share column by the query's declared dimensions."""
    table = result.table.to_pandas()
    title = result.query.title
    st.markdown(f"#### {html.escape(title)}")
    labels = [c for c in result.query.dimensions if c in table.columns]
    if not labels:  # an undeclared report: its text columns, never a number
        labels = [c for c in table.columns if pd.api.types.is_string_dtype(table[c]) or table[c].dtype == object][:1]
    shares = [c for c in table.columns if c.endswith("_share")]
    if labels and shares and len(table):
        share = shares[0]
        frame = pd.DataFrame({"label": table[labels].astype(str).agg(" / ".join, axis=1),
                              "share": table[share].astype(float), "value": table[share].astype(float)})
        low, high = f"{share}_ci_low", f"{share}_ci_high"
        frame["ci_low"] = table[low] if low in table.columns else frame["share"]
        frame["ci_high"] = table[high] if high in table.columns else frame["share"]
        frame["order"] = range(len(frame))
        st.altair_chart(share_bars(frame.head(30), f"{share.replace('_', ' ')} by {' × '.join(labels)}", "documents"),
                        width="stretch")
        st.caption("Bars are shares of the documents read; red bars are 95% intervals when the plan is sampled.")
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("Download CSV", table.to_csv(index=False), file_name=f"{slug(title)}.csv", mime="text/csv",
                       icon=":material/download:")


def all_inspectors() -> list[str]:
    """Every registered inspector (latest versions): the console's profile."""
    return sorted(registry.latest())


def ran_on(corpus: Corpus, source: str, note: str) -> bool:
    """True when a stored result was made on ``corpus``; else the caption ``note`` (its ``{source}`` the
    corpus it came from) is shown, so another corpus's numbers are never shown under this one."""
    if source == corpus.source:
        return True
    st.caption(note.format(source=label_source(source)))
    return False


def console_select(corpus: Corpus, sql: str, profile_hint: str):
    """Run user SQL read-only over the profiled shards (sandboxed by the run layer, at most
    ``APP_TIMEOUT`` seconds); an Arrow table. Warnings (labels cached by another inspector identity,
    shards not profiled) are shown above the result; ``profile_hint`` says how the page profiles the rest."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = run.select(corpus, sql, timeout=APP_TIMEOUT, timeout_hint=APP_TIMEOUT_HINT,
                           profile_hint=profile_hint)
    for warning in caught:
        st.warning(str(warning.message), icon=":material/warning:")
    return table


# ----------------------------------------------------------------------------------------- evaluations

def evals_module():
    """``inspectors.evals`` when installed (its functions are looked up one by one), else ``None``."""
    try:
        import inspectors.evals as evals
    except ImportError:
        return None
    return evals


def _upload_dir() -> Path:
    return run.workspace("uploads")


def _store_upload(upload) -> Path:
    import hashlib

    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:12]
    target = _upload_dir() / digest / Path(upload.name).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _load_each(items, load, what: str) -> list:
    """``load(path, label)`` for each ``(label, path)``; a file that fails shows its own error naming it once,
    as ``label``, and the others are kept (one bad file among several must not hide the good ones)."""
    out = []
    for label, path in items:
        with guard(f"Could not read {what} {label}", named=True):  # the loader's errors name ``label``
            out.append(load(path, label))
    return out


def load_eval_results(uploads, typed_paths: list[str]) -> list:
    """Parsed results files from browser uploads and typed local paths (errors shown per file)."""
    from inspectors.evals import load_results as load

    items = [(u.name, _store_upload(u)) for u in uploads or []] + [(p, Path(p)) for p in typed_paths]
    return _load_each(items, load, "the results file")


def load_findings(uploads) -> list[Finding]:
    """Findings from uploaded JSON files (validated by ``findings.load``; errors shown per file)."""
    return _load_each([(u.name, _store_upload(u)) for u in uploads or []], findings.load, "the finding")


def session_findings() -> dict[str, Finding]:
    """Findings computed on the Coverage, Saved queries and Compare pages this session, by label."""
    found = [st.session_state.get("cov_finding")]
    stored = st.session_state.get("sq_result")
    found.append(stored[-1] if stored else None)  # (query, source, measures, result): the result is last
    found += list((st.session_state.get("cmp_results") or {}).values())
    return {f"{f.name} on {f.corpus_name}": f for f in found if isinstance(f, Finding)}


def model_name(result, model_corpus: dict[str, str] | None = None) -> str:
    """The model's name as every table and chart shows it: the catalogue's name when it knows the model."""
    from inspectors.evals import resolve_model

    return resolve_model(result, model_corpus or {}).label


def scores_table(results, model_corpus: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per model and task with the primary metric, score and standard error."""
    rows = []
    for result in results:
        name = model_name(result, model_corpus)
        for task, score in result.tasks.items():
            rows.append({"model": name, "file": result.path.name, "format": result.format,
                         "task": task, "metric": score.metric, "score": score.score, "stderr": score.stderr,
                         "n_shot": score.n_shot})
    return pd.DataFrame(rows)


def contamination_table(results, model_corpus: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per model, benchmark, task and method of the contamination joins attached to ``results`` (may be empty)."""
    from inspectors.evals.contamination import rows

    return pd.DataFrame([r for result in results for r in rows(result, model_name(result, model_corpus))])


def join_evals(results, finding_list: list[Finding], model_corpus: dict[str, str] | None = None, unit: str = "documents"):
    """Attach ``finding_list`` to each results file and build the report.

    Returns ``(joined table, {file name: annotated JSON text}, {"html", "markdown"}, warnings)``.
    """
    from inspectors.evals import (attach_findings, build_report, load_task_map, parse_results, render_html,
                                  render_markdown, resolve_model)
    from inspectors.evals.attach import grouped_warnings

    task_map = load_task_map()
    annotated, texts, outcomes = [], {}, []
    for result in results:
        outcome = attach_findings(result, finding_list, task_map, resolve_model(result, model_corpus or {}))
        outcomes.append(outcome)
        texts[f"{result.path.stem}-annotated.json"] = json.dumps(outcome.data, indent=2, ensure_ascii=False)
        annotated.append(parse_results(outcome.data, result.path))
    report = build_report(annotated, unit)
    rows = []
    for section in report.families:
        for point in section.points:
            low, high = point.ci95
            rows.append({"model": point.model, "task": point.task, "family": point.family,
                         "language": point.language, "metric": point.metric, "score": point.score,
                         "stderr": point.score_stderr, "share": point.share, "ci_low": low, "ci_high": high,
                         "corpus": point.corpus, "finding": point.finding_id, "n_shot": point.n_shot,
                         "revision": point.revision})
    rendered = {"html": render_html(report), "markdown": render_markdown(report)}
    return pd.DataFrame(rows), texts, rendered, grouped_warnings(outcomes, "app")


def wanted_findings(results, limit: int = 12) -> list[str]:
    """The findings the tasks of ``results`` would join, from the task map: one line per saved query, e.g.
    "`language_share` with language = vi (xnli_vi; or the saved `vietnamese_share`), sw (xnli_sw)"."""
    from inspectors.evals import load_task_map

    task_map = load_task_map()
    asked: dict[str, dict[tuple, list[str]]] = {}
    for result in results:
        for task in result.tasks:
            question = task_map.question(task)
            if question is not None:
                asked.setdefault(question.query, {}).setdefault(tuple(question.params.items()), []).append(task)
    lines = []
    for query, by_params in asked.items():
        parts = []
        for params, tasks in list(by_params.items())[:limit]:
            aliases = [a for a in task_map.aliases if task_map.normalise(a, {}) == (query, dict(params))]
            names = sorted(set(tasks))
            note = ", ".join(names[:2]) + (" …" if len(names) > 2 else "")
            note += "".join(f"; or the saved `{a}`" for a in aliases)
            parts.append(", ".join(f"{k} = {v}" for k, v in params) + f" ({note})" if params else f"({note})")
        more = len(by_params) - limit
        lines.append(f"`{query}` " + ("with " if any(by_params) else "") + "; ".join(parts) + (f"; and {more} more" if more > 0 else ""))
    return lines


def _flat(data: pd.DataFrame, columns) -> bool:
    """True when the values of ``columns`` (those present) span no range, so an axis over them has none."""
    values = pd.concat([data[c] for c in columns if c and c in data.columns]).dropna()
    return values.empty or float(values.max() - values.min()) < 1e-12


def score_vs_share_chart(table: pd.DataFrame) -> alt.Chart:
    """Score (y) against coverage share (x), with interval bars on both axes when present."""
    data = table.copy()
    x_low, x_high = next(((a, b) for a, b in (("ci_low", "ci_high"), ("share_ci_low", "share_ci_high"))
                          if a in data.columns), (None, None))
    data = data.dropna(subset=["share", "score"])
    if "score_low" not in data.columns and "stderr" in data.columns:
        data["score_low"] = data["score"] - 1.96 * data["stderr"].fillna(0)
        data["score_high"] = data["score"] + 1.96 * data["stderr"].fillna(0)
    color = (alt.Color("model:N", title="model", legend=alt.Legend(orient="bottom", columns=2, labelLimit=400,
                                                                   titleLimit=400))
             if "model" in data.columns else alt.value("#4C78A8"))
    tooltip = [c for c in ("model", "task", "score", "share", "corpus", "query") if c in data.columns]
    base = alt.Chart(data)
    x_title, y_title = "share of the training corpus in the task's slice", "task score"
    # One share for every point (one finding joined to many tasks or models) leaves the axis no range: Vega
    # then draws a single tick with six decimals ("19.166667%"), so such an axis starts at zero instead.
    x_zero = _flat(data, ["share", x_low, x_high])
    y_zero = _flat(data, ["score", "score_low", "score_high"])
    layers = [base.mark_point(filled=True, size=80).encode(
        x=alt.X("share:Q", title=x_title, axis=alt.Axis(format=".3~%"),
                scale=alt.Scale(nice=True, zero=x_zero, padding=0 if x_zero else 16)),  # no share below 0%
        y=alt.Y("score:Q", title=y_title, scale=alt.Scale(nice=True, zero=y_zero, padding=0 if y_zero else 16)),
        color=color, tooltip=tooltip)]
    if x_low:
        layers.append(base.mark_errorbar(ticks=True).encode(x=alt.X(f"{x_low}:Q", title=x_title), x2=f"{x_high}:Q",
                                                            y=alt.Y("score:Q", title=y_title), color=color))
    if "score_low" in data.columns:
        layers.append(base.mark_errorbar(ticks=True).encode(y=alt.Y("score_low:Q", title=y_title), y2="score_high:Q",
                                                            x=alt.X("share:Q", title=x_title), color=color))
    return alt.layer(*layers).properties(height=360, title="Task score vs share of the training corpus")
