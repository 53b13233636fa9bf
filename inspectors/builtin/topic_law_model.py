"""A learned second opinion on English `law`: the mean log-odds (law vs other topics) of a text's words.

The word weights (``inspectors/data/topic_v2/law_logodds.tsv``, one ``word<TAB>weight`` a line, provenance
in ``LAW_MODEL.md`` beside it) were counted by ``benchmarks/train_topic_law_logodds.py`` from text that is
none of topic_v2's evaluation sets: model-generated topic snippets (Dolma's topic-classification fixture)
and MMLU questions. A weight is how much more often (natural log, smoothed, averaged over the two
sources) a text about law holds the word than a text about another topic. A text's score is the mean
weight of its distinct known words, so a page that names a legal word or two among many words of
another topic scores low, and a page whose vocabulary is legal throughout scores high.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "topic_v2" / "law_logodds.tsv"
MAX_CHARS = 6000
_WORD = re.compile(r"[a-z][a-z']+[a-z]")


def words(text: str, max_chars: int = MAX_CHARS) -> set[str]:
    """The distinct lower-cased words of three or more letters in the first ``max_chars`` characters."""
    return set(_WORD.findall(text[:max_chars].lower()))


@lru_cache(maxsize=1)
def weights(path: Path = MODEL_PATH) -> dict[str, float]:
    """Word -> law log-odds of the shipped model."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, weight = line.split("\t")
            out[word] = float(weight)
    return out


def law_score(text: str) -> float:
    """Mean law log-odds of the known words of ``text`` (0.0 when it has none)."""
    w = weights()
    known = [w[x] for x in words(text) if x in w]
    return sum(known) / len(known) if known else 0.0


def law_scores(texts: list[str]) -> list[float]:
    """``law_score`` of each text."""
    return [law_score(text) for text in texts]
