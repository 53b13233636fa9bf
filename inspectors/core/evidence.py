"""Evidence documents: fetch a few matched rows' text and cut a privacy-masked, highlighted snippet."""

from __future__ import annotations

import re

from inspectors.core.columns import ColumnMap
from inspectors.core.shards import Shard, detect_columns, read_batches

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d ().-]{7,}\d)(?!\w)")
SNIPPET_CHARS = 320


def mask(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers replaced by placeholders."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def snippet(text: str | None, terms: tuple[str, ...] = (), width: int = SNIPPET_CHARS) -> str:
    """A masked window of ``text`` around the first match of ``terms``, matches wrapped in ``**``.

    ``terms`` are regular expressions (case-insensitive); without a match the window starts the text.
    """
    if not text:
        return ""
    pattern = re.compile("|".join(f"(?:{t})" for t in terms), re.IGNORECASE) if terms else None
    start = 0
    if pattern:
        found = pattern.search(text)
        if found:
            start = max(0, found.start() - width // 3)
    window = " ".join(text[start : start + width].split())
    window = mask(window)
    if pattern:
        window = pattern.sub(lambda m: f"**{m.group(0)}**", window)
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return prefix + window + suffix


def texts_for(shard: Shard, rows: list[int], columns: dict | None = None) -> dict[int, str | None]:
    """Text of the given ``rows`` of ``shard``, reading the shard only up to the last of them.

    ``columns`` is the column mapping recorded in the shard's attribute metadata; without it the
    shard's schema is probed.
    """
    if not rows:
        return {}
    mapping = ColumnMap(**columns) if columns else detect_columns(shard)
    wanted = set(rows)
    out: dict[int, str | None] = {}
    for batch in read_batches(shard, mapping, ("text",), max(rows) + 1):
        row_numbers = batch.column(0).to_pylist()
        texts = batch.column(1).to_pylist()
        for row, text in zip(row_numbers, texts):
            if row in wanted:
                out[row] = text
    return out
