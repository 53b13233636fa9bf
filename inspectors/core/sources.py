"""Resolve a SOURCE string to the list of shards it names.

A SOURCE is a local file, folder or glob; an ``http(s)://`` URL of one shard; a URL list (a ``.txt``
file, local or remote, one shard URL per line); an ``hf://datasets/ORG/NAME[@REV][/path-or-glob]`` path
(a folder lists every shard below it); or a catalogue name (``dolma`` or ``dolma:v1.7``) whose shard
spec is an hf repository with patterns, a URL list or a list of URLs. Folders are searched recursively;
``include``/``exclude`` globs (matched against each shard's path below the source, or its file name)
narrow the shards. Without ``--include``, Parquet shards shadow same-named JSON(L) files beside them and
JSON(L) files in folders below them (the same data is often shipped in both, and raw JSON beside a
Parquet export is rarely documents); the ``Corpus`` says what it skipped in ``notes``.
Hub listing goes through huggingface_hub's ``HfFileSystem`` on ``HF_ENDPOINT``; the revision is resolved
to its commit, which the ``Corpus`` records.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

from urllib.parse import quote, urljoin, urlsplit

from inspectors.core.errors import BadInput, RuntimeFailure
from inspectors.core.shards import Shard, shard_for
from inspectors.core.storage import hf_endpoint, is_remote, local_path, parse_hf, read_bytes, unreachable


@dataclass
class Corpus:
    """A resolved SOURCE: its display name, its shards in a stable order, and column overrides."""

    name: str
    source: str
    shards: list[Shard]
    overrides: dict[str, str | None] = field(default_factory=dict)
    version: str | None = None
    revision: str | None = None
    notes: list[str] = field(default_factory=list)  # what resolving skipped, for the user

    def fingerprint(self) -> str:
        """Short hash of the shard list, for provenance."""
        import hashlib

        joined = "\n".join(s.uri for s in self.shards)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def resolve(source: str, overrides: dict[str, str | None] | None = None, include=(), exclude=()) -> Corpus:
    """The ``Corpus`` named by ``source``; raises ``BadInput`` if it names no readable shard.

    ``include``/``exclude``: glob patterns a shard's path below the source (or its file name) must match
    / must not match. Without ``include``, a local folder or glob with both Parquet and JSON(L) shards
    keeps the Parquet ones and records what it skipped in ``Corpus.notes``.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v}
    include, exclude = tuple(include or ()), tuple(exclude or ())
    revision, notes = None, []
    if is_remote(source):
        shards, revision = _remote_shards(source)
    elif _looks_local(source):
        local = not _is_url_list(source)
        shards = select_shards(_local_shards(source) if local else _url_list_shards(source), include, exclude,
                               source)
        if local and not include:
            shards, notes = one_format(shards)
    else:
        corpus = _catalogue_corpus(source, overrides)
        if include or exclude:
            corpus.shards = select_shards(corpus.shards, include, exclude, source)
        return corpus
    shards = select_shards(shards, include, exclude, source)
    if include or exclude:
        notes.append(f"--include/--exclude kept {len(shards)} shard(s)")
    name = parse_hf(source).repo_id if source.startswith("hf://") else _display_name(source)
    return Corpus(name=name, source=source, shards=shards, overrides=overrides, revision=revision, notes=notes)


def _matches(shard: Shard, patterns) -> bool:
    import fnmatch

    path = shard.name.replace(os.sep, "/")
    names = (path, path.rsplit("/", 1)[-1], shard.uri)
    return any(fnmatch.fnmatch(n, p) or (p.startswith("**/") and fnmatch.fnmatch(n, p[3:]))
               for p in patterns for n in names)


def select_shards(shards: list[Shard], include=(), exclude=(), source: str = "") -> list[Shard]:
    """``shards`` that match one of ``include`` (all when empty) and none of ``exclude``."""
    kept = [s for s in shards if (not include or _matches(s, include)) and not (exclude and _matches(s, exclude))]
    if not kept:
        raise BadInput(f"{source}: no shard left after --include {list(include) or '(all)'} "
                       f"--exclude {list(exclude) or '(none)'} ({len(shards)} shard(s) before)")
    return kept


