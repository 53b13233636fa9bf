"""The one extension point for inspectors: built-ins register through it like a user's own.

An inspector maps an Arrow batch of standard document columns (``text``, ``url``, ``source``, ``id``)
to a batch of the same length and order holding its output columns. Its registered key carries its
version (``language_v1``); a changed algorithm registers ``_v2`` instead of editing ``_v1``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

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
    """Base class: set ``name``, ``version``, ``inputs``, ``output_schema`` and implement ``inspect``."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    inputs: ClassVar[tuple[str, ...]] = ("text",)
    output_schema: ClassVar[pa.Schema]

    @classmethod
    def key(cls) -> str:
        """Registered name with version, e.g. ``language_v1``."""
        return f"{cls.name}_v{cls.version}"

    @classmethod
    def variant(cls) -> str:
        """A setting that changes the output without a new version (a backend, a mode); empty if none."""
        return ""

    @classmethod
    def identity(cls) -> str:
        """What produced a cached column: ``key()`` plus ``+variant`` (``language_v1+fasttext``)."""
        variant = cls.variant()
        return f"{cls.key()}+{variant}" if variant else cls.key()

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
    _REGISTRY[key] = cls
    return cls


def registered() -> dict[str, type[Inspector]]:
    """All registered inspectors by versioned key."""
    _load_builtins()
    return dict(_REGISTRY)


def latest() -> dict[str, type[Inspector]]:
    """The newest version of each inspector, by plain name: the default profile."""
    best: dict[str, type[Inspector]] = {}
    for cls in registered().values():
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


_LOADED: set[Path] = set()


def load_module(path: str) -> None:
    """Import a user's Python file (once per process) so the inspectors it ``@register``s exist."""
    file = Path(path).resolve()
    if file in _LOADED:
        return
    if not file.is_file():
        raise BadInput(f"inspector module {path} does not exist")
    _LOADED.add(file)
    spec = importlib.util.spec_from_file_location(f"corpuscope_user_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


def _load_builtins() -> None:
    import inspectors.builtin  # noqa: F401  (registers on import)
