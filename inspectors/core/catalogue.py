"""The catalogue of open corpora and the open models trained on them.

The built-in ``inspectors/data/catalogue.yaml`` (its header documents the shape) is merged with the
user's ``$CORPUSCOPE_HOME/catalogue.yaml``: a user entry with the same name replaces the built-in one.
A corpus is named ``NAME`` (its default version) or ``NAME:VERSION``. Model families (``pattern`` +
``names``) expand to one model per size. Every fact carries its source URL; unknown facts are null.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from inspectors.core import paths
from inspectors.core.errors import BadInput

BUILTIN = Path(__file__).resolve().parents[1] / "data" / "catalogue.yaml"
OPENNESS_FIELDS = ("weights", "training_code", "training_data", "data_processing_code", "intermediate_checkpoints")


@dataclass(frozen=True)
class CorpusEntry:
    """One version of one corpus, with the corpus-level facts."""

    name: str
    version: str | None
    description: str = ""
    license: str | None = None
    homepage: str | None = None
    shard_spec: dict | None = None
    format: str | None = None
    compression: str | None = None
    columns: dict = field(default_factory=dict)
    size: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    versions: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def hf_uri(self) -> str | None:
        """``hf://datasets/ORG/NAME@REV/glob`` for hub-hosted shards with one pattern, else ``None``."""
        spec = self.shard_spec or {}
        if not spec.get("hf"):
            return None
        patterns = spec.get("patterns") or [""]
        rev = f"@{spec['revision']}" if spec.get("revision") else ""
        return f"hf://datasets/{spec['hf']}{rev}/{patterns[0]}".rstrip("/")

    def to_dict(self) -> dict:
        """Plain fields, for JSON and the app."""
        return asdict(self)


@dataclass(frozen=True)
class ModelEntry:
    """An open model: who made it, which corpus (and version) it trained on, and its openness card."""

    name: str
    organisation: str | None
    corpus: str | None
    corpus_version: str | None
    openness: dict
    sources: dict = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict:
        """Plain fields, for JSON and the app."""
        return asdict(self)


class Catalogue:
    """Corpora (every version) and models, looked up by name."""

    def __init__(self, corpora: list[dict], models: list[ModelEntry]):
        self._corpora = {c["name"]: c for c in corpora}
        self.models = models
        self.corpora = [self._entry(c, None) for c in corpora]

    def corpus(self, name: str) -> CorpusEntry:
        """The entry for ``NAME`` (its default version) or ``NAME:VERSION``; BadInput if unknown."""
        base, _, version = name.partition(":")
        record = self._corpora.get(base)
        if record is None:
            raise BadInput(_unknown("corpus", base, list(self._corpora)))
        return self._entry(record, version or None)

    def model(self, name: str) -> ModelEntry:
        """The model called ``name`` (any spelling ``find_model`` understands); BadInput if unknown."""
        found = find_model(name, self)
        if found is None:
            raise BadInput(_unknown("model", name, [m.name for m in self.models]))
        return found

    def models_of(self, corpus: str) -> list[ModelEntry]:
        """Models trained on ``corpus`` (any version)."""
        return [m for m in self.models if m.corpus == corpus]

    def _entry(self, record: dict, version: str | None) -> CorpusEntry:
        versions = record.get("versions") or [{}]
        names = [str(v.get("version")) for v in versions]
        if version is None:
            chosen = next((v for v in versions if v.get("default")), versions[0])
        elif version in names:
            chosen = versions[names.index(version)]
        else:
            raise BadInput(f"corpus {record['name']!r} has no version {version!r}; versions: {', '.join(names)}")
        return CorpusEntry(
            name=record["name"],
            version=None if chosen.get("version") is None else str(chosen["version"]),
            description=" ".join(str(record.get("description") or "").split()),
            license=record.get("license"),
            homepage=record.get("homepage"),
            shard_spec=chosen.get("shards"),
            format=chosen.get("format"),
            compression=chosen.get("compression"),
            columns={k: v for k, v in (chosen.get("columns") or {}).items()},
            size=dict(chosen.get("size") or {}),
            sources={**(record.get("sources") or {}), **(chosen.get("sources") or {})},
            versions=tuple(names),
            models=tuple(m.name for m in self.models if m.corpus == record["name"]),
        )


