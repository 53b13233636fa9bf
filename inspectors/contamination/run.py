"""One contamination run: a benchmark against a corpus, on the run layer's engines, as one record."""

from __future__ import annotations

import time

import inspectors
from inspectors.contamination import cost, scan
from inspectors.contamination.bench import Bench
from inspectors.core.errors import BadInput
from inspectors.core.paths import home
from inspectors.core.run import Corpus, Plan, RunContext, RunOptions, created_now

DEFAULT_STRIDE = 13
DEFAULT_BOILERPLATE_DF = 100


def cache_dir() -> str:
    """Per-shard results live here, keyed by shard fingerprint + benchmark hash + parameters."""
    return str(home() / "contamination" / "shards")


def is_stream(source: str) -> bool:
    """Does ``source`` name a training stream (``olmo:``/``pythia:``/``amber:`` or a stream catalogue name)?"""
    from inspectors.core.run import stream_catalogue
    from inspectors.streams.spec import KINDS

    kind, _, target = source.partition(":")
    return (kind in KINDS and bool(target)) or source in stream_catalogue()


def stream_source(source: str, up_to_step: int, plan: Plan | None = None, block_steps: int | None = None,
                  **stream_options):
    """The training stream ``source`` up to ``up_to_step`` as a scannable corpus (only the plan's blocks written)."""
    from inspectors.core.run import open_stream
    from inspectors.streams import stream_corpus

    return stream_corpus(open_stream(source, **stream_options), up_to_step, block_steps, plan)


def run_contamination(bench: Bench, corpus, plan: Plan | None = None, options: RunOptions | None = None,
                      stride: int = DEFAULT_STRIDE, boilerplate_df: int = DEFAULT_BOILERPLATE_DF) -> dict:
    """Scan ``corpus`` for ``bench``'s items; the JSON-ready record (items, summary, honesty).

    ``corpus`` is a ``Corpus`` or a training stream from ``stream_source``: then each item also gets
    the first step at which the model saw a match (``first_seen_step``) and, per method, the first
    step by which it was dirty (``first_dirty_step``).
    """
    from inspectors.streams import StreamCorpus

    stream = corpus if isinstance(corpus, StreamCorpus) else None
    corpus = stream.corpus if stream else corpus
    if stride < 1:
        raise BadInput(f"--stride must be at least 1, got {stride}")
    if boilerplate_df < 1:
        raise BadInput(f"--boilerplate-df must be at least 1, got {boilerplate_df}")
    plan, options = plan or Plan(), options or RunOptions()
    started = time.perf_counter()
    index = scan.index_bench(bench)
    ctx = RunContext(corpus, plan, options)
    kwargs = {"index": scan._worker_index(index), "stride": stride, "limit": plan.rows_per_shard,
              "overrides": corpus.overrides or None, "df_cap": boilerplate_df, "cache_dir": cache_dir(),
              "steps": stream is not None}
    results = ctx.drive("contamination", scan.scan_shard, ctx.chosen, kwargs)
    order = {s.uri: i for i, s in enumerate(ctx.chosen)}
    results.sort(key=lambda r: order[r["shard"]])
    agg = scan.aggregate(bench, index, results, boilerplate_df, steps=stream is not None)
    exact = plan.is_exact(len(corpus.shards))
    n_bytes = sum(r["n_bytes"] for r in results)
    fresh = [r for r in results if not r["cached"]]
    cost.record_rate(sum(r["n_bytes"] for r in fresh), sum(r["cpu_seconds"] for r in fresh))
    record = {
        "kind": "contamination",
        "version": inspectors.__version__,
        "scan_version": scan.VERSION,
        "created": created_now(),
        "benchmark": {"path": bench.path, "kind": bench.kind, "n_items": len(bench.items), "digest": index.digest},
        "corpus": {"name": corpus.name, "source": corpus.source, "version": corpus.version,
                   "revision": corpus.revision, "shards_fingerprint": corpus.fingerprint(),
                   "shards_total": len(corpus.shards), "shards_read": len(results),
                   "read_list": [s.uri for s in ctx.chosen] if len(ctx.chosen) < len(corpus.shards) else None,
                   "plan": plan.to_dict(), "exact": exact,
                   "documents": sum(r["n_docs"] for r in results), "bytes": n_bytes,
                   "tokens": sum(r["n_tokens"] for r in results)},
        "parameters": {"n": scan.N, "stride": stride, "guaranteed_overlap_tokens": scan.N + stride - 1,
                       "boilerplate_df": boilerplate_df, "skip_budget": scan.SKIP_BUDGET,
                       "normalisation": "NFC + Unicode case folding (diacritics and tones kept); "
                                        "Unicode words; CJK, Thai, Lao, Khmer and Myanmar one character "
                                        "(with its marks) per token"},
        "methods": scan.METHODS,
        "lower_bound": True,
        "honesty": scan.HONESTY + ("" if exact else f" Read {len(results)} of {len(corpus.shards)} shards"
                                   + (f", at most {plan.rows_per_shard} rows each" if plan.rows_per_shard else "") + "."),
        "summary": scan.summary(agg["items"]),
        "boilerplate": agg["boilerplate"],
        "shards": agg["shards"],
        "timing": {"seconds": time.perf_counter() - started, "scan_seconds": sum(r["seconds"] for r in fresh),
                   "scan_cpu_seconds": sum(r["cpu_seconds"] for r in fresh),
                   "shards_cached": sum(r["cached"] for r in results)},
        "items": agg["items"],
    }
    if stream:
        record["stream"] = stream.identity()
        record["honesty"] += (f" A training stream up to step {stream.up_to_step}: text split across two "
                              "training instances is matched in each part only.")
    return record
