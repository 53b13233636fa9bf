"""The run layer: the one door every front end (CLI, app, Overview, ``attach --auto``) goes through.

Given a query (or a set of reports), a corpus, parameters and a plan, a run profiles what is needed
once, holds one DuckDB connection over one read of the attribute metadata, reports progress and
honours cancel through callbacks, and returns a typed result: a ``Finding`` for a slice, a
``ReportResult`` for a report. Front ends only render what comes back.

Progress arrives as ``Progress(stage, done, total, detail, status)`` with stages ``profile``,
``prefilter`` and ``tag`` (per shard) and ``query`` (per report); ``cancel()`` is asked after each
unit of work, and a true answer stops the run with ``Cancelled`` (finished shards stay cached).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from dataclasses import dataclass, field
from typing import Callable

import duckdb
import pyarrow as pa

import inspectors
from inspectors.core import coverage, evidence, executors, registry, store, stratified, views
from inspectors.core.errors import BadInput
from inspectors.core.findings import Finding
from inspectors.core.plan import Plan
from inspectors.core.profile import Cancelled, profile_corpus, raise_failures
from inspectors.core.queries import Query, find as find_query, list_queries
from inspectors.core.sources import Corpus, resolve as resolve_corpus
from inspectors.core.browse import Filter, Page, browse  # noqa: F401  (the document browser, re-exported)
from inspectors.core.validate import check_runnable

__all__ = ["Cancelled", "Finding", "Plan", "Progress", "Query", "ReportResult", "RunContext", "RunOptions",
           "find_query", "list_queries", "needed_inspectors", "resolve_corpus", "run", "run_query",
           "run_reports", "select"]


@dataclass(frozen=True)
class Progress:
    """One step of a run: ``done`` of ``total`` units of ``stage``; ``detail`` names the unit."""

    stage: str
    done: int
    total: int
    detail: str = ""
    status: str = ""


@dataclass
class RunOptions:
    """How a run executes: engine and workers, evidence count, and the progress and cancel callbacks."""

    workers: int | None = None
    engine: str = "local"
    address: str | None = None
    evidence_docs: int = 5
    progress: Callable[[Progress], None] | None = None
    cancel: Callable[[], bool] | None = None
    timeout: float | None = None  # seconds a query statement may run (None: no limit)
    timeout_hint: str | None = None  # what the caller's user can do past the timeout (the CLI: its --timeout flag)
    measures: dict[str, str] = field(default_factory=dict)  # a measure's counting choice: {"tokens": "neox20b"}


@dataclass
class ReportResult:
    """A report query's table with what it was run on."""

    query: Query
    params: dict
    corpus: Corpus
    plan: Plan
    shards_read: int
    shards_total: int
    table: pa.Table

    @property
    def exact(self) -> bool:
        """True when the plan read every row of every shard (no intervals)."""
        return self.plan.is_exact(self.shards_total)


