"""What a contamination scan would cost: text bytes from footers, core-hours at the measured rate, per TB.

The corpus side is CPU-bound (normalise, tokenise, hash), so its cost is text bytes over a per-core
rate. Text bytes come from Parquet footers (the text column's uncompressed size in the row groups
the plan reads: the UTF-8 bytes plus 4 per row and page headers, a few percent over) or a JSONL
file's size (an upper bound), scaled from the shards a sample reads to the whole corpus. The rate
is the one measured by this machine's earlier scans (kept under the cache root), else the
benchmark's multilingual figure.
"""

from __future__ import annotations

import json

from inspectors.core.paths import home

# benchmarks/RESULTS.md, issue 18 session 8 (second round): the whole scan (Parquet read, normalise,
# tokenise, hash, look up, verify) at stride 13 on the multilingual mix, each in a fresh process, measured
# 29-48 MB/s per core (median 41) on a shared machine; the low end.
BENCHMARK_RATE = 29e6
BENCHMARK_SOURCE = "benchmarks/RESULTS.md (issue 18 session 8, second round: multilingual mix, stride 13, one core)"
TB = 1e12


def _rate_path() -> str:
    return str(home() / "contamination" / "throughput.json")


def record_rate(n_bytes: int, cpu_seconds: float) -> None:
    """Add one scan's bytes and CPU seconds to this machine's measured rate (shards read, not cached)."""
    if n_bytes <= 0 or cpu_seconds <= 0:
        return
    seen = measured() or {"bytes": 0, "cpu_seconds": 0.0, "scans": 0}
    seen = {"bytes": seen["bytes"] + int(n_bytes), "cpu_seconds": seen["cpu_seconds"] + float(cpu_seconds),
            "scans": seen["scans"] + 1}
    from inspectors.contamination.scan import write_atomic

    try:
        write_atomic(_rate_path(), seen)
    except OSError:  # a read-only cache only loses the measurement
        pass


def measured() -> dict | None:
    """``{bytes, cpu_seconds, scans}`` of this machine's scans so far, or ``None``."""
    try:
        with open(_rate_path(), encoding="utf-8") as handle:
            data = json.load(handle)
        return data if data.get("cpu_seconds", 0) > 0 else None
    except (OSError, ValueError, AttributeError):
        return None


def rate() -> tuple[float, str]:
    """Bytes per CPU second per core, and where the figure comes from."""
    seen = measured()
    if seen:
        return seen["bytes"] / seen["cpu_seconds"], f"measured on this machine ({seen['scans']} scan(s))"
    return BENCHMARK_RATE, BENCHMARK_SOURCE


def _text_bytes(shard, overrides, limit) -> tuple[int, bool]:
    """Text bytes of one shard and whether the figure is exact (not an upper bound)."""
    from inspectors.core.shards import detect_columns, row_groups_for
    from inspectors.core.storage import open_binary, stat

    if shard.format != "parquet":
        return int(stat(shard.uri)["size"] or 0), False
    import pyarrow.parquet as pq

    path = detect_columns(shard, overrides).text
    with open_binary(shard.uri) as handle:
        md = pq.ParquetFile(handle).metadata
    groups = row_groups_for(md, limit)
    total = 0
    for g in range(md.num_row_groups) if groups is None else groups:
        group = md.row_group(g)
        total += sum(group.column(c).total_uncompressed_size for c in range(group.num_columns)
                     if group.column(c).path_in_schema in (path, f"{path}.list.element"))
    return total, True


def estimate(corpus, plan, workers: int = 1) -> dict:
    """The scan's text bytes (whole corpus, from the shards the plan reads), core-hours and wall hours."""
    chosen = plan.choose(corpus.shards)
    read, exact = 0, True
    for shard in chosen:
        n, shard_exact = _text_bytes(shard, corpus.overrides or None, plan.rows_per_shard)
        read += n
        exact = exact and shard_exact
    scale = len(corpus.shards) / len(chosen) if chosen else 0.0
    per_core, source = rate()
    total = read * scale if not plan.rows_per_shard else read  # a row limit reads what it reads
    core_hours = read / per_core / 3600
    return {"shards_read": len(chosen), "shards_total": len(corpus.shards), "text_bytes_read": read,
            "text_bytes_corpus": total, "exact": exact and not plan.rows_per_shard,
            "rate_bytes_per_core_second": per_core, "rate_source": source,
            "core_hours": core_hours, "wall_hours": core_hours / max(1, workers), "workers": max(1, workers),
            "core_hours_whole_corpus": total / per_core / 3600, "core_hours_per_tb": TB / per_core / 3600}
