"""A saved slice on a training stream: tokens seen, documents, exposures and a curve over checkpoints.

``run(query, stream_corpus, params, plan, options, curve=N)`` runs the slice through the run layer
(the stream's derived shards are profiled and cached like any attribute shard, so every saved slice
works) and, over the same matched rows, adds to the finding's ``extra``:

* ``stream``: spec, kind, config hash, seed, steps, block size, tokens per step;
* ``tokens_seen``, ``exposures`` (in ``estimates``, beside ``documents``): in the run's usual form (``matched``, ``total``,
  ``share``, ``ci95``…), the clusters being blocks of steps: a sampled plan draws blocks uniformly
  without replacement, so the cluster-ratio intervals respect the design; the total tokens of a
  stream with a fixed batch is known (steps × tokens per step) and used;
* ``unique_documents``: distinct documents matched in what was read (an up-sampled copy or a second
  epoch counts once here and again in ``exposures``); an exposure is counted once, at the occurrence
  holding its first token (``exposure_start``), so a document split across instances in different
  blocks is not counted in each;
* ``curve``: the slice's token share at N checkpoints (block ends), each from the blocks up to it,
  all from the one pass.

A ``stratified`` plan (``run_stratified``) never decodes a whole block: a token-id prefilter
stratifies every occurrence, and only the seeded sample is decoded and profiled.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from inspectors.core import estimate, views
from inspectors.core.plan import Plan
from inspectors.core.queries import Query
from inspectors.streams.base import seed_text, step_ranges
from inspectors.streams.derive import StreamCorpus

UNITS = ("tokens_seen", "exposures")
STREAM_COLUMNS = ["step", "tokens_seen", "doc_key", "exposure_key", "exposure_start", "epoch"]


def run(query: Query, sc: StreamCorpus, params: dict | None = None, plan: Plan | None = None, options=None,
        curve: int = 10, prefilter: str = "vietnamese"):
    """The slice's ``Finding`` on the stream, with the stream keys in ``extra``.

    A ``stratified`` plan runs the token-id ``prefilter`` over every occurrence of the blocks read and
    decodes and profiles only ``per_stratum`` seeded occurrences per stratum (``run_stratified``).
    """
    from inspectors.core import run as runs

    plan = plan or Plan()
    if plan.strategy == "stratified":
        return run_stratified(query, sc, params, plan, options, curve, prefilter)

    def extend(ctx, values):
        return measure(ctx, sc, plan, curve)

    finding = runs.run_slice_extended(query, sc.corpus, params, plan, options, extend)
    # Tokens seen and exposures are estimates like documents/bytes/tokens: they go with the units, so
    # they survive a reload (``Finding.from_dict``) and show wherever units are listed.
    for unit in UNITS:
        finding.estimates[unit] = finding.extra.pop(unit)
    return finding


def run_stratified(query: Query, sc: StreamCorpus, params: dict | None, plan: Plan, options=None, curve: int = 10,
                   prefilter: str = "vietnamese"):
    """A stratified exposure run: pass 1 reads token ids only, pass 2 decodes and tags the sample.

    Tokens seen and exposures are stratified estimates whose stratum totals pass 1 counted exactly;
    an exposure is counted at the occurrence holding its first token (so a document split across
    instances counts by that piece). ``curve`` points are domain estimates over the blocks up to each
    checkpoint from the same sample. Unique documents are those in the sample.
    """
    from inspectors.core import run as runs
    from inspectors.core.errors import BadInput
    from inspectors.streams import stratify
    from inspectors.streams.prefilter import PREFILTERS

    if prefilter not in PREFILTERS:
        raise BadInput(f"--prefilter {prefilter!r}: choose one of {', '.join(sorted(PREFILTERS))}")
    kwargs = {"stream": sc.stream, "clusters": {s.uri: (c.first, c.last) for s, c in zip(sc.corpus.shards, sc.clusters)}}

    def extend(ctx, values, design):
        return stratified_measure(ctx, sc, query, values, design, curve)

    return runs.run_stratified_extended(query, sc.corpus, params, plan, options,
                                        (stratify.prefilter_block, {**kwargs, "prefilter": prefilter}),
                                        (stratify.tag_block, kwargs), stratify.EXACT_UNITS, extend)


def stratified_measure(ctx, sc: StreamCorpus, query: Query, values: dict, design: dict, curve_points: int) -> dict:
    """The stream keys of a stratified finding: identity, unique documents in the sample, the curve."""
    from dataclasses import replace

    from inspectors.core import coverage, stratified
    from inspectors.core.errors import BadInput
    from inspectors.core.run import RunContext
    from inspectors.streams.stratify import EXACT_UNITS

    con = ctx.connection()
    unique, unique_all = con.execute(f"""
        SELECT count(DISTINCT s.doc_key) FILTER (WHERE m.row IS NOT NULL), count(DISTINCT s.doc_key)
        FROM {views.BASE_VIEW} s LEFT JOIN (SELECT DISTINCT shard, row FROM matched) m USING (shard, row)""").fetchone()
    index = {s.uri: i for i, s in enumerate(sc.corpus.shards)}
    sample, passes, picked = design["sample"], design["passes"], design["picked"]
    K = len(sc.clusters)
    curve, sizes_cache = [], {}
    for c in sorted({int(round(x)) for x in np.linspace(0, K - 1, max(1, min(curve_points, K)))}):
        domain = [p for p in passes if index[p["shard"]] <= c]
        point = {"step": sc.clusters[c].last, "clusters_read": len(domain), "clusters_total": c + 1, "tokens_seen": None}
        uris = [p["shard"] for p in domain]
        part = sample.filter(pa.compute.is_in(sample.column("shard"), pa.array(uris, pa.string())))
        if part.num_rows:
            dctx = RunContext(replace(sc.corpus, shards=sc.corpus.shards[: c + 1]), ctx.plan,
                              replace(ctx.options, evidence_docs=0))
            dctx.chosen = [s for s in ctx.chosen if index[s.uri] <= c]
            try:
                sizes = stratified.stratum_sizes(domain, picked, EXACT_UNITS, sizes_cache)
                result, _ = coverage.stratified_result(dctx, query, values, part, domain, sizes, EXACT_UNITS)
                point["tokens_seen"] = result["tokens_seen"]
            except BadInput as error:  # a stratum with no sampled occurrence up to this checkpoint
                point["note"] = str(error)
            finally:
                dctx.close()
        curve.append(point)
    return {"stream": sc.identity(), "unique_documents": {"matched": int(unique), "total": int(unique_all),
                                                          "scope": "in the sample"},
            "curve": curve}


def stream_rows(shards) -> pa.Table:
    """``shard, row`` and the stream columns of the given derived shards."""
    parts = []
    for shard in shards:
        table = pq.read_table(shard.uri, columns=STREAM_COLUMNS)
        parts.append(table.append_column("shard", pa.array([shard.uri] * table.num_rows, pa.string()))
                     .append_column("row", pa.array(np.arange(table.num_rows), pa.int64())))
    return pa.concat_tables(parts)


def measure(ctx, sc: StreamCorpus, plan: Plan, curve_points: int = 10) -> dict:
    """The stream keys of a finding, from the run's connection (its ``matched`` table)."""
    con = ctx.connection()
    con.register("_stream_rows", stream_rows(ctx.chosen))
    rows = con.execute(f"""
        SELECT s.shard, sum(s.tokens_seen), sum(s.exposure_start::INT),
               coalesce(sum(s.tokens_seen) FILTER (WHERE m.row IS NOT NULL), 0),
               coalesce(sum(s.exposure_start::INT) FILTER (WHERE m.row IS NOT NULL), 0)
        FROM _stream_rows s JOIN (SELECT shard, row FROM {views.BASE_VIEW}) b USING (shard, row)
        LEFT JOIN (SELECT DISTINCT shard, row FROM matched) m USING (shard, row)
        GROUP BY s.shard""").fetchall()
    per = {r[0]: r[1:] for r in rows}
    unique, unique_all = con.execute("""
        SELECT count(DISTINCT s.doc_key) FILTER (WHERE m.row IS NOT NULL), count(DISTINCT s.doc_key)
        FROM _stream_rows s LEFT JOIN (SELECT DISTINCT shard, row FROM matched) m USING (shard, row)""").fetchone()
    index = {s.uri: i for i, s in enumerate(sc.corpus.shards)}
    chosen = [(index[s.uri], per.get(s.uri, (0, 0, 0, 0))) for s in ctx.chosen]
    whole = plan.rows_per_shard is None or all(info.complete for _, _, info in ctx.done)
    K = len(sc.clusters)
    tps = sc.stream.known_tokens_per_step

    def est(col_m, col_t, upto: int | None = None, known: bool = False) -> dict | None:
        picked = [v for i, v in chosen if upto is None or i <= upto]
        m = [float(v[col_m]) for v in picked]
        t = [float(v[col_t]) for v in picked]
        if not picked or not any(t):
            return None
        shards_total = K if upto is None else upto + 1
        population = None
        if known and tps and whole:
            population = float(tps * (sc.clusters[shards_total - 1].last - sc.clusters[0].first + 1))
        if len(picked) == shards_total and whole:
            return estimate.full_scan(sum(m), sum(t)).to_dict()
        return estimate.shard_sample(m, t, shards_total, population_total=population, whole_shards=whole).to_dict()

    points = sorted({int(round(x)) for x in np.linspace(0, K - 1, max(1, min(curve_points, K)))})
    curve = []
    for c in points:
        e = est(2, 0, upto=c, known=True)
        curve.append({"step": sc.clusters[c].last, "clusters_read": sum(1 for i, _ in chosen if i <= c),
                      "clusters_total": c + 1, "tokens_seen": e})
    return {"stream": sc.identity(), "tokens_seen": est(2, 0, known=True), "exposures": est(3, 1),
            "unique_documents": {"matched": int(unique), "total": int(unique_all),
                                 "scope": "exact" if len(chosen) == K and whole else "in the clusters read"},
            "curve": curve}


def describe(finding) -> str:
    """Stream lines for a human summary (after the units): the stream, unique documents, the curve."""
    x = finding.extra
    s = x.get("stream") or {}
    lines = [f"stream: {s.get('spec')} (config {s.get('config_hash')}, seed {seed_text(s.get('seed'))}, steps "
             f"{s.get('first_step')}-{s.get('up_to_step')}, blocks of {s.get('block_steps')})"]
    if s.get("missing_steps"):
        lines.append(f"missing steps: {step_ranges(s['missing_steps'])} (no data file: not read, nothing counted for them)")
    u = x.get("unique_documents")
    if u:
        lines.append(f"unique docs  {u['matched']:>14,} of {u['total']:>14,}  ({u['scope']})")
    if x.get("curve"):
        lines.append("curve (token share by checkpoint):")
        for p in x["curve"]:
            e = p["tokens_seen"]
            if e:
                lo, hi = e["ci95"]
                lines.append(f"  step {p['step']:>9,}  {100 * e['share']:.4g}%  [{100 * lo:.4g}%, {100 * hi:.4g}%]"
                             f"  ({p['clusters_read']}/{p['clusters_total']} blocks)")
    return "\n".join(lines)
