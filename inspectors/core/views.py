"""DuckDB over a profiled corpus: the ``documents`` view and a locked-down connection.

``documents`` has one row per profiled document: ``shard``, ``row``, ``id``, ``url``, ``source`` and
every attribute column. When a query needs ``text``, the view streams it from the shards beside the
cached attributes (same rows, same order), so no join and no full copy of the corpus is made.
User SQL runs with external file access disabled, the configuration locked, and only SELECT allowed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from inspectors.core import paths, store
from inspectors.core.errors import BadInput
from inspectors.core.shards import Shard, read_batches
from inspectors.core.columns import ColumnMap

BASE_VIEW = "_attributes"
_TEXT_NAMED = re.compile(r"\btext\b", re.IGNORECASE)
# A star that expands to columns (SELECT *, SELECT d.*, ", *"), not count(*).
_STAR = re.compile(r"(?:\bselect\b(?:\s+distinct)?|,)\s*(?:\w+\.)?\*", re.IGNORECASE)


def needs_text(sql: str, star_reads_text: bool = True) -> bool:
    """True when ``sql`` may read the ``text`` column: it names it, or (unless told otherwise) its
    SELECT list expands ``*``. A slice's engine reads only named columns of ``SELECT * FROM
    documents WHERE …``, so for slices pass ``star_reads_text=False``."""
    return bool(_TEXT_NAMED.search(sql) or (star_reads_text and _STAR.search(sql)))


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose home and extension folders live under the cache root."""
    home = paths.home() / "duckdb"
    home.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        config={
            "home_directory": str(home),
            "extension_directory": str(home / "extensions"),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": 2,
        }
    )


def profiled(shards: list[Shard]) -> list[tuple[Shard, Path, store.AttributeInfo]]:
    """The shards among ``shards`` that have attribute files, with their paths and metadata."""
    out = []
    for shard in shards:
        path = store.attribute_path(shard)
        info = store.read_info(path)
        if info is not None:
            out.append((shard, path, info))
    return out


def open_documents(shards: list[Shard], with_text: bool, limit: int | None = None,
                   done: list | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the ``documents`` view over the profiled ``shards``, locked for user SQL.

    ``limit`` keeps at most that many rows per shard (a row-limited sample profiled earlier may hold
    more). ``done`` is ``profiled(shards)`` when the caller has it already. Raises ``BadInput`` when
    none of the shards has been profiled.
    """
    done = profiled(shards) if done is None else done
    if not done:
        raise BadInput("none of the corpus's shards is profiled yet; run `corpuscope profile SOURCE` first")
    con = connect()
    files = [str(path) for _, path, _ in done]
    row_filter = f"WHERE row < {int(limit)}" if limit is not None else ""
    if with_text:
        reader = _text_reader(done, limit)
        con.register("_documents_stream", reader)
        con.execute("CREATE VIEW documents AS SELECT * FROM _documents_stream")
    else:
        remote = store.is_remote(files[0])
        if remote:
            # DuckDB may not read fsspec paths with external access off; an Arrow dataset it can scan.
            con.register("_attribute_files", _attribute_dataset(done))
            scan = "_attribute_files"
        else:
            scan = f"read_parquet({_sql_list(files)}, union_by_name = true)"
        con.execute(f"CREATE VIEW {BASE_VIEW} AS SELECT * FROM {scan} {row_filter}")
        con.execute(f"CREATE VIEW documents AS SELECT * FROM {BASE_VIEW}")
    if not store.is_remote(files[0]):
        allowed = sorted({str(Path(f).parent) + "/" for f in files})
        con.execute(f"SET allowed_directories = {_sql_list(allowed)}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _attribute_dataset(done) -> "pa.dataset.Dataset":
    """Remote attribute shards as an Arrow dataset: DuckDB scans it without file access of its own."""
    import pyarrow.dataset as pads
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs = store.filesystem(done[0][1])
    files = [fs._strip_protocol(str(p)) for _, p, _ in done]
    schema = pa.unify_schemas([store.read_schema(p).remove_metadata() for _, p, _ in done])
    return pads.dataset(files, schema=schema, format="parquet", filesystem=PyFileSystem(FSSpecHandler(fs)))


def _sql_list(items: list[str]) -> str:
    # DuckDB cannot bind parameters in CREATE VIEW or SET; these strings are our own cache paths,
    # quoted by doubling single quotes.
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def _unified_schema(done) -> pa.Schema:
    fields: dict[str, pa.Field] = {}
    for _, path, _ in done:
        for f in store.read_schema(path):
            fields.setdefault(f.name, f)
    fields["text"] = pa.field("text", pa.string())
    return pa.schema(list(fields.values()))


def _text_reader(done, limit: int | None) -> pa.RecordBatchReader:
    schema = _unified_schema(done)
    return pa.RecordBatchReader.from_batches(schema, _text_batches(done, schema, limit))


def _text_batches(done, schema: pa.Schema, limit: int | None) -> Iterator[pa.RecordBatch]:
    for shard, path, info in done:
        rows = info.rows if limit is None else min(info.rows, limit)
        attributes = store.read_table(path).slice(0, rows)
        mapping = ColumnMap(**{k: v for k, v in info.columns.items()})
        offset = 0
        for batch in read_batches(shard, mapping, ("text",), rows):
            part = attributes.slice(offset, batch.num_rows)
            offset += batch.num_rows
            arrays = []
            for f in schema:
                if f.name == "text":
                    arrays.append(batch.column(batch.schema.get_field_index("text")))
                elif f.name in part.column_names:
                    arrays.append(part.column(f.name).combine_chunks().cast(f.type))
                else:
                    arrays.append(pa.nulls(batch.num_rows, f.type))
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def fetch_table(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pa.Table:
    """Run ``sql`` with bound ``params`` and return an Arrow table (DuckDB renamed the method in 2.0)."""
    relation = con.sql(sql, params=params or None)
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch()


def run_select(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pa.Table:
    """Run one read-only SELECT with bound ``params``; anything else is refused as bad input."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise BadInput(f"SQL does not parse: {error}") from None
    if len(statements) != 1:
        raise BadInput(f"give exactly one SQL statement (got {len(statements)})")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise BadInput(f"only read-only SELECT queries are allowed (got {statements[0].type.name})")
    try:
        return fetch_table(con, sql, params)
    except duckdb.PermissionException as error:
        raise BadInput(f"refused: {str(error).splitlines()[0]}; only the corpus views can be read") from None
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException,
            duckdb.InvalidInputException, duckdb.ConversionException) as error:
        raise BadInput(f"SQL error: {str(error).splitlines()[0]}") from None
