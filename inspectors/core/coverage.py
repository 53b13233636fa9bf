"""Run a saved query over a corpus with a plan: profile what is needed, then count or tabulate.

A slice gives documents, bytes and tokens (matched, total, share, 95% interval), "k of K shards",
the plan, evidence documents and provenance: a finding. A report gives its table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

import inspectors
from inspectors.core import estimate, evidence, queries, registry, stratified, views
from inspectors.core.errors import BadInput, RuntimeFailure
from inspectors.core.plan import Plan
from inspectors.core.profile import profile_corpus
from inspectors.core.sources import Corpus, resolve

FINDING_KIND = "corpuscope.finding"
FINDING_VERSION = 1
MEASURES = (("documents", "1"), ("bytes", "n_bytes"), ("tokens", "n_tokens"))
EVIDENCE_DOCS = 5
BOOTSTRAP = 200
LABELS = ("language", "topic", "format", "evidence")


@dataclass
class ReportResult:
    """A report query's table with what it was run on."""

    query: queries.Query
    params: dict
    corpus: Corpus
    plan: Plan
    shards_read: int
    table: pa.Table


def needed_inspectors(query: queries.Query) -> list[str]:
    """Inspectors a query's run needs: its own, plus length and tokens for a slice's byte/token counts.

    A report that needs only ``url`` (e.g. via ``web_domain``) thus never reads ``text``.
    """
    needed = set(query.requires)
    if query.kind == "slice":
        needed |= {"length"} | ({"tokens"} if "tokens" in registry.latest() else set())
    return sorted(needed)


def prepare(query: queries.Query, corpus: Corpus, plan: Plan, workers: int | None = None, progress=None,
            engine: str = "local", address: str | None = None):
    """Profile the plan's shards with the inspectors the query needs; returns the shards read.

    Failed shards are reported as one error naming them; finished shards stay cached.
    """
    chosen = plan.choose(corpus.shards)
    report = profile_corpus(corpus, needed_inspectors(query), chosen, plan.rows_per_shard, workers, progress,
                            engine=engine, address=address)
    if report.failed:
        first = report.failed[0]
        more = f" (and {len(report.failed) - 1} more shards)" if len(report.failed) > 1 else ""
        error = BadInput if first.exit_code == 2 else RuntimeFailure
        raise error(f"{first.error}{more}")
    return chosen


def run_report(query, corpus, params, plan, workers=None, progress=None, engine="local", address=None) -> ReportResult:
    """Run a report query and return its table (per-row intervals when the plan samples shards)."""
    values = query.bind(params)
    chosen = prepare(query, corpus, plan, workers, progress, engine, address)
    with_text = views.needs_text(query.sql)
    con = views.open_documents(chosen, with_text, plan.rows_per_shard)
    table = views.run_select(con, query.sql, values)
    if not plan.is_exact(len(corpus.shards)) and not with_text and len(chosen) > 1:
        table = _bootstrap_intervals(con, query.sql, values, table, plan.seed)
    return ReportResult(query, values, corpus, plan, len(chosen), table)