@dataclass
class RunContext:
    """One run's state: the plan's shards, their attribute metadata (read once) and one connection."""

    corpus: Corpus
    plan: Plan
    options: RunOptions = field(default_factory=RunOptions)

    def __post_init__(self):
        self.chosen = self.plan.choose(self.corpus.shards)
        self.done: views.Profiled = []
        self._con = None
        self._text = False
        self.counted_as = registry.measure_renames(self.options.measures)

    @property
    def exact(self) -> bool:
        """True when the plan reads every row of every shard."""
        return self.plan.is_exact(len(self.corpus.shards))

    def report(self, stage: str, done: int, total: int, detail: str = "", status: str = "") -> None:
        """Send one ``Progress`` to the caller, if it listens."""
        if self.options.progress:
            self.options.progress(Progress(stage, done, total, detail, status))

    def profile(self, inspector_names: list[str]) -> None:
        """Profile the plan's shards with ``inspector_names`` (cached shards cost one footer read)."""
        o = self.options
        report = profile_corpus(self.corpus, inspector_names, self.chosen, self.plan.rows_per_shard, o.workers,
                                _ticker(o, "profile", len(self.chosen)), engine=o.engine, address=o.address,
                                cancel=o.cancel)
        raise_failures(report)
        by_uri = {r.shard: r for r in report.results}
        self.done = [(s, store.attribute_path(s), by_uri[s.uri].info) for s in self.chosen]

    def drive(self, stage: str, func, shards: list, kwargs: dict) -> list:
        """Run a per-shard pass on the run's engine with progress and cancel."""
        return drive_shards(stage, func, shards, kwargs, self.options)

    def connection(self):
        """The run's one connection: ``documents`` over the profiled shards, attributes only at first."""
        if self._con is None:
            self._con = views.guard(views.open_documents(self.chosen, False, self.plan.rows_per_shard, self.done,
                                                       self.counted_as),
                                    self.options.timeout)
        return self._con

    def connection_over(self, table: pa.Table):
        """Make the run's connection a view over ``table`` (a stratified scan's tagged sample, with text)."""
        self.close()
        self._con = views.guard(views.open_table(table, self.counted_as), self.options.timeout)
        self._text = True
        return self._con

    def ensure_text(self) -> None:
        """Give ``documents`` its ``text`` column (read once from the shards)."""
        if not self._text:
            views.add_text(self.connection(), self.done, self.plan.rows_per_shard, self.counted_as)
            self._text = True

    def texts(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], str | None]:
        """Text of the given ``(shard, row)`` documents: from the text already read, else from the shards."""
        if not keys:
            return {}
        if self._text:
            rows = self.connection().execute(
                "SELECT shard, row, text FROM documents WHERE list_contains($keys, shard || ':' || row)",
                {"keys": [f"{s}:{r}" for s, r in keys]}).fetchall()
            return {(s, r): t for s, r, t in rows}
        out = {}
        for shard, _, info in self.done:
            rows = sorted(r for s, r in keys if s == shard.uri)
            if rows:
                found = evidence.texts_for(shard, rows, info.columns)
                out.update({(shard.uri, r): t for r, t in found.items()})
        return out

    def sql_error(self, error: Exception, where: str | None = None) -> Exception:
        """A DuckDB error of this run as one line, a timeout worded by the options (``views.sql_error``)."""
        return views.sql_error(error, self.options.timeout, where, self.options.timeout_hint)

    def close(self) -> None:
        """Close the connection."""
        if self._con is not None:
            self._con.close()
            self._con = None


def _ticker(options: RunOptions, stage: str, total: int):
    """A per-shard result callback that reports ``stage`` progress (the shard's name and status)."""
    count = [0]

    def tick(result):
        count[0] += 1
        shard = result["shard"] if isinstance(result, dict) else result.shard
        status = "" if isinstance(result, dict) else result.status
        if options.progress:
            options.progress(Progress(stage, count[0], total, shard.rsplit("/", 1)[-1], status))

    return tick


def drive_shards(stage: str, func, shards: list, kwargs: dict, options: RunOptions | None = None) -> list:
    """``func(shard, **kwargs)`` for every shard on the options' engine (local pool or Ray), with
    ``stage`` progress and cancel; the results in finishing order. Per-shard work outside a query
    (a training stream writing its step blocks) goes through here too."""
    o = options or RunOptions()
    results = executors.run(o.engine, func, shards, kwargs, o.workers, o.address)
    return executors.drive(results, _ticker(o, stage, len(shards)), o.cancel,
                           lambda n: Cancelled.after(n, len(shards)))


def needed_inspectors(query: Query) -> list[str]:
    """Inspectors a query's run needs: its own, plus a slice's measure providers (bytes, tokens…).

    A report that needs only ``url`` (e.g. via ``web_domain``) thus never reads ``text``.
    """
    needed = set(query.requires)
    if query.kind == "slice":
        needed |= {cls.name for cls, _ in registry.measure_providers().values()}
    return sorted(needed)


