"""The vectorised normalisation, tokens and hashes against their definitions, on seeded random text."""

from __future__ import annotations

import random
import unicodedata

from inspectors.contamination import text as ct
from inspectors.contamination.text import SEPARATOR, ngram_hashes, normalize, tokenize

MASK = (1 << 64) - 1
# what the module docstring names: case, multi-code-point foldings, marks, Hangul, Thai, CJK, kana ...
POOL = ("AbCdEzZ09_ .,;-'\"ßẞİıŉΐΰﬁﬀﬃǅǈΣσςΆᾼᾳ"
        "ÉéÅåŁłĐđƯưỘộẬậ" "\u0300\u0301\u0303\u0308\u0323\u0327\u0345\u05b0\u093c\u0e48\u0e31"
        "한국어\u1100\u1161\u11a8" "ภาษาไทยสวัสดี" "北京中文字𠀋" "ひらがなカタカナ" "हिन्दीक़ক্ষ" "ПРИВЕТмир" "ຄຳເມືອງ")


def _random_text(rng: random.Random) -> str:
    chars = []
    for _ in range(rng.randrange(0, 60)):
        roll = rng.random()
        if roll < 0.8:
            chars.append(rng.choice(POOL))
        else:  # anywhere in Unicode, unassigned and private use included (no surrogates, no separator)
            i = rng.randrange(1, 0x110000)
            chars.append(chr(i) if not 0xD800 <= i < 0xE000 else " ")
    text = "".join(chars)
    if rng.random() < 0.3:
        text = unicodedata.normalize("NFD", text)
    if rng.random() < 0.3:
        text = text.upper()
    return text


def _kind(c: str) -> int:
    """0 separator, 1 word character, 2 a token by itself, 3 a mark joining such a character."""
    i = ord(c)
    if i >= ct._TABLE_END or not (c.isalnum() or c == "_" or unicodedata.category(c).startswith("M")):
        return 0
    if any(lo <= i <= hi for lo, hi in ct._CJK + ct._CHARACTER_SCRIPTS):
        return 3 if unicodedata.category(c).startswith("M") else 2
    return 1


def _reference_tokens(text: str) -> list[str]:
    """Maximal runs of word characters; in unspaced scripts one character and the marks after it."""
    tokens, prev = [], 0
    for c in text:
        kind = _kind(c)
        if kind == 2 or (kind == 1 and prev != 1) or (kind == 3 and prev == 0):
            tokens.append(c)
        elif kind:
            tokens[-1] += c
        prev = kind
    return tokens


