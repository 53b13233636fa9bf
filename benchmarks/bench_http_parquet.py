"""Bytes and requests to read a wide Parquet file over loopback HTTP, by reader.

Builds a wide Parquet file from the C4 sample in ../shared/data (unique URLs, 24 columns, rows sorted
by date, several row groups), serves it from the test suite's counting range server (tests/http_server.py)
as a plain URL and through the hub stand-in, and runs two queries with each reader:

* ``url``: every row's ``url``;
* ``text where date >= D``: ``text`` and ``date`` of the row groups whose ``date`` statistics can match.

"needed" is the sum of the compressed sizes of the column chunks the query needs (from the footer);
"sent" is what the server wrote. Readers: corpuscope's ``storage.RangeFile`` (pyarrow ParquetFile,
row groups chosen from footer statistics), fsspec's HTTPFileSystem (needs aiohttp; pass
``--aiohttp-site DIR`` if it is installed only there) with ParquetFile and with pyarrow.dataset
filter pushdown, huggingface_hub's HfFileSystem likewise, and a whole-file download.

Run: ``python benchmarks/bench_http_parquet.py [--rows 20000] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from http_server import HubRepo, TestServer  # noqa: E402
from inspectors.core import storage  # noqa: E402

C4 = REPO.parent / "shared" / "data" / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz"
REPO_ID = "bench/wide"


def build(path: Path, rows: int, row_group: int) -> None:
    records = [json.loads(line) for line in gzip.open(C4, "rt", encoding="utf-8")]
    n = len(records)
    picked = [records[i % n] for i in range(rows)]
    order = sorted(range(rows), key=lambda i: (picked[i]["date"], i))
    # Each copy of a C4 document gets its own letter rotation, so copies do not compress into each other.
    import string

    low = string.ascii_lowercase

    def rotated(text: str, k: int) -> str:
        k %= 26
        return text.translate(str.maketrans(low, low[k:] + low[:k])) if k else text

    cols = {
        "id": [f"doc-{i}" for i in order],
        "url": [f"{picked[i]['url']}?copy={i // n}" for i in order],
        "date": [picked[i]["date"] for i in order],
        "source": ["c4"] * rows,
        "text": [rotated(picked[i]["text"], i // n) for i in order],
    }
    for k in range(19):  # the wide part: metadata columns a query about urls never needs
        cols[f"meta_{k:02d}"] = [float((i * (k + 7)) % 1013) for i in order] if k % 2 else \
            [f"m{k}-{(i * 31 + k) % 9973}" for i in order]
    pq.write_table(pa.table(cols), path, row_group_size=row_group, compression="zstd")


def needed_bytes(path: Path, columns: list[str], row_groups: list[int] | None) -> int:
    md = pq.ParquetFile(path).metadata
    total = 0
    for rg in row_groups if row_groups is not None else range(md.num_row_groups):
        group = md.row_group(rg)
        for c in range(group.num_columns):
            if group.column(c).path_in_schema in columns:
                total += group.column(c).total_compressed_size
    return total


def date_groups(path: Path, threshold: str) -> list[int]:
    md = pq.ParquetFile(path).metadata
    index = md.schema.to_arrow_schema().get_field_index("date")
    return [rg for rg in range(md.num_row_groups)
            if md.row_group(rg).column(index).statistics.max >= threshold]


def corpuscope_url(url: str) -> int:
    with storage.open_binary(url) as handle:
        return pq.ParquetFile(handle).read(columns=["url"]).num_rows


def corpuscope_text(url: str, threshold: str) -> int:
    with storage.open_binary(url) as handle:
        reader = pq.ParquetFile(handle)
        md = reader.metadata
        index = reader.schema_arrow.get_field_index("date")
        groups = [rg for rg in range(md.num_row_groups) if md.row_group(rg).column(index).statistics.max >= threshold]
        table = reader.read_row_groups(groups, columns=["text", "date"])
        return table.filter(pc.greater_equal(table["date"], threshold)).num_rows


def fsspec_file(fs, path: str, columns, threshold=None, **open_kwargs) -> int:
    with fs.open(path, "rb", **open_kwargs) as handle:
        table = pq.ParquetFile(handle).read(columns=columns)
    if threshold:
        table = table.filter(pc.greater_equal(table["date"], threshold))
    return table.num_rows


def fsspec_dataset(fs, path: str, columns, threshold=None) -> int:
    import pyarrow.dataset as ds
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    dataset = ds.dataset(path, filesystem=PyFileSystem(FSSpecHandler(fs)), format="parquet")
    expr = pc.field("date") >= threshold if threshold else None
    return dataset.to_table(columns=columns, filter=expr).num_rows


def whole(url: str) -> int:
    import requests

    data = requests.get(url, timeout=60).content
    return pq.read_table(pa.BufferReader(data), columns=["url"]).num_rows


def measure(server: TestServer, name: str, func, needed: int, rows_expected: int) -> dict:
    storage.reset_transfer_stats()
    server.log.reset()
    start = time.perf_counter()
    rows = func()
    seconds = time.perf_counter() - start
    assert rows == rows_expected, (name, rows, rows_expected)
    sent = server.log.bytes_sent
    return {"reader": name, "sent": sent, "needed": needed, "ratio": sent / needed,
            "requests": len(server.log.requests), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--row-group", type=int, default=10000)
    parser.add_argument("--aiohttp-site", default=None, help="Folder holding aiohttp, for fsspec's HTTP")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.aiohttp_site:
        sys.path.append(args.aiohttp_site)
    work = Path(tempfile.mkdtemp(prefix="corpuscope-bench-"))
    os.environ["CORPUSCOPE_HOME"] = str(work / "home")
    os.environ["HF_HOME"] = str(work / "hf")
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    data = work / "data"
    data.mkdir()
    path = data / "wide.parquet"
    build(path, args.rows, args.row_group)
    size = path.stat().st_size
    md = pq.ParquetFile(path).metadata
    # the threshold keeping about the last third of row groups
    index = md.schema.to_arrow_schema().get_field_index("date")
    maxima = sorted(md.row_group(rg).column(index).statistics.max for rg in range(md.num_row_groups))
    threshold = maxima[len(maxima) * 2 // 3]
    groups = date_groups(path, threshold)
    table = pq.read_table(path, columns=["date"])
    text_rows = pc.sum(pc.greater_equal(table["date"], threshold)).as_py()
    need_url = needed_bytes(path, ["url"], None)
    need_text = needed_bytes(path, ["text", "date"], groups)

    results = []
    with TestServer(data, repos=[HubRepo(REPO_ID, {"wide.parquet": path})]) as server:
        url = server.file_url("wide.parquet")
        os.environ["HF_ENDPOINT"] = server.url
        hf_uri = f"hf://datasets/{REPO_ID}/wide.parquet"
        for query, need, rows, ours in [
            ("url", need_url, md.num_rows, lambda: corpuscope_url(url)),
            ("text where date >= D", need_text, text_rows, lambda: corpuscope_text(url, threshold)),
        ]:
            results.append({"query": query, **measure(server, "corpuscope RangeFile (http)", ours, need, rows)})
            results.append({"query": query, **measure(
                server, "corpuscope RangeFile (hf:// via hub stand-in)",
                (lambda: corpuscope_url(hf_uri)) if query == "url" else (lambda: corpuscope_text(hf_uri, threshold)),
                need, rows)})
            cols = ["url"] if query == "url" else ["text", "date"]
            thr = None if query == "url" else threshold
            try:
                import fsspec

                http = fsspec.filesystem("http", skip_instance_cache=True)
                results.append({"query": query, **measure(server, "fsspec HTTPFileSystem + ParquetFile",
                                                          lambda: fsspec_file(http, url, cols, thr), need, rows)})
                results.append({"query": query, **measure(server, "fsspec HTTPFileSystem, cache_type=none + ParquetFile",
                                                          lambda: fsspec_file(http, url, cols, thr, cache_type="none"), need, rows)})
                results.append({"query": query, **measure(server, "fsspec HTTPFileSystem + pyarrow.dataset",
                                                          lambda: fsspec_dataset(http, url, cols, thr), need, rows)})
            except ImportError as error:
                print(f"skipping fsspec http: {error}", file=sys.stderr)
            from huggingface_hub import HfFileSystem

            hffs = HfFileSystem(endpoint=server.url, skip_instance_cache=True)
            hf_path = f"datasets/{REPO_ID}/wide.parquet"
            results.append({"query": query, **measure(server, "HfFileSystem + ParquetFile",
                                                      lambda: fsspec_file(hffs, hf_path, cols, thr), need, rows)})
            hffs = HfFileSystem(endpoint=server.url, skip_instance_cache=True)
            results.append({"query": query, **measure(server, "HfFileSystem, cache_type=none + ParquetFile",
                                                      lambda: fsspec_file(hffs, hf_path, cols, thr, cache_type="none"), need, rows)})
            hffs = HfFileSystem(endpoint=server.url, skip_instance_cache=True)
            results.append({"query": query, **measure(server, "HfFileSystem + pyarrow.dataset",
                                                      lambda: fsspec_dataset(hffs, hf_path, cols, thr), need, rows)})
            results.append({"query": query, **measure(server, "whole file (one GET)", lambda: whole(url),
                                                      need, md.num_rows)})
    lines = [
        f"File: {args.rows} rows, {md.num_columns} columns, {md.num_row_groups} row groups, {size:,} bytes "
        f"(zstd). Needed column chunks: url {need_url:,} B; text+date of {len(groups)} row groups {need_text:,} B.",
        "",
        "| query | reader | bytes sent | needed | sent ÷ needed | requests | seconds |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['query']} | {r['reader']} | {r['sent']:,} | {r['needed']:,} | {r['ratio']:.3f} | "
                     f"{r['requests']} | {r['seconds']:.3f} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
