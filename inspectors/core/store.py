"""Attribute shards: the inspectors' output for one shard, cached as Parquet under an attribute root.

One file per shard, keyed by the shard's URI; rows are the shard's rows in order (``row`` column), with
the shard's ``id``, ``url`` and ``source`` beside the attribute columns so that coverage queries need
not re-read the corpus. The Parquet metadata records the shard fingerprint, the column mapping, the
number of rows read and each inspector's versioned key, so stale files are recognised.

The attribute root is ``$CORPUSCOPE_ATTRIBUTES`` when set (a local folder or any fsspec URI:
``s3://bucket/prefix``, ``gs://…``, ``memory://…``), else ``attributes/`` under ``CORPUSCOPE_HOME``.
A cluster writes there and DuckDB on a laptop later reads the same files.
Local paths are ``Path`` objects and remote ones URI strings; both go through the functions here.

Writes are atomic: locally (and on fsspec filesystems that can rename) to a temporary name that is then
renamed; on object stores (S3, GCS, Azure) as one upload, which only becomes visible when complete.
So an interrupted run never leaves a half file.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from inspectors.core import paths
from inspectors.core.errors import BadInput
from inspectors.core.shards import Shard
from inspectors.core.storage import is_remote

META_KEY = b"corpuscope"
KEY_COLUMNS = ("shard", "row", "id", "url", "source")
ATTRIBUTES_ENV = "CORPUSCOPE_ATTRIBUTES"

# Object stores: a single PUT is atomic (all or nothing), and there is no cheap rename.
_OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oci", "r2"}
# ``Path("s3://b/k")`` collapses to ``s3:/b/k``; recognise it so a root passed through ``Path`` survives.
_COLLAPSED = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):/(?!/)")

AttributePath = Path | str


@dataclass(frozen=True)
class AttributeInfo:
    """What an attribute shard holds, from its Parquet metadata.

    ``overrides`` are the column overrides the mapping was detected with (``None`` in files written
    before they were recorded): with the same overrides and fingerprint the mapping is reused without
    probing the source shard. ``schema`` is the file's Arrow schema, read in the same footer read.
    """

    fingerprint: str
    columns: dict
    rows: int
    complete: bool
    inspectors: dict[str, str]  # plain name -> identity (versioned key, variant, data hash)
    overrides: dict | None = None
    schema: pa.Schema | None = field(default=None, compare=False, repr=False)
    dolma: dict[str, str] | None = None  # Dolma attribute files joined as columns: name -> fingerprint

    def to_meta(self) -> dict:
        """The JSON stored in the Parquet metadata (everything but the schema)."""
        return {"fingerprint": self.fingerprint, "columns": self.columns, "rows": self.rows,
                "complete": self.complete, "inspectors": self.inspectors, "overrides": self.overrides,
                "dolma": self.dolma}

    def with_schema(self, schema: pa.Schema) -> "AttributeInfo":
        """This info with ``schema`` attached."""
        return replace(self, schema=schema)


def _normalise(root: AttributePath) -> AttributePath:
    text = str(root)
    if isinstance(root, Path) and _COLLAPSED.match(text) and not os.path.exists(text):
        scheme, rest = text.split(":/", 1)
        # ``file:``/``local:`` paths are absolute (``local:///tmp/x``); elsewhere the host comes first
        text = f"{scheme}:///{rest}" if scheme.lower() in ("file", "local") else f"{scheme}://{rest}"
    if text.startswith("file://"):
        return Path(text[len("file://"):])
    if is_remote(text):
        return text.rstrip("/")
    return Path(text)


def attribute_root() -> str:
    """The folder (local path or fsspec URI) holding attribute shards.

    ``$CORPUSCOPE_ATTRIBUTES`` if set; else ``attributes`` under ``$CORPUSCOPE_HOME`` (which may itself
    be a URI); else ``~/.cache/corpuscope/attributes``.
    """
    configured = os.environ.get(ATTRIBUTES_ENV)
    if configured:
        root = _normalise(configured)
        return str(root.expanduser().absolute()) if isinstance(root, Path) else root
    home = os.environ.get("CORPUSCOPE_HOME", "")
    if is_remote(home):
        return home.rstrip("/") + "/attributes"
    return str(paths.attributes_root())


# fsspec protocol -> the corpuscope extra that installs its filesystem.
_STORAGE_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure",
                   "abfss": "azure", "adl": "azure"}


def require_filesystem(root: AttributePath) -> None:
    """Fail once, naming ``$CORPUSCOPE_ATTRIBUTES`` and the extra to install, when ``root``'s storage
    package is missing, or naming the folder when a local ``root`` cannot be created (else every shard
    would fail with the same ImportError or OSError)."""
    if not is_remote(root):
        try:
            Path(root).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BadInput(f"attribute root {root} ({ATTRIBUTES_ENV} or CORPUSCOPE_HOME) cannot be created: "
                           f"{error.strerror or error}") from None
        return
    import fsspec

    protocol = str(root).split("://", 1)[0].lower()
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError:
        extra = _STORAGE_EXTRAS.get(protocol)
        hint = f'pip install "corpuscope[{extra}]"' if extra else f"install the fsspec filesystem for {protocol}://"
        raise BadInput(f"attribute root {root} ({ATTRIBUTES_ENV} or CORPUSCOPE_HOME) needs {protocol}:// "
                       f"support: {hint}") from None
    except ValueError:
        raise BadInput(f"attribute root {root}: fsspec knows no protocol {protocol!r}") from None


def attribute_path(shard: Shard, root: AttributePath | None = None) -> AttributePath:
    """Where the attribute shard of ``shard`` lives: a ``Path`` under a local root, else a URI."""
    root = _normalise(root if root else attribute_root())
    key = shard.cache_key()
    if isinstance(root, Path):
        return root / key[:2] / f"{key}.parquet"
    return f"{root}/{key[:2]}/{key}.parquet"


def sample_path(shard: Shard, digest: str, root: AttributePath | None = None) -> AttributePath:
    """Where a stratified scan's tagged sample of ``shard`` (rows hashed to ``digest``) is cached."""
    path = attribute_path(shard, root)
    if isinstance(path, Path):
        return path.with_name(f"{path.stem}.sample-{digest}.parquet")
    return f"{path[:-len('.parquet')]}.sample-{digest}.parquet"


