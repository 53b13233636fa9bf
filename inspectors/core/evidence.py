"""Evidence documents: fetch a few matched rows' text and cut a privacy-masked, highlighted snippet."""

from __future__ import annotations

import re
import time

import regex  # re's syntax (Unicode \b and \w) with a timeout; Apache-2.0, a dependency of tiktoken

from inspectors.core.columns import ColumnMap
from inspectors.core.errors import BadInput
from inspectors.core.shards import Shard, detect_columns, read_batches

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d ().-]{7,}\d)(?!\w)")
SNIPPET_CHARS = 320
HIGHLIGHT_SECONDS = 0.25  # per snippet: search plus marking


def mask(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers replaced by placeholders."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def compile_terms(terms: tuple[str, ...]):
    """One case-insensitive pattern for highlight ``terms`` (``regex`` module: ``re`` syntax, timeouts)."""
    if not terms:
        return None
    try:
        return regex.compile("|".join(f"(?:{t})" for t in terms), regex.IGNORECASE | regex.V0)
    except regex.error as error:
        raise BadInput(f"highlight regex does not compile: {error}") from None


def snippet(text: str | None, terms: tuple[str, ...] = (), width: int = SNIPPET_CHARS,
            budget: float = HIGHLIGHT_SECONDS) -> str:
    """A masked window of ``text`` around the first match of ``terms``, matches wrapped in ``**``.

    ``terms`` are regular expressions (case-insensitive); without a match the window starts the text.
    Matching has a time ``budget`` (seconds): a catastrophic pattern such as ``(\\w+\\s?)+$`` gives up
    and the window is returned without highlights rather than hanging the run.
    """
    if not text:
        return ""
    pattern = compile_terms(terms)
    start = 0
    deadline = time.monotonic() + budget
    if pattern:
        try:
            found = pattern.search(text, timeout=budget)
        except TimeoutError:
            found, pattern = None, None
        if found:
            start = max(0, found.start() - width // 3)
    window = " ".join(text[start : start + width].split())
    window = mask(window)
    if pattern:
        try:
            window = pattern.sub(lambda m: f"**{m.group(0)}**", window,
                                 timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            pass
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