def _bootstrap_intervals(con, sql: str, values: dict, table: pa.Table, seed: int, replicates: int = BOOTSTRAP) -> pa.Table:
    """Add ``<col>_ci_low``/``<col>_ci_high`` to every ``*_share`` column by a shard bootstrap.

    Shards are the sampling units (clusters), so each replicate redraws the read shards with
    replacement and re-runs the report on the redrawn documents; the 2.5th and 97.5th percentiles of
    each row's share are its interval (percentile bootstrap for cluster samples; Davison & Hinkley
    1997, §3.8). A row missing from a replicate counts as share 0 there.
    """
    shares = [n for n in table.column_names if n.endswith("_share") and pa.types.is_floating(table.schema.field(n).type)]
    keys = [n for n in table.column_names if not (pa.types.is_integer(table.schema.field(n).type)
                                                     or pa.types.is_floating(table.schema.field(n).type)
                                                     or pa.types.is_decimal(table.schema.field(n).type))]
    if not shares or not keys:
        return table
    import numpy as np

    shards = [r[0] for r in con.execute("SELECT DISTINCT shard FROM documents ORDER BY shard").fetchall()]
    rng = np.random.default_rng(seed)
    row_keys = [tuple(r[k] for k in keys) for r in table.select(keys).to_pylist()]
    draws = {name: np.zeros((replicates, len(row_keys))) for name in shares}
    index = {key: i for i, key in enumerate(row_keys)}
    con.execute("CREATE TEMP TABLE _boot (shard VARCHAR)")
    con.execute(f"CREATE OR REPLACE VIEW documents AS SELECT d.* FROM {views.BASE_VIEW} d JOIN _boot USING (shard)")
    for b in range(replicates):
        counts = np.bincount(rng.integers(0, len(shards), len(shards)), minlength=len(shards))
        con.execute("DELETE FROM _boot")
        con.executemany("INSERT INTO _boot VALUES (?)", [(s,) for s, c in zip(shards, counts) for _ in range(c)])
        result = con.execute(sql, values).fetchall()
        names = [d[0] for d in con.description]
        for row in result:
            record = dict(zip(names, row))
            i = index.get(tuple(record[k] for k in keys))
            if i is not None:
                for name in shares:
                    draws[name][b, i] = record[name] or 0.0
    con.execute(f"CREATE OR REPLACE VIEW documents AS SELECT * FROM {views.BASE_VIEW}")
    for name in shares:
        low, high = np.percentile(draws[name], [2.5, 97.5], axis=0)
        table = table.append_column(f"{name}_ci_low", pa.array(low))
        table = table.append_column(f"{name}_ci_high", pa.array(high))
    return table


def run_slice(query, corpus, params, plan, workers=None, progress=None, evidence_docs: int = EVIDENCE_DOCS,
              engine="local", address=None) -> dict:
    """Run a slice query and return its finding (see "Finding" in the README)."""
    values = query.bind(params)
    if plan.strategy == "stratified":
        return _run_stratified(query, corpus, values, plan, workers, evidence_docs, engine, address)
    chosen = prepare(query, corpus, plan, workers, progress, engine, address)
    done = views.profiled(chosen)  # read each attribute shard's metadata once
    with_text = views.needs_text(query.sql, star_reads_text=False)
    con = views.open_documents(chosen, with_text, plan.rows_per_shard, done)
    # The text view is a one-pass stream, so totals then come from a second, attributes-only view.
    base = views.open_documents(chosen, False, plan.rows_per_shard, done) if with_text else con
    totals = _per_shard(base, "SELECT * FROM documents", {}, _has_column(base, "n_tokens"))
    views.run_select(con, f"SELECT * FROM ({query.sql}) LIMIT 0", values)  # validates the user SQL alone
    names = _slice_columns(con, query, values)
    kept = ["shard", "row", "id", "url", "n_bytes"] + [c for c in ("n_tokens",) + LABELS if c in names]
    con.execute(f"CREATE TEMP TABLE matched AS SELECT {', '.join(kept)} FROM ({query.sql})", values)
    matched = _per_shard(con, "SELECT * FROM matched", {}, "n_tokens" in kept)
    shards_total = len(corpus.shards)
    # A row-limited read covers a whole shard only when the shard ended before the limit.
    whole = plan.rows_per_shard is None or all(info.complete for _, _, info in done)
    result = {}
    for unit, _ in MEASURES:
        m = [matched.get(s.uri, {}).get(unit, 0.0) for s in chosen]
        t = [totals.get(s.uri, {}).get(unit, 0.0) for s in chosen]
        if unit == "tokens" and not any(t):
            result[unit] = None
            continue
        if plan.is_exact(shards_total):
            est = estimate.full_scan(sum(m), sum(t))
        else:
            est = estimate.shard_sample(m, t, shards_total, whole_shards=whole)
        result[unit] = est.to_dict()
    return _finding(query, values, corpus, plan, chosen, result, _evidence(con, query, chosen, evidence_docs))


