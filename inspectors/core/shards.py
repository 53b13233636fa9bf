"""Shards: one file of a corpus, how to fingerprint it and how to stream its rows as Arrow batches.

Parquet is read column-projected (only the column chunks a question needs); JSONL, plain or
``.gz``/``.zst``, is decompressed and parsed as a stream, so a row-limited read stops early.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import unicodedata
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspectors.core import columns as cols
from inspectors.core.errors import BadInput, RuntimeFailure, ShardError
from inspectors.core.storage import open_binary, stat

PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
COMPRESSIONS = {".gz": "gz", ".zst": "zst", ".zstd": "zst"}
BATCH_ROWS = 1024
STREAM_BUFFER = 4 * 1024 * 1024  # bytes read at a time from a huge Parquet column chunk
HUGE_CHUNK = 64 * 1024 * 1024  # a column chunk past this is read in STREAM_BUFFER slices
# Row-limited Parquet reads fetch only the leading row groups that cover the limit (the planner
# reads this flag to count bytes the same way the reader fetches them).
ROW_GROUP_PUSHDOWN = True


@dataclass(frozen=True)
class Shard:
    """One corpus file: where it is, its display name, format and compression."""

    uri: str
    name: str
    format: str  # "parquet" | "jsonl"
    compression: str | None = None  # None | "gz" | "zst"

    def fingerprint(self) -> str:
        """Identity of this shard's bytes: URI plus size and mtime/ETag; keys the cache."""
        info = stat(self.uri)
        return f"{self.uri}|{info.get('size')}|{info.get('version')}"

    def cache_key(self) -> str:
        """Stable file-name-safe key derived from the URI."""
        digest = hashlib.sha1(self.uri.encode()).hexdigest()[:16]
        base = os.path.basename(self.uri.rstrip("/")) or "shard"
        return f"{digest}__{base}"


def shard_for(uri: str, name: str | None = None) -> Shard | None:
    """A ``Shard`` for ``uri`` if its suffix names a format we read, else ``None``."""
    lower = uri.lower()
    compression = None
    for suffix, kind in COMPRESSIONS.items():
        if lower.endswith(suffix):
            compression = kind
            lower = lower[: -len(suffix)]
            break
    if lower.endswith(PARQUET_SUFFIXES) and compression is None:
        fmt = "parquet"
    elif lower.endswith(JSONL_SUFFIXES):
        fmt = "jsonl"
    else:
        return None
    return Shard(uri=uri, name=name or os.path.basename(uri), format=fmt, compression=compression)


def detect_columns(shard: Shard, overrides: dict[str, str | None] | None = None) -> cols.ColumnMap:
    """Column mapping for ``shard``: auto-detected from its schema, then ``overrides``."""
    paths = schema_paths(shard)
    if not paths and shard.format == "jsonl":
        # An empty JSONL file has no records to detect columns from; it is a valid shard of 0 rows.
        given = {k: v for k, v in (overrides or {}).items() if v}
        return cols.ColumnMap(**{"text": "text", **given})
    mapping = cols.detect(paths, overrides)
    if mapping.text is None:
        raise BadInput(
            f"{shard.uri}: no text column found (columns: {', '.join(sorted(paths)[:20])}); "
            "name it with --text-column"
        )
    for name, path in mapping.to_dict().items():
        if path and path not in paths:
            raise BadInput(
                f"{shard.uri}: column {path!r} for {name} does not exist "
                f"(columns: {', '.join(sorted(paths)[:20])})"
            )
    return mapping


def schema_paths(shard: Shard) -> set[str]:
    """Dotted paths of the fields in ``shard`` (Parquet footer, or the first JSON records)."""
    try:
        if shard.format == "parquet":
            with open_binary(shard.uri) as handle:
                schema = pq.ParquetFile(handle).schema_arrow
            return _arrow_paths(schema)
        paths: set[str] = set()
        for _, record in zip(range(50), json_records(shard)):
            paths |= cols.flatten_paths(record)
        return paths
    except (ShardError, BadInput, RuntimeFailure):  # a network fault is not a bad shard
        raise
    except Exception as error:  # the reader's own message names the problem; we add the shard
        raise ShardError(shard.uri, f"cannot read schema: {error}") from error


