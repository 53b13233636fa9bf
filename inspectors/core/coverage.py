"""What a slice or a report computes once its shards are profiled: counts, estimates, evidence, tables.

The run layer (``inspectors.core.run``) profiles and holds the connection; the functions here take its
``RunContext`` and return plain results. The measures a slice counts (documents, plus every measure a
registered inspector provides, such as bytes and tokens) and the labels that explain its evidence come
from the inspectors' own descriptions, never from names written here.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from inspectors.core import estimate, evidence, registry, views
from inspectors.core.errors import BadInput, RuntimeFailure

KEY_COLUMNS = ("shard", "row", "id", "url")
BOOTSTRAP = 200


def measure_columns(con, choices: dict[str, str] | None = None) -> dict[str, str]:
    """Every registered measure present in ``documents``, by unit: ``{"bytes": "n_bytes", …}``, each
    counted by the column ``choices`` picks for it (``registry.measure_columns``)."""
    present = set(views.columns(con, f"SELECT * FROM {views.BASE_VIEW}"))
    return {unit: column for unit, (_, column, _) in registry.measure_columns(choices).items() if column in present}


def explaining_columns(query, names: list[str]) -> list[str]:
    """The label (and evidence) columns of the inspectors ``query`` requires that its rows carry."""
    out = []
    for name in query.requires:
        cls = registry.latest().get(name)
        if cls is not None:
            out += [c for c in (*cls.labels, *cls.evidence_columns) if c in names and c not in out]
    return out


def slice_columns(con, query, values) -> list[str]:
    """The slice's output columns; ``BadInput`` unless it keeps the rows' keys."""
    names = views.columns(con, query.sql, values)
    missing = [c for c in KEY_COLUMNS if c not in names]
    if missing:
        raise BadInput(f"{query.path}: a slice must select rows of documents (SELECT * FROM documents WHERE …); "
                       f"its result lacks {', '.join(missing)}")
    return names


def per_shard(con, source_sql: str, measures: dict[str, str], values=None) -> dict[str, dict[str, float]]:
    """``{shard: {"documents": n, unit: sum}}`` over the rows of ``source_sql``."""
    sums = "".join(f", coalesce(sum({column}), 0)" for column in measures.values())
    rows = con.execute(f"SELECT shard, count(*){sums} FROM ({source_sql}) GROUP BY shard", values or None).fetchall()
    units = ["documents", *measures]
    return {shard: {u: float(v) for u, v in zip(units, rest)} for shard, *rest in rows}


def slice_result(ctx, query, values) -> tuple[dict, list[dict]]:
    """A full-scan or shard-sample slice: ``({unit: estimate dict | None}, evidence)``."""
    con = ctx.connection()
    if views.needs_text(con, query.sql, values, star_reads_text=False):
        ctx.ensure_text()
    names = slice_columns(con, query, values)
    measures = measure_columns(con, ctx.options.measures)
    labels = explaining_columns(query, names)
    kept = [*KEY_COLUMNS, *measures.values(), *labels]
    con.execute(f"CREATE OR REPLACE TEMP TABLE matched AS SELECT {', '.join(kept)} FROM ({query.sql})", values)
    totals = per_shard(con, f"SELECT * FROM {views.BASE_VIEW}", measures)
    matched = per_shard(con, "SELECT * FROM matched", measures)
    shards_total = len(ctx.corpus.shards)
    # A row-limited read covers a whole shard only when the shard ended before the limit.
    whole = ctx.plan.rows_per_shard is None or all(info.complete for _, _, info in ctx.done)
    result = {}
    for unit in ["documents", *measures]:
        m = [matched.get(s.uri, {}).get(unit, 0.0) for s in ctx.chosen]
        t = [totals.get(s.uri, {}).get(unit, 0.0) for s in ctx.chosen]
        if not any(t):
            result[unit] = None
            continue
        if ctx.plan.is_exact(shards_total):
            est = estimate.full_scan(sum(m), sum(t))
        else:
            est = estimate.shard_sample(m, t, shards_total, whole_shards=whole)
        result[unit] = est.to_dict()
    for unit in registry.measure_providers():
        result.setdefault(unit, None)
    return result, slice_evidence(ctx, query, labels)


def slice_evidence(ctx, query, labels: list[str]) -> list[dict]:
    """A seeded sample of matched rows with masked, highlighted snippets and why they matched."""
    n = ctx.options.evidence_docs
    if n <= 0:
        return []
    con = ctx.connection()
    rows = con.execute(f"SELECT shard, row, id, url{''.join(', ' + c for c in labels)} FROM matched "
                       "ORDER BY hash(shard, row) LIMIT $n", {"n": n}).fetchall()
    texts = ctx.texts({(r[0], r[1]) for r in rows})
    known = set(registry.label_values())
    return [evidence_record(query, shard, row, doc_id, url, texts.get((shard, row)), dict(zip(labels, rest)), known)
            for shard, row, doc_id, url, *rest in rows]


def evidence_record(query, shard, row, doc_id, url, text, found: dict, labels: set[str]) -> dict:
    """One evidence document: its keys, a snippet and why it matched (``labels``, the registry's label
    columns, as ``k=v``; then the inspectors' own explanations)."""
    why = [f"{k}={v}" for k, v in found.items() if v is not None and k in labels]
    why += [str(v) for k, v in found.items() if v is not None and k not in labels]
    return {"id": doc_id, "shard": shard, "row": row, "url": url,
            "snippet": evidence.snippet(text, query.highlight), "evidence": "; ".join(why) or None}


def stratified_result(ctx, query, values, sample: pa.Table, passes: list[dict], sizes: dict,
                      exact_units: dict[str, str] | None = None) -> tuple[dict, list[dict]]:
    """A stratified scan's estimates from the tagged per-stratum sample (see ``estimate.stratified``).

    ``exact_units`` maps further units to a column of ``sample`` whose stratum totals the passes
    counted exactly (``sizes[stratum][unit]``), e.g. a training stream's tokens seen.
    """
    con = ctx.connection_over(sample)
    names = slice_columns(con, query, values)
    measures = {**measure_columns(con, ctx.options.measures), **(exact_units or {})}
    labels = explaining_columns(query, names)
    kept = [*KEY_COLUMNS, *measures.values(), *labels]
    con.execute(f"CREATE TEMP TABLE matched AS SELECT {', '.join(kept)} FROM ({query.sql})", values)
    measure_sql = "".join(f", coalesce(s.{c}, 0)" for c in measures.values())
    # In shard and row order, so that the float sums (and so the finding) are the same on every run.
    rows = con.execute(f"SELECT s.shard, s.row, m.row IS NOT NULL{measure_sql} FROM {views.BASE_VIEW} s "
                       "LEFT JOIN matched m USING (shard, row) ORDER BY s.shard, s.row").fetchall()
    stratum_of = sample_strata(passes, rows)
    shard_index = {s.uri: i for i, s in enumerate(ctx.chosen)}
    by_stratum: dict[str, list] = {name: [] for name in sizes}
    for shard, row, hit, *amounts in rows:
        by_stratum[stratum_of[(shard, row)]].append((shard_index[shard], bool(hit), [float(a) for a in amounts]))
    sampled_shards = len(ctx.chosen) < len(ctx.corpus.shards)
    units = ["documents", *measures]
    # The prefilter counted every scanned document, its UTF-8 bytes (the ``bytes`` measure) when it read
    # text, and the exact units exactly; other measures are known only in the sample, so their stratum
    # totals are expanded from it.
    result = {}
    for u, unit in enumerate(units):
        strata = []
        for name, info in sizes.items():
            docs = by_stratum[name]
            shard_ids = [d[0] for d in docs]
            if unit == "documents":
                strata.append(estimate.StratumSample(N=info["N"], y=[float(d[1]) for d in docs], shard=shard_ids,
                                                     name=name))
                continue
            x = [d[2][u - 1] for d in docs]
            known = info.get(unit) if unit in (exact_units or {}) or unit == "bytes" else None
            x_total = known if known is not None else (info["N"] * sum(x) / len(x) if x else 0.0)
            strata.append(estimate.StratumSample(N=info["N"], y=[xi * d[1] for xi, d in zip(x, docs)], x=x,
                                                 x_total=x_total, shard=shard_ids, name=name))
        if unit != "documents" and not any(s.x_total for s in strata):
            result[unit] = None
            continue
        est = estimate.stratified(strata, shards_total=len(ctx.corpus.shards) if sampled_shards else None,
                                  shards_read=len(ctx.chosen) if sampled_shards else None)
        result[unit] = est.to_dict()
    for unit in registry.measure_providers():
        result.setdefault(unit, None)
    hits = {name: sum(d[1] for d in docs) for name, docs in by_stratum.items()}
    extra = {"strata": [{"name": name, "documents": info["N"], "bytes": info.get("bytes"), "sampled": info["n"],
                         "matched_in_sample": hits[name], **{u: info[u] for u in exact_units or {} if u in info}}
                        for name, info in sizes.items()]}
    scanned = sum(info["N"] for info in sizes.values())
    extra["inspected_share"] = sum(info["n"] for info in sizes.values()) / scanned if scanned else 0.0
    docs = _sample_evidence(con, query, labels, ctx.options.evidence_docs)
    return {**result, **extra}, docs


def sample_strata(passes: list[dict], rows: list[tuple]) -> dict[tuple[str, int], str]:
    """The stratum of each sampled ``(shard, row, ...)`` in ``rows``, looked up in pass 1's per-shard columns.

    Only the sample is looked up (a pass over a stream has millions of rows and a sample thousands).
    """
    wanted: dict[str, list[int]] = {}
    for shard, row, *_ in rows:
        wanted.setdefault(shard, []).append(row)
    out = {}
    for p in passes:
        want = wanted.get(p["shard"])
        if not want:
            continue
        pass_rows, want = np.asarray(p["row"]), np.asarray(want, dtype=np.int64)
        order = np.argsort(pass_rows, kind="stable")
        at = order[np.minimum(np.searchsorted(pass_rows, want, sorter=order), len(order) - 1)]
        if not np.array_equal(pass_rows[at], want):
            raise RuntimeFailure(f"{p['shard']}: the tagged sample holds rows that pass 1 did not see")
        out.update(zip(zip([p["shard"]] * len(want), want.tolist()), np.asarray(p["stratum"])[at].tolist()))
    return out


def _sample_evidence(con, query, labels: list[str], n: int) -> list[dict]:
    if n <= 0:
        return []
    rows = con.execute(
        f"SELECT m.shard, m.row, m.id, m.url, s.text{''.join(', m.' + c for c in labels)} FROM matched m "
        f"JOIN {views.BASE_VIEW} s USING (shard, row) ORDER BY hash(m.shard, m.row) LIMIT $n", {"n": n}).fetchall()
    known = set(registry.label_values())
    return [evidence_record(query, shard, row, doc_id, url, text, dict(zip(labels, rest)), known)
            for shard, row, doc_id, url, text, *rest in rows]


def report_table(ctx, query, values) -> pa.Table:
    """A report's table, numbers as numbers, with shard-bootstrap intervals when the plan samples shards."""
    con = ctx.connection()
    with_text = views.needs_text(con, query.sql, values)
    if with_text:
        ctx.ensure_text()
    # The run's guard interrupts the connection already; the timeout here words the error (its limit and the
    # caller's hint), which would otherwise say neither.
    table = numeric(views.run_select(con, query.sql, values, timeout=ctx.options.timeout, where=str(query.path),
                                     timeout_hint=ctx.options.timeout_hint))
    if not ctx.exact and not with_text and len(ctx.chosen) > 1:
        table = bootstrap_intervals(con, query.sql, values, table, ctx.plan.seed)
    return table


def numeric(table: pa.Table) -> pa.Table:
    """``table`` with DuckDB's wide sums (HUGEINT/DECIMAL) as int64 or float64, so numbers leave as numbers."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            target = pa.int64() if f.type.scale == 0 else pa.float64()
            try:
                column = table.column(i).cast(target)
            except (pa.ArrowInvalid, OverflowError):
                column = table.column(i).cast(pa.float64())
            table = table.set_column(i, pa.field(f.name, column.type), column)
    return table


def bootstrap_intervals(con, sql: str, values: dict, table: pa.Table, seed: int, replicates: int = BOOTSTRAP) -> pa.Table:
    """``<col>_ci_low``/``_ci_high`` for every ``*_share`` column by a percentile shard bootstrap.

    Shards are the sampling units (clusters), so each replicate redraws the read shards with
    replacement (Davison & Hinkley 1997, §3.8). ``inspectors.core.bootstrap`` computes it from one
    aggregation per shard where it can, replicate by replicate otherwise; both give the same numbers.
    """
    from inspectors.core import bootstrap

    return bootstrap.shard_bootstrap(con, sql, values, table, seed, replicates)
