"""Task -> coverage question: which saved query (and parameters) an evaluation task corresponds to.

The mapping ships as ``inspectors/data/task_map.yaml``; a user's YAML in the same format overrides it
(``--task-map FILE``). See that file's header for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from inspectors.core.errors import BadInput

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "task_map.yaml"
_PLACEHOLDER = re.compile(r"\{(lang|script|subject)\}")
_PATTERNS = {"lang": r"(?P<lang>[a-z]{2,3})", "script": r"(?P<script>[A-Z][a-z]{3})", "subject": r"(?P<subject>.+)"}
_ENTRY_KEYS = {"family", "match", "language", "topic", "format", "query", "params", "subjects"}


@dataclass(frozen=True)
class TaskQuestion:
    """The coverage question a task asks: its family, language, topic/format, and the saved query."""

    task: str
    family: str
    query: str
    params: dict = field(hash=False)
    language: str | None = None
    topic: str | None = None
    format: str | None = None

    def to_dict(self) -> dict:
        """Plain fields for the attachment."""
        return {"family": self.family, "language": self.language, "topic": self.topic, "format": self.format,
                "query": self.query, "params": dict(self.params)}

    def key(self) -> tuple:
        """(query, sorted params): tasks sharing it ask the same question of a corpus."""
        return (self.query, tuple(sorted((k, str(v)) for k, v in self.params.items())))


@dataclass
class _Family:
    regexes: list[re.Pattern]
    spec: dict


class TaskMap:
    """Exact task entries, ordered family patterns, language codes and query aliases."""

    def __init__(self, tasks: dict, families: list[_Family], languages: dict, aliases: dict, sources: list[str]):
        self.tasks = tasks
        self.families = families
        self.languages = languages
        self.aliases = aliases
        self.sources = sources

    def question(self, task: str) -> TaskQuestion | None:
        """The question ``task`` asks, or None when the map does not cover it."""
        if task in self.tasks:
            spec = self.tasks[task]
            return None if spec is None else self._fill(task, spec, {})
        for family in self.families:
            for regex in family.regexes:
                match = regex.fullmatch(task)
                if match:
                    question = self._fill(task, family.spec, match.groupdict())
                    if question is not None:
                        return question
        return None

    def normalise(self, query: str, params: dict) -> tuple[str, dict]:
        """A finding's (query, params) with aliases expanded (``vietnamese_share`` -> language_share vi)."""
        alias = self.aliases.get(query)
        if alias:
            return alias["query"], {**params, **(alias.get("params") or {})}
        return query, dict(params)

    def matches(self, question: TaskQuestion, query: str, params: dict) -> bool:
        """True when a finding of ``query`` with ``params`` answers ``question`` (extra params allowed)."""
        query, params = self.normalise(query, params)
        if query != question.query:
            return False
        for key, value in question.params.items():
            got = params.get(key)
            if key == "language" and got is not None:
                got = self.language(str(got))
            if got is None or str(got) != str(value):
                return False
        return True

    def language(self, code: str) -> str:
        """``code`` as the language inspector's ISO 639-1 code (unknown codes unchanged)."""
        return self.languages.get(code, code)

    def _fill(self, task: str, spec: dict, groups: dict) -> TaskQuestion | None:
        values = dict(groups)
        if "lang" in values:
            values["lang"] = self.language(values["lang"])
        if "subject" in values and spec.get("subjects") is not None:
            topic = spec["subjects"].get(values["subject"])
            if topic is None:
                return None
            values["topic"] = topic

        def sub(value):
            return value.format(**values) if isinstance(value, str) and "{" in value else value

        return TaskQuestion(task=task, family=str(spec["family"]), query=str(spec["query"]),
                            params={k: sub(v) for k, v in (spec.get("params") or {}).items()},
                            language=sub(spec.get("language")), topic=sub(spec.get("topic")),
                            format=sub(spec.get("format")))


def load_task_map(user_file: str | Path | None = None) -> TaskMap:
    """The shipped task map, with ``user_file`` (if given) merged over it."""
    layers = [(SHIPPED, _read(SHIPPED))]
    if user_file is not None:
        layers.append((Path(user_file), _read(Path(user_file))))
    tasks: dict = {}
    families: list[_Family] = []
    languages: dict = {}
    aliases: dict = {}
    for path, data in layers:
        tasks.update(_tasks(path, data))
        families = _families(path, data) + families  # a later layer's families are tried first
        languages.update({str(k): str(v) for k, v in (data.get("languages") or {}).items()})
        aliases.update(_aliases(path, data))
    return TaskMap(tasks, families, languages, aliases, [str(p) for p, _ in layers])


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BadInput(f"task map {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise BadInput(f"task map {path} is not UTF-8 text (byte {error.start}: {error.reason})") from None
    except yaml.YAMLError as error:
        raise BadInput(f"task map {path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BadInput(f"task map {path}: expected a mapping with 'tasks', 'families', 'languages', 'aliases'")
    unknown = set(data) - {"version", "tasks", "families", "languages", "aliases"}
    if unknown:
        raise BadInput(f"task map {path}: unknown top-level key {sorted(unknown)[0]!r}; "
                       "expected tasks, families, languages, aliases")
    return data


def _check_entry(path: Path, where: str, spec) -> dict:
    if not isinstance(spec, dict):
        raise BadInput(f"task map {path}: {where} must be a mapping with family, query and params")
    for key in ("family", "query"):
        if not spec.get(key):
            raise BadInput(f"task map {path}: {where} needs '{key}'")
    unknown = set(spec) - _ENTRY_KEYS
    if unknown:
        raise BadInput(f"task map {path}: {where} has unknown key {sorted(unknown)[0]!r}; "
                       f"expected {sorted(_ENTRY_KEYS)}")
    if not isinstance(spec.get("params") or {}, dict):
        raise BadInput(f"task map {path}: {where}.params must be a mapping")
    return spec


def _tasks(path: Path, data: dict) -> dict:
    raw = data.get("tasks") or {}
    if not isinstance(raw, dict):
        raise BadInput(f"task map {path}: 'tasks' must map task names to entries")
    return {str(name): None if spec is None else _check_entry(path, f"tasks.{name}", spec)
            for name, spec in raw.items()}


def _families(path: Path, data: dict) -> list[_Family]:
    raw = data.get("families") or []
    if not isinstance(raw, list):
        raise BadInput(f"task map {path}: 'families' must be a list of entries with 'match'")
    out = []
    for i, spec in enumerate(raw):
        spec = _check_entry(path, f"families[{i}]", spec)
        patterns = spec.get("match")
        patterns = [patterns] if isinstance(patterns, str) else patterns
        if not patterns or not all(isinstance(p, str) for p in patterns):
            raise BadInput(f"task map {path}: families[{i}] ({spec['family']}) needs 'match': a pattern or list")
        out.append(_Family([_compile(p) for p in patterns], spec))
    return out


def _compile(pattern: str) -> re.Pattern:
    tail = pattern.endswith("*")
    parts = _PLACEHOLDER.split(pattern.rstrip("*"))
    # re.split with a group alternates literal text and placeholder names.
    body = "".join(_PATTERNS[p] if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile(body + ("(?:_.*)?" if tail else ""))


def _aliases(path: Path, data: dict) -> dict:
    raw = data.get("aliases") or {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) and v.get("query") for v in raw.values()):
        raise BadInput(f"task map {path}: 'aliases' must map a query name to {{query: NAME, params: {{…}}}}")
    return {str(k): v for k, v in raw.items()}
