"""The catalogue of open corpora and the open models trained on them.

The built-in ``inspectors/data/catalogue.yaml`` (its header documents the shape in full) is merged with
the user's ``$CORPUSCOPE_HOME/catalogue.yaml`` (``inspectors.core.paths.user_catalogue()``).

Corpora: ``name``, ``description``, ``license``, ``homepage``, ``sources`` and ``versions``; each version
has ``version``, ``default``, ``note``, ``shards``, ``format`` (parquet | jsonl), ``compression``
(gz | zst | null), ``columns`` (std name -> dotted path such as ``metadata.url``), ``size``
(documents / tokens / bytes / compressed_bytes) and ``sources`` (fact -> URL). ``shards`` is one of::

    {hf: ORG/NAME, revision: REV, patterns: [glob, ...]}   # hf://datasets/ORG/NAME@REV/glob
    {url_list: URL or [URL, ...]}                          # files listing one shard URL per line
    {urls: [URL or absolute path, ...]}
    null                                                   # no public copy we can point at

A corpus is named ``NAME`` (the version marked ``default``, else the first listed: versions are
listed newest first) or ``NAME:VERSION``. Models: ``name`` (hub id), ``aliases``, ``organisation``,
``corpus``, ``corpus_version``, ``note``, ``openness`` (weights, training_code, training_data,
data_processing_code, intermediate_checkpoints, each ``{open: bool | null, source: url}``) and
``sources``. A model ``family`` (``pattern`` with ``{size}`` + ``names``) expands to one model per size.

Merging: a user corpus with a built-in name overrides the fields it gives and adds or replaces
versions by label (a user version marked ``default`` becomes the default); a user model replaces
the built-in model or family of the same name. Every fact carries its source URL; unknown facts are
null, never guessed.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from inspectors.core import paths
from inspectors.core.errors import BadInput

BUILTIN = Path(__file__).resolve().parents[1] / "data" / "catalogue.yaml"
OPENNESS_FIELDS = ("weights", "training_code", "training_data", "data_processing_code", "intermediate_checkpoints")
FORMATS = ("parquet", "jsonl")
COMPRESSIONS = ("gz", "zst")
SHARD_KEYS = ("hf", "revision", "patterns", "url_list", "urls")
SIZE_KEYS = ("documents", "tokens", "bytes", "compressed_bytes")


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
    note: str | None = None
    versions: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def hf_uri(self) -> str | None:
        """``hf://datasets/ORG/NAME@REV/glob`` when the shards are one hub pattern, else ``None``."""
        spec = self.shard_spec or {}
        patterns = spec.get("patterns") or [""]
        if not spec.get("hf") or len(patterns) != 1:
            return None
        repo = str(spec["hf"]).removeprefix("hf://").removeprefix("datasets/").strip("/")
        rev = f"@{spec['revision']}" if spec.get("revision") else ""
        return f"hf://datasets/{repo}{rev}/{patterns[0]}".rstrip("/")

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
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Plain fields, for JSON and the app."""
        return asdict(self)


class Catalogue:
    """Corpora (every version) and models, looked up by name."""

    def __init__(self, corpora: list[dict], models: list[ModelEntry]):
        self.models = models
        self._corpora = {c["name"].lower(): c for c in corpora}
        self.corpora = [self._entry(c, None) for c in corpora]
        # Aliases first so that a model's own name wins over another model's alias.
        self._by_name = {a.lower(): m for m in models for a in m.aliases}
        self._by_name.update({m.name.lower(): m for m in models})

    def corpus(self, name: str) -> CorpusEntry:
        """The entry for ``NAME`` (its default version) or ``NAME:VERSION``; BadInput if unknown."""
        base, _, version = str(name).strip().partition(":")
        record = self._corpora.get(base.lower())
        if record is None:
            raise BadInput(_unknown("corpus", base, [c["name"] for c in self._corpora.values()]))
        return self._entry(record, version or None)

    def model(self, name: str) -> ModelEntry:
        """The model ``name`` names (any spelling ``find_model`` understands); BadInput if unknown."""
        found = find_model(name, self)
        if found is None:
            raise BadInput(_unknown("model", name, [m.name for m in self.models]))
        return found

    def models_of(self, corpus: str) -> list[ModelEntry]:
        """Models trained on ``corpus`` (``NAME`` for any version, or ``NAME:VERSION``)."""
        base, _, version = corpus.partition(":")
        return [m for m in self.models if m.corpus and m.corpus.lower() == base.lower()
                and (not version or m.corpus_version == version)]

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
            shard_spec=copy.deepcopy(chosen.get("shards")),
            format=chosen.get("format"),
            compression=chosen.get("compression"),
            columns=dict(chosen.get("columns") or {}),
            size=dict(chosen.get("size") or {}),
            sources={**(record.get("sources") or {}), **(chosen.get("sources") or {})},
            note=" ".join(str(chosen["note"]).split()) if chosen.get("note") else None,
            versions=tuple(names),
            # the models trained on this version (a model without a recorded version counts for every one)
            models=tuple(m.name for m in self.models if m.corpus == record["name"]
                         and (m.corpus_version is None or chosen.get("version") is None
                              or str(m.corpus_version) == str(chosen.get("version")))),
        )


def _unknown(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f" Did you mean: {close[0]}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Available: {', '.join(sorted(known))}"


# ------------------------------------------------------------------------------------------ loading


def load_catalogue(user_file: Path | None = None) -> Catalogue:
    """The built-in catalogue with the user's file (default ``paths.user_catalogue()``) merged over it."""
    user_path = Path(user_file) if user_file else paths.user_catalogue()
    stamp = user_path.stat().st_mtime_ns if user_path.exists() else None
    return _load(user_path, stamp)


