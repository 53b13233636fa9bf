"""Turn slice choices (languages, topics, hosts, keywords…) into a saved slice query file.

The generated file is an ordinary saved query: a YAML header with typed parameters whose defaults are
the chosen values, and a ``SELECT * FROM documents WHERE …`` body in which every user value is a bound
``$parameter`` (never pasted into the SQL). Only the chosen filters appear. Keywords become one
case-insensitive RE2 pattern; the keywords and the regex are also the evidence snippets' highlights.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from inspectors.core import paths, queries, registry
from inspectors.core.errors import BadInput

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_META = re.compile(r"[\\.+*?()|\[\]{}^$]")  # RE2 and Python metacharacters; letters and spaces stay readable


@dataclass(frozen=True)
class SliceSpec:
    """Widget choices for a slice; empty fields add no filter."""

    title: str = "Custom slice"
    description: str = ""
    languages: tuple[str, ...] = ()
    min_language_score: float = 0.0
    topics: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    regex: str = ""

    def is_empty(self) -> bool:
        """True when no filter is chosen (the slice would be the whole corpus)."""
        return not (self.languages or self.topics or self.formats or self.hosts or self.suffixes
                    or self.sources or self.keywords or self.regex)


@dataclass
class _Parts:
    where: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    requires: set = field(default_factory=set)
    highlight: list[str] = field(default_factory=list)


def keyword_pattern(keywords: tuple[str, ...]) -> str:
    """One RE2 alternation matching any of ``keywords`` literally (case is handled by the caller)."""
    return "|".join(_META.sub(r"\\\g<0>", k) for k in keywords if k)


def _clean(values) -> list[str]:
    return [str(v).strip() for v in values if str(v).strip()]


def build(spec: SliceSpec) -> str:
    """The text of a saved slice query file for ``spec``; BadInput if nothing is chosen or a regex is bad."""
    if spec.is_empty():
        raise BadInput("choose at least one filter (language, topic, format, host, suffix, source, keyword or regex)")
    p = _Parts()
    if spec.languages:
        p.params["languages"] = {"type": "list", "default": _clean(spec.languages), "help": "ISO 639-1 codes."}
        p.params["min_score"] = {"type": "float", "default": float(spec.min_language_score),
                                 "help": "Minimum language score."}
        p.where.append("list_contains($languages, language) AND language_score >= $min_score")
        p.requires.update(registry.providers_of(["language", "language_score"]))
    if spec.topics:
        p.params["topics"] = {"type": "list", "default": _clean(spec.topics), "help": "Topic labels."}
        p.where.append("list_contains($topics, topic)")
        p.requires.update(registry.providers_of(["topic"]))
    if spec.formats:
        p.params["formats"] = {"type": "list", "default": _clean(spec.formats), "help": "Format labels."}
        p.where.append("list_contains($formats, format)")
        p.requires.update(registry.providers_of(["format"]))
    if spec.hosts:
        p.params["hosts"] = {"type": "list", "default": [h.lower() for h in _clean(spec.hosts)],
                             "help": "Hosts or registered domains."}
        p.where.append("(list_contains($hosts, host) OR list_contains($hosts, registered_domain))")
        p.requires.update(registry.providers_of(["host", "registered_domain"]))
    if spec.suffixes:
        p.params["suffixes"] = {"type": "list", "default": [s.lower().lstrip(".") for s in _clean(spec.suffixes)],
                                "help": "Public suffixes (vn, gov.vn, ...)."}
        p.where.append("list_contains($suffixes, suffix)")
        p.requires.update(registry.providers_of(["suffix"]))
    if spec.sources:
        p.params["sources"] = {"type": "list", "default": _clean(spec.sources), "help": "Sources or subsets."}
        p.where.append("list_contains($sources, source)")
    if spec.keywords:
        pattern = keyword_pattern(tuple(_clean(spec.keywords)))
        p.params["keywords"] = {"type": "str", "default": pattern,
                                "help": "Keywords as one RE2 alternation, matched case-insensitively."}
        p.where.append("regexp_matches(text, $keywords, 'i')")
        p.highlight.append(pattern)
    if spec.regex:
        pattern = unicode_boundaries(spec.regex)
        check_regex(pattern)
        help_text = "RE2 regular expression."
        if pattern != spec.regex:
            help_text += f" Written as {spec.regex!r}; RE2's \\b is ASCII-only, so \\b became a Unicode-aware boundary."
        p.params["pattern"] = {"type": "str", "default": pattern, "help": help_text}
        p.where.append("regexp_matches(text, $pattern)")
        if _python_compiles(spec.regex):  # evidence highlights use Python's re (Unicode \b, no \p{..})
            p.highlight.append(spec.regex)
    p.requires.update(cls.name for cls, _ in registry.measure_providers().values())
    header = {
        "title": spec.title.strip() or "Custom slice",
        "description": spec.description.strip() or "Slice built in the corpuscope app.",
        "version": 1,
        "kind": "slice",
        "requires": sorted(p.requires),
        "params": p.params,
    }
    if p.highlight:
        header["highlight"] = p.highlight
    dumped = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000).strip()
    lines = ["-- ---", *(f"-- {line}" for line in dumped.splitlines()), "-- ---",
             "SELECT * FROM documents", "WHERE " + "\n  AND ".join(p.where), ""]
    return "\n".join(lines)


_WORD = r"[^\p{L}\p{N}_]"  # RE2: one character that is not a Unicode letter, digit or underscore
_BOUNDARY = re.compile(r"(?<!\\)((?:\\\\)*)\\b")  # a \b that is not an escaped backslash followed by b


def unicode_boundaries(pattern: str) -> str:
    r"""``pattern`` with each ``\b`` made Unicode-aware for RE2, whose ``\b`` knows ASCII letters only
    (so ``\bĐiều`` never matches, Đ not being a word character to it).

    RE2 has no look-around, so a ``\b`` before a word becomes ``(?:^|[^\p{L}\p{N}_])`` and one after a
    word ``(?:[^\p{L}\p{N}_]|$)``: they consume the neighbouring character, which does not change whether
    a document matches (all a slice asks).
    """
    def replace(match: re.Match) -> str:
        rest = pattern[match.end():]
        before_word = bool(rest) and rest[0] not in ")|$"
        return match.group(1) + (f"(?:^|{_WORD})" if before_word else f"(?:{_WORD}|$)")

    return _BOUNDARY.sub(replace, pattern)


def check_regex(pattern: str) -> None:
    r"""BadInput unless DuckDB's own regex engine (RE2) compiles ``pattern``: validated by the engine that
    runs it, so RE2-only syntax (``\p{Lu}``) passes and Python-only syntax (look-behind) does not."""
    import duckdb

    with duckdb.connect() as scratch:
        try:
            scratch.execute("SELECT regexp_matches('', $p)", {"p": pattern}).fetchall()
        except duckdb.Error as error:
            reason = str(error).split("Error: ", 1)[-1].splitlines()[0]
            raise BadInput(f"regex {pattern!r} is not valid RE2 (DuckDB's regex engine): {reason}") from None


def _python_compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def draft(text: str, name: str = "draft_slice") -> queries.Query:
    """Load ``text`` as a query without saving it (written under the cache root's ``drafts/``)."""
    folder = paths.home() / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    _check_name(name)
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".sql", delete=False, encoding="utf-8",
                                     prefix=f"{name}-") as handle:
        handle.write(text)
    path = Path(handle.name)
    final = folder / f"{name}.sql"
    path.replace(final)
    return queries.load(final)


