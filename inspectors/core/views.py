"""DuckDB over a profiled corpus: the ``documents`` view and a locked-down connection.

``documents`` has one row per profiled document: ``shard``, ``row``, ``id``, ``url``, ``source`` and
every attribute column. Whether a query needs ``text`` is asked of DuckDB's binder (``needs_text``);
only then is text read from the shards beside the cached attributes (same rows, same order) into a
temporary table that the query may scan any number of times.
User SQL runs with external file access disabled, the configuration locked, and only SELECT allowed.
"""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from inspectors.core import paths, store
from inspectors.core.errors import BadInput, QueryRefused
from inspectors.core.shards import Shard, read_batches
from inspectors.core.columns import ColumnMap

MEMORY_ENV = "CORPUSCOPE_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "4GB"  # DuckDB's own default is 80% of RAM; a runaway query spills or fails first
BASE_VIEW = "_attributes"


class StaleAttributes(UserWarning):
    """Cached attribute columns were made by another inspector identity than the one in force."""


class UnprofiledShards(UserWarning):
    """Some of the corpus's shards have no attribute shard yet, so the ``documents`` view leaves them out."""


def memory_limit() -> str:
    """DuckDB's ``memory_limit`` for corpuscope connections: ``$CORPUSCOPE_MEMORY_LIMIT`` or 4GB."""
    return os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_LIMIT
