"""Pythia's training stream: a Megatron indexed dataset (``.idx`` + ``.bin``), pre-shuffled.

Layout (gpt-neox ``megatron/data/indexed_dataset.py``; EleutherAI/pythia ``utils/mmap_dataset.py``,
``utils/batch_viewer.py``): the ``.idx`` holds the magic ``MMIDIDX\\0\\0``, ``<Q`` version (1), ``<B``
dtype code (1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 8 u16 …), ``<Q`` N items, ``<Q`` D doc-index entries,
then int32[N] sizes (tokens), int64[N] pointers (byte offsets into ``.bin``) and int64[D] doc_idx;
the ``.bin`` holds the raw tokens. In ``pile-*-pythia-preshuffled`` item i is the i-th training
sequence (2,049 tokens) and step k (0-based) reads items ``[k·1024, (k+1)·1024)``; we number steps
from 1, so ``--up-to-step K`` is items ``[0, K·1024)``, what checkpoint ``stepK`` trained on. No
end-of-document tokens and no Pile subset labels: each row is a text window of a sequence.

Only the header, the sizes and pointers of the items a cluster names, and those items' bytes in
``.bin`` are range-read (``.idx`` for the full Pile is ~1.7 GB; a cluster reads 12 bytes per item).
"""

from __future__ import annotations

import struct

import numpy as np

from inspectors.core.errors import BadInput
from inspectors.core.storage import local_path
from inspectors.streams.base import Cluster, Reader, StreamBase, size_of, tokenizer_sha

MAGIC = b"MMIDIDX\x00\x00"
HEADER = len(MAGIC) + 8 + 1 + 8 + 8  # 34 bytes
DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32,
          8: np.uint16}


def read_header(reader: Reader) -> tuple[int, np.dtype, int, int]:
    """``(version, dtype, N, D)`` of an ``.idx`` file; ``BadInput`` unless it is one."""
    head = reader.read(0, HEADER)
    if head[: len(MAGIC)] != MAGIC:
        raise BadInput(f"{reader.uri}: not a Megatron .idx (magic {head[:9]!r})")
    (version,) = struct.unpack("<Q", head[9:17])
    (code,) = struct.unpack("<B", head[17:18])
    n, d = struct.unpack("<QQ", head[18:34])
    if version != 1 or code not in DTYPES:
        raise BadInput(f"{reader.uri}: unsupported .idx version {version} / dtype code {code}")
    return version, np.dtype(DTYPES[code]).newbyteorder("<"), n, d