def _mix(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def _reference_hash(token: str) -> int:
    raw = sum(ord(c) * pow(ct._P, k, 1 << 64) for k, c in enumerate(token)) & MASK
    return _mix((raw + len(token)) & MASK)


def test_random_text_matches_the_definitions():
    rng = random.Random(20261204)
    texts = [_random_text(rng) for _ in range(400)]
    assert sum(any(c in t for c in "ßİŉΐ") for t in texts) > 20
    for batch in (texts[:1], texts[1:40], texts):
        tk = tokenize(batch)
        expected = [normalize(t) for t in batch]
        assert tk.joined == SEPARATOR.join(expected)
        got = [tk.token(i) for i in range(len(tk.hashes))]
        reference = [tok for t in expected for tok in _reference_tokens(t)]
        assert got == reference
        assert tk.hashes.tolist() == [_reference_hash(t) for t in reference]
        assert tk.doc.tolist() == [d for d, t in enumerate(expected) for _ in _reference_tokens(t)]
        pos, hashes = ngram_hashes(tk, 3, 2)
        per_text, start, want = [len(_reference_tokens(t)) for t in expected], 0, {}
        for count in per_text:
            for p in range(start, start + count - 2):
                if p % 2 == 0:
                    h = 0
                    for j in range(3):
                        h = (h * ct._Q + tk.hashes[p + j].item()) & MASK
                    want[p] = _mix(h)
            start += count
        assert dict(zip(pos.tolist(), hashes.tolist())) == want
        assert len(pos) == len(want)
    flagged = ct.character_tokens(tokenize(["北京 abc ไทย"]))
    assert flagged.tolist() == [True, True, False, True, True, True]


def test_splice_replaces_spans_of_any_new_length():
    """``_splice`` (NFC's write-back) against list slicing: spans that shrink, grow, vanish or keep their length."""
    import numpy as np

    rng, many = random.Random(18), False
    for k in range(300):  # short texts take the concatenation, long ones (> FEW_PIECES spans) np.insert
        cp = [rng.randrange(1, 1000) for _ in range(rng.randrange(1, 80 if k % 3 else 600))]
        cuts = sorted(rng.sample(range(len(cp) + 1), 2 * rng.randrange(0, (len(cp) + 1) // 2 + 1)))
        start, end = cuts[0::2], cuts[1::2]
        new = [[rng.randrange(1000, 2000) for _ in range(rng.choice((b - a, 0, 1, b - a + 2)))]
               for a, b in zip(start, end)]
        want, at = [], 0
        for a, b, v in zip(start, end, new):
            want += cp[at:a] + v
            at = b
        want += cp[at:]
        array = np.array(cp, np.uint32)
        got = ct._splice(array, np.array(start, np.int64), np.array(end, np.int64) - start,
                         np.array([x for v in new for x in v], np.uint32), np.array([len(v) for v in new], np.int64))
        assert got.tolist() == want and array.tolist() == cp
        many |= sum(len(v) != b - a for a, b, v in zip(start, end, new)) > ct.FEW_PIECES
    assert many


def test_a_separator_inside_a_text_is_a_space():
    """A text holding the separator itself reads it as a space: the texts keep their boundaries."""
    for normalised in (False, True):
        tk = tokenize(["Ab\x00cd", "\x00", "", "ef"], normalised=normalised)
        spaced = tokenize(["Ab cd", " ", "", "ef"], normalised=normalised)
        assert tk.texts == spaced.texts and len(tk.texts) == 4
        assert tk.hashes.tolist() == spaced.hashes.tolist() and tk.doc.tolist() == [0, 0, 3]
    assert tokenize([]).texts == [""] and not len(tokenize([]).hashes)


def test_every_multi_code_point_folding_next_to_marks():
    """Each code point that folds to several ("İ", "ß", "ΐ", "ﬁ" ...) before and after marks, starters,
    another such code point and a text boundary normalises as ``normalize`` does."""
    points = [chr(c) for c in ct._expansions()[0].tolist()]
    before = ["", "a", "a\u0301", "\u0323", "İ"]
    after = ["", "a", "\u0301", "\u0307", "\u0323\u0301", "\u0345", "\u0308\u0301", "ß", "İ\u0301", "\u1161"]
    texts = [b + p + a for p in points for b in before for a in after]
    texts += [unicodedata.normalize("NFD", t) for t in texts]
    tk = tokenize(texts)
    assert tk.texts == [normalize(t) for t in texts]


def test_token_hashes_across_the_power_windows():
    """Token hashes use power tables one window long: tokens that cross one window boundary or span
    several windows, start or end on a boundary, or hold a single code point, hash as the definition says."""
    w = ct._WINDOW
    rng = random.Random(9)
    alphabet = "abcdeé中ß"
    texts = ["x" * (w - 1) + " " + "y" * (w + 1), "z" * (3 * w + 5), " " * (w - 2) + "ab cd", "q " * w,
             "".join(rng.choice(alphabet + "  ") for _ in range(5 * w)),
             " ".join("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 2 * w))) for _ in range(6))]
    tk = tokenize(texts)
    assert (tk.starts // w != (tk.ends - 1) // w).sum() > 10  # several tokens cross a boundary
    assert (tk.ends - tk.starts).max() > 3 * w
    reference = [tok for t in texts for tok in _reference_tokens(normalize(t))]
    assert [tk.token(i) for i in range(len(tk.hashes))] == reference
    assert tk.hashes.tolist() == [_reference_hash(t) for t in reference]


def test_chunks_tokenised_together_keep_each_chunks_stride():
    """Several chunks tokenised at once (``ngram_hashes(..., chunks=)``) give exactly the n-grams each chunk
    gives tokenised alone: the stride counts from each chunk's first token."""
    import numpy as np

    rng = random.Random(13)
    texts = [_random_text(rng) for _ in range(120)] + ["", "one two three four five six"]
    rng.shuffle(texts)
    for stride in (1, 2, 5):
        cuts = sorted(rng.sample(range(1, len(texts)), 7))
        starts = [0] + cuts
        tk = tokenize(texts)
        pos, hashes = ngram_hashes(tk, 3, stride, np.array(starts))
        want_pos, want_hashes = [], []
        for lo, hi in zip(starts, cuts + [len(texts)]):
            part = tokenize(texts[lo:hi])
            p, h = ngram_hashes(part, 3, stride)
            first = int(np.searchsorted(tk.starts, tk.offsets[lo]))
            want_pos += (p + first).tolist()
            want_hashes += h.tolist()
        assert pos.tolist() == want_pos and hashes.tolist() == want_hashes
        assert len(want_pos) > 20


def test_maybe_code_points_after_plain_starters():
    """Every quick-check-Maybe code point after the first of each pair it composes with, after a plain
    starter it does not compose with, after a starter that decomposes (whose marks NFC may reorder around
    it), after marks, Hangul and a text boundary: ``normalize`` exactly. And the flags that can never
    change anything are cleared (the NFC call is spared)."""
    import numpy as np

    kind, pairs = ct._composing()
    maybe = [chr(c) for c in np.flatnonzero(kind == ct.MAYBE_LONE).tolist()]
    firsts = sorted({chr(int(k) >> 21) for k in pairs.tolist()})
    assert len(maybe) > 60 and len(firsts) > 300
    before = ["", " ", "a", "e\u0301", "é", "ё", "ь", "क", "ক", "ক\u09c7", "ක", "ක\u0dd9", "가", "\u1100", "ᄀ\u1161",
              "\u0958", "\u0301", "\u0323", "ß"]
    after = ["", "a", "\u0301", "\u0323", "\u0345", "\u093c", "\u0dca", "\u09be", "\u11a8"]
    rng = random.Random(21)
    texts = [b + m + rng.choice(after) for m in maybe for b in before]
    texts += [f + m + rng.choice(after) for m in maybe for f in rng.sample(firsts, 40)]
    texts += ["".join(rng.choice(maybe + firsts[:200] + before + after) for _ in range(30)) for _ in range(300)]
    texts += [unicodedata.normalize("NFD", t) for t in texts[::3]] + [t.upper() for t in texts[1::3]]
    assert tokenize(texts).texts == [normalize(t) for t in texts]
    start, _ = ct._nfc_runs(ct._codepoints("කොළඹ ක් \u0dca ছাত্র ଓଡ଼ିଆ മലയാളം ь\u0301 \u0958"))
    assert len(start) == 1  # only the decomposing Devanagari qa (U+0958) is left to NFC
    start, _ = ct._nfc_runs(ct._codepoints("ක\u0dd9\u0dca ক\u09c7\u09be e\u0301"))
    assert len(start) == 3  # each composes