def one_format(shards: list[Shard]) -> tuple[list[Shard], list[str]]:
    """One format per folder: Parquet shards shadow the JSON(L) files with the same name in their folder
    (``laws.parquet`` and ``laws.jsonl.gz``: the same statutes twice) and every JSON(L) file in folders
    below them (raw JSON under ``raw/`` beside a Parquet export), with a note on what was skipped.
    Sibling folders in different formats (``dolma/``, ``flat/``) and differently named shards of one
    folder all stay."""
    def folder(shard: Shard) -> str:
        return os.path.dirname(shard.name.replace(os.sep, "/"))

    def stem(shard: Shard) -> str:
        return shard.name.replace(os.sep, "/").split(".", 1)[0]

    parquet_dirs = {folder(s) for s in shards if s.format == "parquet"}
    parquet_stems = {stem(s) for s in shards if s.format == "parquet"}

    def shadowed(shard: Shard) -> bool:
        if shard.format == "parquet":
            return False
        d = folder(shard)
        below = any(d != p and (p == "" or d.startswith(p + "/")) for p in parquet_dirs)
        return below or stem(shard) in parquet_stems  # raw/ below a Parquet export, or the same file twice

    skipped = [s for s in shards if shadowed(s)]
    if not skipped:
        return shards, []
    kept = [s for s in shards if not shadowed(s)]
    folders = sorted({folder(s) or "." for s in skipped})
    shown = ", ".join(s.name for s in skipped[:3]) + (f" and {len(skipped) - 3} more" if len(skipped) > 3 else "")
    note = (f"skipped {len(skipped)} JSON(L) file(s) shadowed by Parquet shards ({shown}; folders: "
            f"{', '.join(folders)}): a folder is read in one format, since the same data is often shipped in "
            f"both. Use --include GLOB (e.g. --include '*.jsonl.gz') to choose the shards yourself.")
    return kept, [note]


def check_offline(source: str) -> None:
    """``BadInput`` when ``source`` names no corpus, decided without the network: a local path must hold
    shards and a catalogue name must be in the catalogue; URLs and ``hf://`` paths pass unread."""
    if is_remote(source):
        return
    if _looks_local(source):
        resolve(source)  # local: only a listing
        return
    from inspectors.core.catalogue import load_catalogue

    try:
        load_catalogue().corpus(source)
    except BadInput as error:
        raise BadInput(f"{source} is neither a path nor a catalogue corpus ({error})") from None


def names_a_location(source: str) -> bool:
    """True when ``source`` is read as a path, glob or URL rather than looked up as a catalogue name."""
    return is_remote(source) or _looks_local(source)


def _looks_local(source: str) -> bool:
    # A catalogue name (``dolma`` or ``dolma:v1.7``) has no path separator and no glob characters;
    # anything that exists, or has either, is a path.
    path = local_path(source)
    return os.path.exists(path) or any(ch in path for ch in "*?[") or os.sep in path or "/" in path


def _is_url_list(source: str) -> bool:
    path = local_path(source)
    return os.path.isfile(path) and path.lower().endswith((".txt", ".txt.gz", ".urls"))


def _local_shards(source: str) -> list[Shard]:
    path = local_path(source)
    if os.path.isdir(path):
        root = path
        candidates = [
            os.path.join(d, f)
            for d, _, files in os.walk(path)
            if not _is_dolma_attributes(path, d)
            for f in files
        ]
    elif any(ch in path for ch in "*?["):
        root = os.path.dirname(path.split("*")[0]) or "."
        candidates = glob.glob(path, recursive=True)
    elif os.path.exists(path):
        root = os.path.dirname(path)
        candidates = [path]
    else:
        raise BadInput(f"{source} does not exist (give a file, folder, glob, URL or catalogue name)")
    shards = []
    for candidate in sorted(candidates):
        if os.path.isfile(candidate):
            shard = shard_for(os.path.abspath(candidate), os.path.relpath(candidate, root))
            if shard:
                shards.append(shard)
    if not shards:
        raise BadInput(f"{source} holds no Parquet or JSONL (.gz, .zst) shards")
    return shards


def _is_dolma_attributes(root: str, folder: str) -> bool:
    # Dolma keeps tagger output in attributes/ beside documents/; those files are not documents.
    parts = os.path.relpath(folder, root).split(os.sep)
    if "attributes" not in parts:
        return False
    base = os.path.join(root, *parts[: parts.index("attributes")])
    return os.path.isdir(os.path.join(base, "documents"))


def _without_dolma_attributes(uris: list[str]) -> list[str]:
    """``uris`` less the files under an ``attributes/`` folder that has a ``documents/`` sibling."""
    prefixes = {u[: u.index("/documents/") + 1] for u in uris if "/documents/" in u}
    return [u for u in uris if not any(u.startswith(p + "attributes/") for p in prefixes)]