@lru_cache(maxsize=8)
def _load(user_path: Path, stamp: int | None) -> Catalogue:
    # Cached per user file and its mtime: attaching hundreds of result files looks models up often.
    builtin = _read(BUILTIN)
    user = _read(user_path) if stamp is not None else {}
    corpora = _merge_corpora(builtin.get("corpora") or [], user.get("corpora") or [])
    records = {_key(r): r for r in builtin.get("models") or []}
    records.update({_key(r): r for r in user.get("models") or []})
    models: dict[str, ModelEntry] = {}
    for model in (m for r in records.values() for m in _expand(r)):
        models[model.name.lower()] = model  # a user's model replaces a built-in one of the same name
    return Catalogue(corpora, list(models.values()))


def _key(record: dict) -> str:
    return str(record.get("name") or record.get("family")).lower()


def _merge_corpora(base: list[dict], extra: list[dict]) -> list[dict]:
    merged = {_key(r): copy.deepcopy(r) for r in base}
    for record in extra:
        old = merged.get(_key(record))
        if old is None:
            merged[_key(record)] = copy.deepcopy(record)
            continue
        new_versions = record.get("versions") or []
        combined = {**old, **{k: v for k, v in record.items() if k != "versions"}}
        versions = list(old.get("versions") or [])
        if any(v.get("default") for v in new_versions):
            versions = [{k: v for k, v in old_v.items() if k != "default"} for old_v in versions]
        labels = [str(v.get("version")) for v in versions]
        for version in new_versions:
            label = str(version.get("version"))
            if label in labels:
                versions[labels.index(label)] = version
            else:
                versions.append(version)
                labels.append(label)
        combined["versions"] = versions
        merged[_key(record)] = combined
    return list(merged.values())