def _fs(path: AttributePath):
    import fsspec

    return fsspec.core.url_to_fs(str(path))


def read_schema(path: AttributePath) -> pa.Schema:
    """The Arrow schema (with metadata) of the attribute shard at ``path``."""
    return _read(path, pq.read_schema)


def _read(path: AttributePath, reader):
    path = _normalise(path)
    if isinstance(path, Path):
        return reader(path)
    fs, inner = _fs(path)
    with fs.open(inner, "rb") as handle:
        return reader(handle)


def read_info(path: AttributePath) -> AttributeInfo | None:
    """Metadata of an attribute shard, or ``None`` if it is absent or unreadable."""
    try:
        schema = read_schema(path)
        data = json.loads((schema.metadata or {})[META_KEY])
        return AttributeInfo(
            fingerprint=data["fingerprint"],
            columns=data["columns"],
            rows=data["rows"],
            complete=data["complete"],
            inspectors=data["inspectors"],
            overrides=data.get("overrides"),
            schema=schema.remove_metadata(),
            dolma=data.get("dolma"),
        )
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        return None


def write(path: AttributePath, table: pa.Table, info: AttributeInfo) -> None:
    """Atomically write ``table`` with ``info`` in its metadata to ``path``."""
    meta = dict(table.schema.metadata or {})
    meta[META_KEY] = json.dumps(info.to_meta()).encode()
    table = table.replace_schema_metadata(meta)
    path = _normalise(path)
    if isinstance(path, Path):
        _write_local(path, table)
    else:
        _write_remote(path, table)


def _write_local(path: Path, table: pa.Table) -> None:
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


def _write_remote(uri: str, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    data = buffer.getvalue()
    fs, inner = _fs(uri)
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    if _OBJECT_STORES & set(protocols):
        fs.pipe_file(inner, data)  # one upload: the object appears whole or not at all
        return
    parent, name = inner.rsplit("/", 1) if "/" in inner else ("", inner)
    fs.makedirs(parent or "/", exist_ok=True)
    tmp = f"{parent}/.tmp-{uuid.uuid4().hex}-{name}"
    try:
        fs.pipe_file(tmp, data)
        fs.mv(tmp, inner)
    except BaseException:
        try:
            if fs.exists(tmp):
                fs.rm(tmp)
        except OSError:
            pass
        raise


def read_table(path: AttributePath) -> pa.Table:
    """The whole attribute shard at ``path``."""
    return _read(path, pq.read_table)


def filesystem(path: AttributePath):
    """The fsspec filesystem of a remote attribute path (for ``duckdb.register_filesystem``), else ``None``."""
    path = _normalise(path)
    return None if isinstance(path, Path) else _fs(path)[0]