def user_dir() -> Path:
    """The user's own query folder: the first ``$CORPUSCOPE_QUERIES`` entry, else ``<home>/queries``."""
    dirs = queries.search_dirs()
    return dirs[0] if len(dirs) > 1 else paths.home() / "queries"


def save(text: str, name: str, folder: str | Path | None = None, overwrite: bool = False) -> Path:
    """Validate ``text`` as a query and write it to ``folder/name.sql`` (default: the user's folder,
    ``user_dir()``; never the installed package's ``queries/``).

    Refuses a bad name, an existing file (unless ``overwrite``) and a query that does not validate.
    """
    from inspectors.core.validate import validate_query

    _check_name(name)
    target_dir = Path(folder) if folder else user_dir()
    target = target_dir / f"{name}.sql"
    if target.exists() and not overwrite:
        raise BadInput(f"{target} already exists; choose another name or allow overwriting")
    validate_query(draft(text, name))
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".sql.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def _check_name(name: str) -> None:
    if not NAME.match(name or ""):
        raise BadInput(f"query name {name!r} must be lower-case letters, digits and _ (starting with a letter)")


def suggest_name(title: str) -> str:
    """A valid query name derived from ``title``, its letters without their accents ("Tiếng Việt" -> tieng_viet)."""
    # NFKD splits a letter from its accents; đ has no decomposition, so it is mapped by hand.
    bare = "".join(c for c in unicodedata.normalize("NFKD", title.lower().replace("đ", "d"))
                   if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "_", bare).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "slice_" + slug
    return slug[:64].rstrip("_") or "custom_slice"
