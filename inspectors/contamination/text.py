"""Normalisation, tokens and n-gram hashes, vectorised in numpy over many texts at once.

Normalisation is NFC, then Unicode case folding, then NFC again (folding can decompose, e.g. "İ").
Diacritics are kept: Vietnamese "ma", "má", "mà", "mã", "mả", "mạ" stay six different words
(datatrove's default normalisation strips them; lm-eval's janitor lower-cases ASCII only).

A token is a maximal run of word characters (letters, digits, ``_`` and combining marks, so an
NFD input folds to the same tokens as its NFC form) or, in scripts written without spaces between
words, one character with the combining marks that follow it: CJK ideographs and kana, Thai, Lao,
Khmer and Myanmar. Word n-grams fail there (a "word" would be a whole phrase or line), so their
n-grams are n characters, as for Chinese. Vietnamese is written one syllable per space-separated
word, so a Vietnamese n-gram is n syllables. Other unsegmented scripts (Tai Tham, Javanese,
Balinese) are still read as space-separated runs.

Hashes are uint64: a token's hash is a polynomial over its code points (mod 2**64, odd base, then a
splitmix64 finaliser); an n-gram's hash is a polynomial over its tokens' hashes. Hashes only pick
candidates: every match is verified token by token on the document before it counts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

SEPARATOR = "\x00"
_P = 0x100000001B3  # odd, so invertible mod 2**64
_Q = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
# Scripts without spaces between words: one token per character (plus its marks).
_CHARACTER_SCRIPTS = ((0x0E00, 0x0E7F), (0x0E80, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x19E0, 0x19FF),
                      (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F))  # Thai, Lao, Myanmar, Khmer (+ symbols, extensions)
_CJK = ((0x2E80, 0x2FDF), (0x3040, 0x30FF), (0x3100, 0x312F), (0x31A0, 0x31FF), (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FFFF), (0x30000, 0x323AF))
_TABLE_END = 0x323B0  # code points above are unassigned or private use: separators


def normalize(text: str) -> str:
    """NFC, Unicode case folding, NFC: diacritics (Vietnamese tones) kept."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def _cached_table(name: str, build):
    """A per-code-point table, built once per Unicode version and kept under the cache root."""
    import os
    import sys
    import tempfile

    from inspectors.core.paths import home

    folder = home() / "contamination"
    path = folder / f"{name}-unicode{unicodedata.unidata_version}-py{sys.version_info[0]}{sys.version_info[1]}.npy"
    try:
        return np.load(path)
    except (OSError, ValueError):
        pass
    table = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, table)
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs the build again
        pass
    return table


@lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """Per code point: 0 separator, 1 word character, 2 a character that is a token by itself (CJK, Thai,
    Lao, Khmer, Myanmar), 3 a combining mark of those scripts (it joins the character before it)."""
    return _cached_table("classes-v2", _build_classes)


def _build_classes() -> np.ndarray:
    """The table ``_classes`` loads (see there)."""
    table = np.zeros(0x110000, dtype=np.uint8)
    word = [i for i in range(_TABLE_END) if not 0xD800 <= i < 0xE000
            and (chr(i).isalnum() or unicodedata.category(chr(i)).startswith("M"))]
    table[np.array(word)] = 1
    table[ord("_")] = 1
    for lo, hi in _CJK + _CHARACTER_SCRIPTS:
        for i in range(lo, hi + 1):
            if table[i] == 1:
                table[i] = 3 if unicodedata.category(chr(i)).startswith("M") else 2
    return table


@lru_cache(maxsize=1)
def _nfc_tables() -> tuple[np.ndarray, np.ndarray]:
    """``(suspect, ccc)`` per code point (see ``_build_nfc``), cached on disk."""
    both = _cached_table("nfc", _build_nfc)
    return both[0].astype(bool), both[1]


