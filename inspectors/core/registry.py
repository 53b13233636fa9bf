"""The one extension point for inspectors: built-ins register through it like a user's own.

An inspector maps an Arrow batch of standard document columns (``text``, ``url``, ``source``, ``id``)
to a batch of the same length and order holding its output columns. Its registered key carries its
version (``language_v1``); a changed algorithm registers ``_v2`` instead of editing ``_v1``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from inspectors.core import dolma_attributes
from inspectors.core.errors import BadInput

DOCUMENT_COLUMNS = ("id", "text", "url", "source")

# Python values of the batch being inspected, by column name. Several inspectors read the same
# batch's text in turn, and the conversion costs as much as a cheap inspector. Holding the batch keeps
# its identity from being reused while it is the key; a new batch (or ``release_values``) drops it.
_values: tuple[pa.RecordBatch, dict[str, list | None]] | None = None


def column_values(batch: pa.RecordBatch | pa.Table, name: str) -> list | None:
    """Python values of column ``name`` of ``batch`` (``None`` if absent); shared by the inspectors
    that read the same batch object one after another. Treat the list as read-only."""
    global _values
    if _values is None or _values[0] is not batch:
        _values = (batch, {})
    cache = _values[1]
    if name not in cache:
        index = batch.schema.get_field_index(name)
        cache[name] = None if index < 0 else batch.column(index).to_pylist()
    return cache[name]


def release_values() -> None:
    """Forget the cached values of the last batch (the engine calls it when a shard is done)."""
    global _values
    _values = None


class Inspector:
    """Base class: set ``name``, ``version``, ``inputs``, ``output_schema`` and implement ``inspect``.

    An inspector also describes itself, so that the rest of corpuscope never names a built-in:
    ``measures`` maps a measure it provides to its output column (``{"bytes": "n_bytes"}``; a slice's
    finding reports documents plus every registered measure), ``labels`` maps each label column to its
    closed set of values (``None`` when open, e.g. a host), ``evidence_columns`` name columns that say why
    a label was given (shown beside evidence documents), and ``data_files`` lists the files its
    output depends on; their content hash is part of ``identity()``, so a changed lexicon re-runs this
    inspector and only this one.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    inputs: ClassVar[tuple[str, ...]] = ("text",)
    output_schema: ClassVar[pa.Schema]
    measures: ClassVar[dict[str, str]] = {}
    # Other ways to count a measure, by choice (``{"tokens": {"neox20b": "tokens_neox20b", …}}``): a run
    # may pick one (``RunOptions.measures``); the column in ``measures`` is the default choice.
    measure_choices: ClassVar[dict[str, dict[str, str]]] = {}
    labels: ClassVar[dict[str, tuple[str, ...] | None]] = {}
    evidence_columns: ClassVar[tuple[str, ...]] = ()
    data_files: ClassVar[tuple[Path, ...]] = ()
    # False for a version that must be asked for by key (``--inspectors topic_v2``): it is not yet
    # measured better than the version it would replace, so it is not the default.
    default: ClassVar[bool] = True

    @classmethod
    def key(cls) -> str:
        """Registered name with version, e.g. ``language_v1``."""
        return f"{cls.name}_v{cls.version}"

    @classmethod
    def variant(cls) -> str:
        """A setting that changes the output without a new version (a backend, a mode); empty if none."""
        return ""

    @classmethod
    def data_hash(cls) -> str:
        """Short content hash of ``data_files`` (empty when there are none)."""
        if not cls.data_files:
            return ""
        stamps = []
        for f in cls.data_files:
            try:
                st = Path(f).stat()
            except OSError as error:
                raise BadInput(f"inspector {cls.key()}: data file {f} cannot be read: {error}") from None
            stamps.append((str(f), st.st_size, st.st_mtime_ns))
        return _files_hash(tuple(stamps))

    @classmethod
    def identity(cls) -> str:
        """What produced a cached column: ``key()``, ``+variant`` and ``@data hash``
        (``language_v1+fasttext``, ``topic_v1@3f2a9c1d``)."""
        variant, data = cls.variant(), cls.data_hash()
        return cls.key() + (f"+{variant}" if variant else "") + (f"@{data}" if data else "")

    @classmethod
    def describe_measure(cls, measure: str, choice: str) -> dict:
        """What counted ``measure`` under ``choice`` (a tokenizer's name and file hashes, say), recorded in
        a finding's provenance. By default: the choice and its column."""
        return {"choice": choice, "column": cls.measure_choices.get(measure, {}).get(choice, cls.measures[measure])}

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """Return one array per output column, each as long as ``batch`` and in the same order."""
        raise NotImplementedError


_REGISTRY: dict[str, type[Inspector]] = {}


def register(cls: type[Inspector]) -> type[Inspector]:
    """Class decorator that adds an inspector to the registry under its versioned key."""
    key = cls.key()
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"inspector {key!r} is registered twice; give the new one a new version")
    unknown = set(cls.inputs) - set(DOCUMENT_COLUMNS)
    if unknown:
        raise ValueError(f"inspector {key!r} asks for unknown input columns {sorted(unknown)}")
    outputs = set(cls.output_schema.names)
    reserved = sorted(c for c in outputs if c.startswith(dolma_attributes.PREFIX))
    if reserved:  # Dolma's own attribute columns are joined under that prefix
        raise ValueError(f"inspector {key!r} outputs columns with the reserved prefix "
                         f"{dolma_attributes.PREFIX}: {reserved}")
    choices = {c for options in cls.measure_choices.values() for c in options.values()}
    described = (set(cls.measures.values()) | choices | set(cls.labels) | set(cls.evidence_columns)) - outputs
    if described:
        raise ValueError(f"inspector {key!r} describes columns it does not output: {sorted(described)}")
    _REGISTRY[key] = cls
    return cls