TEXT_TABLE = "_documents_text"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose home, extension and spill folders live under the cache root.

    Its ``memory_limit`` is ``memory_limit()``; its spill folder is its own (see below).
    """
    home = paths.home() / "duckdb"
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    # DuckDB lets user SQL read its temp folder even with external access off: one folder per
    # connection (DuckDB creates it on the first spill and removes it on close) so a query sees only
    # its own connection's spill files, never another run's.
    spill = home / "tmp" / uuid.uuid4().hex
    con = duckdb.connect(
        config={
            "home_directory": str(home),
            "extension_directory": str(home / "extensions"),
            "temp_directory": str(spill),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": 2,
            "memory_limit": memory_limit(),
        }
    )
    con.execute("SET enable_progress_bar = false")  # a console bar on stderr is not a one-line error
    return con


Profiled = list[tuple[Shard, Path, store.AttributeInfo]]


def profiled(shards: list[Shard]) -> Profiled:
    """The shards among ``shards`` that have attribute files, with their paths and metadata."""
    out = []
    for shard in shards:
        path = store.attribute_path(shard)
        info = store.read_info(path)
        if info is not None:
            out.append((shard, path, info))
    return out


def nothing_profiled(source: str, shards: int, profile_hint: str | None = None) -> BadInput:
    """The error for a corpus none of whose ``shards`` is profiled: it names the corpus and what profiles it,
    ``profile_hint`` (the caller's words: the app's button), by default the command (``profile_command``)."""
    return BadInput(f"none of the {shards:,} shard(s) of {source} is profiled yet; "
                    f"{profile_hint or profile_command(source)} first")


def profile_command(source: str) -> str:
    """What profiles ``source`` from a shell: "run `corpuscope profile SOURCE`"."""
    import shlex

    return f"run `corpuscope profile {shlex.quote(source)}`"


def check_fresh(done: Profiled) -> None:
    """``BadInput`` naming the first shard whose bytes changed since its attribute shard was written.

    A shard rewritten after profiling would otherwise be counted with its old rows, and ``text`` read
    from the new bytes would be paired with the old documents' attributes.
    """
    for shard, _, info in done:
        if shard.fingerprint() != info.fingerprint:
            raise BadInput(f"shard {shard.uri} changed since it was profiled; run `corpuscope profile` "
                           "to profile it again")


def stale_inspectors(done: Profiled) -> list[str]:
    """One line per inspector whose cached columns were made by another identity than the one in force.

    E.g. labels profiled with ``CORPUSCOPE_LANGUAGE_BACKEND=cld2`` read while the default backend is in
    force. Inspectors that are not registered in this process are not judged.
    """
    from inspectors.core import registry

    # Judged within one version (language_v1+cld2 against language_v1+<the backend in force>): a column
    # made by another version is what that version says, and `query run` re-profiles it anyway.
    known = registry.registered()
    current: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for _, _, info in done:
        for name, identity in info.inspectors.items():
            key = identity.split("+", 1)[0].split("@", 1)[0]
            if key not in known:
                continue
            if key not in current:
                try:
                    current[key] = known[key].identity()
                except Exception:  # a broken setting is reported by the path that runs the inspector
                    continue
            if identity != current[key]:
                seen.setdefault(key, set()).add(identity)
    return [f"{known[key].name}: cached columns were made by {', '.join(sorted(found))}, but {current[key]} is in "
            f"force; run `corpuscope profile` to recompute them" for key, found in sorted(seen.items())]


def open_documents(shards: list[Shard], with_text: bool = False, limit: int | None = None,
                   done: Profiled | None = None, counted_as: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the ``documents`` view over the profiled ``shards``, locked for user SQL.

    ``limit`` keeps at most that many rows per shard (a row-limited sample profiled earlier may hold
    more). ``done`` is ``profiled(shards)`` when the caller has it already (each info carries its
    schema, so no footer is read again). ``with_text`` adds ``text`` (see ``add_text``). Raises
    ``BadInput`` when none of the shards has been profiled. ``counted_as`` (``{"n_tokens":
    "tokens_neox20b"}``) shows a measure's default column with another column's values, so saved SQL that
    sums the default counts in the tokenizer the user chose (``registry.measure_renames``).
    """
    done = profiled(shards) if done is None else done
    if not done:
        raise BadInput("none of the corpus's shards is profiled yet; run `corpuscope profile SOURCE` first")
    con = connect()
    files = [str(path) for _, path, _ in done]
    row_filter = f"WHERE row < {int(limit)}" if limit is not None else ""
    if store.is_remote(files[0]):
        # DuckDB may not read fsspec paths with external access off; an Arrow dataset it can scan.
        con.register("_attribute_files", _attribute_dataset(done))
        scan = "_attribute_files"
    else:
        scan = f"read_parquet({_sql_list(files)}, union_by_name = true)"
        # Exactly the corpus's attribute files: not their cache buckets, which hold other corpora's too.
        con.execute(f"SET allowed_paths = {_sql_list(sorted(set(files)))}")
    con.execute("SET parquet_metadata_cache = true")  # one footer read per file for all of a run's statements
    con.execute(f"CREATE VIEW {BASE_VIEW} AS SELECT * FROM {scan} {row_filter}")
    counted_as = _counted_as(con, counted_as) if counted_as else None
    if counted_as:
        con.execute(f"CREATE OR REPLACE VIEW {BASE_VIEW} AS SELECT *{_replace(counted_as)} FROM {scan} {row_filter}")
    con.execute(f"CREATE VIEW documents AS SELECT * FROM {BASE_VIEW}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    if with_text:
        add_text(con, done, limit, counted_as)
    return con


def _replace(counted_as: dict[str, str] | None) -> str:
    """`` REPLACE (chosen AS default, …)`` for ``counted_as``, or nothing."""
    if not counted_as:
        return ""
    return " REPLACE (" + ", ".join(f'"{chosen}" AS "{default}"' for default, chosen in counted_as.items()) + ")"


def _counted_as(con: duckdb.DuckDBPyConnection, counted_as: dict[str, str], relation: str = BASE_VIEW) -> dict[str, str]:
    """The pairs of ``counted_as`` whose default column ``relation`` has; ``BadInput`` when it lacks the
    chosen column for one (counting the default instead would be silently wrong)."""
    present = set(columns(con, f"SELECT * FROM {relation}"))
    missing = sorted(chosen for default, chosen in counted_as.items() if default in present and chosen not in present)
    if missing:
        raise BadInput(f"the cached attributes have no {', '.join(missing)} column; profile the corpus again "
                       "with the current inspectors (`corpuscope profile SOURCE`)")
    return {default: chosen for default, chosen in counted_as.items() if default in present}


def add_text(con: duckdb.DuckDBPyConnection, done: Profiled, limit: int | None = None,
             counted_as: dict[str, str] | None = None) -> None:
    """Give ``documents`` a ``text`` column, read once from the shards beside the cached attributes.

    The rows land in a temporary table (DuckDB spills it to the cache's ``duckdb/tmp`` when it outgrows
    memory), so one query may scan ``documents`` any number of times.
    """
    if has_text(con):
        return
    reader = _text_reader(done, limit)
    con.register("_documents_stream", reader)
    con.execute(f"CREATE TEMP TABLE {TEXT_TABLE} AS SELECT * FROM _documents_stream")
    con.unregister("_documents_stream")
    counted_as = _counted_as(con, counted_as, TEXT_TABLE) if counted_as else None
    con.execute(f"CREATE OR REPLACE VIEW documents AS SELECT *{_replace(counted_as)} FROM {TEXT_TABLE}")


def has_text(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the ``documents`` view of ``con`` has a ``text`` column."""
    return "text" in columns(con, "SELECT * FROM documents")


def columns(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[str]:
    """The output column names of ``sql``, bound by DuckDB without running it."""
    return list(con.sql(f"SELECT * FROM ({sql}) LIMIT 0", params=params or None).columns)


def needs_text(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None,
               star_reads_text: bool = True) -> bool:
    """Whether ``sql`` reads ``text``, as DuckDB's binder sees it over the attributes-only view.

    True when it binds only once ``documents`` has a ``text`` column, or (unless
    ``star_reads_text=False``, as for a slice, whose engine reads only named columns) when a ``*`` it
    expands then yields ``text``. A statement that binds neither way is left to the caller's run,
    which reports the user's SQL error.
    """
    if has_text(con):
        return False
    try:
        without = columns(con, sql, params)
    except duckdb.Error:
        without = None
    # A temporary view of the same name shadows ``documents`` while the binder looks.
    con.execute(f"CREATE TEMP VIEW documents AS SELECT *, CAST(NULL AS VARCHAR) AS text FROM {BASE_VIEW}")
    try:
        with_text = columns(con, sql, params)
    except duckdb.Error:
        with_text = None
    finally:
        con.execute("DROP VIEW temp.documents")
    if without is None:
        return with_text is not None
    return star_reads_text and with_text is not None and len(with_text) > len(without)


def _attribute_dataset(done) -> "pa.dataset.Dataset":
    """Remote attribute shards as an Arrow dataset: DuckDB scans it without file access of its own."""
    import pyarrow.dataset as pads
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs = store.filesystem(done[0][1])
    files = [fs._strip_protocol(str(p)) for _, p, _ in done]
    schema = pa.unify_schemas([_schema(path, info) for _, path, info in done])
    return pads.dataset(files, schema=schema, format="parquet", filesystem=PyFileSystem(FSSpecHandler(fs)))


def _schema(path, info: store.AttributeInfo) -> pa.Schema:
    return info.schema if info.schema is not None else store.read_schema(path).remove_metadata()


def _sql_list(items: list[str]) -> str:
    # DuckDB cannot bind parameters in CREATE VIEW or SET; these strings are our own cache paths,
    # quoted by doubling single quotes.
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def _unified_schema(done) -> pa.Schema:
    fields: dict[str, pa.Field] = {}
    for _, path, info in done:
        for f in _schema(path, info):
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


def check_select(sql: str, where: str = "SQL") -> None:
    """``BadInput`` unless ``sql`` is exactly one SELECT statement (so it cannot be wrapped into more)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise BadInput(f"{where} does not parse: {str(error).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryRefused(f"{where}: give exactly one SQL statement (got {len(statements)})")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"{where}: only read-only SELECT queries are allowed (got {statement_name(statements[0])})")


def statement_name(statement) -> str:
    """The statement's kind as its author wrote it: DuckDB files INSTALL under LOAD, for one."""
    words = statement.query.split()
    first = words[0].upper() if words else ""
    if statement.type == duckdb.StatementType.LOAD and first in ("INSTALL", "FORCE"):
        return "FORCE INSTALL" if first == "FORCE" else "INSTALL"
    return statement.type.name


def open_table(table: pa.Table, counted_as: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """A locked connection whose ``documents`` view is ``table`` (a stratified scan's tagged sample)."""
    con = connect()
    con.register("_table", table)
    con.execute(f"CREATE VIEW {BASE_VIEW} AS SELECT * FROM _table")
    counted_as = _counted_as(con, counted_as) if counted_as else None
    if counted_as:
        con.execute(f"CREATE OR REPLACE VIEW {BASE_VIEW} AS SELECT *{_replace(counted_as)} FROM _table")
    con.execute(f"CREATE VIEW documents AS SELECT * FROM {BASE_VIEW}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run_select(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None,
               timeout: float | None = None, where: str | None = None, timeout_hint: str | None = None) -> pa.Table:
    """Run one read-only SELECT with bound ``params``; anything else is refused as bad input.

    ``timeout`` (seconds) interrupts the statement when it runs longer. Every DuckDB error comes back
    as a one-line ``BadInput`` (``RuntimeFailure`` for DuckDB's internal errors), led by ``where`` (the
    saved query's file) when given; ``timeout_hint`` is the caller's word on a timeout (``sql_error``).
    """
    check_select(sql, where or "SQL")
    with deadline(con, timeout):
        try:
            return fetch_table(con, sql, params)
        except duckdb.Error as error:
            raise sql_error(error, timeout, where, timeout_hint) from None


def sql_error(error: Exception, timeout: float | None = None, where: str | None = None,
              timeout_hint: str | None = None) -> Exception:
    """A DuckDB error as one line a user can act on (never a traceback, never more than the first line),
    led by ``where:`` (the saved query's file, so the user knows which SQL to fix) when given. A timeout
    says what the caller's user can do about it by ``timeout_hint`` (the CLI's "raise it with --timeout
    SECONDS"; the app, whose limit is fixed, its own), since only the caller knows how its limit is set."""
    made = _sql_error(error, timeout, timeout_hint)
    return type(made)(f"{where}: {made}") if where else made


def _sql_error(error: Exception, timeout: float | None, timeout_hint: str | None) -> Exception:
    first = (str(error).splitlines() or [type(error).__name__])[0][:300]
    if isinstance(error, duckdb.InterruptException):
        limit = f" of {timeout:g} s" if timeout else ""
        advice = f" ({timeout_hint})" if timeout_hint else ""
        return BadInput(f"query stopped: it ran past the timeout{limit}{advice}")
    if isinstance(error, duckdb.OutOfMemoryException):
        return BadInput(f"query stopped: it needs more memory than the limit of {memory_limit()} "
                        f"(set {MEMORY_ENV} to raise it): {first}")
    if isinstance(error, duckdb.PermissionException):
        return QueryRefused(f"refused: {first}; only the corpus views can be read")
    if isinstance(error, (duckdb.InternalException, duckdb.FatalException)):
        from inspectors.core.errors import RuntimeFailure

        return RuntimeFailure(f"DuckDB failed: {first}")
    return BadInput(f"SQL error: {first}")


@contextmanager
def deadline(con: duckdb.DuckDBPyConnection, timeout: float | None):
    """Interrupt what ``con`` runs once ``timeout`` seconds have passed (no limit when ``None``)."""
    if not timeout or timeout <= 0:
        yield
        return
    timer = arm(con, timeout)
    try:
        yield
    finally:
        timer.cancel()


def guard(con: duckdb.DuckDBPyConnection, timeout: float | None) -> duckdb.DuckDBPyConnection:
    """``con``, interrupted once ``timeout`` seconds have passed (a run's query phase, all statements)."""
    if timeout and timeout > 0:
        arm(con, timeout)
    return con


def arm(con: duckdb.DuckDBPyConnection, timeout: float) -> threading.Timer:
    """A started daemon timer that interrupts ``con`` after ``timeout`` seconds (``cancel()`` it when done)."""

    def fire():
        try:
            con.interrupt()
        except Exception:  # the connection was closed meanwhile
            pass

    timer = threading.Timer(timeout, fire)
    timer.daemon = True
    timer.start()
    return timer
