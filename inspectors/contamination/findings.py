"""Contamination records as ``Finding``s: one per benchmark and method, with the provenance of a coverage finding.

Each finding's query is ``contamination_<method>`` (params: benchmark, task when the benchmark has
one, method, n, stride, boilerplate_df, benchmark digest) and holds two estimates:

- ``documents``: corpus documents that share a verified, non-boilerplate n-gram with an item side
  dirty under the method, over the documents read; from a shard sample its interval is the run
  layer's cluster-aware one (``estimate.shard_sample``).
- ``items``: benchmark items dirty under the method, over the items long enough to judge, with a
  Wilson interval over items. It is a lower bound: the interval says how precisely the benchmark
  measures it, not how much a strided scan or a shard sample missed.

So the same file can be read by ``finding show``, compared across corpora and attached to a task by
``attach`` (a task-map entry ``{query: contamination_gpt3, params: {task: …}}``).
"""

from __future__ import annotations

from pathlib import Path

from inspectors.core.errors import BadInput
from inspectors.core.estimate import shard_sample, wilson_interval
from inspectors.core.findings import Finding

ITEMS_METHOD = "wilson-over-items-lower-bound"


def _documents(record: dict, method: str) -> dict:
    shards, corpus = record["shards"], record["corpus"]
    matched = [s["dirty_documents"][method] for s in shards]
    total = [s["documents"] for s in shards]
    if not sum(total):
        return None
    plan = corpus.get("plan") or {}
    est = shard_sample(matched, total, corpus["shards_total"], whole_shards=plan.get("rows_per_shard") is None)
    return est.to_dict()


def _items(record: dict, method: str) -> dict | None:
    verdicts = [r["verdicts"][method] for r in record["items"]]
    judged = [v for v in verdicts if v != "too short"]
    if not judged:
        return None
    dirty = sum(v == "dirty" for v in judged)
    lo, hi = wilson_interval(dirty, len(judged))
    n = len(judged)
    return {"matched": float(dirty), "total": float(n), "share": dirty / n, "ci95": [lo, hi],
            "matched_ci95": [lo * n, hi * n], "method": ITEMS_METHOD}


def to_findings(record: dict) -> list[Finding]:
    """One ``Finding`` per method of a ``run_contamination`` record; BadInput if ``record`` is not one."""
    if not isinstance(record, dict) or record.get("kind") != "contamination" or "shards" not in record:
        raise BadInput("not a `corpuscope contamination` record with per-shard counts (rerun the scan)")
    bench, corpus, params = record["benchmark"], record["corpus"], record["parameters"]
    tasks = sorted({str(r["task"]) for r in record["items"] if r.get("task") is not None})
    out = []
    for method, rule in record["methods"].items():
        query_params = {"benchmark": Path(bench["path"]).stem, "method": method, "n": params["n"],
                        "stride": params["stride"], "boilerplate_df": params["boilerplate_df"],
                        "benchmark_digest": bench["digest"]}
        if len(tasks) == 1:
            query_params["task"] = tasks[0]
        out.append(Finding(
            query={"name": f"contamination_{method}", "title": f"Benchmark items found under the {method} method",
                   "version": record.get("scan_version", 1), "sha256": bench["digest"], "params": query_params,
                   "rule": rule},
            corpus={"name": corpus["name"], "version": corpus.get("version"), "revision": corpus.get("revision"),
                    "source": corpus["source"], "shards_fingerprint": corpus.get("shards_fingerprint")},
            plan=corpus["plan"],
            shards={"read": corpus["shards_read"], "total": corpus["shards_total"], "read_list": corpus.get("read_list")},
            estimates={"documents": _documents(record, method), "items": _items(record, method)},
            evidence=_evidence(record, method),
            provenance={"tool_version": record["version"], "created": record["created"],
                        "benchmark": {k: bench[k] for k in ("path", "kind", "n_items", "digest")}},
            extra={"lower_bound": True, "honesty": record["honesty"]},
        ))
    return out


def _evidence(record: dict, method: str, limit: int = 5) -> list[dict]:
    """The documents holding the longest matches of the items dirty under ``method``."""
    hits = []
    for item in record["items"]:
        for side in ("question", "answer"):
            s = item[side]
            if s["verdicts"][method] == "dirty" and s["documents"]:
                doc = s["documents"][0]
                hits.append((s["longest_match"]["tokens"], item["id"], side, doc, s["text"]))
    hits.sort(key=lambda h: -h[0])
    return [{"id": doc["id"], "url": None, "shard": doc["uri"], "row": doc["row"],
             "snippet": f"item {ident} ({side}): {text}",
             "evidence": f"{tokens}-token verified match with item {ident} ({side})"}
            for tokens, ident, side, doc, text in hits[:limit]]