def run_query(query: Query, corpus: Corpus, params: dict | None = None, plan: Plan | None = None,
              options: RunOptions | None = None) -> Finding | ReportResult:
    """Run ``query`` on ``corpus`` with ``plan``: a slice's ``Finding`` or a report's ``ReportResult``."""
    plan, options = plan or Plan(), options or RunOptions()
    check_runnable(query)
    registry.measure_columns(options.measures)  # an unknown choice fails before any shard is read
    values = query.bind(params)
    ctx = RunContext(corpus, plan, options)
    try:
        if query.kind == "report":
            if plan.strategy == "stratified":
                raise BadInput(f"--stratified applies to slices; {query.name} is a report")
            ctx.profile(list(query.requires))
            table = coverage.report_table(ctx, query, values)
            return ReportResult(query, values, corpus, plan, len(ctx.chosen), len(corpus.shards), table)
        if plan.strategy == "stratified":
            result, docs = _stratified(ctx, query, values)
        else:
            ctx.profile(needed_inspectors(query))
            result, docs = coverage.slice_result(ctx, query, values)
        return _finding(query, values, ctx, result, docs)
    except duckdb.Error as error:  # the query's own SQL failed while running: one line, never a traceback
        raise ctx.sql_error(error, str(query.path)) from None
    finally:
        ctx.close()


def run_reports(items: list[tuple[Query, dict]], corpus: Corpus, plan: Plan | None = None,
                options: RunOptions | None = None) -> list[ReportResult]:
    """Run several reports on one profile pass and one connection (the Overview)."""
    plan, options = plan or Plan(), options or RunOptions()
    for query, _ in items:
        check_runnable(query)
        if query.kind != "report":
            raise BadInput(f"{query.name} is a {query.kind}, not a report")
    bound = [(query, query.bind(params)) for query, params in items]
    ctx = RunContext(corpus, plan, options)
    try:
        ctx.profile(sorted({name for query, _ in items for name in query.requires}))
        out = []
        for i, (query, values) in enumerate(bound):
            out.append(ReportResult(query, values, corpus, plan, len(ctx.chosen), len(corpus.shards),
                                    coverage.report_table(ctx, query, values)))
            ctx.report("query", i + 1, len(bound), query.name)
            if options.cancel and options.cancel():
                raise Cancelled(f"cancelled after {i + 1} of {len(bound)} reports")
        return out
    except duckdb.Error as error:
        raise ctx.sql_error(error) from None
    finally:
        ctx.close()


def run(name_or_path: str | Query, corpus: str | Corpus, params: dict | None = None,
        plan: dict | Plan | None = None, **options) -> Finding | ReportResult:
    """``run_query`` by names: a saved query name or file, a SOURCE string, a plan dict."""
    query = name_or_path if isinstance(name_or_path, Query) else find_query(name_or_path)
    resolved = resolve_corpus(corpus) if isinstance(corpus, str) else corpus
    the_plan = Plan(**plan) if isinstance(plan, dict) else (plan or Plan())
    return run_query(query, resolved, params, the_plan, RunOptions(**options))


def select(corpus: Corpus, sql: str, timeout: float | None = None, timeout_hint: str | None = None,
           profile_hint: str | None = None) -> pa.Table:
    """One read-only SELECT over the profiled shards of ``corpus`` (the SQL console and ``corpuscope sql``).

    Refuses (``BadInput``) when a shard changed since it was profiled; warns (``views.StaleAttributes``)
    when cached columns were made by another inspector identity than the one in force (another language
    backend, say), and (``views.UnprofiledShards``) when some shards are not profiled, since counts over
    the view then cover only the others. ``timeout`` (seconds) interrupts a statement that runs longer;
    ``timeout_hint`` is what the caller's user can do then (``views.sql_error``). ``profile_hint`` is what
    profiles the rest in the caller's words (the app's button; by default the ``corpuscope profile`` command).
    """
    views.check_select(sql)
    done = views.profiled(corpus.shards)
    if not done:
        raise views.nothing_profiled(corpus.source, len(corpus.shards), profile_hint)
    views.check_fresh(done)
    if len(done) < len(corpus.shards):
        warnings.warn(views.UnprofiledShards(
            f"{len(done)} of {len(corpus.shards)} shards are profiled; `documents` holds only those "
            f"({profile_hint or views.profile_command(corpus.source)} for the rest)"), stacklevel=2)
    for line in views.stale_inspectors(done):
        warnings.warn(views.StaleAttributes(line), stacklevel=2)
    con = views.open_documents(corpus.shards, done=done)
    try:
        if views.needs_text(con, sql):
            views.add_text(con, done)
        return coverage.numeric(views.run_select(con, sql, timeout=timeout, timeout_hint=timeout_hint))
    finally:
        con.close()