def _remote_shards(source: str) -> tuple[list[Shard], str | None]:
    """Shards of an ``http(s)://`` URL (one file or a URL list) or an ``hf://`` path or glob."""
    if source.startswith("hf://"):
        uris, revision = hf_list(source)
        uris = _without_dolma_attributes(uris)
        shards = [s for s in (shard_for(u, _hf_name(u)) for u in uris) if s]
    elif source.startswith(("http://", "https://")):
        revision = None
        if source.lower().split("?", 1)[0].endswith((".txt", ".txt.gz", ".urls")):
            return _url_list_shards(source), None
        if source.endswith("/") or any(ch in source.split("?", 1)[0].rsplit("/", 1)[-1] for ch in "*?["):
            raise BadInput(f"{source}: HTTP has no directory listing; give one file's URL, a URL list (.txt) "
                           "or an hf:// glob")
        shards = [s for s in [shard_for(source, source.split("?", 1)[0].rsplit("/", 1)[-1])] if s]
    else:
        raise BadInput(f"{source}: unsupported scheme (use a local path, http(s)://, hf:// or a catalogue name)")
    if not shards:
        raise BadInput(f"{source} names no Parquet or JSONL (.gz, .zst) shards")
    return shards, revision


def _hf_name(uri: str) -> str:
    return parse_hf(uri).path or uri.rsplit("/", 1)[-1]


def _hf_fs():
    from huggingface_hub import HfFileSystem

    # The endpoint is passed explicitly: huggingface_hub reads HF_ENDPOINT once at import.
    return HfFileSystem(endpoint=hf_endpoint())


def hf_errors(uri: str):
    """Context manager turning huggingface_hub errors into ``BadInput``/``RuntimeFailure`` naming ``uri``."""
    import contextlib

    @contextlib.contextmanager
    def guard():
        try:
            yield
        except (BadInput, RuntimeFailure):
            raise
        except Exception as error:  # noqa: BLE001 — classified below, re-raised as ours
            raise _hf_error(uri, error) from None

    return guard()


def _hf_error(uri: str, error: Exception) -> Exception:
    name = type(error).__name__
    text = str(error).splitlines()[0] if str(error) else name
    if name == "GatedRepoError":
        return BadInput(f"{uri}: gated dataset; accept its terms on its hub page and set HF_TOKEN ({text})")
    if name == "RevisionNotFoundError":
        return BadInput(f"{uri}: revision not found; check the @REVISION (branch, tag or commit) ({text})")
    if name in ("RepositoryNotFoundError", "HFValidationError"):
        return BadInput(f"{uri}: repository not found; check ORG/NAME, and your token (HF_TOKEN) if it is "
                        f"private or gated ({text})")
    if name in ("EntryNotFoundError", "FileNotFoundError", "RemoteEntryNotFoundError"):
        return BadInput(f"{uri}: no such file or folder in the repository at that revision ({text})")
    if unreachable(error):  # DNS failure or refused connection: the same one line as every other read
        host = urlsplit(hf_endpoint()).hostname or hf_endpoint()
        return RuntimeFailure(f"{uri}: cannot reach {host} (no network?): {name}")
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status in (401, 403):
        return BadInput(f"{uri}: HTTP {status}: access denied; check HF_TOKEN and, for a gated dataset, "
                        f"that you accepted its terms ({text})")
    if status == 404:
        return BadInput(f"{uri}: HTTP 404: not found; check the path and revision ({text})")
    return RuntimeFailure(f"{uri}: listing failed: {name}: {text}")


def hf_list(source: str) -> tuple[list[str], str | None]:
    """``hf://`` URIs of the shard files ``source`` names (a file, folder or glob), sorted, and the
    commit its revision resolves to. Listing goes through huggingface_hub's ``HfFileSystem``."""
    hf = parse_hf(source)
    with hf_errors(source):
        fs = _hf_fs()
        api_revision = hf.revision or "main"
        from huggingface_hub import HfApi

        info = HfApi(endpoint=hf_endpoint()).repo_info(hf.repo_id, repo_type=hf.repo_type, revision=api_revision)
        commit = getattr(info, "sha", None)
        root = hf.root[len("hf://"):]
        target = f"{root}/{hf.path}" if hf.path else root
        if any(ch in hf.path for ch in "*?["):
            found = fs.glob(target)
        elif hf.path and fs.isfile(target):
            found = [target]
        else:
            found = fs.find(target)
    prefix = root + "/"
    uris = []
    for path in sorted(found):
        inner = path[len(prefix):] if path.startswith(prefix) else path.split("/", 3)[-1]
        uris.append(f"{hf.root}/{inner}")
    return uris, commit


