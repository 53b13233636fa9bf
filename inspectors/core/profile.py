"""Profiling: run inspectors over shards and cache their output as attribute shards.

The unit of work is ``profile_shard`` (one shard in, one attribute shard out). It is a plain
top-level function over picklable arguments, so a process pool runs it locally and Ray runs it on a
cluster. Work is skipped when the cached attribute shard has the same fingerprint, the same column
mapping, enough rows and every requested inspector at the same version; when only some inspectors are
new or changed, only those run and their columns are merged into the cached file.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from inspectors.core import dolma_attributes, executors, registry, store
from inspectors.core.columns import ColumnMap
from inspectors.core.errors import BadInput, CorpuscopeError, RuntimeFailure
from inspectors.core.shards import Shard, detect_columns, nfc, read_batches
from inspectors.core.sources import Corpus


@dataclass
class ShardResult:
    """Outcome for one shard: ``status`` is ``profiled``, ``updated``, ``cached`` or ``failed``."""

    shard: str
    status: str
    rows: int = 0
    error: str | None = None
    exit_code: int = 0
    info: store.AttributeInfo | None = None  # the attribute shard's metadata and schema, as written or found


@dataclass
class ProfileReport:
    """Outcome of a profile run over many shards."""

    results: list[ShardResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ShardResult]:
        """Shards that could not be profiled."""
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        """How many shards ended with ``status``."""
        return sum(r.status == status for r in self.results)

    @property
    def rows(self) -> int:
        """Rows covered by the attribute shards of this run."""
        return sum(r.rows for r in self.results)


def profile_shard(
    shard: Shard,
    inspector_keys: list[str],
    overrides: dict | None = None,
    limit: int | None = None,
    root: str | None = None,
) -> ShardResult:
    """Profile one shard with the inspectors named by versioned key; never raises for shard faults."""
    try:
        classes = registry.resolve(inspector_keys)
        with shard_lock(store.attribute_path(shard, root)):
            return _profile(shard, classes, overrides or {}, limit, root)
    except CorpuscopeError as error:
        return ShardResult(shard.uri, "failed", error=str(error), exit_code=error.exit_code)
    except Exception as error:  # a bug in an inspector must fail its shard, not the run
        return ShardResult(shard.uri, "failed", error=f"shard {shard.uri}: {type(error).__name__}: {error}", exit_code=1)


@contextmanager
def shard_lock(path):
    """Hold an exclusive lock on ``<attribute shard>.lock`` (local attribute roots, POSIX).

    A second run on the same corpus waits here for the shard the first one is profiling, then finds it
    cached instead of profiling it again. The lock is ``flock``'s: the kernel drops it when its holder
    dies, so a lock left by a killed process never blocks. Remote roots and systems without ``fcntl``
    are not locked.
    """
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is None or not isinstance(path, Path):
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _profile(shard, classes, overrides, limit, root) -> ShardResult:
    path = store.attribute_path(shard, root)
    fingerprint = shard.fingerprint()
    info = store.read_info(path)
    wanted = {cls.name: cls.identity() for cls in classes}
    same_shard = info is not None and info.fingerprint == fingerprint
    # The mapping recorded with the same overrides for the same bytes is the one detection would give,
    # so a cached shard is not probed again (a network round trip per shard on a remote corpus).
    if same_shard and info.overrides == overrides:
        mapping = ColumnMap(**info.columns)
    else:
        mapping = detect_columns(shard, overrides)
    reusable = (
        same_shard
        and info.columns == mapping.to_dict()
        and (info.complete or (limit is not None and info.rows >= limit))
    )
    attached = dolma_attributes.attribute_files(shard)
    joined = dolma_attributes.stamp(attached)
    if reusable:
        todo = [cls for cls in classes if info.inspectors.get(cls.name) != cls.identity()]
        rejoin = (info.dolma or {}) != joined  # a Dolma attribute file added, removed or re-tagged
        if not todo and not rejoin and info.overrides == overrides:
            return ShardResult(shard.uri, "cached", rows=_rows_within(info, limit), info=info)
        existing = store.read_table(path)
        if todo:
            table = _run(shard, mapping, todo, info.rows, with_keys=False)
            for name in table.column_names:
                if name in existing.column_names:
                    existing = existing.drop_columns([name])
                existing = existing.append_column(name, table.column(name))
        if rejoin:
            existing = dolma_attributes.join(existing, attached)
        inspectors = {**info.inspectors, **{cls.name: cls.identity() for cls in todo}}
        new = store.AttributeInfo(fingerprint, mapping.to_dict(), info.rows, info.complete, inspectors, overrides,
                                  dolma=joined or None)
        store.write(path, existing, new)
        return ShardResult(shard.uri, "updated" if todo or rejoin else "cached", rows=_rows_within(info, limit),
                           info=new.with_schema(existing.schema.remove_metadata()))
    table = _run(shard, mapping, classes, limit, with_keys=True)
    if attached:
        table = dolma_attributes.join(table, attached)
    rows = table.num_rows
    complete = limit is None or rows < limit
    new = store.AttributeInfo(fingerprint, mapping.to_dict(), rows, complete, wanted, overrides, dolma=joined or None)
    store.write(path, table, new)
    return ShardResult(shard.uri, "profiled", rows=rows, info=new.with_schema(table.schema.remove_metadata()))


def _rows_within(info: store.AttributeInfo, limit: int | None) -> int:
    return info.rows if limit is None else min(info.rows, limit)


def _run(shard, mapping, classes, limit, with_keys: bool) -> pa.Table:
    fields = {"id", "url", "source"} if with_keys else set()
    for cls in classes:
        fields |= set(cls.inputs)
    ordered = tuple(f for f in registry.DOCUMENT_COLUMNS if f in fields)
    instances = [cls() for cls in classes]
    pieces = []
    for batch in read_batches(shard, mapping, ordered, limit):
        batch = nfc(batch)
        columns: dict[str, pa.Array] = {}
        if with_keys:
            columns["shard"] = pa.array([shard.uri] * batch.num_rows, pa.string())
            for key in ("row", "id", "url", "source"):
                columns[key] = batch.column(batch.schema.get_field_index(key))
        for inspector in instances:
            out = inspector.inspect(batch)
            for f in inspector.output_schema:
                array = out[f.name]
                if len(array) != batch.num_rows:
                    raise CorpuscopeError(
                        f"inspector {inspector.key()} returned {len(array)} rows for {batch.num_rows}"
                    )
                columns[f.name] = pa.array(array, f.type) if not isinstance(array, pa.Array) else array.cast(f.type)
        pieces.append(pa.table(columns))
    registry.release_values()
    if not pieces:  # an empty shard is valid: no rows, the same columns
        return _empty(instances, with_keys)
    return pa.concat_tables(pieces)


def _empty(instances, with_keys: bool) -> pa.Table:
    fields = [pa.field("shard", pa.string()), pa.field("row", pa.int64())] if with_keys else []
    if with_keys:
        fields += [pa.field(key, pa.string()) for key in ("id", "url", "source")]
    for inspector in instances:
        fields += list(inspector.output_schema)
    return pa.schema(fields).empty_table()


def profile_corpus(
    corpus: Corpus,
    inspector_names: list[str] | None = None,
    shards: list[Shard] | None = None,
    limit: int | None = None,
    workers: int | None = None,
    progress: Callable[[ShardResult], None] | None = None,
    engine: str = "local",
    address: str | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ProfileReport:
    """Profile ``shards`` (default: all of the corpus) on ``engine`` (``local`` pool or ``ray``).

    ``progress`` gets each ``ShardResult`` as it finishes; when ``cancel()`` turns true the shards not
    yet started are dropped and ``Cancelled`` is raised (finished shards stay cached).
    """
    classes = registry.resolve(inspector_names)
    check_settings(classes)
    keys = [cls.key() for cls in classes]
    todo = shards if shards is not None else corpus.shards
    root = store.attribute_root()
    store.require_filesystem(root)
    kwargs = dict(inspector_keys=keys, overrides=corpus.overrides, limit=limit, root=str(root))
    report = ProfileReport()
    report.results = executors.drive(executors.run(engine, profile_shard, todo, kwargs, workers, address),
                                     progress, cancel, lambda n: Cancelled.after(n, len(todo)))
    order = {s.uri: i for i, s in enumerate(todo)}
    report.results.sort(key=lambda r: order[r.shard])
    return report


def check_settings(classes) -> None:
    """``BadInput`` (exit 2), once and before any shard, when an inspector's setting is not valid
    (e.g. an unknown ``CORPUSCOPE_LANGUAGE_BACKEND``): otherwise every shard would fail with it."""
    for cls in classes:
        try:
            cls.identity()
        except CorpuscopeError:
            raise
        except (ValueError, KeyError) as error:
            raise BadInput(f"inspector {cls.key()}: {error}") from None


class Cancelled(CorpuscopeError):
    """A run stopped because its ``cancel`` callback said so; finished work stays cached."""

    @classmethod
    def after(cls, done: int, total: int) -> "Cancelled":
        """The error for a run cancelled after ``done`` of ``total`` shards."""
        return cls(f"cancelled after {done} of {total} shards; finished shards stay cached, run again to resume")


def raise_failures(report: ProfileReport) -> None:
    """One error naming the first failed shard (and how many more), as bad input or a runtime failure."""
    if report.failed:
        first = report.failed[0]
        more = f" (and {len(report.failed) - 1} more shards)" if len(report.failed) > 1 else ""
        error = BadInput if first.exit_code == 2 else RuntimeFailure
        raise error(f"{first.error}{more}")