def _stratified(ctx: RunContext, query: Query, values: dict) -> tuple[dict, list[dict]]:
    """Stratified targeted scan: prefilter every document, tag a seeded sample per stratum, combine."""
    corpus = ctx.corpus
    case_sql = stratified.strata_sql(query.strata)
    return _stratified_scan(ctx, query, values,
                            (stratified.prefilter_shard,
                             {"case_sql": case_sql, "params": values, "overrides": corpus.overrides}),
                            (stratified.tag_shard, {"overrides": corpus.overrides}))[:2]


def _stratified_scan(ctx: RunContext, query: Query, values: dict, prefilter: tuple, tag: tuple,
                     exact_units: dict[str, str] | None = None) -> tuple[dict, list[dict], dict]:
    """The two per-shard passes of a stratified scan on the run's engine, then the estimates.

    ``prefilter = (func, kwargs)``: ``func(shard, **kwargs)`` returns ``row``/``stratum`` arrays (and the
    ``exact_units`` amounts); ``tag = (func, kwargs)``: ``func(shard, picked=…, inspector_keys=…, root=…,
    **kwargs)`` returns ``{"shard", "path"}`` of the tagged sample rows. Returns the estimates, the
    evidence and the design (``sample``, ``passes``, ``sizes``) for callers that add to the finding.
    """
    plan = ctx.plan
    passes = stratified.collect(ctx.drive("prefilter", prefilter[0], ctx.chosen, prefilter[1]), ctx.chosen)
    sizes, picked = stratified.draw(passes, plan.per_stratum or 200, plan.seed, exact_units)
    keys = [cls.key() for cls in registry.resolve(needed_inspectors(query))]
    todo = [s for s in ctx.chosen if picked.get(s.uri)]
    tagged = stratified.collect(ctx.drive("tag", tag[0], todo,
                                          {"picked": picked, "inspector_keys": keys,
                                           "root": str(store.attribute_root()), **tag[1]}), todo)
    sample = pa.concat_tables([store.read_table(t["path"]).replace_schema_metadata(None) for t in tagged],
                              promote_options="default")
    result, docs = coverage.stratified_result(ctx, query, values, sample, passes, sizes, exact_units)
    return result, docs, {"sample": sample, "passes": passes, "sizes": sizes, "picked": picked}


