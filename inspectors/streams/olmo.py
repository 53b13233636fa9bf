"""OLMo's training stream: header-less token memmaps, ``.csv.gz`` provenance and the seeded order.

Layout (allenai/OLMo ``olmo/data/memmap_dataset.py``, ``iterable_dataset.py``; dolma
``tokenizer/memmap_writer.py``):

* each path in ``data.paths`` is a raw little-endian array of ``data.memmap_dtype`` (uint16, or
  uint32 for OLMo 2) with no numpy header; with L = ``model.max_sequence_length`` it holds
  ``size // (itemsize * L)`` instances (the tail is dropped, no instance crosses files). Later
  versions of ``memmap_dataset.py`` round up instead (the short tail is an instance);
  ``corpuscope.partial_last_instance: true`` in the config selects that;
* instance ids are cumulative over ``data.paths`` in listed order, a path listed twice counting twice;
* with ``data.instance_filter`` set, an instance holding a short n-gram repeated ``repetition_max_count``
  times is read at its step but masked from the loss (``instance_filter``); its occurrences are left
  out of the rows, so ids and steps stay OLMo's and only trained tokens are counted;
* beside ``X.npy`` a header-less ``X.csv.gz`` with rows ``start,end,id,src,loc`` (token offsets in
  the file, end exclusive; source document id; source file; 1-based line);
* order per epoch e: ``indices = arange(N, dtype=uint32)`` shuffled in place by
  ``np.random.Generator(np.random.PCG64(seed + e))``, truncated (drop_last) to a multiple of the
  world size (``data.drop_last``; without it, padded with its own first entries to the next
  multiple); rank r reads ``indices[r::W]`` in per-device batches of B/W, so with global batch B (instances) step s (1-based) reads ``indices[(s-1)B : sB]``, so
  checkpoint ``stepK`` has consumed positions ``[0, K·B)``.

``drop_last`` defaults to true here (the official configs set it). Assumptions stated, not taken from
the sources: an epoch holds ``T // B`` steps (T the truncated
length), the remainder of an epoch is not trained on, and the next epoch starts the next step; the
first epoch number is ``first_epoch`` (default 0). File sizes come from stat/HEAD, so the order is
rebuilt without downloading data; only the instances a cluster names are range-read.
"""

from __future__ import annotations

import csv
import gzip
import io
import posixpath
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from inspectors.core.errors import BadInput
from inspectors.core.storage import local_path
from inspectors.streams.instance_filter import InstanceFilter
from inspectors.streams.base import (Cluster, Reader, StreamBase, join, packaged_name, read_whole, size_of,
                                     tokenizer_sha)

EOS = {"uint16": 50279, "uint32": 100257}
TOKENIZERS = {"uint16": "gpt-neox-20b", "uint32": "dolma2"}


def _get(config: dict, dotted: str, default=None):
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


