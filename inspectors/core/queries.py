"""Saved coverage queries: SQL files with a YAML header, loaded, validated and parameter-bound.

A query file is plain SQL whose leading comment block holds YAML between ``-- ---`` lines::

    -- ---
    -- title: Vietnamese share
    -- description: Documents identified as Vietnamese.
    -- version: 1
    -- kind: slice            # slice (a predicate over documents) or report (a grouped table)
    -- requires: [language, length]
    -- params:
    --   language: {type: str, default: vi, help: ISO 639-1 code}
    -- highlight: ["Điều \\d+"]          # regexes marked in evidence snippets (optional)
    -- dimensions: [language]             # a report's label columns (charts and the Overview use them)
    -- overview: {label: Language, order: 1}   # a report shown on the Overview (optional)
    -- strata:                            # a slice's cheap prefilter for --stratified (optional)
    --   - {name: vi_letters, when: "regexp_matches(text, '[ăđơư]')"}
    -- ---
    SELECT * FROM documents WHERE language = $language

The file name is the query name. A slice selects rows of ``documents`` (keeping ``shard`` and ``row``);
the engine counts, estimates and samples evidence. A report returns any table. Parameters are typed and
always bound by DuckDB, never pasted into the SQL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from inspectors.core.errors import BadInput

QUERIES_ENV = "CORPUSCOPE_QUERIES"
KINDS = ("slice", "report")
TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list}
_HEADER = re.compile(r"\A\s*--\s*---\s*\n(?P<body>(?:--.*\n)*?)--\s*---\s*\n", re.MULTILINE)
_NAME = re.compile(r"(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_PARAM_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# What DuckDB never reads as a parameter: comments, string literals, quoted identifiers, $$ strings.
_NOT_CODE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$\$.*?\$\$", re.DOTALL)


@dataclass(frozen=True)
class Param:
    """A typed query parameter with its default and help."""

    name: str
    type: str
    default: object = None
    help: str = ""
    choices: tuple | None = None

    def convert(self, raw: object, query: str) -> object:
        """``raw`` (a CLI string or a Python value) as this parameter's type; BadInput if it is not."""
        if raw is None:
            return None
        try:
            if self.type == "bool" and isinstance(raw, str):
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(raw)
                value = raw.lower() in ("true", "1", "yes")
            elif self.type == "list":
                value = [v.strip() for v in raw.split(",") if v.strip()] if isinstance(raw, str) else list(raw)
            else:
                value = TYPES[self.type](raw)
        except (TypeError, ValueError):
            raise BadInput(f"query {query}: parameter {self.name} must be {self.type}, got {raw!r}") from None
        if self.choices and value not in self.choices:
            raise BadInput(f"query {query}: parameter {self.name} must be one of {list(self.choices)}, got {value!r}")
        return value


@dataclass(frozen=True)
class Query:
    """A saved query: header fields, parameters and the SQL body."""

    name: str
    path: Path
    title: str
    description: str
    version: int
    kind: str
    requires: tuple[str, ...]
    params: tuple[Param, ...]
    sql: str
    text: str = field(repr=False)
    strata: tuple[dict, ...] = ()
    highlight: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    overview: dict | None = None

    @property
    def sha256(self) -> str:
        """Hash of the file's full text, for provenance."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def bind(self, given: dict[str, object] | None = None) -> dict[str, object]:
        """Typed values for every parameter: ``given`` over defaults; BadInput for unknown or missing."""
        given = dict(given or {})
        unknown = set(given) - {p.name for p in self.params}
        if unknown:
            raise BadInput(
                f"query {self.name}: unknown parameter {sorted(unknown)[0]!r}; "
                f"parameters: {', '.join(p.name for p in self.params) or 'none'}"
            )
        values = {}
        for param in self.params:
            raw = given.get(param.name, param.default)
            if raw is None:
                raise BadInput(f"query {self.name}: parameter {param.name} is required (--param {param.name}=…)")
            values[param.name] = param.convert(raw, self.name)
        return values


def builtin_dir() -> Path:
    """The saved queries shipped with corpuscope: ``queries/`` in a checkout, package data in a wheel."""
    from inspectors.resources import queries_dir

    return queries_dir()


def search_dirs() -> list[Path]:
    """Folders searched for saved queries, first wins: ``$CORPUSCOPE_QUERIES`` entries, the user's own
    folder ``<CORPUSCOPE_HOME>/queries`` (where the app saves slices when that variable is unset), then
    the shipped queries (``builtin_dir``)."""
    import os

    from inspectors.core import paths

    extra = [Path(p) for p in os.environ.get(QUERIES_ENV, "").split(os.pathsep) if p]
    return extra + [paths.home() / "queries", builtin_dir()]


def list_queries(broken: list[BadInput] | None = None) -> list[Query]:
    """Every saved query in the search folders (first folder wins on a name clash). A file that does not
    load is left out and its error appended to ``broken`` (raised when ``broken`` is None), so one bad
    file in a user's folder does not hide the others."""
    seen: dict[str, Query] = {}
    for folder in search_dirs():
        for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
            if path.stem in seen:
                continue
            try:
                seen[path.stem] = load(path)
            except BadInput as error:
                if broken is None:
                    raise
                broken.append(error)
    return sorted(seen.values(), key=lambda q: q.name)