def created_now() -> str:
    """The creation time for provenance: now, or ``$SOURCE_DATE_EPOCH`` (reproducible output)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch and epoch.isdigit()
              else dt.datetime.now(dt.timezone.utc))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _finding(query: Query, values: dict, ctx: RunContext, result: dict, docs: list[dict]) -> Finding:
    corpus, chosen = ctx.corpus, ctx.chosen
    extra = {k: result.pop(k) for k in ("strata", "inspected_share") if k in result}
    needed = set(needed_inspectors(query))
    return Finding(
        query={"name": query.name, "title": query.title, "version": query.version, "sha256": query.sha256,
               "params": values},
        corpus={"name": corpus.name, "version": corpus.version, "revision": corpus.revision,
                "source": corpus.source, "shards_fingerprint": corpus.fingerprint()},
        plan=ctx.plan.to_dict(),
        shards={"read": len(chosen), "total": len(corpus.shards),
                "read_list": [s.uri for s in chosen] if len(chosen) < len(corpus.shards) else None},
        estimates=result,
        evidence=docs,
        inspectors={name: cls.identity() for name, cls in sorted(registry.latest().items()) if name in needed},
        provenance={"tool_version": inspectors.__version__, "created": created_now(), "query_sha256": query.sha256,
                    "measures": counted_by(ctx.options.measures, result)},
        extra=extra,
    )


def measure_choices() -> dict[str, list[str]]:
    """Measures that can be counted more than one way, with their choices (default first): front ends
    offer them (a slice's tokens in Pythia's tokenizer, say) and pass one in ``RunOptions.measures``."""
    out = {}
    for unit, (cls, _, default) in registry.measure_columns().items():
        options = list(cls.measure_choices.get(unit, {}))
        if len(options) > 1:
            out[unit] = [default, *(o for o in options if o != default)]
    return out


def counted_by(choices: dict[str, str], estimates: dict) -> dict[str, dict]:
    """What counted each measure that has an estimate (the inspector's own description: a token share's
    tokenizer, its files and their SHA-256), for a finding's provenance."""
    return {unit: {"inspector": cls.key(), **cls.describe_measure(unit, choice)}
            for unit, (cls, _, choice) in registry.measure_columns(choices).items() if estimates.get(unit)}


def profile(corpus: Corpus, plan: Plan | None = None, options: RunOptions | None = None,
            inspector_names: list[str] | None = None) -> None:
    """Profile the plan's shards with ``inspector_names`` (default: every inspector), with progress and cancel."""
    ctx = RunContext(corpus, plan or Plan(), options or RunOptions())
    ctx.profile(inspector_names or sorted(registry.latest()))


def cached_count(corpus: Corpus, plan: Plan | None = None) -> int:
    """How many of the plan's shards already have an attribute shard."""
    return len(views.profiled((plan or Plan()).choose(corpus.shards)))


def local_size(corpus: Corpus) -> int | None:
    """Total bytes of a local corpus's shards; ``None`` when any shard is remote (sizing it costs requests)."""
    from inspectors.core.storage import is_remote, stat

    if any(is_remote(s.uri) for s in corpus.shards):
        return None
    return sum(stat(s.uri)["size"] or 0 for s in corpus.shards)


def plan_cost(corpus: Corpus, plan: Plan, inspector_names: list[str] | None = None, query: Query | None = None,
              workers: int | None = None):
    """What a run would read (shards, bytes, requests, time), from footers only: ``costplan.plan_cost``."""
    from inspectors.core import costplan

    return costplan.plan_cost(corpus, plan, inspector_names, query, workers)


def workspace(name: str):
    """A folder of that name under the cache root (the app keeps uploads there)."""
    from inspectors.core import paths

    folder = paths.home() / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_slice_extended(query: Query, corpus: Corpus, params: dict | None, plan: Plan | None,
                       options: RunOptions | None, extend: Callable[[RunContext, dict], dict]) -> Finding:
    """``run_query`` for a slice (full or shard-sample plan), then ``extend(ctx, values)`` adds keys to
    the finding's ``extra`` while the run's connection (with its ``matched`` table of ``shard, row``)
    is open. Training streams use it to count tokens seen per step over the same matched rows."""
    plan, options = plan or Plan(), options or RunOptions()
    _check_slice(query, options)
    if plan.strategy == "stratified":
        raise BadInput("--stratified is not available here; use a full or shard-sample plan")
    values = query.bind(params)
    ctx = RunContext(corpus, plan, options)
    try:
        ctx.profile(needed_inspectors(query))
        result, docs = coverage.slice_result(ctx, query, values)
        finding = _finding(query, values, ctx, result, docs)
        finding.extra.update(extend(ctx, values))
        return finding
    except duckdb.Error as error:
        raise ctx.sql_error(error, str(query.path)) from None
    finally:
        ctx.close()


