"""A token-id prefilter: which windows may hold Vietnamese letters, read from the ids alone.

For a byte-level BPE vocabulary (GPT-NeoX-20B, OLMo's tokenizers) every token is a byte string, so
the ids whose bytes carry a Vietnamese-specific letter (ă đ ơ ư and the Latin Extended Additional
block U+1EA0–U+1EF9 of tone-marked vowels), or a piece of one split across tokens (a token ending
in its lead byte, or starting with its continuation byte), are a short list. A window with none of
them cannot contain such a letter. The prefilter is meant to *stratify* (candidate windows get the
expensive inspectors at a high rate, the rest are sampled thinly), never to drop.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from inspectors.streams.base import _tokenizer, tokenizer_file

# UTF-8 of ă Ă đ Đ ơ Ơ ư Ư, and the lead pair of U+1EA0–U+1EFF
MARKERS = (b"\xc4\x83", b"\xc4\x82", b"\xc4\x91", b"\xc4\x90", b"\xc6\xa1", b"\xc6\xa0", b"\xc6\xb0", b"\xc6\xaf",
           b"\xe1\xba", b"\xe1\xbb")
SPLIT_LEADS = (b"\xc4", b"\xc6", b"\xe1")  # a token ending in a lead byte may continue into a marker
SPLIT_TAILS = (b"\xba", b"\xbb", b"\x83", b"\x82", b"\x91", b"\x90", b"\xa1", b"\xa0", b"\xb0", b"\xaf")


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-to-unicode table, inverted (byte-level BPE stores bytes as these characters)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, n = list(keep), 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(keep, chars)}


def token_bytes(tok) -> list[bytes]:
    """The byte string of every id: byte-level BPE pieces through GPT-2's table; SentencePiece pieces
    (a vocabulary with byte-fallback ``<0xHH>`` tokens, like LLaMA's) as their UTF-8 with ``▁`` a space
    and ``<0xHH>`` the byte itself; special tokens as their UTF-8."""
    table = _byte_decoder()
    sentencepiece = tok.token_to_id("<0x00>") is not None or tok.token_to_id("<0xE1>") is not None
    out = []
    for i in range(tok.get_vocab_size()):
        piece = tok.id_to_token(i) or ""
        if sentencepiece:
            out.append(_sentencepiece_bytes(piece))
            continue
        try:
            out.append(bytes(table[ch] for ch in piece))
        except KeyError:  # an added/special token, stored as plain text
            out.append(piece.encode("utf-8"))
    return out


def _sentencepiece_bytes(piece: str) -> bytes:
    if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
        try:
            return bytes([int(piece[3:5], 16)])
        except ValueError:
            pass
    return piece.replace("\u2581", " ").encode("utf-8")


@lru_cache(maxsize=4)
def vietnamese_table(tokenizer: str = "gpt-neox-20b") -> np.ndarray:
    """``table[id]`` true for ids that carry (a piece of) a Vietnamese-specific letter; 65,536 entries or more."""
    path = tokenizer_file(tokenizer)
    if path is None:
        raise FileNotFoundError(f"tokenizer {tokenizer} is not on this machine")
    pieces = token_bytes(_tokenizer(str(path)))
    table = np.zeros(max(65536, len(pieces)), dtype=bool)
    for i, b in enumerate(pieces):
        # every marker holds a lead byte, so most pieces need only the three ``in`` tests
        table[i] = ((any(lead in b for lead in SPLIT_LEADS) and (any(m in b for m in MARKERS) or b.endswith(SPLIT_LEADS)))
                    or b.startswith(SPLIT_TAILS))
    return table


def candidate_windows(tokens: np.ndarray, window: int, table: np.ndarray) -> np.ndarray:
    """For a flat token array cut into ``window``-token windows, which windows hold a marked id."""
    n = len(tokens) // window * window
    hits = table[tokens[:n]].reshape(-1, window).any(axis=1)
    if n < len(tokens):
        hits = np.append(hits, table[tokens[n:]].any())
    return hits


# Prefilters a stratified exposure run can use, by name: a function of the tokenizer name giving the table.
PREFILTERS = {"vietnamese": vietnamese_table}