@lru_cache(maxsize=256)
def _files_hash(stamps: tuple[tuple[str, int, int], ...]) -> str:
    # Keyed by (path, size, mtime) so a long-lived process notices an edited file; hashed by content
    # so a copy of the same data elsewhere (another machine, a wheel) has the same identity.
    digest = hashlib.sha256()
    for name, _, _ in stamps:
        path = Path(name)
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def registered() -> dict[str, type[Inspector]]:
    """All registered inspectors by versioned key."""
    _load_builtins()
    return dict(_REGISTRY)


def latest() -> dict[str, type[Inspector]]:
    """The newest default version of each inspector, by plain name: the default profile."""
    best: dict[str, type[Inspector]] = {}
    for cls in registered().values():
        if not cls.default:
            continue
        if cls.name not in best or cls.version > best[cls.name].version:
            best[cls.name] = cls
    return best


def resolve(names: list[str] | None) -> list[type[Inspector]]:
    """Inspector classes for plain or versioned names; all latest ones when ``names`` is empty."""
    if not names:
        return sorted(latest().values(), key=lambda c: c.name)
    by_key, by_name = registered(), latest()
    chosen = []
    for name in names:
        cls = by_key.get(name) or by_name.get(name)
        if cls is None:
            raise BadInput(
                f"unknown inspector {name!r}; available: {', '.join(sorted(by_key))}"
            )
        chosen.append(cls)
    return chosen


def measure_providers() -> dict[str, tuple[type[Inspector], str]]:
    """Each measure (``bytes``, ``tokens``…) with the latest inspector providing it and its column."""
    out: dict[str, tuple[type[Inspector], str]] = {}
    for name, cls in sorted(latest().items()):
        for measure, column in cls.measures.items():
            out.setdefault(measure, (cls, column))
    return out


def measure_columns(choices: dict[str, str] | None = None) -> dict[str, tuple[type[Inspector], str, str]]:
    """Each measure with its provider, the column that counts it and the choice that names the column:
    the default (``measures``) unless ``choices`` picks another (``{"tokens": "neox20b"}``); ``BadInput``
    for a measure or choice no inspector offers."""
    providers = measure_providers()
    out = {}
    for measure, (cls, column) in providers.items():
        options = cls.measure_choices.get(measure, {})
        default = next((name for name, c in options.items() if c == column), "default")
        out[measure] = (cls, column, default)
    for measure, choice in (choices or {}).items():
        if measure not in providers:
            raise BadInput(f"no inspector provides the measure {measure!r}; measures: {', '.join(sorted(providers))}")
        cls = providers[measure][0]
        options = cls.measure_choices.get(measure, {})
        if choice not in options:
            offered = ", ".join(options) or "none"
            raise BadInput(f"unknown choice {choice!r} for {measure}; {cls.key()} offers: {offered}")
        out[measure] = (cls, options[choice], choice)
    return out


def measure_renames(choices: dict[str, str] | None) -> dict[str, str]:
    """``{default column: chosen column}`` for each measure ``choices`` counts another way than its
    default (``{"n_tokens": "tokens_neox20b"}``): a report's SQL sums the default column by name."""
    if not choices:
        return {}
    defaults, chosen = measure_columns(), measure_columns(choices)
    return {defaults[m][1]: chosen[m][1] for m in chosen if chosen[m][1] != defaults[m][1]}


def label_owners() -> dict[str, tuple[str, tuple[str, ...] | None]]:
    """Every label column of the latest inspectors: the key of the inspector that writes it
    (``language_v2``) and its closed value set (``None``: open)."""
    out: dict[str, tuple[str, tuple[str, ...] | None]] = {}
    for name, cls in sorted(latest().items()):
        for column, values in cls.labels.items():
            out.setdefault(column, (cls.key(), tuple(values) if values is not None else None))
    return out


def label_values() -> dict[str, tuple[str, ...] | None]:
    """Every label column of the latest inspectors with its closed value set (``None``: open)."""
    return {column: values for column, (_, values) in label_owners().items()}


def providers_of(columns) -> list[str]:
    """Names of the latest inspectors whose outputs include any of ``columns``."""
    wanted = set(columns)
    return sorted(name for name, cls in latest().items() if wanted & set(cls.output_schema.names))


def load_module(path: str) -> None:
    """Import a user's Python file (once per process) so the inspectors it ``@register``s exist.

    An alias of ``plugins.load_module``; ``plugins.add_modules`` also hands the file to later processes.
    """
    from inspectors.core import plugins

    plugins.load_module(path)


def _load_builtins() -> None:
    """Load every inspector source not loaded yet: built-ins, entry points, $CORPUSCOPE_INSPECTOR_MODULES."""
    from inspectors.core import plugins

    plugins.load_all()