def _check_slice(query: Query, options: RunOptions) -> None:
    """Refuse, before any shard is read, a query an extended slice run cannot run or an unknown
    measure choice."""
    check_runnable(query)
    registry.measure_columns(options.measures)
    if query.kind != "slice":
        raise BadInput(f"{query.name} is a {query.kind}; this run needs a slice")


def run_stratified_extended(query: Query, corpus: Corpus, params: dict | None, plan: Plan,
                            options: RunOptions | None, prefilter: tuple, tag: tuple,
                            exact_units: dict[str, str] | None,
                            extend: Callable[[RunContext, dict, dict], dict]) -> Finding:
    """A slice by a stratified scan whose two per-shard passes the caller gives (see ``_stratified_scan``),
    then ``extend(ctx, values, design)`` adds keys to the finding's ``extra`` while the connection over
    the tagged sample is open. Training streams use it: the prefilter reads token ids, never text."""
    options = options or RunOptions()
    _check_slice(query, options)
    if plan.strategy != "stratified":
        raise BadInput("this run needs a stratified plan")
    values = query.bind(params)
    ctx = RunContext(corpus, plan, options)
    try:
        result, docs, design = _stratified_scan(ctx, query, values, prefilter, tag, exact_units)
        finding = _finding(query, values, ctx, result, docs)
        finding.extra.update(extend(ctx, values, design))
        return finding
    except duckdb.Error as error:
        raise ctx.sql_error(error, str(query.path)) from None
    finally:
        ctx.close()


def stream_catalogue() -> dict[str, dict]:
    """The official training streams (``inspectors/data/streams.yaml``), for front ends."""
    from inspectors.streams import catalogue

    return catalogue()


def open_stream(spec: str, **options):
    """The training stream a spec names (``olmo:``/``pythia:``/``amber:`` or a catalogue name)."""
    from inspectors.streams import open_stream as open_

    return open_(spec, **options)


def step_ranges(steps: list[int]) -> str:
    """Step numbers as runs, as the streams print them (a gap's missing steps): ``[2, 5, 6, 7]`` -> ``"2, 5-7"``."""
    from inspectors.streams.base import step_ranges as ranges

    return ranges(steps)


def first_step(stream) -> int:
    """The number of a stream's first step (``streams.derive.first_step``: 0 for Amber, 1 for the others)."""
    from inspectors.streams.derive import first_step as first

    return first(stream)


def default_block(stream, up_to_step: int) -> int:
    """Steps per block when none is given: about 100 blocks up to ``up_to_step`` (``streams.derive``)."""
    from inspectors.streams.derive import default_block as block

    return block(stream, up_to_step)


def seed_text(seed) -> str:
    """A stream's seed as the streams print it: the number, or "none (fixed order)" (``streams.base``)."""
    from inspectors.streams.base import seed_text as text

    return text(seed)


def label_notes(query: Query, values: dict, where: str) -> list[str]:
    """Warnings for bound parameters outside the closed label set of the column they are compared with
    (``0%`` there means "cannot tell"); ``where`` tells the caller's user where the labels are listed."""
    from inspectors.core.label_check import unknown_label_notes

    return unknown_label_notes(query, values, where)


def run_exposure(query: Query, stream, up_to_step: int, params: dict | None = None, plan: Plan | None = None,
                 options: RunOptions | None = None, block_steps: int | None = None, curve: int = 10,
                 prefilter: str = "vietnamese") -> Finding:
    """A slice on a training stream up to ``up_to_step``: tokens seen, exposures, the curve (``inspectors.streams``).

    Step blocks are read on the options' engine (stage ``read``); a ``stratified`` plan stratifies
    every occurrence by the token-id ``prefilter`` and decodes only its sample.
    """
    from inspectors.streams import exposure, stream_corpus

    plan = plan or Plan()
    sc = stream_corpus(stream, up_to_step, block_steps, plan, options=options)
    return exposure.run(query, sc, params, plan, options, curve, prefilter)