class PythiaStream(StreamBase):
    """Items of a pre-shuffled Megatron dataset in training order, 1,024 per step."""

    kind = "pythia"

    def __init__(self, prefix: str, batch: int = 1024, window: int | None = None, tokenizer: str = "gpt-neox-20b",
                 name: str | None = None):
        for suffix in (".idx", ".bin"):
            if prefix.endswith(suffix):
                prefix = prefix[: -len(suffix)]
        self.prefix, self.spec = prefix, f"pythia:{prefix}"
        self.name = name or local_path(prefix).rstrip("/").rsplit("/", 1)[-1]
        self.idx_uri, self.bin_uri = prefix + ".idx", prefix + ".bin"
        self.B, self.tokenizer = int(batch), tokenizer
        with Reader(self.idx_uri) as reader:
            self.version, self.dtype, self.N, self.D = read_header(reader)
            first = np.frombuffer(reader.read(HEADER, HEADER + 4 * min(self.N, 1)), "<i4")
        self.seq_len = int(first[0]) if len(first) else 0
        self.window = int(window or self.seq_len or 2049)
        self.idx_size, self.bin_size = size_of(self.idx_uri), size_of(self.bin_uri)
        if self.idx_size < HEADER + 12 * self.N + 8 * self.D:
            raise BadInput(f"{self.idx_uri}: shorter than its header says ({self.N} items, {self.D} docs)")
        self.steps_per_epoch = self.N // self.B

    def identity(self) -> dict:
        return {"kind": "pythia", "idx": [self.idx_uri, self.idx_size], "bin": [self.bin_uri, self.bin_size],
                "B": self.B, "window": self.window, "tokenizer": self.tokenizer,
                "tokenizer_sha": tokenizer_sha(self.tokenizer)}

    @property
    def tokens_per_step(self) -> int:
        return self.B * self.seq_len

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch

    def describe(self) -> dict:
        return {"kind": "pythia", "spec": self.spec, "config_hash": self.config_hash, "items": self.N,
                "doc_idx_entries": self.D, "dtype": str(self.dtype), "sequence_length": self.seq_len,
                "batch_instances": self.B, "tokens_per_step": self.tokens_per_step, "steps": self.steps_per_epoch,
                "window": self.window, "tokenizer": self.tokenizer,
                "files": [{"path": self.idx_uri, "bytes": self.idx_size}, {"path": self.bin_uri, "bytes": self.bin_size}]}

    def items(self, cluster: Cluster) -> tuple[int, int]:
        a, b = (cluster.first - 1) * self.B, cluster.last * self.B
        if b > self.N:
            raise BadInput(f"{self.spec}: step {cluster.last} needs item {b - 1}, the data has {self.N} items "
                           f"({self.steps_per_epoch} steps)")
        return a, b

    def read_items(self, a: int, b: int) -> list[np.ndarray]:
        """Token arrays of items ``[a, b)``: sizes and pointers range-read from ``.idx``, tokens from ``.bin``."""
        tokens, sizes = self.read_flat(a, b)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        return [tokens[bounds[i]: bounds[i + 1]] for i in range(len(sizes))]

    def read_flat(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Items ``[a, b)`` laid end to end, and each item's size: one range request when they are contiguous."""
        with Reader(self.idx_uri) as idx:
            sizes = np.frombuffer(idx.read(HEADER + 4 * a, HEADER + 4 * b), "<i4").astype(np.int64)
            base = HEADER + 4 * self.N
            pointers = np.frombuffer(idx.read(base + 8 * a, base + 8 * b), "<i8")
        ends = pointers + sizes * self.dtype.itemsize
        with Reader(self.bin_uri) as data:
            if not len(pointers):
                return np.zeros(0, self.dtype), sizes
            if np.all(pointers[1:] == ends[:-1]):
                return np.frombuffer(data.read(int(pointers[0]), int(ends[-1])), self.dtype), sizes
            return np.concatenate([np.frombuffer(data.read(int(p), int(e)), self.dtype)
                                   for p, e in zip(pointers, ends)]), sizes

    def pieces(self, cluster: Cluster) -> list[dict]:
        """The cluster's text windows in training order, with their token ``ids`` (not decoded)."""
        a, b = self.items(cluster)
        return [self._window(item, w, tokens) for item, tokens in zip(range(a, b), self.read_items(a, b))
                for w in range(-(-len(tokens) // self.window))]

    def pieces_at(self, cluster: Cluster, rows: list[int]) -> list[dict]:
        """Windows ``rows`` of the cluster, reading only the items that hold them."""
        a, b = self.items(cluster)
        with Reader(self.idx_uri) as idx:
            sizes = np.frombuffer(idx.read(HEADER + 4 * a, HEADER + 4 * b), "<i4").astype(np.int64)
        first = np.concatenate([[0], np.cumsum(-(-sizes // self.window))])  # first window of each item
        out = []
        for r in rows:
            i = int(np.searchsorted(first, r, side="right") - 1)
            out.append(self._window(a + i, int(r - first[i]), self.read_items(a + i, a + i + 1)[0]))
        return out

    def _window(self, item: int, w: int, tokens: np.ndarray) -> dict:
        start = w * self.window
        ids = tokens[start: start + self.window]
        return {"ids": ids, "id": f"{self.name}:{item}:{w}", "doc_key": f"{item}:{w}", "exposure_key": f"{item}:{w}",
                "step": item // self.B + 1, "epoch": 0, "instance": item, "offset": start, "tokens_seen": len(ids),
                "source": None, "url": None, "exposure_start": True}

    def token_pieces(self, cluster: Cluster) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``pieces`` as flat arrays without building a row per window (pass 1 of a stratified run)."""
        ids, sizes = self.read_flat(*self.items(cluster))
        full, tail = np.divmod(sizes, self.window)
        counts = full + (tail > 0)
        lengths = np.full(int(counts.sum()), self.window, dtype=np.int64)
        lengths[(np.cumsum(counts) - 1)[tail > 0]] = tail[tail > 0]  # an item's last window holds its tail
        return ids, lengths, lengths.copy(), np.ones(len(lengths), bool)

    def instance_bytes(self) -> int:
        return self.seq_len * self.dtype.itemsize