def _url_list_shards(source: str, fmt: str | None = None, compression: str | None = None) -> list[Shard]:
    """Shards named one per line by a URL list (local or remote, optionally .gz); ``#`` comments skip."""
    import gzip

    try:
        raw = read_bytes(source)
    except OSError as error:
        raise BadInput(f"{source}: cannot read the URL list ({error})") from None
    if source.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    base = source if is_remote(source) else None
    uris = []
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if base and "://" not in line:
            line = urljoin(base, line)
        elif not base and "://" not in line and not os.path.isabs(line):
            line = os.path.join(os.path.dirname(os.path.abspath(local_path(source))), line)
        uris.append(line)
    return _shards_from_uris(source, uris, fmt, compression)


def _shards_from_uris(source: str, uris: list[str], fmt: str | None = None,
                      compression: str | None = None) -> list[Shard]:
    shards = []
    for uri in uris:
        name = uri.split("?", 1)[0].rsplit("/", 1)[-1]
        shard = shard_for(uri, name)
        if shard is None and fmt:
            shard = Shard(uri=uri, name=name, format=fmt, compression=compression)
        if shard is not None:
            shards.append(shard)
    if not shards:
        raise BadInput(f"{source} lists no Parquet or JSONL (.gz, .zst) shards")
    return shards


def _catalogue_corpus(source: str, overrides) -> Corpus:
    try:
        from inspectors.core.catalogue import load_catalogue
    except ImportError:  # the catalogue is optional for local work
        raise BadInput(f"{source} does not exist and is not a catalogue name") from None
    try:
        entry = load_catalogue().corpus(source)
    except BadInput as error:
        raise BadInput(f"{source} is neither a path nor a catalogue corpus ({error})") from None
    except (KeyError, LookupError):
        raise BadInput(f"{source} does not exist and is not a catalogue name "
                       "(see `corpuscope corpus list`)") from None
    shards, revision = catalogue_shards(entry)
    columns = {k: v for k, v in (getattr(entry, "columns", None) or {}).items() if k in ("id", "text", "url", "source")}
    return Corpus(name=entry.name, source=source, shards=shards, overrides={**columns, **overrides},
                  version=getattr(entry, "version", None), revision=revision)


def catalogue_shards(entry) -> tuple[list[Shard], str | None]:
    """Shards of a catalogue entry's ``shard_spec``: ``{hf, revision, patterns}``, ``{url_list}`` or
    ``{urls}``; files without a telling suffix take the entry's ``format`` and ``compression``."""
    spec = dict(getattr(entry, "shard_spec", None) or {})
    fmt, compression = getattr(entry, "format", None), getattr(entry, "compression", None)
    label = f"catalogue corpus {getattr(entry, 'name', '?')}"
    if spec.get("hf"):
        repo = spec["hf"].removeprefix("hf://").strip("/")
        if not repo.startswith(("datasets/", "models/", "spaces/")):
            repo = f"datasets/{repo}"
        revision = spec.get("revision")
        root = f"hf://{repo}" + (f"@{quote(str(revision), safe='')}" if revision else "")
        patterns = spec.get("patterns") or [""]
        if isinstance(patterns, str):
            patterns = [patterns]
        uris, commit = [], None
        for pattern in patterns:
            found, commit = hf_list(f"{root}/{pattern}".rstrip("/"))
            uris += [u for u in _without_dolma_attributes(found) if u not in uris]
        return _shards_from_uris(label, uris, fmt, compression), commit
    if spec.get("url_list"):
        lists = spec["url_list"] if isinstance(spec["url_list"], list) else [spec["url_list"]]
        shards = []
        for url_list in lists:
            shards += _url_list_shards(url_list, fmt, compression)
        return shards, spec.get("revision")
    if spec.get("urls"):
        return _shards_from_uris(label, list(spec["urls"]), fmt, compression), spec.get("revision")
    uri = entry.hf_uri() if hasattr(entry, "hf_uri") else None
    if uri:
        shards, commit = _remote_shards(uri)
        return shards, commit
    raise BadInput(f"{label} has no shard location we can read (shard_spec needs hf, url_list or urls)")


def _display_name(source: str) -> str:
    trimmed = source.rstrip("/")
    return os.path.basename(trimmed.split("*")[0].rstrip("/")) or trimmed
