"""Dolma's own attribute files as columns of ``documents``: ``dolma_<name>_<key>``.

A Dolma release keeps its taggers' output beside the documents: for ``…/documents/<path>`` the file
``…/attributes/<name>/<path>`` (same shard-relative path) holds one JSON line per document,
``{"id": …, "attributes": {"<name>__<tagger>__<key>": [[start, end, score], …] | number}}`` (a nested
object, ``{"pii": {"email": […]}}``, counts as the key ``pii__email``).
When a shard is profiled, each such file is streamed like a shard (``shards.json_records``) and joined
to the shard's documents by ``id`` (the k-th document with an id takes the k-th attribute line with
it, so repeated ids stay paired in order); its values land in the attribute shard as columns:

* ``dolma_<name>_<key>`` (DOUBLE): a number as it is (``true``/``false`` as 1/0); for a list of spans,
  the highest span score (a document-level tagger writes one span over the whole document, so this is
  its score); NULL when the document has no such key, no span, or no attribute line.
* ``dolma_<name>_<key>_spans`` (BIGINT), for keys whose values are span lists: how many spans the
  document has (0 for an empty list).

``<key>`` is the attribute key without its leading ``<name>__`` (Dolma's experiment prefix), so
``sample__random_number_v1__random`` in ``attributes/sample/`` gives ``dolma_sample_random_number_v1__random``;
a key equal to ``<name>`` gives ``dolma_<name>``; characters other than letters, digits and ``_``
become ``_``. The files' fingerprints are recorded in the attribute shard, so a re-tagged file is
joined again on the next profile. Local folders and ``hf://`` repositories are searched for attribute
files (the hub lists ``attributes/`` once per process); plain HTTP has no listing, so an ``http(s)://``
shard has none.
"""

from __future__ import annotations

import functools
import json
import os
import re

import pyarrow as pa

from inspectors.core.errors import ShardError
from inspectors.core.shards import Shard, json_records, shard_for
from inspectors.core.sources import hf_errors
from inspectors.core.storage import hf_endpoint, is_remote, local_path, parse_hf

PREFIX = "dolma_"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def attribute_files(shard: Shard) -> dict[str, Shard]:
    """``{name: attribute shard}`` for each ``attributes/<name>/<path>`` beside ``shard``'s
    ``documents/<path>`` (the innermost ``documents`` folder of its path); empty when there is none."""
    if shard.uri.startswith("hf://"):
        return _hf_attribute_files(shard)
    if is_remote(shard.uri):
        return {}
    split = split_documents_path(os.path.abspath(local_path(shard.uri)).replace(os.sep, "/"))
    if split is None:
        return {}
    base, relative = split
    folder = os.path.join(base or os.sep, "attributes")
    if not os.path.isdir(folder):
        return {}
    found = {}
    for name in sorted(os.listdir(folder)):
        candidate = os.path.join(folder, name, relative)
        if os.path.isfile(candidate):
            attribute = shard_for(candidate, f"attributes/{name}/{relative}")
            if attribute is not None:
                found[name] = attribute
    return found


def split_documents_path(path: str) -> tuple[str, str] | None:
    """``(base, relative)`` of a ``/``-separated ``…/documents/<relative>`` path (the innermost
    ``documents`` folder), or ``None`` when no folder of the path is called ``documents``."""
    parts = path.split("/")
    if "documents" not in parts[:-1]:
        return None
    at = max(i for i, part in enumerate(parts[:-1]) if part == "documents")
    return "/".join(parts[:at]), "/".join(parts[at + 1:])


def _hf_attribute_files(shard: Shard) -> dict[str, Shard]:
    hf = parse_hf(shard.uri)
    split = split_documents_path(hf.path)
    if split is None:
        return {}
    base, relative = split
    folder = f"{base}/attributes" if base else "attributes"
    listed = _hf_listing(hf_endpoint(), hf.root, folder)
    found = {}
    for name in sorted({p.split("/", 1)[0] for p in listed if "/" in p}):
        if f"{name}/{relative}" in listed:
            attribute = shard_for(f"{hf.root}/{folder}/{name}/{relative}", f"attributes/{name}/{relative}")
            if attribute is not None:
                found[name] = attribute
    return found


