"""Attribute shards: the inspectors' output for one shard, cached as Parquet under the cache root.

One file per shard, keyed by the shard's URI; rows are the shard's rows in order (``row`` column), with
the shard's ``id``, ``url`` and ``source`` beside the attribute columns so that coverage queries need
not re-read the corpus. The Parquet metadata records the shard fingerprint, the column mapping, the
number of rows read and each inspector's versioned key, so stale files are recognised.
Files are written to a temporary name and renamed, so an interrupted run never leaves a half file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from inspectors.core import paths
from inspectors.core.shards import Shard

META_KEY = b"corpuscope"
KEY_COLUMNS = ("shard", "row", "id", "url", "source")


@dataclass(frozen=True)
class AttributeInfo:
    """What an attribute shard holds, from its Parquet metadata."""

    fingerprint: str
    columns: dict
    rows: int
    complete: bool
    inspectors: dict[str, str]  # plain name -> versioned key


def attribute_root() -> str:
    """The folder (local path or fsspec URI) holding attribute shards."""
    return str(paths.attributes_root())


def attribute_path(shard: Shard, root: Path | None = None) -> Path:
    """Where the attribute shard of ``shard`` lives."""
    root = Path(root) if root else paths.attributes_root()
    key = shard.cache_key()
    return root / key[:2] / f"{key}.parquet"


def read_info(path: Path) -> AttributeInfo | None:
    """Metadata of an attribute shard, or ``None`` if it is absent or unreadable."""
    try:
        meta = pq.read_schema(path).metadata or {}
        data = json.loads(meta[META_KEY])
        return AttributeInfo(
            fingerprint=data["fingerprint"],
            columns=data["columns"],
            rows=data["rows"],
            complete=data["complete"],
            inspectors=data["inspectors"],
        )
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        return None


def write(path: Path, table: pa.Table, info: AttributeInfo) -> None:
    """Atomically write ``table`` with ``info`` in its metadata to ``path``."""
    meta = dict(table.schema.metadata or {})
    meta[META_KEY] = json.dumps(info.__dict__).encode()
    table = table.replace_schema_metadata(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read_table(path: Path) -> pa.Table:
    """The whole attribute shard at ``path``."""
    return pq.read_table(path)