def _read(path: Path) -> dict:
    """The YAML mapping in ``path``, checked; BadInput naming the file and the offending key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise BadInput(f"catalogue {path} is not valid YAML: {str(error).splitlines()[0]}") from None
    except OSError as error:
        raise BadInput(f"catalogue {path} cannot be read: {error}") from None
    problem = _check(data)
    if problem:
        raise BadInput(f"catalogue {path}: {problem}")
    return data


def _check(data) -> str | None:
    """The first problem in a catalogue mapping, as ``key.path: what is wrong``; None if it is fine."""
    if not isinstance(data, dict):
        return "the file must be a mapping with 'corpora' and/or 'models'"
    for key in ("corpora", "models"):
        if key in data and not isinstance(data[key], list):
            return f"'{key}' must be a list"
    for i, item in enumerate(data.get("corpora") or []):
        where = f"corpora[{i}]"
        if not isinstance(item, dict) or not item.get("name"):
            return f"{where} needs a 'name'"
        where += f" ({item['name']})"
        if not isinstance(item.get("versions", []), list):
            return f"{where}.versions must be a list"
        for j, version in enumerate(item.get("versions") or []):
            problem = _check_version(version)
            if problem:
                return f"{where}.versions[{j}]{problem}"
    for i, item in enumerate(data.get("models") or []):
        where = f"models[{i}]"
        if not isinstance(item, dict) or not (item.get("name") or item.get("family")):
            return f"{where} needs a 'name'"
        where += f" ({item.get('name') or item.get('family')})"
        if item.get("family") and (not item.get("pattern") or not isinstance(item.get("names"), list)):
            return f"{where} is a family and needs 'pattern' and a 'names' list"
        if not isinstance(item.get("aliases", []), list):
            return f"{where}.aliases must be a list"
        openness = item.get("openness") or {}
        if not isinstance(openness, dict):
            return f"{where}.openness must be a mapping"
        for name, value in openness.items():
            if name not in OPENNESS_FIELDS:
                return f"{where}.openness.{name} is not one of {', '.join(OPENNESS_FIELDS)}"
            if not isinstance(value, dict) or value.get("open") not in (True, False, None):
                return f"{where}.openness.{name} must be {{open: true | false | null, source: URL}}"
    return None


def _check_version(version) -> str | None:
    if not isinstance(version, dict):
        return " must be a mapping"
    shards = version.get("shards")
    if shards is not None:
        if not isinstance(shards, dict):
            return ".shards must be a mapping (hf + patterns, url_list or urls) or null"
        unknown = [k for k in shards if k not in SHARD_KEYS]
        if unknown:
            return f".shards.{unknown[0]} is not one of {', '.join(SHARD_KEYS)}"
        if not any(shards.get(k) for k in ("hf", "url_list", "urls")):
            return ".shards needs 'hf', 'url_list' or 'urls'"
        for key in ("patterns", "urls"):
            if key in shards and not isinstance(shards[key], list):
                return f".shards.{key} must be a list"
    if version.get("format") not in (None, *FORMATS):
        return f".format must be one of {', '.join(FORMATS)}, got {version.get('format')!r}"
    if version.get("compression") not in (None, *COMPRESSIONS):
        return f".compression must be one of {', '.join(COMPRESSIONS)} or null, got {version.get('compression')!r}"
    for key in ("columns", "size", "sources"):
        if not isinstance(version.get(key) or {}, dict):
            return f".{key} must be a mapping"
    for key, value in (version.get("columns") or {}).items():
        if value is not None and not isinstance(value, str):
            return f".columns.{key} must be a column path or null"
    for key, value in (version.get("size") or {}).items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f".size.{key} must be a number or null"
    return None


def _expand(record: dict) -> list[ModelEntry]:
    def make(name: str, size, corpus, version, aliases, base: str | None = None) -> ModelEntry:
        def fill(s):
            if not isinstance(s, str):
                return s
            s = s.replace("{size}", str(size)) if size is not None else s
            if base and base != name:  # a variant (``-deduped``) links its own weights, not the base model's
                s = re.sub(rf"(huggingface\.co/){re.escape(base)}(?=$|[/?#])", rf"\g<1>{name}", s)
            return s

        openness = {k: {kk: fill(vv) for kk, vv in (v or {}).items()} for k, v in (record.get("openness") or {}).items()}
        return ModelEntry(name=name, organisation=record.get("organisation"), corpus=corpus,
                          corpus_version=None if version is None else str(version), openness=openness,
                          sources={k: fill(v) for k, v in (record.get("sources") or {}).items()},
                          note=record.get("note"), aliases=tuple(fill(a) for a in aliases))

    if "pattern" not in record:
        return [make(record["name"], None, record.get("corpus"), record.get("corpus_version"),
                     record.get("aliases") or [])]
    out = []
    deduped = record.get("deduped")
    for size in record.get("names") or []:
        out.append(make(record["pattern"].format(size=size), size, record.get("corpus"),
                        record.get("corpus_version"), record.get("aliases") or []))
        if deduped:
            out.append(make(deduped["pattern"].format(size=size), size, deduped.get("corpus"),
                            deduped.get("corpus_version"), deduped.get("aliases") or [],
                            base=record["pattern"].format(size=size)))
    return out


# ------------------------------------------------------------------------------------- model names

_CHECKPOINT_DIR = re.compile(r"^(?:step\d+(?:-tokens\d+\w?)?|global_step\d+|checkpoint-\d+|ckpt_\d+|main)$", re.I)
_RENAMES = (
    (re.compile(r"^pythia-v1\.1-", re.I), "pythia-"),   # the Pythia repo's evals name models pythia-v1.1-*
    (re.compile(r"[-_@](?:step\d+(?:-tokens\d+\w?)?|global_step\d+)$", re.I), ""),  # checkpoint suffix
    (re.compile(r"-v0$", re.I), ""),                     # Pythia's first suite, same data and order
    (re.compile(r"\.(?:pth|bin|safetensors)$", re.I), ""),
)


def find_model(name_or_path: str, catalogue: Catalogue | None = None) -> ModelEntry | None:
    """The model that ``name_or_path`` names, or ``None`` (never a guess).

    Understands hub ids in any case (``EleutherAI/pythia-1.4b-deduped``); local paths ending in
    ``ORG/NAME`` (``/data/models/EleutherAI/pythia-1.4b-deduped``), checkpoint folders below them
    (``.../pythia-160m/step3000``) and hub cache folders (``models--ORG--NAME``); ``ORG__NAME`` and
    ``__data__…__ORG__NAME`` folder names; lm-evaluation-harness ``model_args`` strings
    (``pretrained=…,revision=step3000``, also the dict form); checkpoint suffixes (``@step3000``,
    ``-step3000``); Pythia's ``pythia-v1.1-*`` and ``*-v0`` names; and catalogue aliases such as
    checkpoint file stems. A bare name without an organisation matches only when exactly one catalogue
    model has that name; an ``ORG/NAME`` id never falls back to another organisation's model.
    """
    catalogue = catalogue or load_catalogue()
    exact, bare = _candidates(name_or_path)
    for candidate in exact:
        found = catalogue._by_name.get(candidate.lower())
        if found:
            return found
    for candidate in bare:
        found = catalogue._by_name.get(candidate.lower())
        if found:
            return found
        owners = {id(m): m for m in catalogue.models if m.name.split("/")[-1].lower() == candidate.lower()}
        if len(owners) == 1:
            return next(iter(owners.values()))
    return None


def _candidates(text: str) -> tuple[list[str], list[str]]:
    """(``ORG/NAME`` spellings to try, bare names to try) for ``text``, best first."""
    text = str(text or "").strip()
    match = re.search(r"""(?:^|[,{\s])['"]?pretrained['"]?\s*[=:]\s*['"]?([^,'"}]+)""", text)
    if match:
        text = match.group(1).strip()
    is_path = text.startswith(("/", "./", "../", "~")) or bool(re.match(r"^[A-Za-z]:[\\/]", text))
    parts = [p for p in text.replace("\\", "/").split("/") if p and p != "."]
    cache = next((i for i, p in enumerate(parts) if p.startswith("models--")), None)
    if cache is not None:  # ~/.cache/huggingface/hub/models--ORG--NAME/snapshots/<sha>
        parts = parts[cache][len("models--"):].split("--", 1)
        is_path = False
    while len(parts) > 1 and _CHECKPOINT_DIR.match(parts[-1]):
        parts = parts[:-1]
    if parts and "__" in parts[-1]:
        pieces = [p for p in parts[-1].split("__") if p]
        parts = parts[:-1] + pieces[-2:] if len(pieces) >= 2 else parts
    if parts and "@" in parts[-1]:
        parts[-1] = parts[-1].split("@", 1)[0]
    exact, bare = [], []
    if len(parts) >= 2:
        exact.append("/".join(parts[-2:]))
    if parts and (len(parts) == 1 or is_path):
        bare.append(parts[-1])
    for names in (exact, bare):
        for name in list(names):
            org, _, model = name.rpartition("/")
            fixed = model
            for pattern, replacement in _RENAMES:
                fixed = pattern.sub(replacement, fixed)
            for variant in (fixed, re.sub(r"-hf$", "", fixed, flags=re.I)):
                full = f"{org}/{variant}" if org else variant
                if variant and full not in names:
                    names.append(full)
    return exact, bare


# ------------------------------------------------------------------------------------ user entries


def add_corpus(name: str, shards: list[str], format: str | None = None, columns: dict | None = None,
               description: str | None = None, version: str | None = None,
               compression: str | None = None) -> CorpusEntry:
    """Add (or replace) version ``version`` (default ``"user"``) of corpus ``name`` in the user's
    catalogue with the given shard URIs, creating the file and its folders; returns the entry.

    One or more ``hf://datasets/ORG/NAME[@REV]/glob`` paths of one repository become ``{hf, revision,
    patterns}``; one ``.txt`` file becomes ``{url_list}``; anything else becomes ``{urls}``, with local
    folders and globs expanded to absolute file paths now (the catalogue names files, not folders).
    """
    name = str(name or "").strip()
    if not name or ":" in name or "/" in name:
        raise BadInput(f"corpus name must be non-empty without ':' or '/', got {name!r}")
    if not shards:
        raise BadInput("corpus add needs at least one --shards URI")
    if format not in (None, *FORMATS):
        raise BadInput(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    if compression not in (None, *COMPRESSIONS):
        raise BadInput(f"--compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")
    path = paths.user_catalogue()
    data = _read(path) if path.exists() else {}
    record = {"version": version or "user", "default": True, "shards": _shard_spec(list(shards)),
              "format": format, "compression": compression,
              "columns": {k: v for k, v in (columns or {}).items() if v}}
    corpora = data.setdefault("corpora", [])
    mine = next((c for c in corpora if str(c.get("name")).lower() == name.lower()), None)
    if mine is None:
        mine = {"name": name, "versions": []}
        corpora.append(mine)
    if description:
        mine["description"] = description
    versions = [{k: v for k, v in old.items() if k != "default"} for old in mine.get("versions") or []
                if str(old.get("version")) != record["version"]]
    mine["versions"] = [record, *versions]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_catalogue().corpus(f"{mine['name']}:{record['version']}")


def _shard_spec(shards: list[str]) -> dict:
    hf = [s for s in shards if str(s).startswith("hf://")]
    if hf:
        if len(hf) != len(shards):
            raise BadInput("--shards: give hf:// paths alone, not mixed with other URIs")
        repos, patterns = set(), []
        for uri in hf:
            bits = uri[len("hf://"):].removeprefix("datasets/").split("/")
            if len(bits) < 2 or not bits[0] or not bits[1]:
                raise BadInput(f"--shards {uri}: expected hf://datasets/ORG/NAME[@REV]/glob")
            org, repo, tail = bits[0], bits[1], bits[2:]
            repo, _, revision = repo.partition("@")
            repos.add((f"{org}/{repo}", revision or None))
            patterns.append("/".join(tail))
        if len(repos) > 1:
            raise BadInput("--shards: hf:// paths must all name one repository and revision")
        (repo, revision), = repos
        return {"hf": repo, "revision": revision, "patterns": patterns}
    if len(shards) == 1 and str(shards[0]).lower().split("?", 1)[0].endswith((".txt", ".txt.gz", ".urls")):
        only = str(shards[0])
        return {"url_list": only if "://" in only else os.path.abspath(os.path.expanduser(only))}
    return {"urls": [u for s in shards for u in _expand_local(str(s))]}


def _expand_local(uri: str) -> list[str]:
    if "://" in uri:
        return [uri]
    import glob

    path = os.path.abspath(os.path.expanduser(uri))
    if os.path.isdir(path):
        found = [os.path.join(d, f) for d, _, files in os.walk(path) for f in files]
    elif any(ch in path for ch in "*?["):
        found = [p for p in glob.glob(path, recursive=True) if os.path.isfile(p)]
    elif os.path.isfile(path):
        return [path]
    else:
        raise BadInput(f"--shards {uri} does not exist")
    found = sorted(p for p in found if p.lower().endswith((".parquet", ".jsonl", ".json", ".jsonl.gz",
                                                          ".json.gz", ".jsonl.zst", ".json.zst")))
    if not found:
        raise BadInput(f"--shards {uri} holds no Parquet or JSONL (.gz, .zst) files")
    return found