@functools.lru_cache(maxsize=64)
def _hf_listing(endpoint: str, root: str, folder: str) -> frozenset[str]:
    """Every file under ``root/folder`` of a hub repository, relative to ``folder`` (empty: no folder)."""
    from huggingface_hub import HfFileSystem

    inner = f"{root[len('hf://'):]}/{folder}"
    with hf_errors(f"{root}/{folder}"):
        fs = HfFileSystem(endpoint=endpoint)
        if not fs.isdir(inner):
            return frozenset()
        return frozenset(p[len(inner) + 1:] for p in fs.find(inner))


def stamp(files: dict[str, Shard]) -> dict[str, str]:
    """``{name: fingerprint}`` of the attribute files: what the columns were joined from."""
    return {name: shard.fingerprint() for name, shard in sorted(files.items())}


def column_name(name: str, key: str) -> str:
    """The column of attribute ``key`` from ``attributes/<name>/`` (see the module doc)."""
    short = key[len(name) + 2:] if key.startswith(name + "__") else key
    parts = [name] if short == name else [name, short]
    return PREFIX + "_".join(_UNSAFE.sub("_", p) for p in parts)


def join(table: pa.Table, files: dict[str, Shard]) -> pa.Table:
    """``table`` (an attribute shard with ``id``) with its Dolma columns (re)computed from ``files``."""
    table = table.drop_columns([c for c in table.column_names if c.startswith(PREFIX)])
    ids = table.column("id").to_pylist() if table.num_rows else []
    for name, shard in files.items():
        for column, array in _columns(name, shard, ids).items():
            if column not in table.column_names:  # two keys that sanitise alike: the first (sorted) wins
                table = table.append_column(column, array)
    return table


def _columns(name: str, shard: Shard, ids: list) -> dict[str, pa.Array]:
    """The columns one attribute file gives the documents ``ids`` (in their order)."""
    lines: dict[str, list[int]] = {}
    values: list[dict] = []
    for number, record in enumerate(json_records(shard), start=1):
        doc_id = record.get("id")
        attributes = record.get("attributes")
        if doc_id is None or not isinstance(attributes, dict):
            raise ShardError(shard.uri, f"line {number} is not a Dolma attribute record "
                                        "(needs \"id\" and an \"attributes\" object)")
        lines.setdefault(doc_id if isinstance(doc_id, str) else json.dumps(doc_id), []).append(len(values))
        values.append(_flat(attributes))
    taken: dict[str, int] = {}
    rows: list[dict | None] = []
    for doc_id in ids:
        queue, k = lines.get(doc_id), taken.get(doc_id, 0)
        rows.append(values[queue[k]] if queue and k < len(queue) else None)
        taken[doc_id] = k + 1
    keys = sorted({key for attributes in values for key in attributes})
    spans = {key for attributes in values for key, value in attributes.items() if isinstance(value, list)}
    out: dict[str, pa.Array] = {}
    for key in keys:
        column = column_name(name, key)
        found = [None if row is None else row.get(key) for row in rows]
        out[column] = pa.array([_score(v) for v in found], pa.float64())
        if key in spans:
            out[column + "_spans"] = pa.array([len(v) if isinstance(v, list) else None for v in found], pa.int64())
    return out


def _flat(attributes: dict, prefix: str = "") -> dict:
    """Nested objects (``{"pii": {"email": [...]}}``) as ``__``-joined keys (``pii__email``), as Dolma names them."""
    out = {}
    for key, value in attributes.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}__"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _score(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        scores = [span[2] for span in value
                  if isinstance(span, list) and len(span) >= 3 and isinstance(span[2], (int, float))]
        return float(max(scores)) if scores else None
    return None
