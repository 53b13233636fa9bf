"""The Overview of one corpus: distribution tables built by running saved report queries.

Each dimension (language, topic, format, registered domain, source, language x topic, length) is a
saved report query in ``queries/`` and run through ``coverage.run_report`` with the
caller's plan, so a sampled overview carries the same shard-bootstrap intervals as any report
(``<measure>_share_ci_low`` / ``_ci_high``). Dimensions whose inspectors are not registered are
skipped with a note instead of failing the whole overview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from inspectors.core import queries, registry
from inspectors.core.errors import CorpuscopeError
from inspectors.core.plan import Plan
from inspectors.core.sources import Corpus

MEASURES = {"documents": "document_share", "bytes": "byte_share", "tokens": "token_share"}


@dataclass(frozen=True)
class Dimension:
    """One distribution the Overview charts: its key, label, query file and key columns."""

    key: str
    label: str
    query: str
    columns: tuple[str, ...]


DIMENSIONS = (
    Dimension("language", "Language", "language_distribution", ("language",)),
    Dimension("topic", "Topic", "topic_distribution", ("topic",)),
    Dimension("format", "Format", "format_distribution", ("format",)),
    Dimension("registered_domain", "Registered domain", "top_registered_domains", ("registered_domain",)),
    Dimension("source", "Source", "source_breakdown", ("source",)),
    Dimension("language_topic", "Language x topic", "language_topic_crosstab", ("language", "topic")),
    Dimension("length", "Document length", "length_distribution", ("length_bucket",)),
)


@dataclass
class Overview:
    """Distribution tables of one corpus under one plan.

    ``tables`` maps a dimension key to a DataFrame with the key columns, ``documents``, ``bytes``,
    ``tokens``, the three ``*_share`` columns and, for sampled plans, ``*_share_ci_low``/``_ci_high``.
    ``skipped`` maps a dimension key to the reason it is missing.
    """

    corpus: str
    source: str
    plan: dict
    shards_read: int
    shards_total: int
    exact: bool
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def has_intervals(self, key: str) -> bool:
        """True when the table for ``key`` carries 95% intervals."""
        table = self.tables.get(key)
        return table is not None and "document_share_ci_low" in table.columns


def overview_query(dimension: Dimension) -> queries.Query:
    """The saved report query (in ``queries/``) behind ``dimension``."""
    return queries.find(dimension.query)


def required_inspectors(dimensions=DIMENSIONS) -> list[str]:
    """Inspector names the given dimensions need that are registered (the Overview's profile)."""
    known = set(registry.latest())
    needed = set()
    for dimension in dimensions:
        needed |= set(overview_query(dimension).requires)
    return sorted(needed & known)


def build_overview(corpus: Corpus, plan: Plan, workers: int | None = None,
                   progress: Callable | None = None, dimensions=DIMENSIONS) -> Overview:
    """Run every dimension's report over ``corpus`` with ``plan``.

    ``progress`` receives each ``ShardResult`` of the profiling step (done once, for all dimensions).
    A dimension that needs an inspector that is not registered is skipped with its reason; any other
    error propagates (``CorpuscopeError`` with a one-line message).
    """
    known = set(registry.latest())
    runnable = []
    skipped = {}
    for dimension in dimensions:
        query = overview_query(dimension)
        missing = [name for name in query.requires if name not in known]
        if missing:
            skipped[dimension.key] = f"needs the {', '.join(missing)} inspector, which is not installed"
        else:
            runnable.append((dimension, query))
    chosen = plan.choose(corpus.shards)
    if runnable:
        # Profile once with everything the runnable dimensions need; each report then finds its shards cached.
        union = sorted({name for _, q in runnable for name in q.requires})
        from inspectors.core.profile import profile_corpus

        report = profile_corpus(corpus, union, chosen, plan.rows_per_shard, workers, progress)
        if report.failed:
            first = report.failed[0]
            raise CorpuscopeError(first.error or f"shard {first.shard} failed")
    from inspectors.core import coverage  # imported here so the Overview's plan helpers work without it

    tables = {}
    for dimension, query in runnable:
        result = coverage.run_report(query, corpus, {}, plan, workers=1)
        tables[dimension.key] = result.table.to_pandas()
    return Overview(
        corpus=corpus.name,
        source=corpus.source,
        plan=plan.to_dict(),
        shards_read=len(chosen),
        shards_total=len(corpus.shards),
        exact=plan.is_exact(len(corpus.shards)),
        tables=tables,
        skipped=skipped,
    )


def long_table(overview: Overview, key: str, measure: str = "documents", top: int | None = None) -> pd.DataFrame:
    """One dimension as ``label, value, share, ci_low, ci_high`` rows for charting ``measure``.

    ``value`` is the absolute count of ``measure``; ``share`` its share of the read documents; the
    interval columns are the share's 95% bounds (equal to the share on exact plans). With ``top``,
    the largest rows are kept and the rest folded into one ``(other)`` row without an interval.
    """
    if measure not in MEASURES:
        raise CorpuscopeError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    dimension = next(d for d in DIMENSIONS if d.key == key)
    table = overview.tables[key]
    share = MEASURES[measure]
    frame = pd.DataFrame({
        "label": table[list(dimension.columns)].astype(str).agg(" / ".join, axis=1),
        "value": table[measure].astype(float),
        "share": table[share].astype(float),
    })
    for column in dimension.columns:
        frame[column] = table[column].astype(str)
    low, high = f"{share}_ci_low", f"{share}_ci_high"
    frame["ci_low"] = table[low].astype(float) if low in table.columns else frame["share"]
    frame["ci_high"] = table[high].astype(float) if high in table.columns else frame["share"]
    if "min_bytes" in table.columns:
        frame["order"] = table["min_bytes"].astype(float)
    else:
        frame = frame.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
        frame["order"] = range(len(frame))
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