def _run_stratified(query, corpus, values, plan, workers, evidence_docs, engine="local", address=None) -> dict:
    """Stratified targeted scan: prefilter every document, tag a seeded sample per stratum, combine."""
    chosen = plan.choose(corpus.shards)
    case_sql = stratified.strata_sql(query.strata)
    passes = stratified.prefilter(chosen, case_sql, values, corpus.overrides, workers, engine, address)
    sizes, picked = stratified.draw(passes, plan.per_stratum or 200, plan.seed)
    keys = [cls.key() for cls in registry.resolve(needed_inspectors(query))]
    tables = [stratified.tag_sample(shard, picked[shard.uri], keys, corpus.overrides)
              for shard in chosen if picked.get(shard.uri)]
    sample = pa.concat_tables(tables, promote_options="default")
    con = views.connect()
    con.register("_sample", sample)
    con.execute("CREATE VIEW documents AS SELECT * FROM _sample")
    con.execute("SET enable_external_access = false")
    names = _slice_columns(con, query, values)
    kept = ["shard", "row", "id", "url", "n_bytes"] + [c for c in ("n_tokens",) + LABELS if c in names]
    con.execute(f"CREATE TEMP TABLE matched AS SELECT {', '.join(kept)} FROM ({query.sql})", values)
    has_tokens = "n_tokens" in sample.column_names
    rows = con.execute(
        "SELECT s.shard, s.row, s.n_bytes, " + ("coalesce(s.n_tokens, 0)" if has_tokens else "0")
        + ", m.row IS NOT NULL FROM _sample s LEFT JOIN matched m USING (shard, row)"
    ).fetchall()
    stratum_of = {}
    for p in passes:
        for row, name in zip(p["row"].tolist(), p["stratum"].tolist()):
            stratum_of[(p["shard"], row)] = name
    shard_index = {s.uri: i for i, s in enumerate(chosen)}
    by_stratum: dict[str, list] = {name: [] for name in sizes}
    for shard, row, n_bytes, n_tokens, hit in rows:
        by_stratum[stratum_of[(shard, row)]].append((shard_index[shard], float(n_bytes), float(n_tokens), bool(hit)))
    sampled_shards = len(chosen) < len(corpus.shards)
    result = {}
    for unit in ("documents", "bytes", "tokens"):
        if unit == "tokens" and not has_tokens:
            result[unit] = None
            continue
        strata = []
        for name, info in sizes.items():
            docs = by_stratum[name]
            shard_ids = [d[0] for d in docs]
            if unit == "documents":
                strata.append(estimate.StratumSample(N=info["N"], y=[float(d[3]) for d in docs], shard=shard_ids, name=name))
                continue
            x = [d[1] if unit == "bytes" else d[2] for d in docs]
            x_total = info["bytes"] if unit == "bytes" else (info["N"] * sum(x) / len(x) if x else 0.0)
            strata.append(estimate.StratumSample(N=info["N"], y=[xi * d[3] for xi, d in zip(x, docs)], x=x,
                                                 x_total=x_total, shard=shard_ids, name=name))
        est = estimate.stratified(strata, shards_total=len(corpus.shards) if sampled_shards else None,
                                  shards_read=len(chosen) if sampled_shards else None)
        result[unit] = est.to_dict()
    hits = {name: sum(d[3] for d in docs) for name, docs in by_stratum.items()}
    result["strata"] = [{"name": name, "documents": info["N"], "bytes": info["bytes"], "sampled": info["n"],
                         "matched_in_sample": hits[name]} for name, info in sizes.items()]
    scanned = sum(info["N"] for info in sizes.values())
    result["inspected_share"] = sum(info["n"] for info in sizes.values()) / scanned if scanned else 0.0
    evidence_docs_found = _evidence_from_sample(con, sample, query, evidence_docs)
    return _finding(query, values, corpus, plan, chosen, result, evidence_docs_found)


def _evidence_from_sample(con, sample: pa.Table, query, n: int) -> list[dict]:
    if n <= 0:
        return []
    labels = [c for c in LABELS if c in [d[0] for d in con.execute("DESCRIBE matched").fetchall()]]
    rows = con.execute(
        f"SELECT m.shard, m.row, m.id, m.url, s.text{''.join(', m.' + c for c in labels)} FROM matched m "
        "JOIN _sample s USING (shard, row) ORDER BY hash(m.shard, m.row) LIMIT $n", {"n": n}).fetchall()
    return [_evidence_record(query, shard, row, doc_id, url, text, dict(zip(labels, rest)))
            for shard, row, doc_id, url, text, *rest in rows]