class OlmoStream(StreamBase):
    """The instances an OLMo config trains on, in training order."""

    kind = "olmo"

    def __init__(self, config_uri: str, config: dict | None = None, world_size: int | None = None,
                 first_epoch: int | None = None, tokenizer: str | None = None, base: str | None = None,
                 name: str | None = None):
        self.spec = f"olmo:{config_uri}"
        if config is None:
            config = yaml.safe_load(read_whole(config_uri).decode("utf-8"))
        self.config = config
        self.name = name or posixpath.basename(local_path(config_uri)).rsplit(".", 1)[0]
        self.L = int(_get(config, "model.max_sequence_length") or 0)
        self.B = int(_get(config, "global_train_batch_size") or 0)
        if self.L < 1 or self.B < 1:
            raise BadInput(f"{config_uri}: needs model.max_sequence_length and global_train_batch_size")
        self.seed = int(_get(config, "seed", 6198) if _get(config, "data.seed") is None else _get(config, "data.seed"))
        self.dtype = str(_get(config, "data.memmap_dtype", "uint16"))
        if self.dtype not in EOS:
            raise BadInput(f"{config_uri}: data.memmap_dtype must be uint16 or uint32, got {self.dtype}")
        self.np_dtype = np.dtype(self.dtype).newbyteorder("<")  # the files are little-endian
        self.itemsize = self.np_dtype.itemsize
        self.eos = int(_get(config, "model.eos_token_id", EOS[self.dtype]))
        self.world_size = int(world_size or _get(config, "corpuscope.world_size", 1) or 1)
        self.first_epoch = int(first_epoch if first_epoch is not None else _get(config, "corpuscope.first_epoch", 0))
        self.tokenizer = (tokenizer or _get(config, "corpuscope.tokenizer")
                          or packaged_name(_get(config, "tokenizer.identifier")) or TOKENIZERS[self.dtype])
        if base is None:
            base = (posixpath.dirname(config_uri) + "/" if "://" in config_uri
                    else str(Path(local_path(config_uri)).resolve().parent))
        paths = _get(config, "data.paths") or []
        if not paths:
            raise BadInput(f"{config_uri}: data.paths is empty")
        self.paths = [join(base, p) for p in paths]
        sizes = {u: size_of(u) for u in dict.fromkeys(self.paths)}
        self.sizes = [sizes[u] for u in self.paths]
        # Older OLMo code counts size // (itemsize·L) instances; newer code rounds up, so a file's short
        # last instance is trained on too (``corpuscope.partial_last_instance: true`` selects that).
        self.partial_tail = bool(_get(config, "corpuscope.partial_last_instance", False))
        width = self.itemsize * self.L
        self.counts = np.array([-(-s // width) if self.partial_tail else s // width for s in self.sizes], np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])
        self.N = int(self.offsets[-1])
        self.drop_last = bool(_get(config, "data.drop_last", True))
        # drop_last trims the order to a multiple of the world size; without it the order is padded
        # with its own first entries up to the next multiple.
        self.T = (self.N // self.world_size if self.drop_last else -(-self.N // self.world_size)) * self.world_size
        self.steps_per_epoch = self.T // self.B
        if self.steps_per_epoch < 1:
            raise BadInput(f"{config_uri}: {self.N} instances are fewer than one batch of {self.B}")
        self.max_epochs = int(_get(config, "corpuscope.epochs", 0) or 0) or None
        # Instances the repetition filter masks are read at their step but give no token to the loss.
        self.instance_filter = InstanceFilter.from_config(_get(config, "data.instance_filter"),
                                                          f"{config_uri}: data.instance_filter")

    # identity and description
    def identity(self) -> dict:
        return {"kind": "olmo", "paths": list(zip(self.paths, self.sizes)), "L": self.L, "B": self.B,
                "seed": self.seed, "dtype": self.dtype, "world_size": self.world_size, "drop_last": self.drop_last,
                "partial_tail": self.partial_tail,
                "first_epoch": self.first_epoch, "tokenizer": self.tokenizer,
                "tokenizer_sha": tokenizer_sha(self.tokenizer),
                **({"instance_filter": asdict(self.instance_filter)} if self.instance_filter else {})}

    @property
    def tokens_per_step(self) -> int:
        return self.B * self.L

    @property
    def known_tokens_per_step(self) -> int | None:
        """Trained tokens per step, when every step trains on the same number (not with a filter)."""
        return None if self.instance_filter else self.tokens_per_step

    @property
    def total_steps(self) -> int | None:
        return self.steps_per_epoch * self.max_epochs if self.max_epochs else None

    def describe(self) -> dict:
        return {"kind": "olmo", "spec": self.spec, "config_hash": self.config_hash, "seed": self.seed,
                "sequence_length": self.L, "batch_instances": self.B, "tokens_per_step": self.tokens_per_step,
                "dtype": self.dtype, "eos": self.eos, "world_size": self.world_size, "instances": self.N,
                "steps_per_epoch": self.steps_per_epoch, "tokenizer": self.tokenizer,
                "instance_filter": asdict(self.instance_filter) if self.instance_filter else None,
                "files": [{"path": p, "bytes": s, "instances": int(c)}
                          for p, s, c in zip(self.paths, self.sizes, self.counts)]}

    # order
    def order(self, epoch: int) -> np.ndarray:
        """Instance ids of ``epoch`` in training order (truncated to a multiple of the world size)."""
        return _order(self.N, self.T, self.seed + epoch)

    def positions(self, cluster: Cluster) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(step, epoch, instance)`` of every instance the cluster's steps read, in order."""
        per_epoch = self.steps_per_epoch * self.B
        start, end = (cluster.first - 1) * self.B, cluster.last * self.B
        pos = np.arange(start, end, dtype=np.int64)
        epoch_index = pos // per_epoch
        steps, epochs, instances = pos // self.B + 1, epoch_index + self.first_epoch, np.empty(len(pos), np.int64)
        for e in np.unique(epoch_index):
            mask = epoch_index == e
            instances[mask] = self.order(int(e) + self.first_epoch)[pos[mask] - e * per_epoch]
        return steps, epochs, instances

    def locate(self, instance: int) -> tuple[int, int]:
        """``(path index, instance within the file)`` of a global instance id."""
        k = int(np.searchsorted(self.offsets, instance, side="right") - 1)
        return k, int(instance - self.offsets[k])

    def instance_bytes(self) -> int:
        return self.itemsize * self.L

    # provenance
    def provenance_uri(self, k: int) -> str:
        path = self.paths[k]
        return (path[: -len(".npy")] if path.endswith(".npy") else path) + ".csv.gz"

    def provenance(self, k: int):
        return _provenance(self.provenance_uri(k))

    # rows
    def pieces(self, cluster: Cluster) -> list[dict]:
        """The cluster's document occurrences in training order, with their token ``ids`` (not decoded)."""
        steps, epochs, instances = self.positions(cluster)
        pieces = []  # (position, row fields with ids), decoded in one batch
        by_file: dict[int, list[int]] = {}
        for n, inst in enumerate(instances):
            by_file.setdefault(self.locate(int(inst))[0], []).append(n)
        width = self.instance_bytes()
        for k, members in sorted(by_file.items()):
            prov = self.provenance(k)
            with Reader(self.paths[k]) as reader:
                for n in members:
                    _, j = self.locate(int(instances[n]))
                    end = min((j + 1) * width, self.sizes[k])  # a partial last instance is shorter
                    ids = np.frombuffer(reader.read(j * width, end), dtype=self.np_dtype)
                    if self.instance_filter and self.instance_filter.masks(ids):
                        continue
                    for seg in self._segments(k, j, ids, prov):
                        seg.update(step=int(steps[n]), epoch=int(epochs[n]), instance=int(instances[n]))
                        seg["exposure_key"] += f":e{int(epochs[n])}"
                        seg["id"] = f"{self.name}:{seg['instance']}:{seg['offset']}:e{seg['epoch']}"
                        pieces.append((n, seg))
        pieces.sort(key=lambda p: (p[0], p[1]["offset"]))  # training order
        return [seg for _, seg in pieces]

    def _segments(self, k: int, j: int, ids: np.ndarray, prov) -> list[dict]:
        lo, hi = j * self.L, (j + 1) * self.L
        out = []
        if prov is not None:
            starts, ends, doc_ids, srcs, locs = prov
            first = int(np.searchsorted(ends, lo, side="right"))
            r = first
            while r < len(starts) and starts[r] < hi:
                a, b = max(int(starts[r]), lo), min(int(ends[r]), hi)
                if b > a:
                    src = srcs[r]
                    out.append({"ids": self._strip(ids[a - lo: b - lo]), "tokens_seen": b - a, "offset": a - lo,
                                "doc_key": f"{src}|{doc_ids[r]}", "exposure_key": f"{k}:{int(starts[r])}",
                                "source": _source_name(src), "url": f"{src}#L{locs[r]}",
                                "exposure_start": bool(starts[r] >= lo)})
                r += 1
            return out
        # No provenance: documents end at EOS; one that began in an earlier instance keeps a key from here.
        cuts = [0, *(int(i) + 1 for i in np.flatnonzero(ids == self.eos)), len(ids)]
        for a, b in zip(cuts, cuts[1:]):
            if b > a:
                out.append({"ids": self._strip(ids[a:b]), "tokens_seen": b - a, "offset": a,
                            "doc_key": f"{self.paths[k]}@{lo + a}", "exposure_key": f"{k}:{lo + a}",
                            "source": None, "url": None, "exposure_start": True})
        return out

    def _strip(self, ids: np.ndarray) -> np.ndarray:
        return ids[:-1] if len(ids) and ids[-1] == self.eos else ids


@lru_cache(maxsize=4)
def _order(n: int, length: int, seed: int) -> np.ndarray:
    """``arange(n, uint32)`` shuffled by PCG64(seed), repeated from its start up to ``length`` if longer,
    truncated to ``length``. Cached by value, so a worker handed a fresh copy of the stream reuses it."""
    indices = np.arange(n, dtype=np.uint32)
    np.random.Generator(np.random.PCG64(seed)).shuffle(indices)
    if length > n:
        indices = np.resize(indices, length)  # repeats from the start, as the padding does
    return indices[:length]


def _source_name(src: str) -> str:
    """The Dolma source a provenance path names: its folder (``…/documents/cc_en_head/x.json.gz``)."""
    parent = posixpath.basename(posixpath.dirname(src))
    return parent or src


@lru_cache(maxsize=16)
def _provenance(uri: str):
    """``(starts, ends, ids, srcs, locs)`` of a header-less ``start,end,id,src,loc`` csv.gz; ``None`` if absent."""
    try:
        raw = read_whole(uri)
    except BadInput:
        return None
    text = gzip.decompress(raw).decode("utf-8")
    starts, ends, ids, srcs, locs = [], [], [], [], []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 5:
            continue
        starts.append(int(row[0]))
        ends.append(int(row[1]))
        ids.append(row[2])
        srcs.append(row[3])
        locs.append(row[4])
    order = np.argsort(np.array(starts, dtype=np.int64), kind="stable")
    pick = lambda xs: [xs[i] for i in order]  # noqa: E731
    return (np.array(starts, dtype=np.int64)[order], np.array(ends, dtype=np.int64)[order], pick(ids), pick(srcs),
            pick(locs))