def _unknown(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f" Did you mean: {close[0]}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Available: {', '.join(sorted(known))}"


def load_catalogue(user_file: Path | None = None) -> Catalogue:
    """The built-in catalogue with the user's file merged over it (entries replaced by name)."""
    user_path = user_file or paths.user_catalogue()
    stamp = user_path.stat().st_mtime_ns if user_path.exists() else None
    return _load(user_path, stamp)


@lru_cache(maxsize=8)
def _load(user_path: Path, stamp: int | None) -> Catalogue:
    # Cached per user file and its mtime: attaching hundreds of result files looks models up often.
    builtin = _read(BUILTIN)
    user = _read(user_path) if stamp is not None else {}
    corpora = _merge(builtin.get("corpora"), user.get("corpora"), BUILTIN, user_path, "corpora")
    model_records = _merge(builtin.get("models"), user.get("models"), BUILTIN, user_path, "models")
    models = []
    for record in model_records:
        models += _expand(record)
    return Catalogue(corpora, models)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise BadInput(f"catalogue {path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BadInput(f"catalogue {path} must be a mapping with 'corpora' and/or 'models'")
    for key in ("corpora", "models"):
        if key in data and not isinstance(data[key], list):
            raise BadInput(f"catalogue {path}: '{key}' must be a list")
        for i, item in enumerate(data.get(key) or []):
            if not isinstance(item, dict) or not (item.get("name") or item.get("family")):
                raise BadInput(f"catalogue {path}: {key}[{i}] needs a 'name'")
            if key == "corpora" and not isinstance(item.get("versions", []), list):
                raise BadInput(f"catalogue {path}: corpora[{i}] ({item['name']}) 'versions' must be a list")
    return data


def _merge(base, extra, base_path, extra_path, key) -> list[dict]:
    merged = {(r.get("name") or r.get("family")): r for r in (base or [])}
    for record in extra or []:
        merged[record.get("name") or record.get("family")] = record
    return list(merged.values())


def _expand(record: dict) -> list[ModelEntry]:
    def make(name, corpus, version):
        return ModelEntry(name=name, organisation=record.get("organisation"), corpus=corpus,
                          corpus_version=None if version is None else str(version),
                          openness=dict(record.get("openness") or {}), sources=dict(record.get("sources") or {}),
                          note=record.get("note"))

    if "pattern" not in record:
        return [make(record["name"], record.get("corpus"), record.get("corpus_version"))]
    out = []
    for size in record.get("names") or []:
        out.append(make(record["pattern"].format(size=size), record.get("corpus"), record.get("corpus_version")))
        deduped = record.get("deduped")
        if deduped:
            out.append(make(deduped["pattern"].format(size=size), deduped.get("corpus"), deduped.get("corpus_version")))
    return out


def find_model(name_or_path: str, catalogue: Catalogue | None = None) -> ModelEntry | None:
    """The model that ``name_or_path`` names, or ``None`` (never a guess).

    Understands hub ids in any case (``EleutherAI/pythia-1.4b-deduped``), local paths ending in
    ``ORG/NAME`` (``/data/models/EleutherAI/pythia-1.4b-deduped``), ``ORG__NAME`` folder names,
    lm-evaluation-harness ``model_args`` strings (``pretrained=…,revision=step3000``), ``-hf`` suffixes,
    and Pythia's old ``pythia-v1.1-*`` / ``*-v0`` names.
    """
    catalogue = catalogue or load_catalogue()
    by_name = {m.name.lower(): m for m in catalogue.models}
    for candidate in _candidates(name_or_path):
        found = by_name.get(candidate.lower())
        if found:
            return found
    return None


def _candidates(text: str) -> list[str]:
    text = (text or "").strip()
    match = re.search(r"(?:^|,)\s*pretrained=([^,]+)", text)
    if match:
        text = match.group(1)
    text = text.rstrip("/").replace("\\", "/")
    parts = [p for p in text.split("/") if p]
    out = []
    if len(parts) >= 2:
        out.append("/".join(parts[-2:]))
    if parts and "__" in parts[-1]:
        out.append(parts[-1].replace("__", "/", 1))
    for name in list(out):
        org, _, model = name.partition("/")
        for old, new in ((r"^pythia-v1\.1-", "pythia-"), (r"-v0$", ""), (r"-hf$", "")):
            fixed = re.sub(old, new, model)
            if fixed != model:
                out.append(f"{org}/{fixed}")
    return out


def add_corpus(name: str, shards: list[str], format: str | None = None, columns: dict | None = None,
               description: str | None = None, version: str | None = None) -> CorpusEntry:
    """Add (or replace) ``name`` in the user's catalogue with the given shard URIs; returns its entry."""
    if not shards:
        raise BadInput("corpus add needs at least one --shards URI")
    if format not in (None, "parquet", "jsonl"):
        raise BadInput(f"--format must be parquet or jsonl, got {format!r}")
    path = paths.user_catalogue()
    data = _read(path) if path.exists() else {}
    corpora = [c for c in (data.get("corpora") or []) if c.get("name") != name]
    spec = _shard_spec(shards)
    corpora.append({
        "name": name,
        "description": description or "",
        "sources": {},
        "versions": [{"version": version or "user", "default": True, "shards": spec, "format": format,
                      "columns": {k: v for k, v in (columns or {}).items() if v}}],
    })
    data["corpora"] = corpora
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_catalogue().corpus(name)


def _shard_spec(shards: list[str]) -> dict:
    if len(shards) == 1 and shards[0].startswith("hf://datasets/"):
        rest = shards[0][len("hf://datasets/"):]
        org, name, *tail = rest.split("/")
        name, _, revision = name.partition("@")
        return {"hf": f"{org}/{name}", "revision": revision or None, "patterns": ["/".join(tail)]}
    if len(shards) == 1 and shards[0].endswith((".txt", ".txt.gz")):
        return {"url_list": shards[0]}
    return {"urls": list(shards)}