def _evidence_record(query, shard, row, doc_id, url, text, found: dict) -> dict:
    why = "; ".join(f"{k}={v}" for k, v in found.items() if k != "evidence" and v is not None)
    if found.get("evidence"):
        why += f"; {found['evidence']}"
    return {"id": doc_id, "shard": shard, "row": row, "url": url,
            "snippet": evidence.snippet(text, query.highlight), "evidence": why or None}


def _per_shard(con, source_sql: str, values, has_tokens: bool) -> dict[str, dict[str, float]]:
    tokens = "coalesce(sum(n_tokens), 0)" if has_tokens else "0"
    rows = con.execute(
        f"SELECT shard, count(*), coalesce(sum(n_bytes), 0), {tokens} FROM ({source_sql}) GROUP BY shard",
        values,
    ).fetchall()
    return {shard: {"documents": float(n), "bytes": float(b), "tokens": float(t)} for shard, n, b, t in rows}


def _has_column(con, name: str) -> bool:
    return name in [c[0] for c in con.execute("DESCRIBE documents").fetchall()]


def _slice_columns(con, query, values) -> list[str]:
    names = [d[0] for d in con.execute(f"SELECT * FROM ({query.sql}) LIMIT 0", values).description]
    missing = [c for c in ("shard", "row", "id", "url", "n_bytes") if c not in names]
    if missing:
        raise BadInput(f"{query.path}: a slice must select rows of documents (SELECT * FROM documents WHERE …); "
                       f"its result lacks {', '.join(missing)}")
    return names


def _evidence(con, query, chosen, n: int) -> list[dict]:
    if n <= 0:
        return []
    labels = [c for c in LABELS if c in [d[0] for d in con.execute("DESCRIBE matched").fetchall()]]
    rows = con.execute(
        f"SELECT shard, row, id, url{''.join(', ' + c for c in labels)} FROM matched "
        "ORDER BY hash(shard, row) LIMIT $n", {"n": n}
    ).fetchall()
    by_uri = {s.uri: s for s in chosen}
    out = []
    for shard_uri in sorted({r[0] for r in rows}):
        picked = [r for r in rows if r[0] == shard_uri]
        texts = evidence.texts_for(by_uri[shard_uri], [r[1] for r in picked])
        for shard, row, doc_id, url, *label_values in picked:
            out.append(_evidence_record(query, shard, row, doc_id, url, texts.get(row), dict(zip(labels, label_values))))
    return out


def _finding(query, values, corpus, plan, chosen, result, evidence_docs) -> dict:
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    inspectors_used = {name: cls.identity() for name, cls in registry.latest().items()
                       if name in set(query.requires) | {"length", "tokens"}}
    finding = {
        "kind": FINDING_KIND,
        "finding_version": FINDING_VERSION,
        "query": {"name": query.name, "title": query.title, "version": query.version,
                  "sha256": query.sha256, "params": values},
        "corpus": {"name": corpus.name, "version": corpus.version, "revision": corpus.revision,
                   "source": corpus.source, "shards_fingerprint": corpus.fingerprint()},
        "plan": plan.to_dict(),
        "shards": {"read": len(chosen), "total": len(corpus.shards),
                   "read_list": [s.uri for s in chosen] if len(chosen) < len(corpus.shards) else None},
        **result,
        "evidence": evidence_docs,
        "inspectors": inspectors_used,
        "provenance": {"tool_version": inspectors.__version__, "created": created, "query_sha256": query.sha256},
    }
    return finding


def run_query(name_or_path: str, corpus: str, params: dict | None = None, plan: dict | None = None,
              workers: int | None = None) -> dict | ReportResult:
    """Library entry point: a slice's finding dict, or a report's ``ReportResult``."""
    query = queries.find(name_or_path)
    resolved = resolve(corpus) if isinstance(corpus, str) else corpus
    the_plan = Plan(**plan) if isinstance(plan, dict) else (plan or Plan())
    if query.kind == "slice":
        return run_slice(query, resolved, params or {}, the_plan, workers)
    return run_report(query, resolved, params or {}, the_plan, workers)
