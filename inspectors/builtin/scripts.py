"""Script classes of texts from their UTF-8 bytes: which writing system most letters are in.

``script_class`` reads one text; ``classify`` reads a whole Arrow string column at once, on its
UTF-8 buffer, and gives the same answer per text. The token estimates are calibrated per class.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SCRIPT_CLASSES = (
    "latin", "latin_accented", "vietnamese", "cyrillic", "greek", "arabic", "devanagari", "thai", "cjk", "other",
)
SAMPLE_CHARS = 2000

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


# The batch path (``classify``) computes exactly what ``script_class`` and ``len(text.encode())`` give,
# for a whole Arrow column at once, on its UTF-8 data buffer, in a fixed number of numpy calls per
# half MB of text:
# * a sample ends where character ``SAMPLE_CHARS`` (0-based) starts, i.e. at a byte that is not a
#   continuation byte (0b10xxxxxx): found by rank/select on a bit vector of those bytes;
# * ASCII letters are counted by popcounts of a bit vector of them;
# * every other byte the tables count is >= ``_SPARSE_MIN``; at those positions the byte and the
#   one after it (inside the sample) index a table of their counts, packed as ``_LANE_BITS``-bit lanes
#   into 64-bit words, which ``np.add.reduceat`` sums per sample.
_LANE_NAMES = [name for name in _NAMES if name != "ascii"]
_LANE_BITS = (SAMPLE_CHARS + 1).bit_length()  # a lane counts at most one per character of a sample
_PER_WORD = 64 // _LANE_BITS


def _lane_tables() -> tuple[int, list[np.ndarray]]:
    value = np.arange(65536)
    byte = value >> 8
    found = np.zeros((65536, len(_NAMES)), np.int64)  # byte * 256 + next byte -> counts per name
    single = _SINGLE[byte]
    found[np.flatnonzero(single >= 0), single[single >= 0]] += 1
    pair = np.where(_PAIR_FIRST[byte], _PAIR[value], -1)
    found[np.flatnonzero(pair >= 0), pair[pair >= 0]] += 1
    found[:, _NAMES.index("accented")] += _ACCENTED[byte]
    # Each byte adds at most one to a name; 0 (standing for "no byte after the sample") ends no pair;
    # below 128 only ASCII letters count, and those are what ``classify`` counts with a bit mask.
    assert found.max() <= 1 and not (_PAIR[0::256] >= 0).any()
    assert np.flatnonzero(found[:128 * 256:256].any(axis=1)).tolist() == [*range(65, 91), *range(97, 123)]
    assert (found[:128 * 256].sum(axis=1) == found[:128 * 256, _NAMES.index("ascii")]).all()
    low = min(b for b in range(128, 256) if found[b * 256 : (b + 1) * 256].any())
    assert not found[128 * 256 : low * 256].any()
    tables = []
    for first in range(0, len(_LANE_NAMES), _PER_WORD):
        table = np.zeros(65536, np.uint64)
        for lane, name in enumerate(_LANE_NAMES[first : first + _PER_WORD]):
            table |= found[:, _NAMES.index(name)].astype(np.uint64) << np.uint64(lane * _LANE_BITS)
        tables.append(table)
    return low, tables


_SPARSE_MIN, _LANES = _lane_tables()
_RIVALS = [_NAMES.index(name) for name in (*_LEADS, "other")]  # in ``script_class``'s tie order
_CLASS_INDEX = np.array([SCRIPT_CLASSES.index(name) for name in (*_LEADS, "other")], np.int8)
_POPCOUNT8 = np.array([b.bit_count() for b in range(256)], np.uint8)
_SAMPLE_BYTES = 4 * SAMPLE_CHARS  # a sample never has more bytes than this
_CHUNK_BYTES = 1 << 19  # see classify


def _popcount(words: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        return np.bitwise_count(words)
    return _POPCOUNT8[words.view(np.uint8)].reshape(-1, 8).sum(axis=1, dtype=np.uint8)


class _Ranks:
    """Rank and select over a boolean mask, on 64-bit words of its packed bits."""

    def __init__(self, mask: np.ndarray) -> None:
        n_words = len(mask) // 64 + 1  # one more word than needed: rank(len(mask)) stays in range
        packed = np.zeros(n_words * 8, np.uint8)
        bits = np.packbits(mask, bitorder="little")
        packed[: len(bits)] = bits
        self.words = packed.view("<u8")
        self.before = np.zeros(n_words + 1, np.int64)  # set bits in words [0, k)
        np.cumsum(_popcount(self.words), dtype=np.int64, out=self.before[1:])

    def rank(self, positions: np.ndarray) -> np.ndarray:
        """Set bits strictly before each position."""
        word = positions >> 6
        low = (np.uint64(1) << (positions & 63).astype(np.uint64)) - np.uint64(1)
        return self.before[word] + _popcount(self.words[word] & low)

    def select(self, ranks: np.ndarray, default: np.ndarray) -> np.ndarray:
        """Position of the set bit with ``ranks`` set bits before it (``default`` where there is none)."""
        found = ranks < self.before[-1]
        word = np.minimum(np.searchsorted(self.before, ranks, side="right") - 1, len(self.words) - 1)
        bits = np.unpackbits(self.words[word].view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
        inside = np.argmax(np.cumsum(bits, axis=1) > (ranks - self.before[word])[:, None], axis=1)
        return np.where(found, word * 64 + inside, default)


def _utf8_column(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One string or binary array (offsets + data buffers) with the values of ``column``."""
    if isinstance(column, pa.ChunkedArray):
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    kind = column.type
    if kind in (pa.string(), pa.large_string(), pa.binary(), pa.large_binary()):
        return column
    if pa.types.is_null(kind) or pa.types.is_dictionary(kind) or str(kind) in ("string_view", "binary_view"):
        return column.cast(pa.large_binary() if "binary" in str(kind) else pa.large_string())
    raise TypeError(f"text must be a string column, not {kind}")


