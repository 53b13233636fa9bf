"""A learned second opinion on English `law`: logistic regression over hashed word n-grams.

The weights (``inspectors/data/topic_v2/law_model.npz``, provenance in ``LAW_MODEL.md`` beside it)
were trained by ``benchmarks/train_topic_law_model.py`` on MMLU questions (law subjects against the
other subjects), text that is none of topic_v2's evaluation sets. Inference needs numpy only: the
features are hashed here with CRC-32, identically at training and at inference time.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "topic_v2" / "law_model.npz"
_WORD = re.compile(r"[a-z][a-z']*")


def features(text: str, dim: int, max_chars: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ids, values) of ``text``: distinct lower-cased words and word pairs of its first
    ``max_chars`` characters, hashed into ``dim`` buckets, each 1, L2-normalised."""
    words = _WORD.findall(text[:max_chars].lower())
    grams = set(words)
    grams.update(a + " " + b for a, b in zip(words, words[1:]))
    if not grams:
        return np.zeros(0, np.int64), np.zeros(0)
    ids = np.unique(np.fromiter((zlib.crc32(g.encode()) for g in grams), np.int64, len(grams)) % dim)
    return ids, np.full(len(ids), 1.0 / np.sqrt(len(ids)))


@lru_cache(maxsize=1)
def model() -> tuple[np.ndarray, float, int, int]:
    """(weights, bias, dim, max_chars) of the shipped model."""
    with np.load(MODEL_PATH) as z:
        weights = z["weights"].astype(np.float64)
        return weights, float(z["bias"]), len(weights), int(z["max_chars"])


def law_probability(texts: list[str]) -> np.ndarray:
    """Probability that each English text is about law, by the shipped model."""
    weights, bias, dim, max_chars = model()
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        ids, values = features(text, dim, max_chars)
        out[i] = values @ weights[ids] + bias
    return 1.0 / (1.0 + np.exp(-out))
