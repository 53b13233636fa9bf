"""Plan before you pay: which shards a run reads, the bytes it would fetch, and how long that takes.

For Parquet the bytes come from the footers alone (no data page is read): the footer the reader fetches,
plus the column chunks of the needed columns in the row groups a row limit reaches, coalesced the way
pyarrow's pre-buffering coalesces them (ranges less than 8 KiB apart merge, up to 32 MiB), minus what the
per-process footer cache already holds. JSONL is read from the start: the whole file, or with a row limit
at most the whole file (shown with ``≤``). The run's stages are modelled as the run performs them:
profiling reads ``id``/``url``/``source`` plus the inspectors' inputs for shards whose cached attributes
are missing or stale; a query whose SQL needs ``text`` then streams ``text`` beside the attributes.

Time is estimated from throughput measured on earlier transfers from the same host (remembered under the
cache root by ``storage``), else from the footer fetches of this plan.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from inspectors.core import registry, storage
from inspectors.core.errors import CorpuscopeError
from inspectors.core.plan import Plan
from inspectors.core.shards import Shard
from inspectors.core.sources import Corpus

HOLE_LIMIT = 8 * 1024  # pyarrow CacheOptions defaults
RANGE_LIMIT = 32 * 1024 * 1024
KEY_FIELDS = ("id", "url", "source")


@dataclass
class ShardCost:
    """What one shard would cost: bytes fetched and requests, per shard, with how it was worked out."""

    shard: str
    uri: str
    format: str
    size: int | None
    fetch_bytes: int = 0
    requests: int = 0
    exact: bool = True  # False: an upper bound (a row-limited JSONL read)
    row_groups: str = ""  # "read/total" for Parquet
    columns: list[str] = field(default_factory=list)
    status: str = "fetch"  # fetch | cached | local | failed ("cached": attributes up to date, local or remote)
    note: str | None = None
    exit_code: int = 0  # a failed shard: what a run failing it exits with (2 bad input, 1 network or runtime)
    local: bool = False  # a file on this machine: read in place, never fetched
    read_bytes: int = 0  # bytes read from local disk (fetch_bytes stays 0 for local files)


@dataclass
class CostPlan:
    """The plan for a run: shards, bytes, requests and a time estimate."""

    source: str
    shards_total: int
    plan: dict
    inspectors: list[str]
    stages: list[dict]
    shards: list[ShardCost]
    fetch_bytes: int
    requests: int
    shard_bytes: int
    seconds: float | None
    throughput: dict
    planning: dict
    read_bytes: int = 0  # bytes read in place from local files

    @property
    def cached(self) -> int:
        """Shards whose attributes are already cached (local or remote)."""
        return sum(c.status == "cached" for c in self.shards)

    def to_dict(self) -> dict:
        """Plain fields, for JSON."""
        return asdict(self)


def query_inspectors(query) -> list[str]:
    """Inspectors a saved query run profiles (the rule ``run.needed_inspectors`` applies)."""
    from inspectors.core.run import needed_inspectors

    return needed_inspectors(query)


def plan_cost(corpus: Corpus, plan: Plan, inspector_names: list[str] | None = None, query=None,
              workers: int | None = None) -> CostPlan:
    """The cost of profiling ``corpus`` under ``plan`` with the inspectors (or the ``query``'s)."""
    names = query_inspectors(query) if query is not None else inspector_names
    classes = registry.resolve(names)
    chosen = plan.choose(corpus.shards)
    with_text = False
    if query is not None:
        from inspectors.core.validate import text_needed

        with_text = text_needed(query)
    workers = workers or os.cpu_count() or 1
    inline = workers <= 1 or len(chosen) <= 1
    t0 = time.perf_counter()
    before = storage.transfer_stats()
    with ThreadPoolExecutor(max_workers=8) as pool:
        costs = list(pool.map(lambda s: _shard_cost(s, corpus, classes, plan.rows_per_shard, with_text, inline),
                              chosen))
    after = storage.transfer_stats()
    planning = {"seconds": time.perf_counter() - t0, "requests": after["requests"] - before["requests"],
                "bytes": after["bytes"] - before["bytes"], "transfer_seconds": after["seconds"] - before["seconds"]}
    fetch = sum(c.fetch_bytes for c in costs if not c.local)
    requests_ = sum(c.requests for c in costs if not c.local)
    throughput = _throughput(chosen, planning)
    seconds = None
    if throughput.get("bytes_per_s"):
        serial = requests_ * throughput.get("latency_s", 0.0) + fetch / throughput["bytes_per_s"]
        seconds = serial / max(1, min(workers, len(chosen)))
    stages = [{"stage": "profile", "fields": sorted(_fields(classes, True)),
               "inspectors": [c.key() for c in classes]}]
    if with_text:
        stages.append({"stage": "text view", "fields": ["text"]})
    return CostPlan(
        source=corpus.source, shards_total=len(corpus.shards), plan=plan.to_dict(),
        inspectors=[c.key() for c in classes], stages=stages, shards=costs, fetch_bytes=fetch,
        requests=requests_, shard_bytes=sum(c.size or 0 for c in costs), seconds=seconds,
        throughput=throughput, planning=planning, read_bytes=sum(c.read_bytes for c in costs),
    )


def _fields(classes, with_keys: bool) -> set[str]:
    fields = set(KEY_FIELDS) if with_keys else set()
    for cls in classes:
        fields |= set(cls.inputs)
    return fields


def _shard_cost(shard: Shard, corpus: Corpus, classes, limit, with_text: bool, inline: bool) -> ShardCost:
    from inspectors.core import store
    from inspectors.core.shards import detect_columns

    remote = storage.is_remote(shard.uri)
    cost = ShardCost(shard.name, shard.uri, shard.format, None, status="fetch" if remote else "local",
                     local=not remote)
    try:
        info = storage.stat(shard.uri)
        cost.size = info.get("size")
        fingerprint = f"{shard.uri}|{info.get('size')}|{info.get('version')}"
        before = storage.thread_transfer()
        mapping = detect_columns(shard, corpus.overrides)  # reads the footer / first records, as the run does
        probe = [a - b for a, b in zip(storage.thread_transfer(), before)]
        footer = _footer(shard) if shard.format == "parquet" else None
        cached = store.read_info(store.attribute_path(shard))
        reusable = (cached is not None and cached.fingerprint == fingerprint
                    and cached.columns == mapping.to_dict()
                    and (cached.complete or (limit is not None and cached.rows >= limit)))
        todo = [c for c in classes if not reusable or cached.inspectors.get(c.name) != c.identity()]
        stages = []
        if todo:
            ordered = [f for f in registry.DOCUMENT_COLUMNS if f in _fields(todo, not reusable)]
            rows = limit if not reusable else cached.rows
            stages.append((ordered, rows))
        else:  # local or remote: nothing to profile, the run reuses the attributes
            cost.status = "cached"
        if with_text:
            rows = limit if not reusable else (cached.rows if limit is None else min(cached.rows, limit))
            stages.append((["text"], rows))
        cost.requests = 1  # the HEAD behind the fingerprint
        if shard.format == "parquet":
            _parquet_cost(cost, footer, mapping, stages, inline)
        else:
            # the run probes the first records for the column mapping, as this plan just did
            cost.fetch_bytes += probe[0]
            cost.requests += probe[1]
            _jsonl_cost(cost, stages)
    except CorpuscopeError as error:
        cost.status, cost.note, cost.exit_code = "failed", str(error), error.exit_code
    except Exception as error:  # a corrupt footer fails its shard's plan, not the plan
        cost.status, cost.note, cost.exit_code = "failed", f"shard {shard.uri}: {type(error).__name__}: {error}", 2
    if not remote and cost.status != "failed":
        # read in place: what the run reads from disk is not a fetch, so the shard row and the total agree
        cost.requests, cost.read_bytes, cost.fetch_bytes = 0, cost.fetch_bytes, 0
    return cost


def _footer(shard: Shard):
    import pyarrow.parquet as pq

    with storage.open_binary(shard.uri) as handle:
        return pq.ParquetFile(handle).metadata


def _chunk_range(column) -> tuple[int, int]:
    start = column.data_page_offset
    if column.has_dictionary_page and column.dictionary_page_offset and column.dictionary_page_offset < start:
        start = column.dictionary_page_offset
    return start, start + column.total_compressed_size


def _parquet_cost(cost: ShardCost, md, mapping, stages, inline: bool) -> None:
    size = cost.size or 0
    tail = max(min(size, storage.FOOTER_READ), md.serialized_size + 8)
    tail_start = size - tail
    footer_requests = 1 if tail <= storage.FOOTER_READ else 2
    cost.fetch_bytes += tail
    cost.requests += footer_requests
    read_groups = 0
    columns: set[str] = set()
    for index, (fields, rows) in enumerate(stages):
        if index > 0 and not inline:  # another process: its own HEAD and footer
            cost.fetch_bytes += tail
            cost.requests += 1 + footer_requests
        paths = sorted({mapping.path(f) for f in fields if mapping.path(f)})
        groups = _groups_for(md, rows)
        read_groups = max(read_groups, len(groups))
        ranges = []
        for rg in groups:
            group = md.row_group(rg)
            for c in range(group.num_columns):
                column = group.column(c)
                name = column.path_in_schema
                if not paths and c == 0 or any(name == p or name.startswith(p + ".") for p in paths):
                    ranges.append(_chunk_range(column))
                    columns.add(name)
        for start, end in _coalesce(ranges):
            if start >= tail_start:
                continue  # served from the footer already in memory
            cost.fetch_bytes += min(end, tail_start) - start  # the part in the footer is held already
            cost.requests += 1
    cost.row_groups = f"{read_groups}/{md.num_row_groups}"
    cost.columns = sorted(columns)


def _groups_for(md, rows: int | None) -> list[int]:
    """Row groups a read of ``rows`` rows touches: the same ones the shard reader fetches."""
    from inspectors.core import shards

    groups = shards.row_groups_for(md, rows) if shards.ROW_GROUP_PUSHDOWN else None
    return list(range(md.num_row_groups)) if groups is None else groups


def _coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(ranges):
        if out and start - out[-1][1] <= HOLE_LIMIT and max(end, out[-1][1]) - out[-1][0] <= RANGE_LIMIT:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def _jsonl_cost(cost: ShardCost, stages) -> None:
    size = cost.size or 0
    for index, (_, rows) in enumerate(stages):
        if index > 0:
            cost.requests += 1
        cost.fetch_bytes += size
        cost.requests += _stream_requests(size)
        if rows is not None:
            cost.exact = False
    cost.columns = ["(whole records)"] if stages else []


def _stream_requests(size: int) -> int:
    chunk, done, n = storage.STREAM_FIRST, 0, 0
    while done < size:
        done += chunk
        n += 1
        chunk = min(storage.STREAM_MAX, chunk * 2)
    return n


def _throughput(shards: list[Shard], planning: dict) -> dict:
    hosts = {urlsplit(_data_host(s.uri)).netloc for s in shards if storage.is_remote(s.uri)}
    for host in sorted(hosts):
        record = storage.measured_throughput(host)
        if record and record.get("bytes_per_s"):
            return {"host": host, "source": f"measured on {record.get('samples', 0)} earlier transfers", **record}
    if planning["requests"] and planning["transfer_seconds"] > 0:
        latency = planning["transfer_seconds"] / planning["requests"]
        rate = max(planning["bytes"], 1) / planning["transfer_seconds"]
        return {"host": ", ".join(sorted(hosts)), "source": f"measured on this plan's {planning['requests']} metadata "
                "requests (a lower bound on throughput)", "bytes_per_s": rate, "latency_s": latency}
    if hosts:
        return {"host": ", ".join(sorted(hosts)), "source": "no measurement yet"}
    return {"host": "local", "source": "local files: no transfer"}


def _data_host(uri: str) -> str:
    try:
        return storage.remote_info(uri).url
    except CorpuscopeError:
        return uri