def _buffers(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64, ``len + 1``) and data (uint8) of a string/binary array, zero-copy."""
    offset_type = np.int64 if column.type in (pa.large_string(), pa.large_binary()) else np.int32
    _, offsets, data = column.buffers()
    offsets = np.frombuffer(offsets, offset_type)[column.offset : column.offset + len(column) + 1]
    data = np.frombuffer(data, np.uint8) if data is not None and data.size else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def classify(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes and script class (index into ``SCRIPT_CLASSES``) of every text of a column.

    The same as ``len(text.encode())`` and ``script_class(text)`` per text (null and empty: 0 bytes,
    ``latin``), for a whole string (or binary: UTF-8 bytes) Arrow column at once.
    """
    column = _utf8_column(column)
    n = len(column)
    classes = np.zeros(n, np.int8)  # latin
    if n == 0:
        return np.zeros(0, np.int64), classes
    offsets, data = _buffers(column)
    valid = np.ones(n, bool) if column.null_count == 0 else column.is_valid().to_numpy(zero_copy_only=False)
    n_bytes = np.where(valid, np.diff(offsets), 0)
    # Long texts (many, or one bigger than a piece): keep only their heads, which hold the samples.
    if 8 * np.maximum(n_bytes - _SAMPLE_BYTES, 0).sum() > n_bytes.sum() or n_bytes.max() > _CHUNK_BYTES:
        binary = pa.large_binary() if column.type in (pa.large_string(), pa.large_binary()) else pa.binary()
        offsets, data = _buffers(pc.binary_slice(column.cast(binary), 0, _SAMPLE_BYTES))
    # Half a MB of text at a time: with bigger temporaries, malloc maps fresh memory for them (and
    # page-faults on it) on every call, which costs more than all the work on them.
    heads = np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], _CHUNK_BYTES), "right") - 1
    cuts = np.unique([0, *heads.tolist(), n]).tolist()
    for first, last in itertools.pairwise(cuts):
        region = data[offsets[first] : offsets[last]]
        classes[first:last] = _classes(region, offsets[first : last + 1] - offsets[first], valid[first:last])
    return n_bytes, classes


