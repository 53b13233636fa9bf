"""Resolve a SOURCE string to the list of shards it names.

A SOURCE is a local file, folder or glob; an ``http(s)://`` URL; an ``hf://datasets/...`` path or
glob; or a catalogue name (``dolma:v1.7``). Folders are searched recursively for shard files.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

from inspectors.core.columns import ColumnMap
from inspectors.core.errors import BadInput
from inspectors.core.shards import Shard, shard_for
from inspectors.core.storage import is_remote, local_path


@dataclass
class Corpus:
    """A resolved SOURCE: its display name, its shards in a stable order, and column overrides."""

    name: str
    source: str
    shards: list[Shard]
    overrides: dict[str, str | None] = field(default_factory=dict)
    version: str | None = None
    revision: str | None = None

    def fingerprint(self) -> str:
        """Short hash of the shard list, for provenance."""
        import hashlib

        joined = "\n".join(s.uri for s in self.shards)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def resolve(source: str, overrides: dict[str, str | None] | None = None) -> Corpus:
    """The ``Corpus`` named by ``source``; raises ``BadInput`` if it names no readable shard."""
    overrides = {k: v for k, v in (overrides or {}).items() if v}
    if is_remote(source):
        shards = _remote_shards(source)
    elif _looks_local(source):
        shards = _local_shards(source)
    else:
        return _catalogue_corpus(source, overrides)
    return Corpus(name=_display_name(source), source=source, shards=shards, overrides=overrides)


def _looks_local(source: str) -> bool:
    path = local_path(source)
    return os.path.exists(path) or any(ch in path for ch in "*?[") or os.sep in path or "." in path


def _local_shards(source: str) -> list[Shard]:
    path = local_path(source)
    if os.path.isdir(path):
        root = path
        candidates = [
            os.path.join(d, f)
            for d, _, files in os.walk(path)
            if not _is_dolma_attributes(path, d)
            for f in files
        ]
    elif any(ch in path for ch in "*?["):
        root = os.path.dirname(path.split("*")[0]) or "."
        candidates = glob.glob(path, recursive=True)
    elif os.path.exists(path):
        root = os.path.dirname(path)
        candidates = [path]
    else:
        raise BadInput(f"{source} does not exist (give a file, folder, glob, URL or catalogue name)")
    shards = []
    for candidate in sorted(candidates):
        if os.path.isfile(candidate):
            shard = shard_for(os.path.abspath(candidate), os.path.relpath(candidate, root))
            if shard:
                shards.append(shard)
    if not shards:
        raise BadInput(f"{source} holds no Parquet or JSONL (.gz, .zst) shards")
    return shards


def _is_dolma_attributes(root: str, folder: str) -> bool:
    # Dolma keeps tagger output in attributes/ beside documents/; those files are not documents.
    parts = os.path.relpath(folder, root).split(os.sep)
    if "attributes" not in parts:
        return False
    base = os.path.join(root, *parts[: parts.index("attributes")])
    return os.path.isdir(os.path.join(base, "documents"))


def _remote_shards(source: str) -> list[Shard]:
    if source.startswith("hf://") and any(ch in source for ch in "*?["):
        import fsspec

        fs, pattern = fsspec.core.url_to_fs(source)
        uris = ["hf://" + p for p in sorted(fs.glob(pattern))]
    else:
        uris = [source]
    shards = [s for s in (shard_for(u, u.rsplit("/", 1)[-1]) for u in uris) if s]
    if not shards:
        raise BadInput(f"{source} names no Parquet or JSONL (.gz, .zst) shards")
    return shards


def _catalogue_corpus(source: str, overrides) -> Corpus:
    try:
        from inspectors.core.catalogue import load_catalogue
    except ImportError:  # the catalogue is optional for local work
        raise BadInput(f"{source} does not exist and is not a catalogue name") from None
    entry = load_catalogue().corpus(source)
    uri = entry.hf_uri()
    if not uri:
        raise BadInput(f"catalogue corpus {source!r} has no shard location we can read")
    corpus = resolve(uri, {**(entry.columns or {}), **overrides})
    corpus.name, corpus.version = entry.name, entry.version
    return corpus


def _display_name(source: str) -> str:
    trimmed = source.rstrip("/")
    return os.path.basename(trimmed.split("*")[0].rstrip("/")) or trimmed


def column_map(corpus: Corpus) -> ColumnMap:
    """Column mapping detected on the corpus's first shard, with the corpus's overrides applied."""
    from inspectors.core.shards import detect_columns

    return detect_columns(corpus.shards[0], corpus.overrides)