def read_batches(
    shard: Shard,
    mapping: cols.ColumnMap,
    fields: tuple[str, ...] = ("id", "text", "url", "source"),
    limit: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Stream ``shard`` as batches with ``row`` (int64) and the standard ``fields`` (strings).

    Missing optional fields come back as nulls; ``id`` falls back to ``<shard name>:<row>``.
    Reading stops after ``limit`` rows. Read failures raise ``ShardError`` naming the shard.
    """
    try:
        if shard.format == "parquet":
            yield from _parquet_batches(shard, mapping, fields, limit, batch_rows)
        else:
            yield from _jsonl_batches(shard, mapping, fields, limit, batch_rows)
    except (ShardError, BadInput, RuntimeFailure):  # a network fault is not a bad shard
        raise
    except Exception as error:
        raise ShardError(shard.uri, f"cannot read: {type(error).__name__}: {error}") from error


def nfc(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with ``text`` in Unicode NFC, so decomposed (NFD) tone marks do not change a language.

    Cheap where nothing can change: an all-ASCII column is returned as it is, and a column whose
    strings are all NFC already (``unicodedata.is_normalized``, a fast check) too; only otherwise is the
    column normalised (``pyarrow.compute.utf8_normalize``).
    """
    index = batch.schema.get_field_index("text")
    if index < 0 or batch.num_rows == 0:
        return batch
    text = batch.column(index)
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return batch
    if pc.all(pc.string_is_ascii(text)).as_py() in (True, None):
        return batch
    if all(v is None or unicodedata.is_normalized("NFC", v) for v in text.to_pylist()):
        return batch
    return batch.set_column(index, batch.schema.field(index), pc.utf8_normalize(text, form="NFC"))


def _standard_batch(shard, start: int, n: int, values: dict[str, pa.Array], fields) -> pa.RecordBatch:
    arrays = {"row": _row_numbers(start, n)}
    for name in fields:
        array = values.get(name)
        if array is None:
            if name == "id":
                array = _strings([f"{shard.name}:{r}" for r in range(start, start + n)])
            else:
                array = pa.nulls(n, pa.string())
        arrays[name] = _as_string(array)
    return pa.RecordBatch.from_pydict(arrays)


def _row_numbers(start: int, n: int) -> pa.Array:
    """Rows ``start .. start + n - 1`` as int64, built from a numpy buffer: ``pa.array`` imports pandas
    on its first call (about 0.4 s per process), which a worker that only scans text never needs."""
    return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(np.arange(start, start + n, dtype=np.int64))])


def _strings(values: list) -> pa.Array:
    """``values`` (str or None) as a string array, built from buffers for the reason ``_row_numbers`` gives.

    Falls back to ``pa.array`` (its errors, its offsets overflow) for what cannot be UTF-8 encoded
    (lone surrogates from JSON) or does not fit 32-bit offsets.
    """
    try:
        encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    except (AttributeError, UnicodeEncodeError):
        return pa.array(values, pa.string())
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
    if offsets[-1] >= 2**31:
        return pa.array(values, pa.string())
    missing = np.fromiter((v is None for v in values), bool, len(values))
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    return pa.Array.from_buffers(pa.string(), len(values), [validity, pa.py_buffer(offsets.astype(np.int32)),
                                                            pa.py_buffer(b"".join(encoded))], int(missing.sum()))


def _as_string(array: pa.Array) -> pa.Array:
    if pa.types.is_string(array.type):
        return array
    if pa.types.is_large_string(array.type) or pa.types.is_integer(array.type):
        return array.cast(pa.string())  # integers: the same decimal digits as str(int)
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        try:
            return array.cast(pa.string())  # validates UTF-8
        except pa.ArrowInvalid:
            return _strings([None if v is None else v.decode("utf-8", "replace") for v in array.to_pylist()])
    return _strings([None if v is None else str(v) for v in array.to_pylist()])


