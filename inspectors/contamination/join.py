"""Join contamination verdicts with lm-eval samples files: accuracy on dirty vs not-found items.

A samples file (``samples_<task>_<date>.jsonl``, from ``lm_eval --log_samples``) has one line per
item per filter with ``doc_id``, ``doc_hash``, ``metrics`` (names) and each metric's value as a
top-level key. Items join to a contamination record by ``doc_hash`` (sha256 of the doc as lm-eval
dumps it), else by task and ``doc_id``. Per task and method: the share of dirty items and the mean
metric on dirty and on not-found items, each with a 95% percentile bootstrap interval over items
(seeded), and their difference. "Not found" is not "clean": a scan finds a lower bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import inspectors
from inspectors.contamination.bench import samples_task
from inspectors.contamination.scan import METHODS
from inspectors.core.errors import BadInput

PREFERRED_METRICS = ("acc", "exact_match", "acc_norm", "em", "f1")


def load_samples(path: str | Path, metric: str | None = None, filter_name: str | None = None) -> dict:
    """``{task, metric, filter, rows: [{doc_id, doc_hash, value}]}`` from one samples file."""
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"samples file {p}: no such file")
    records = []
    with open(p, encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise BadInput(f"samples file {p}: line {n} is not JSON ({error.msg})") from error
            if not isinstance(record, dict) or "doc_id" not in record:
                raise BadInput(f"samples file {p}: line {n} has no doc_id (not an lm-eval --log_samples file)")
            records.append(record)
    if not records:
        raise BadInput(f"samples file {p}: no samples")
    filters = [r.get("filter", "none") for r in records]
    chosen_filter = filter_name or filters[0]
    if chosen_filter not in filters:
        raise BadInput(f"samples file {p}: no filter {chosen_filter!r} (filters: {', '.join(sorted(set(filters)))})")
    names = records[0].get("metrics") or [k for k in PREFERRED_METRICS if k in records[0]]
    chosen = metric or next((m for m in PREFERRED_METRICS if m in names), names[0] if names else None)
    if chosen is None or chosen not in records[0]:
        raise BadInput(f"samples file {p}: no metric {chosen!r} (metrics: {', '.join(names) or 'none'})")
    rows, seen = [], set()
    for r in records:
        if r.get("filter", "none") != chosen_filter or r["doc_id"] in seen:
            continue
        seen.add(r["doc_id"])
        value = r.get(chosen)
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)):
            raise BadInput(f"samples file {p}: metric {chosen!r} of doc {r['doc_id']} is not a number")
        rows.append({"doc_id": r["doc_id"], "doc_hash": r.get("doc_hash"), "value": float(value)})
    return {"task": samples_task(p), "path": str(p), "metric": chosen, "filter": chosen_filter, "rows": rows}


def _interval(values: np.ndarray, mask: np.ndarray, idx: np.ndarray) -> dict | None:
    if not mask.any():
        return None
    m = mask[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (values[idx] * m).sum(1) / m.sum(1)
    boot = boot[~np.isnan(boot)]
    return {"mean": float(values[mask].mean()), "low": float(np.percentile(boot, 2.5)),
            "high": float(np.percentile(boot, 97.5)), "n": int(mask.sum())}


def _share_interval(mask: np.ndarray, idx: np.ndarray) -> list[float]:
    """95% percentile bootstrap interval of the share of ``mask`` items (the same draws as the scores)."""
    boot = mask[idx].mean(1)
    return [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))]


def _difference(values, dirty, rest, idx) -> dict | None:
    if not dirty.any() or not rest.any():
        return None
    d, r = dirty[idx], rest[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (values[idx] * d).sum(1) / d.sum(1) - (values[idx] * r).sum(1) / r.sum(1)
    boot = boot[~np.isnan(boot)]
    return {"mean": float(values[dirty].mean() - values[rest].mean()),
            "low": float(np.percentile(boot, 2.5)), "high": float(np.percentile(boot, 97.5))}


def join(contamination: dict, samples: list[dict], seed: int = 0, n_boot: int = 1000) -> dict:
    """The join record: per task and method, dirty share and accuracy dirty vs not found."""
    if contamination.get("kind") != "contamination":
        raise BadInput("the contamination file is not a `corpuscope contamination --out` record")
    by_hash = {i["doc_hash"]: i for i in contamination["items"] if i.get("doc_hash")}
    by_task = {(str(i.get("task")), str(i.get("doc_id"))): i for i in contamination["items"]}
    tasks = {}
    for s in samples:
        joined = []
        for row in s["rows"]:
            item = by_hash.get(row["doc_hash"]) or by_task.get((s["task"], str(row["doc_id"])))
            if item is not None:
                joined.append((row["value"], item["verdicts"]))
        block = {"metric": s["metric"], "filter": s["filter"], "samples_file": s["path"], "n_items": len(s["rows"]),
                 "n_joined": len(joined), "methods": {}}
        if joined:
            values = np.array([v for v, _ in joined], dtype=float)
            rng = np.random.default_rng(seed)
            idx = rng.integers(0, len(values), (n_boot, len(values)))
            for m in METHODS:
                verdicts = np.array([v[m] for _, v in joined])
                dirty, rest = verdicts == "dirty", verdicts == "not found"
                block["methods"][m] = {
                    "n_dirty": int(dirty.sum()), "n_not_found": int(rest.sum()),
                    "n_too_short": int((verdicts == "too short").sum()),
                    "share_dirty": float(dirty.sum() / len(values)),
                    "share_dirty_ci95": _share_interval(dirty, idx),
                    "score_dirty": _interval(values, dirty, idx), "score_not_found": _interval(values, rest, idx),
                    "difference": _difference(values, dirty, rest, idx)}
        tasks[s["task"]] = block
    return {
        "kind": "contamination_join", "tool_version": inspectors.__version__,
        "benchmark": contamination["benchmark"], "corpus": contamination["corpus"],
        "parameters": contamination["parameters"], "methods": METHODS,
        **({"stream": contamination["stream"]} if contamination.get("stream") else {}),
        "interval": {"level": 0.95, "method": "percentile bootstrap over items", "replicates": n_boot, "seed": seed},
        "lower_bound": True,
        "honesty": contamination["honesty"] + " 'score_not_found' is over items not found dirty, not over clean items.",
        "tasks": tasks,
    }


def attach_join(results_path: str | Path, record: dict, out: str | Path) -> Path:
    """Write ``results_path`` with ``record`` as ``corpuscope.contamination`` (the latest join) and under its
    key in ``corpuscope.contamination_joins`` (joins of other benchmarks or corpora kept); other keys untouched."""
    from inspectors.evals.attach import write_json
    from inspectors.evals.contamination import store
    from inspectors.evals.results import ATTACH_KEY, load_results

    load_results(results_path)  # a readable lm-eval results file, or a one-line error naming it
    data = json.loads(Path(results_path).read_text(encoding="utf-8"))
    block = data.get(ATTACH_KEY)
    if block is None:
        block = data[ATTACH_KEY] = {}
    if not isinstance(block, dict):
        raise BadInput(f"{results_path}: its {ATTACH_KEY!r} key is not an object")
    try:
        store(block, record)
    except BadInput as error:
        raise BadInput(f"{results_path}: {error}") from None
    write_json(Path(out), data)
    return Path(out)
