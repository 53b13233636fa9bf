"""The Overview of one corpus: the saved reports whose header has an ``overview`` entry, run together.

Each chart is a saved report query in ``queries/`` (or the user's query folders) that declares its
``dimensions`` and an ``overview: {label, order, chart, caption, top}`` entry; the run layer profiles
once for all of them and runs each on one connection, so a sampled overview carries the same
shard-bootstrap intervals as any report (``<unit>_share_ci_low`` / ``_ci_high``). A report whose
inspectors are not registered is skipped with a note instead of failing the whole overview.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from inspectors.core import queries, registry
from inspectors.core.errors import CorpuscopeError
from inspectors.core.plan import Plan
from inspectors.core.sources import Corpus



def measures() -> list[str]:
    """Units an Overview chart can count: documents and every registered measure (bytes, tokens…)."""
    return ["documents", *registry.measure_providers()]


def share_column(unit: str) -> str:
    """A report's share column for ``unit`` (the saved reports' convention): ``documents`` -> ``document_share``."""
    return f"{unit[:-1] if unit.endswith('s') else unit}_share"


@dataclass(frozen=True)
class Dimension:
    """One distribution the Overview charts: its key (the query name), label, saved report, chart kind and
    key columns."""

    key: str
    label: str
    query: queries.Query
    columns: tuple[str, ...]
    chart: str = "bars"
    caption: str = ""
    top: int | None = None


def dimensions() -> list[Dimension]:
    """The Overview's charts, in order: every saved report with an ``overview`` header entry."""
    found = []
    for query in queries.list_queries(broken=[]):  # a user's broken file is `query list`'s to report
        spec = query.overview
        if query.kind == "report" and spec:
            found.append((spec["order"], query.name, Dimension(query.name, spec["label"], query,
                                                               query.dimensions, spec["chart"], spec["caption"],
                                                               spec.get("top"))))
    return [d for _, _, d in sorted(found, key=lambda t: (t[0], t[1]))]


@dataclass
class Overview:
    """Distribution tables of one corpus under one plan.

    ``tables`` maps a dimension key to a DataFrame with the key columns, ``documents``, ``bytes``,
    ``tokens``, the ``*_share`` columns and, for sampled plans, ``*_share_ci_low``/``_ci_high``.
    ``skipped`` maps a dimension key to the reason it is missing.
    """

    corpus: str
    source: str
    plan: dict
    shards_read: int
    shards_total: int
    exact: bool
    dimensions: list[Dimension] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def has_intervals(self, key: str) -> bool:
        """True when the table for ``key`` carries 95% intervals."""
        table = self.tables.get(key)
        return table is not None and f"{share_column('documents')}_ci_low" in table.columns

    def dimension(self, key: str) -> Dimension:
        """The dimension behind ``key``."""
        return next(d for d in self.dimensions if d.key == key)


def build_overview(corpus: Corpus, plan: Plan, options=None, dims: list[Dimension] | None = None) -> Overview:
    """Run every dimension's report over ``corpus`` with ``plan`` through the run layer.

    ``options`` is a ``run.RunOptions`` (progress, cancel, workers, engine). A dimension that needs an
    inspector that is not registered is skipped with its reason; any other error propagates.
    """
    from inspectors.core import run

    dims = dimensions() if dims is None else dims
    known = set(registry.latest())
    runnable, skipped = [], {}
    for dimension in dims:
        query = dimension.query
        missing = [name for name in query.requires if name not in known]
        if missing:
            skipped[dimension.key] = f"needs the {', '.join(missing)} inspector, which is not installed"
        else:
            runnable.append((dimension, query))
    results = run.run_reports([(q, {}) for _, q in runnable], corpus, plan, options) if runnable else []
    tables = {d.key: r.table.to_pandas() for (d, _), r in zip(runnable, results)}
    chosen = len(plan.choose(corpus.shards))
    return Overview(corpus=corpus.name, source=corpus.source, plan=plan.to_dict(), shards_read=chosen,
                    shards_total=len(corpus.shards), exact=plan.is_exact(len(corpus.shards)),
                    dimensions=[d for d, _ in runnable], tables=tables, skipped=skipped)


def long_table(overview: Overview, key: str, measure: str = "documents", top: int | None = None) -> pd.DataFrame:
    """One dimension as ``label, value, share, ci_low, ci_high, order`` rows for charting ``measure``.

    ``value`` is the absolute count of ``measure``; ``share`` its share of the read documents; the
    interval columns are the share's 95% bounds (equal to the share on exact plans). Rows keep the
    report's order when its chart is ``ordered``, else go largest first; with ``top`` (default: the
    dimension's own), the largest rows are kept and the rest folded into one ``(other)`` row.
    """
    if measure not in measures():
        raise CorpuscopeError(f"measure must be one of {', '.join(measures())}, got {measure!r}")
    dimension = overview.dimension(key)
    table = overview.tables[key]
    share = share_column(measure)
    frame = pd.DataFrame({
        "label": table[list(dimension.columns)].astype(str).agg(" / ".join, axis=1),
        "value": pd.to_numeric(table[measure], errors="coerce").astype(float),
        "share": pd.to_numeric(table[share], errors="coerce").astype(float),
    })
    for column in dimension.columns:
        frame[column] = table[column].astype(str)
    low, high = f"{share}_ci_low", f"{share}_ci_high"
    frame["ci_low"] = table[low].astype(float) if low in table.columns else frame["share"]
    frame["ci_high"] = table[high].astype(float) if high in table.columns else frame["share"]
    if dimension.chart == "ordered":
        frame["order"] = range(len(frame))
    else:
        frame = frame.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
        frame["order"] = range(len(frame))
    top = dimension.top if top is None else top
    if top is not None and len(frame) > top:
        head, rest = frame.iloc[:top].copy(), frame.iloc[top:]
        other = {"label": f"(other: {len(rest)})", "value": rest["value"].sum(), "share": rest["share"].sum(),
                 "ci_low": float("nan"), "ci_high": float("nan"), "order": top}
        for column in dimension.columns:
            other[column] = "(other)"
        frame = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    return frame


def shard_plan(corpus: Corpus, plan: Plan, max_stat: int = 2000) -> pd.DataFrame:
    """The corpus's shards with format, size and whether ``plan`` reads them: the cost before a scan.

    Sizes come from a ``stat`` of each shard (remote ones cost one request each, so only the first
    ``max_stat`` are looked up; the rest show no size).
    """
    from inspectors.core.storage import stat

    chosen = {s.uri for s in plan.choose(corpus.shards)}
    rows = []
    for i, shard in enumerate(corpus.shards):
        size = None
        if i < max_stat:
            try:
                size = stat(shard.uri).get("size")
            except (OSError, CorpuscopeError, ValueError):
                size = None
        rows.append({"shard": shard.name, "format": shard.format + (f".{shard.compression}" if shard.compression else ""),
                     "bytes": size, "read": shard.uri in chosen, "uri": shard.uri})
    return pd.DataFrame(rows, columns=["shard", "format", "bytes", "read", "uri"])