def _parquet_batches(shard, mapping, fields, limit, batch_rows):
    wanted = {name: mapping.path(name) for name in fields if mapping.path(name)}
    columns = sorted(set(wanted.values()))
    start = 0
    with open_binary(shard.uri) as handle:
        reader = pq.ParquetFile(handle)
        if _huge_chunks(reader.metadata):
            # Stream column chunks in slices (``buffer_size``) instead of loading whole chunks
            # (``pre_buffer``): memory is then bounded by a batch, not by a huge row group
            # (benchmarks/bench_memory.py). Ordinary files keep one range request per chunk.
            reader = pq.ParquetFile(handle, buffer_size=STREAM_BUFFER, pre_buffer=False, metadata=reader.metadata)
        if not columns:
            columns = [reader.schema_arrow.names[0]]
        groups = row_groups_for(reader.metadata, limit)
        # one thread: pyarrow's threaded reader decodes whole column chunks at once
        for batch in reader.iter_batches(batch_size=batch_rows, columns=columns, row_groups=groups, use_threads=False):
            if limit is not None and start + batch.num_rows > limit:
                batch = batch.slice(0, limit - start)
            values = {name: _get_path(batch, path) for name, path in wanted.items()}
            yield _standard_batch(shard, start, batch.num_rows, values, fields)
            start += batch.num_rows
            if limit is not None and start >= limit:
                return


def _huge_chunks(metadata) -> bool:
    """Whether any column chunk holds more than ``HUGE_CHUNK`` bytes (compressed)."""
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for c in range(group.num_columns):
            if group.column(c).total_compressed_size > HUGE_CHUNK:
                return True
    return False


def row_groups_for(metadata, limit: int | None) -> list[int] | None:
    """The leading row groups that hold the first ``limit`` rows (``None``: all of them).

    pyarrow reads ahead across row groups, so without this a row-limited read fetches the whole file.
    """
    if limit is None:
        return None
    groups, rows = [], 0
    for index in range(metadata.num_row_groups):
        if rows >= limit:
            break
        groups.append(index)
        rows += metadata.row_group(index).num_rows
    return groups


def _get_path(batch: pa.RecordBatch, path: str) -> pa.Array:
    head, *rest = path.split(".")
    array = batch.column(batch.schema.get_field_index(head))
    for part in rest:
        array = pc.struct_field(array, part)
    return array


def _jsonl_batches(shard, mapping, fields, limit, batch_rows):
    wanted = {name: mapping.path(name).split(".") for name in fields if mapping.path(name)}
    start = 0
    buffer: dict[str, list] = {name: [] for name in wanted}
    count = 0
    for record in json_records(shard, limit):
        for name, parts in wanted.items():
            buffer[name].append(_dig(record, parts))
        count += 1
        if count == batch_rows:
            yield _standard_batch(shard, start, count, _to_arrays(buffer), fields)
            start += count
            count = 0
            buffer = {name: [] for name in wanted}
    if count or start == 0:
        yield _standard_batch(shard, start, count, _to_arrays(buffer), fields)


def _to_arrays(buffer: dict[str, list]) -> dict[str, pa.Array]:
    return {
        name: _strings([None if v is None else v if isinstance(v, str) else json.dumps(v) for v in vals])
        for name, vals in buffer.items()
    }


def _dig(record, parts):
    value = record
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def json_records(shard: Shard, limit: int | None = None) -> Iterator[dict]:
    """The JSON objects of a JSONL shard, one per non-blank line, streamed (``ShardError`` on a bad line)."""
    with open_binary(shard.uri) as raw:
        stream = _decompress(raw, shard.compression)
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="\n")
        n = 0
        for line_no, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ShardError(shard.uri, f"line {line_no} is not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise ShardError(shard.uri, f"line {line_no} is not a JSON object")
            yield record
            n += 1
            if limit is not None and n >= limit:
                return


def _decompress(raw, compression):
    if compression == "gz":
        return gzip.GzipFile(fileobj=raw)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw


def _arrow_paths(schema: pa.Schema) -> set[str]:
    out: set[str] = set()

    def walk(prefix: str, dtype: pa.DataType) -> None:
        out.add(prefix)
        if pa.types.is_struct(dtype):
            for i in range(dtype.num_fields):
                child = dtype.field(i)
                walk(f"{prefix}.{child.name}", child.type)

    for f in schema:
        walk(f.name, f.type)
    return out