def find(name_or_file: str) -> Query:
    """A query by file path or by name; unknown names list what exists."""
    path = Path(name_or_file)
    if path.suffix == ".sql" or path.exists():
        if not path.is_file():
            raise BadInput(f"query file {name_or_file} does not exist")
        return load(path)
    if not _NAME.fullmatch(name_or_file):
        raise BadInput(f"query name {name_or_file!r} is not a name (letters, digits, '_', '-', '.'; no '/' or '..'); "
                       "give a file path ending in .sql to run a file")
    for folder in search_dirs():
        candidate = folder / f"{name_or_file}.sql"
        if candidate.is_file() and candidate.resolve().parent == folder.resolve():
            return load(candidate)
    names = [p.stem for folder in search_dirs() if folder.is_dir() for p in folder.glob("*.sql")]
    import difflib

    close = difflib.get_close_matches(name_or_file, names, n=1)
    hint = f" Did you mean: {close[0]}?" if close else ""
    raise BadInput(f"unknown query {name_or_file!r}.{hint} Available: {', '.join(sorted(names))}")


def load(path: Path) -> Query:
    """Parse one query file; a broken header fails with the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not UTF-8 text (byte {error.start}: {error.reason})") from None
    match = _HEADER.match(text)
    if not match:
        raise BadInput(f"{path}: no header; start the file with a '-- ---' YAML block ending in '-- ---'")
    body = "\n".join(re.sub(r"^--\s?", "", line) for line in match.group("body").splitlines())
    try:
        header = yaml.safe_load(body) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        # The header's line n is the file's line n + 1 (the opening '-- ---').
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise BadInput(f"{path}: header is not valid YAML{where}: {problem}") from None
    if not isinstance(header, dict):
        raise BadInput(f"{path}: header must be a YAML mapping")
    sql = text[match.end():].strip().rstrip(";").strip()
    if not sql:
        raise BadInput(f"{path}: no SQL after the header")
    for key in ("title", "version", "kind"):
        if key not in header:
            raise BadInput(f"{path}: header key '{key}' is missing")
    if header["kind"] not in KINDS:
        raise BadInput(f"{path}: header key 'kind' must be one of {KINDS}, got {header['kind']!r}")
    if not isinstance(header["version"], int):
        raise BadInput(f"{path}: header key 'version' must be an integer")
    params = tuple(_param(path, name, spec) for name, spec in (header.get("params") or {}).items())
    declared = {p.name for p in params}
    used = set(_PARAM_REF.findall(_NOT_CODE.sub(" ", sql)))
    if used - declared:
        raise BadInput(f"{path}: SQL uses ${sorted(used - declared)[0]} but header 'params' does not declare it")
    if declared - used:
        # DuckDB refuses a bound value the statement does not use, so this would fail at run time.
        raise BadInput(f"{path}: header 'params' declares {sorted(declared - used)[0]} but the SQL never uses "
                       f"${sorted(declared - used)[0]}")
    requires = header.get("requires") or []
    if not isinstance(requires, list):
        raise BadInput(f"{path}: header key 'requires' must be a list of inspector names")
    return Query(
        name=path.stem,
        path=path,
        title=str(header["title"]),
        description=str(header.get("description", "")).strip(),
        version=header["version"],
        kind=header["kind"],
        requires=tuple(requires),
        params=params,
        sql=sql,
        text=text,
        strata=tuple(header.get("strata") or ()),
        highlight=tuple(header.get("highlight") or ()),
        dimensions=_dimensions(path, header),
        overview=_overview(path, header),
    )


def _dimensions(path: Path, header: dict) -> tuple[str, ...]:
    dims = header.get("dimensions") or []
    if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
        raise BadInput(f"{path}: header key 'dimensions' must be a list of the report's label columns")
    return tuple(dims)


def _overview(path: Path, header: dict) -> dict | None:
    spec = header.get("overview")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
        raise BadInput(f"{path}: header key 'overview' must be a mapping with 'label' (and 'order', 'chart', 'caption')")
    if header.get("kind") != "report" or not header.get("dimensions"):
        raise BadInput(f"{path}: only a report with 'dimensions' can be part of the Overview")
    return {"label": spec["label"], "order": int(spec.get("order", 100)), "chart": str(spec.get("chart", "bars")),
            "caption": str(spec.get("caption", "")), "top": spec.get("top")}


def _param(path: Path, name: str, spec) -> Param:
    if not isinstance(spec, dict):
        raise BadInput(f"{path}: params.{name} must be a mapping with 'type' (and 'default', 'help')")
    kind = spec.get("type")
    if kind not in TYPES:
        raise BadInput(f"{path}: params.{name}.type must be one of {sorted(TYPES)}, got {kind!r}")
    choices = spec.get("choices")
    return Param(name, kind, spec.get("default"), str(spec.get("help", "")), tuple(choices) if choices else None)
