"""Browse the documents of a corpus: rows of ``documents`` with their labels, filtered and paged.

Filters on any label column (``language = vi``, ``n_bytes >= 1000``) and a regular expression on the text
(RE2, checked by DuckDB) are bound as parameters, never pasted into SQL; column names are checked
against the ``documents`` view. Without a text filter a page is chosen from the cached attributes alone
and only its rows' text is read (each shard up to its last row on the page); with one, the text of the
profiled shards is scanned. Snippets are masked (e-mail addresses, phone numbers) and highlighted as in
evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inspectors.core import evidence, views
from inspectors.core.errors import BadInput
from inspectors.core.sources import Corpus

OPERATORS = ("!=", ">=", "<=", "=", ">", "<")  # longest first, for parsing
_WHERE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$", re.S)
KEY_COLUMNS = ("shard", "row", "id", "url")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Filter:
    """``column OP value``; for ``=``/``!=`` the value may be several, comma-separated (any of them)."""

    column: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str, label: str = "a filter") -> "Filter":
        """``language=vi``, ``topic=law,government``, ``n_bytes>=1000``; BadInput if malformed, naming the
        control the user typed it in by ``label`` (the CLI's ``--where``, the app's filter box)."""
        match = _WHERE.match(text or "")
        if not match or match.group(3) == "":
            raise BadInput(f"{label} takes COLUMN OP VALUE with OP one of {', '.join(OPERATORS)}, got {text!r}")
        return cls(*match.groups())


@dataclass
class Page:
    """One page of documents: ``rows`` (labels, snippet) and where it sits in the whole match."""

    rows: list[dict]
    columns: list[str]
    offset: int
    limit: int
    matched: int
    shards_read: int
    shards_total: int
    filters: list[str] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.matched


def _sql_for(filters: list[Filter], text: str | None, available: list[str], label: str) -> tuple[str, dict]:
    where, params = [], {}
    for i, f in enumerate(filters):
        if f.column not in available:
            raise BadInput(f"{label}: no column {f.column!r} in documents; columns: {', '.join(available)}")
        column = f'"{f.column}"'
        if f.op in ("=", "!="):
            params[f"p{i}"] = [v.strip() for v in f.value.split(",") if v.strip()]
            test = f"list_contains($p{i}, CAST({column} AS VARCHAR))"
            where.append(test if f.op == "=" else f"({column} IS NULL OR NOT {test})")
        else:
            try:
                params[f"p{i}"] = float(f.value)
            except ValueError:
                raise BadInput(f"{label} takes a number after {f.op}, got {f.column + f.op + f.value!r}") from None
            where.append(f"TRY_CAST({column} AS DOUBLE) {f.op} $p{i}")
    if text:
        params["text_pattern"] = text
        where.append("regexp_matches(text, $text_pattern)")
    return ("WHERE " + " AND ".join(where)) if where else "", params


def browse(corpus: Corpus, where=(), text: str | None = None, limit: int = 20, offset: int = 0,
           columns: list[str] | None = None, snippet_chars: int = 300, filter_label: str = "a filter") -> Page:
    """A page of ``corpus``'s profiled documents matching every ``where`` filter (``Filter`` or
    ``"col=value"`` strings) and the ``text`` regex (RE2; ``\\b`` made Unicode-aware), in shard and row
    order. ``columns`` picks the label columns shown (default: all but the text). ``filter_label`` is
    what the caller's user typed the filters into (``--where``, a filter box): a bad filter's error names it."""
    from inspectors.core.slice_builder import _python_compiles, check_regex, unicode_boundaries

    if not 1 <= int(limit) <= MAX_LIMIT:
        raise BadInput(f"--limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if int(offset) < 0:
        raise BadInput(f"--offset must be 0 or more, got {offset}")
    filters = [f if isinstance(f, Filter) else Filter.parse(f, filter_label) for f in where or ()]
    pattern = None
    if text:
        pattern = unicode_boundaries(text)
        check_regex(pattern)
    done = views.profiled(corpus.shards)
    if not done:
        raise views.nothing_profiled(corpus.source, len(corpus.shards))
    con = views.open_documents(corpus.shards, done=done)
    try:
        if pattern:
            views.add_text(con, done)
        available = views.columns(con, "SELECT * FROM documents")
        shown = [c for c in (columns or available) if c != "text"]
        unknown = [c for c in shown if c not in available]
        if unknown:
            raise BadInput(f"no column {unknown[0]!r} in documents; columns: {', '.join(available)}")
        shown = list(dict.fromkeys([c for c in KEY_COLUMNS if c in available] + shown))
        clause, params = _sql_for(filters, pattern, available, filter_label)
        matched = views.run_select(con, f"SELECT count(*) AS n FROM documents {clause}", params).column(0)[0].as_py()
        select = ", ".join(f'"{c}"' for c in shown) + (", text" if pattern else "")
        table = views.run_select(con, f"SELECT {select} FROM documents {clause} ORDER BY shard, row "
                                      f"LIMIT {int(limit)} OFFSET {int(offset)}", params)
    finally:
        con.close()
    rows = table.to_pylist()
    texts = {} if pattern else _texts(corpus, done, rows)
    terms = (text,) if text and _python_compiles(text) else ()
    for row in rows:
        body = row.pop("text", None) if pattern else texts.get((row["shard"], row["row"]))
        row["snippet"] = evidence.snippet(body, terms, snippet_chars)
    return Page(rows, shown + ["snippet"], int(offset), int(limit), int(matched), len(done), len(corpus.shards),
                [f"{f.column}{f.op}{f.value}" for f in filters] + ([f"text ~ {text}"] if text else []))


def _texts(corpus: Corpus, done, rows: list[dict]) -> dict[tuple, str | None]:
    """Text of just the page's rows: each shard is read up to its last row on the page."""
    by_uri = {shard.uri: (shard, info) for shard, _, info in done}
    wanted: dict[str, list[int]] = {}
    for row in rows:
        wanted.setdefault(row["shard"], []).append(row["row"])
    out = {}
    for uri, numbers in wanted.items():
        shard, info = by_uri.get(uri, (None, None))
        if shard is None:
            continue
        for number, body in evidence.texts_for(shard, numbers, info.columns).items():
            out[(uri, number)] = body
    return out