def _build_nfc() -> np.ndarray:
    """Per code point: may it make a text non-NFC by itself (NFC quick check No or Maybe), and its
    canonical combining class. A text with no such code point and no combining marks out of
    canonical order is NFC already, so the costly ``unicodedata.normalize`` is skipped.
    """
    suspect = np.zeros(0x110000, dtype=bool)
    ccc = np.zeros(0x110000, dtype=np.uint8)
    for i in range(0x80, _TABLE_END):
        if 0xD800 <= i < 0xE000:
            continue
        c = chr(i)
        ccc[i] = unicodedata.combining(c)
        if not unicodedata.is_normalized("NFC", c):
            suspect[i] = True  # quick check No
            continue
        parts = unicodedata.decomposition(c).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            suspect[int(parts[1], 16)] = True  # may compose with what precedes it: quick check Maybe
    suspect[0x1161:0x1176] = suspect[0x11A8:0x11C3] = True  # Hangul jamo compose algorithmically
    suspect[_TABLE_END:] = True
    return np.stack([suspect.astype(np.uint8), ccc])


@lru_cache(maxsize=1)
def _mark_table() -> np.ndarray:
    """Per code point: NFC-suspect or a combining mark (``ccc > 0``): the only places NFC can act."""
    suspect, ccc = _nfc_tables()
    return suspect | (ccc > 0)