def _classes(region: np.ndarray, offsets: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``classify``'s classes for the texts at ``offsets`` (from 0) of ``region``."""
    n = len(valid)
    classes = np.zeros(n, np.int8)  # latin
    starts = offsets[:-1]
    ends = np.where(valid, offsets[1:], starts)
    if not region.size:
        return classes

    # Where each sample ends: the start of character SAMPLE_CHARS, or the end of the text.
    long = np.flatnonzero(ends - starts > SAMPLE_CHARS)
    if len(long):
        chars = _Ranks(region.view(np.int8) >= -64)  # not 0b10xxxxxx: the byte starts a character
        wanted = chars.rank(starts[long]) + SAMPLE_CHARS
        ends[long] = np.minimum(chars.select(wanted, ends[long]), ends[long])

    counts = np.zeros((n, len(_NAMES)), np.int64)
    folded = region | np.uint8(0x20)  # A-Z to a-z
    folded -= np.uint8(ord("a"))
    letters = _Ranks(folded < 26)
    del folded
    counts[:, _NAMES.index("ascii")] = letters.rank(ends) - letters.rank(starts)

    # Every other byte that feeds a count: it and the byte after it index the lane tables.
    positions = np.flatnonzero(region >= _SPARSE_MIN)
    if len(positions):
        # One key more than positions, 0 (no counts): reduceat may start a (empty) segment there.
        key = np.zeros(len(positions) + 1, np.intp)
        key[:-1] = region.take(positions, mode="clip")
        key[:-1] <<= 8
        # The region's last byte gets itself as the byte after it ("clip"): a sample's last byte, below.
        key[:-1] |= (region[1:] if len(region) > 1 else region).take(positions, mode="clip")
        # Per document, positions [first, last) are in its sample; sum them, and (ignored) the rest.
        first, last = np.searchsorted(positions, starts), np.searchsorted(positions, ends)
        tail = np.flatnonzero(last > first)
        tail = tail[positions[last[tail] - 1] == ends[tail] - 1]  # a sample's last byte: no byte after it
        key[last[tail] - 1] &= ~0xFF
        bounds = np.column_stack([first, last]).ravel()
        for word, table in enumerate(_LANES):
            total = np.add.reduceat(table.take(key, mode="clip"), bounds)[::2]
            total[last == first] = 0
            for lane, name in enumerate(_LANE_NAMES[word * _PER_WORD : (word + 1) * _PER_WORD]):
                counts[:, _NAMES.index(name)] = (total >> np.uint64(lane * _LANE_BITS)) & np.uint64(
                    (1 << _LANE_BITS) - 1)

    # script_class's decision, per row.
    accented, vietnamese = counts[:, _NAMES.index("accented")], counts[:, _NAMES.index("vietnamese")]
    latin = counts[:, _NAMES.index("ascii")] + accented + vietnamese
    rivals = np.column_stack([counts[:, _RIVALS], latin])
    best = np.argmax(rivals, axis=1)  # first of equals, as max() over the dict in script_class
    top = rivals[np.arange(n), best]
    is_latin = best == len(_RIVALS)
    classes = np.where(is_latin, 0, _CLASS_INDEX[np.minimum(best, len(_RIVALS) - 1)])
    classes[is_latin & (accented >= 0.005 * latin)] = SCRIPT_CLASSES.index("latin_accented")
    classes[is_latin & (vietnamese >= 0.03 * latin)] = SCRIPT_CLASSES.index("vietnamese")
    classes[top == 0] = 0
    return classes.astype(np.int8)