def _nfc_runs(cp: np.ndarray, changed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(start, end)`` of the spans NFC might change in ``SEPARATOR``-joined code points: each is a run of
    possibly acting code points (NFC-suspect or combining) holding a flag, with the starter before it.

    A span starts and ends before a code point that is a starter with NFC quick check Yes: NFC never
    acts across such a boundary, so normalising the spans alone equals normalising the texts.
    ``changed`` (sorted positions): the text was NFC before those code points were replaced (case
    folding), so only a flag whose segment (the starter before it through the next code point) holds
    a changed position can mean a change; the rest are the flags already cleared.
    """
    none = np.zeros(0, np.int64)
    if changed is not None and not _near_marks(cp, changed):
        return none, none
    high = np.flatnonzero(cp >= 0x300)  # below U+0300 every code point is NFC-inert with class 0
    idx = high[np.take(_mark_table(), cp[high])]  # marks are rare even in Devanagari or Vietnamese
    if not len(idx):
        return none, none
    suspect, ccc = _nfc_tables()
    points = cp[idx]
    classes = np.take(ccc, points)
    following = np.zeros(len(idx), np.uint8)  # class of the next code point, when it is also a mark
    adjacent = np.flatnonzero(np.diff(idx) == 1)
    following[adjacent] = classes[adjacent + 1]
    flags = np.take(suspect, points)
    _clear_lone(cp, idx, points, flags)
    hit = flags | ((classes > following) & (following > 0))
    flagged = idx[hit]
    if not len(flagged):
        return none, none
    brk = np.flatnonzero(np.diff(idx) != 1) + 1
    run_first = idx[np.concatenate(([0], brk))]
    run_last = idx[np.concatenate((brk - 1, [len(idx) - 1]))]
    run = np.searchsorted(run_first, flagged, "right") - 1
    if changed is not None:
        near = (np.searchsorted(changed, flagged + 1, "right")
                - np.searchsorted(changed, run_first[run] - 1, "left"))
        run = run[near > 0]
    run = _distinct(run)
    start, end = run_first[run] - 1, run_last[run] + 1
    # a run at the start of a text has no starter to compose with: the span starts at the run
    start += (start < 0) | (cp[np.maximum(start, 0)] == 0)
    return start.astype(np.int64, copy=False), end.astype(np.int64, copy=False)


def _clear_lone(cp: np.ndarray, idx: np.ndarray, points: np.ndarray, flags: np.ndarray) -> None:
    """Clear, in ``flags``, the flags of quick-check-Maybe code points that NFC leaves as they are.

    Such a code point (``points[k]`` at ``cp[idx[k]]``) right after a plain starter (class 0, quick check
    Yes, no canonical decomposition) is unchanged unless NFC composes the two: nothing can be reordered
    before it or block it, and it has no decomposition of its own. Most Maybe flags of Indic text are
    such (a Sinhala al-lakuna or a Bengali, Oriya or Malayalam vowel sign aa after a consonant), as are a
    Russian stress mark after a soft sign; clearing them spares their NFC call. Marks out of order are
    flagged apart from this, and a Maybe code point after anything else keeps its flag.
    """
    kind, pairs = _composing()
    at = np.flatnonzero(flags)
    at = at[np.take(kind, points[at]) == MAYBE_LONE]
    at = at[idx[at] > 0]
    if not len(at):
        return
    before = cp[idx[at] - 1]
    key = (before.astype(np.uint64) << np.uint64(21)) | points[at]
    found = pairs[np.minimum(np.searchsorted(pairs, key), len(pairs) - 1)] == key
    flags[at[(np.take(kind, before) == PLAIN_STARTER) & ~found]] = False


MAYBE_LONE, PLAIN_STARTER = 1, 2  # the values of ``_composing``'s table


@lru_cache(maxsize=1)
def _composing() -> tuple[np.ndarray, np.ndarray]:
    """``(kind, pairs)``: per code point ``MAYBE_LONE`` (NFC quick check Maybe: the second code point
    of a canonical pair, Hangul jamo aside), ``PLAIN_STARTER`` (class 0, quick check Yes, no canonical
    decomposition, not a Hangul syllable) or 0; and ``first << 21 | second`` of every pair NFC composes,
    sorted. Cached on disk like the other tables."""
    return _cached_table("nfc-kind", _build_composing_kind), _cached_table("nfc-pairs", _build_composing_pairs)


def _canonical_pairs():
    """``(composite, first, second)`` for every canonical decomposition into two code points."""
    for i in range(0x80, _TABLE_END):
        if 0xD800 <= i < 0xE000:
            continue
        parts = unicodedata.decomposition(chr(i)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            yield i, int(parts[0], 16), int(parts[1], 16)


def _build_composing_kind() -> np.ndarray:
    suspect, ccc = _nfc_tables()
    kind = np.zeros(0x110000, np.uint8)
    plain = [i for i in range(_TABLE_END) if not 0xD800 <= i < 0xE000 and not 0xAC00 <= i <= 0xD7A3
             and not suspect[i] and not ccc[i] and unicodedata.decomposition(chr(i))[:1] in ("", "<")]
    kind[np.array(plain)] = PLAIN_STARTER
    kind[np.array(sorted({b for _, _, b in _canonical_pairs()}))] = MAYBE_LONE
    return kind


def _build_composing_pairs() -> np.ndarray:
    # composition-excluded composites (Devanagari qa, ...) are not composed: NFC itself decides
    pairs = [a << 21 | b for _, a, b in _canonical_pairs() if unicodedata.normalize("NFC", chr(a) + chr(b)) != chr(a) + chr(b)]
    return np.unique(np.array(pairs, np.uint64))


def _near_marks(cp: np.ndarray, changed: np.ndarray) -> bool:
    """Is a code point that NFC may act on (``_mark_table``) at, just before or just after a changed one?

    A flag counts after folding only if its segment (the starter before its run of such code points
    through the code point after the flag) holds a changed position, and every position of such a
    segment is one of those code points or next to one: if none is near a change, nothing counts.
    """
    if not len(changed):
        return False
    near = np.concatenate((changed, np.maximum(changed - 1, 0), np.minimum(changed + 1, len(cp) - 1)))
    return bool(np.take(_mark_table(), cp[near]).any())


def _nfc(cp: np.ndarray, changed: np.ndarray | None = None) -> np.ndarray:
    """NFC of ``SEPARATOR``-joined code points: only the spans ``_nfc_runs`` finds are normalised."""
    start, end = _nfc_runs(cp, changed)
    if not len(start):
        return cp
    size = end - start
    gathered = np.zeros(int(size.sum()) + len(size) - 1, np.uint32)  # spans joined by separators
    gathered[index_ranges(np.cumsum(size + 1) - (size + 1), size)] = cp[index_ranges(start, size)]
    done = _codepoints(unicodedata.normalize("NFC", gathered.tobytes().decode("utf-32-le")))
    seps = np.flatnonzero(done == 0)
    new_start = np.concatenate(([0], seps + 1))
    new_size = np.concatenate((seps, [len(done)])) - new_start
    return _splice(cp, start, size, done[index_ranges(new_start, new_size)], new_size)


def _splice(cp: np.ndarray, start: np.ndarray, size: np.ndarray, values: np.ndarray, new_size: np.ndarray) -> np.ndarray:
    """``cp`` with each span ``start[k] .. start[k] + size[k]`` replaced by its ``new_size[k]`` of ``values``.

    Spans that keep their length are written in place. The others are stitched in: by concatenating
    the pieces when they are few (one copy of the text), else by one mask and one ``np.insert`` (a few
    passes, but no per-piece cost), instead of rebuilding the whole array from index ranges.
    """
    same = new_size == size
    if same.all():
        out = cp.copy()
        out[index_ranges(start, size)] = values
        return out
    mine = np.repeat(same, new_size)  # the values of the spans that keep their length
    if same.any():
        out = cp.copy()
        out[index_ranges(start[same], size[same])] = values[mine]
    else:
        out = cp
    start, size, new_size, values = start[~same], size[~same], new_size[~same], values[~mine]
    if len(start) <= FEW_PIECES:
        cut = np.cumsum(new_size).tolist()
        pieces, at, v = [], 0, 0
        for a, b, w in zip(start.tolist(), (start + size).tolist(), cut):
            pieces += [out[at:a], values[v:w]]
            at, v = b, w
        pieces.append(out[at:])
        return np.concatenate(pieces)
    keep = np.ones(len(out), bool)
    keep[index_ranges(start, size)] = False
    at = start - (np.cumsum(size) - size)  # where each span's values go once the spans are deleted
    return np.insert(out[keep], np.repeat(at, new_size), values)


FEW_PIECES = 64  # up to this many spans change length, concatenating slices beats np.insert's passes


def _distinct(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (``np.unique`` without its sort or hash table)."""
    keep = np.ones(len(ordered), bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def index_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices ``starts[k] .. starts[k] + lengths[k] - 1`` for every k, concatenated."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


_MULTI = np.uint32(0xFFFFFFFF)


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """Per code point its case folding when that is one code point, else ``_MULTI`` (e.g. "ß")."""
    return _cached_table("fold", _build_fold)


def _build_fold() -> np.ndarray:
    table = np.arange(0x110000, dtype=np.uint32)
    for i in range(0x41, _TABLE_END):
        if 0xD800 <= i < 0xE000:
            continue
        folded = chr(i).casefold()
        table[i] = ord(folded) if len(folded) == 1 else _MULTI
    return table


@lru_cache(maxsize=1)
def _expansions() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The code points that fold to several (sorted), their foldings (padded rows), lengths, and whether
    each folding is settled: NFC already and starting with a code point NFC does not act on, so NFC
    cannot change it unless what follows it can (e.g. "İ" -> "i\u0307", "ß" -> "ss"; not "ΐ")."""
    points = np.flatnonzero(_fold_table() == _MULTI)
    foldings = [chr(i).casefold() for i in points.tolist()]
    rows = np.zeros((len(points), max(map(len, foldings))), np.uint32)
    for r, f in enumerate(foldings):
        rows[r, :len(f)] = [ord(c) for c in f]
    settled = np.array([unicodedata.is_normalized("NFC", f) and not _mark_table()[ord(f[0])] for f in foldings])
    return points.astype(np.uint32), rows, np.array([len(f) for f in foldings], np.int64), settled


def _expand(folded: np.ndarray, changed: np.ndarray, cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``folded`` with each ``_MULTI`` code point replaced by its several-code-point folding (e.g. "ß" ->
    "ss"), and ``changed`` (the sorted positions folding replaced) moved to match, expansions included.

    A settled folding (see ``_expansions``) followed by a code point NFC does not act on is left out of
    the returned positions: no flag whose segment holds only its positions can mean an NFC change (it
    starts with a quick-check-Yes starter and ends before one, and is NFC), so the second NFC pass need
    not look at it. Turkish "İ" is common, and its combining dot would otherwise always send the chunk
    through that pass.
    """
    points, rows, lengths, settled = _expansions()
    multi = folded[changed] == _MULTI
    where = changed[multi]
    which = np.searchsorted(points, cp[where])
    size = lengths[which]
    foldings = rows[which][np.arange(rows.shape[1]) < size[:, None]]  # each folding's code points, in order
    out = _splice(folded, where, np.ones(len(where), np.int64), foldings, size)
    before = np.concatenate(([0], np.cumsum(size - 1)))  # code points inserted before each expansion
    after = where + before[1:] + 1  # the code point after each expansion in ``out``
    inert = np.ones(len(where), bool)
    inside = after < len(out)
    inert[inside] = ~np.take(_mark_table(), out[after[inside]])
    keep = ~(settled[which] & inert)
    kept = np.ones(len(changed), bool)
    kept[multi] = keep
    moved = (changed + before[np.searchsorted(where, changed, "left")])[kept]
    grown = index_ranges((where + before[:-1])[keep], size[keep])
    both = np.concatenate((moved, grown))
    both.sort()
    return out, _distinct(both)


def _fast_normalize(text: str) -> tuple[str | None, np.ndarray]:
    """``normalize`` of a ``SEPARATOR``-joined text as code points (and the text, when at hand).

    Case folding is a table lookup (Python's ``casefold`` is per code point, without context); a
    code point that folds to several is expanded from a second table. NFC runs only on the spans a
    vectorised quick check flags (see ``_nfc_runs``).
    """
    if text.isascii():
        text = text.lower()
        return text, _codepoints(text)
    cp = _nfc(_codepoints(text))
    folded = np.take(_fold_table(), cp)  # np.take: 2-3x faster than indexing with uint32 code points
    changed = _near_acting(folded, np.flatnonzero(folded != cp))
    if len(changed) and (folded[changed] == _MULTI).any():
        folded, changed = _expand(folded, changed, cp)
    return None, _nfc(folded, changed)


def _near_acting(folded: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """The ``changed`` positions the second NFC pass can need: those at or next to a code point NFC may
    act on (``_mark_table``) or one folding to several (``_MULTI``, kept for ``_expand`` as well).

    Every position of a flag's segment is such a code point or next to one (see ``_near_marks``), so the
    others never count; they are most of them (upper-case letters between lower-case ones), and
    ``_expand`` then moves a few hundred positions instead of thousands.
    """
    if not len(changed):
        return changed
    marks, last = _mark_table(), len(folded) - 1
    keep = np.zeros(len(changed), bool)
    for at in (changed, np.maximum(changed - 1, 0), np.minimum(changed + 1, last)):
        keep |= np.take(marks, np.minimum(folded[at], 0x10FFFF))  # _MULTI -> U+10FFFF, in the table
    return changed[keep]


_WINDOW_BITS = 12
_WINDOW = 1 << _WINDOW_BITS


@lru_cache(maxsize=1)
def _window_powers() -> tuple[np.ndarray, np.ndarray]:
    """``P**i`` and ``P**-i`` (mod 2**64) for ``i < _WINDOW`` (32 KiB each: they stay in L1)."""
    with np.errstate(over="ignore"):
        fwd = np.full(_WINDOW, _P, np.uint64)
        fwd[0] = 1
        inv = np.full(_WINDOW, pow(_P, -1, 1 << 64), np.uint64)
        inv[0] = 1
        return np.cumprod(fwd, dtype=np.uint64), np.cumprod(inv, dtype=np.uint64)


def _token_polynomials(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per token ``[s, e)`` the polynomial ``sum(cp[j] * P**(j - s))`` (mod 2**64).

    Prefix sums of ``cp[j] * P**(j mod W)`` over aligned windows of ``W = _WINDOW`` code points: the
    power tables are W long whatever the text's length (full-length tables had to be rebuilt as texts
    grew, and streamed 8 bytes per code point from memory). A token inside one window is its prefix
    difference times ``P**-(s mod W)``; the few tokens crossing a window boundary add each later
    window's part times ``P**(window start - s)``.
    """
    fwd, inv = _window_powers()
    n = len(cp)
    whole = (n >> _WINDOW_BITS) << _WINDOW_BITS
    prefix = np.empty(n + 1, np.uint64)
    prefix[0] = 0
    with np.errstate(over="ignore"):
        np.multiply(cp[:whole].reshape(-1, _WINDOW), fwd, out=prefix[1:whole + 1].reshape(-1, _WINDOW))
        np.multiply(cp[whole:], fwd[:n - whole], out=prefix[whole + 1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        raw = (prefix[ends] - prefix[starts]) * np.take(inv, starts & (_WINDOW - 1))
        bound = np.arange(_WINDOW, n, _WINDOW)  # each window's first position, the first window's aside
        holder = np.searchsorted(starts, bound, "right") - 1  # the token starting last at or before it
        inside = holder >= 0
        holder, bound = holder[inside], bound[inside]
        cross = _distinct(holder[(starts[holder] < bound) & (ends[holder] > bound)])
        if len(cross):
            s, e = starts[cross], ends[cross]
            first = (s >> _WINDOW_BITS) + 1  # the first window after the token's first one
            raw[cross] = (prefix[np.minimum(e, first << _WINDOW_BITS)] - prefix[s]) * np.take(inv, s & (_WINDOW - 1))
            later = ((e - 1) >> _WINDOW_BITS) - first + 1  # windows after the first one, >= 1
            tok = np.repeat(np.arange(len(cross)), later)
            a = (first[tok] + index_ranges(np.zeros(len(later), np.int64), later)) << _WINDOW_BITS
            b = np.minimum(e[tok], a + _WINDOW)
            d = a - s[tok]  # 0 < d < the token's length
            step = np.full(int(d.max() >> _WINDOW_BITS) + 1, pow(_P, _WINDOW, 1 << 64), np.uint64)
            step[0] = 1
            power = np.take(fwd, d & (_WINDOW - 1)) * np.take(np.cumprod(step, dtype=np.uint64), d >> _WINDOW_BITS)
            parts = (prefix[b] - prefix[a]) * power
            raw[cross] += np.add.reduceat(parts, np.cumsum(later) - later)
    return raw


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@dataclass
class Tokens:
    """Tokens of several texts joined: per token its text index, start and end (normalised chars)."""

    text: str | None  # the normalised texts joined by SEPARATOR, if made already (see ``joined``)
    cp: np.ndarray = field(repr=False)  # its code points (uint32)
    starts: np.ndarray = field(repr=False)  # int64, offsets in ``joined``
    ends: np.ndarray = field(repr=False)  # exclusive
    seps: np.ndarray = field(repr=False)  # int64 positions of the separators in ``joined``
    hashes: np.ndarray = field(repr=False)  # uint64 per token

    @property
    def joined(self) -> str:
        """The normalised texts joined by SEPARATOR (decoded from the code points on first use)."""
        if self.text is None:
            self.text = self.cp.tobytes().decode("utf-32-le")
        return self.text

    def doc_of(self, tokens: np.ndarray) -> np.ndarray:
        """Index of the text each of ``tokens`` (token indices) belongs to."""
        return np.searchsorted(self.seps, self.starts[tokens])

    @property
    def doc(self) -> np.ndarray:
        """Index of the text each token belongs to (int64)."""
        if getattr(self, "_doc", None) is None:
            self._doc = np.searchsorted(self.seps, self.starts).astype(np.int64)
        return self._doc

    @property
    def offsets(self) -> np.ndarray:
        """Code-point offset of each text in ``joined``."""
        return np.concatenate(([0], self.seps + 1)).astype(np.int64)

    @property
    def texts(self) -> list[str]:
        """The normalised texts."""
        return self.joined.split(SEPARATOR)

    def token(self, i: int) -> str:
        return self.joined[self.starts[i]:self.ends[i]]


def tokenize(texts: list[str], normalised: bool = False) -> Tokens:
    """Normalise and tokenise ``texts`` in one vectorised pass (normalised once, joined)."""
    joined = SEPARATOR.join(texts)
    if normalised:
        cp = _codepoints(joined)
    else:
        joined, cp = _fast_normalize(joined)  # NFC and case folding never touch or cross the separator
    cls = np.take(_classes(), cp)
    if cls.max(initial=0) < 2:  # only spaced scripts: tokens are the runs of word characters
        edges = np.diff(cls.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
    else:
        prev = np.empty_like(cls)
        prev[0], prev[1:] = 0, cls[:-1]
        # a token starts at a character-script character, at a word character not after one, and at
        # a mark after a separator; marks (3) continue any token, word characters continue words
        start = (cls == 2) | ((cls == 1) & (prev != 1)) | ((cls == 3) & (prev == 0))
        inside = cls != 0
        last = np.empty_like(inside)
        last[-1:], last[:-1] = True, ~inside[1:] | start[1:]
        starts = np.flatnonzero(start)
        ends = np.flatnonzero(inside & last) + 1
    seps = np.flatnonzero(cp == 0)
    if len(seps) != max(len(texts) - 1, 0):  # a text holds the separator (NFC and folding never add or drop one)
        return tokenize([t.replace(SEPARATOR, " ") for t in texts], normalised)
    raw = _token_polynomials(cp, starts, ends)
    with np.errstate(over="ignore"):
        hashes = _mix(raw + (ends - starts).astype(np.uint64))
    starts, ends, seps = (a.astype(np.int64, copy=False) for a in (starts, ends, seps))  # int64 already: no copies
    return Tokens(joined, cp, starts, ends, seps, hashes)


def character_tokens(tokens: Tokens) -> np.ndarray:
    """Per token: is it one character of a script written without spaces (CJK, Thai, Lao, Khmer, Myanmar)?"""
    return np.take(_classes(), tokens.cp[tokens.starts]) == 2


def ngram_hashes(tokens: Tokens, n: int, stride: int = 1, chunks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the n-grams starting at every ``stride``-th token (global index), inside one text.

    Returns ``(positions, hashes)``: the first token index of each n-gram and its uint64 hash.
    Since ``stride`` consecutive n-grams always include one kept start, any overlap of at least
    ``n + stride - 1`` tokens contains a kept n-gram.

    ``chunks`` (sorted text indices, the first 0): the texts are several chunks tokenised together, and
    the stride counts from each chunk's first token, exactly as if each chunk were tokenised alone.
    """
    total = len(tokens.hashes)
    if total < n:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    if chunks is None or len(chunks) < 2:
        pos = np.arange(0, total - n + 1, stride, dtype=np.int64)
    else:
        first = np.searchsorted(tokens.starts, tokens.offsets[chunks])  # each chunk's first token
        size = np.diff(first, append=total)
        count = np.maximum(size - n + stride, 0) // stride  # len(range(0, size - n + 1, stride))
        pos = first.repeat(count) + stride * index_ranges(np.zeros(len(count), np.int64), count)
    pos = pos[tokens.doc_of(pos) == tokens.doc_of(pos + n - 1)]
    return pos, ngram_hashes_at(tokens, n, pos)


def ngram_hashes_at(tokens: Tokens, n: int, pos: np.ndarray) -> np.ndarray:
    """Hashes of the n-grams starting at token indices ``pos`` (each must lie inside one text)."""
    h = np.zeros(len(pos), np.uint64)
    q = np.uint64(_Q)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * q + tokens.hashes[pos + j]
    return _mix(h)
