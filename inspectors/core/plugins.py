"""The one loader of inspectors: built-ins, installed plugins and a user's own files, in every process.

Sources, each loaded once per process and in this order:

1. ``DEFAULT_MODULES``: the built-ins (``inspectors.builtin``), imported directly so they load even
   when corpuscope is run from a checkout that is not installed.
2. Entry points of group ``corpuscope.inspectors`` (``[project.entry-points."corpuscope.inspectors"]``
   in a plugin's ``pyproject.toml``); each names a module that ``@register``s inspectors on import.
   One naming a module already loaded (corpuscope's own ``builtin = "inspectors.builtin"``) is skipped.
3. ``$CORPUSCOPE_INSPECTOR_MODULES``: entries separated by ``os.pathsep`` (``:`` on POSIX), each a
   Python file (ends in ``.py`` or is an existing file; relative to the current directory) or a dotted
   module name. Re-read whenever its value changes, so entries added later in the process also load.

``add_modules`` is ``--inspector-module FILE``: it loads the files now and appends their absolute
paths to ``$CORPUSCOPE_INSPECTOR_MODULES``, so every process started afterwards (a local pool worker,
a Ray task, which gets the variable with each task, the app's server) loads the same inspectors.

Failures: a file or module the user named (environment, ``--inspector-module``) that does not exist,
fails to import or registers no inspector is a ``BadInput`` naming it (and the error's first line),
raised by every registry look-up until it is fixed (the user asked for those inspectors; silently
running without them would be worse). A broken *installed* entry point, one that registers nothing
included, cannot stop the rest: it is skipped, logged once as a warning and listed by ``problems()``
(``corpuscope inspectors list`` prints them).

Origins: every key is attributed to the source whose import registered it (a diff of the registry
around each import), e.g. ``builtin``, ``entry point NAME (MODULE)``,
``env CORPUSCOPE_INSPECTOR_MODULES: PATH`` or ``--inspector-module PATH``; see ``origin``/``origins``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
import threading
from pathlib import Path

from inspectors.core import registry
from inspectors.core.errors import BadInput

ENV = "CORPUSCOPE_INSPECTOR_MODULES"
GROUP = "corpuscope.inspectors"
BUILTIN_MODULE = "inspectors.builtin"
DEFAULT_MODULES = (BUILTIN_MODULE,)
BUILTIN = "builtin"

log = logging.getLogger("corpuscope.plugins")

_lock = threading.RLock()
_busy = False  # a module being loaded asks the registry again: answer with what is there so far
_defaults_done = False
_entry_points_done = False
_env_seen: str | None = None  # the value of $ENV last loaded
_env_error: BadInput | None = None  # its failure, raised again until the value changes
_sources: dict[str, str] = {}  # loaded source (module name or resolved file path) -> origin
_module_sources: dict[str, str] = {}  # imported module name -> origin (attributes keys by __module__)
_failures: dict[str, BadInput] = {}  # user-named source -> its error (not imported twice)
_origins: dict[str, tuple[type, str]] = {}  # key -> (class registered, origin)
_problems: list[str] = []


def load_all() -> None:
    """Load every source not loaded yet in this process (cheap when nothing changed).

    Raises ``BadInput`` when an entry of ``$CORPUSCOPE_INSPECTOR_MODULES`` is missing or broken.
    """
    global _busy, _defaults_done, _entry_points_done, _env_seen, _env_error
    value = os.environ.get(ENV, "")
    if _defaults_done and _entry_points_done and value == _env_seen:
        if _env_error is not None:
            raise _env_error
        return
    with _lock:
        if _busy:
            return
        _busy = True
        try:
            if not _defaults_done:
                for name in DEFAULT_MODULES:
                    _load_module_name(name, BUILTIN if name == BUILTIN_MODULE else f"default {name}")
                _defaults_done = True
            if not _entry_points_done:
                _load_entry_points()
                _entry_points_done = True
            if value != _env_seen:
                _env_seen, _env_error = value, None
                try:
                    for entry in split_env(value):
                        _load_entry(entry, f"env {ENV}: {entry}")
                except BadInput as error:
                    _env_error = error
        finally:
            _busy = False
        if _env_error is not None:
            raise _env_error


def add_modules(paths) -> list[str]:
    """``--inspector-module``: load these Python files now and make later processes load them too.

    Each must be an existing file (``BadInput`` naming it otherwise). Their absolute paths are
    appended to ``$CORPUSCOPE_INSPECTOR_MODULES`` (once each) after they load. Returns those paths.
    """
    files = [_existing_file(path) for path in paths]
    load_all()
    for file in files:
        with _lock:
            _load_file(file, f"--inspector-module {file}")
        _append_env(file)
    return files


def load_module(path: str) -> None:
    """Load one user file as ``--inspector-module`` does, without touching the environment.

    What ``registry.load_module`` forwards to (``profile``'s ``user_modules``, which carry the
    files to the workers themselves).
    """
    file = _existing_file(path)
    load_all()
    with _lock:
        _load_file(file, f"--inspector-module {file}")


def _existing_file(path) -> str:
    """The absolute path of an ``--inspector-module`` file, or ``BadInput`` naming it."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise BadInput(f"inspector module {path} does not exist (or is not a file)")
    return str(file.resolve())


def split_env(value: str | None) -> list[str]:
    """The non-empty entries of a ``$CORPUSCOPE_INSPECTOR_MODULES`` value."""
    return [entry.strip() for entry in (value or "").split(os.pathsep) if entry.strip()]


def is_file_entry(entry: str) -> bool:
    """A file path (ends in ``.py`` or names an existing file) rather than a dotted module name."""
    return entry.endswith(".py") or os.sep in entry or Path(entry).expanduser().is_file()


def worker_env() -> str | None:
    """``$CORPUSCOPE_INSPECTOR_MODULES`` for another process: file entries made absolute (a Ray worker
    does not start in this directory); ``None`` when unset."""
    value = os.environ.get(ENV)
    if value is None:
        return None
    entries = [str(Path(e).expanduser().resolve()) if is_file_entry(e) else e for e in split_env(value)]
    return os.pathsep.join(entries)


def set_worker_env(value: str | None) -> None:
    """Set (or, for ``None``, unset) ``$CORPUSCOPE_INSPECTOR_MODULES`` in a worker; the inspectors
    load on the registry's next look-up (a broken entry then fails that shard, naming the file)."""
    if value is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = value


def origin(key: str) -> str:
    """Where the inspector registered under ``key`` came from (``builtin``, ``entry point …``,
    ``env CORPUSCOPE_INSPECTOR_MODULES: …``, ``--inspector-module …`` or ``module NAME``)."""
    classes = registry.registered()
    if key not in classes:
        raise BadInput(f"unknown inspector {key!r}; available: {', '.join(sorted(classes))}")
    return _origin_of(key, classes[key])


def origins() -> dict[str, str]:
    """``origin`` of every registered inspector, by versioned key."""
    return {key: _origin_of(key, cls) for key, cls in sorted(registry.registered().items())}


def problems() -> list[str]:
    """Installed entry points that failed to load in this process (each skipped, the rest loaded)."""
    load_all()
    return list(_problems)


def _origin_of(key: str, cls: type) -> str:
    recorded = _origins.get(key)
    if recorded is not None and recorded[0] is cls:
        return recorded[1]
    # Registered outside a load (e.g. its module was imported before): attribute it by its module.
    module = getattr(cls, "__module__", "") or ""
    for name, where in _module_sources.items():
        if module == name or module.startswith(name + "."):
            return where
    return f"module {module}" if module else "unknown"


def _load_entry_points() -> None:
    try:
        points = importlib.metadata.entry_points(group=GROUP)
    except Exception as error:  # noqa: BLE001 - broken metadata must not stop the built-ins
        _problem(f"cannot read entry points of group {GROUP}: {_first_line(error)}")
        return
    for point in sorted(points, key=lambda p: (p.name, p.value)):
        where = f"entry point {point.name} ({point.value})"
        if point.attr is None and point.module in _sources:
            continue  # e.g. corpuscope's own ``builtin = "inspectors.builtin"``: already loaded
        try:
            _load(point.value, point.module, where, point.load, label=where)
        except BadInput as error:  # one broken plugin must not stop the others
            _problem(str(error))


def _load_entry(entry: str, where: str) -> None:
    if is_file_entry(entry):
        file = Path(entry).expanduser()
        if not file.is_file():
            raise BadInput(f"inspector module {entry} (from ${ENV}) does not exist")
        _load_file(str(file.resolve()), where)
    else:
        _load_module_name(entry, where, user=True)


def _load_module_name(name: str, where: str, user: bool = False) -> None:
    _load(name, name, where, lambda: importlib.import_module(name),
          label=f"inspector module {name}" if user else None)


def _load_file(file: str, where: str) -> None:
    """Import the Python file at absolute path ``file``; its module is named by its path, so the
    same file has the same module name in every process."""
    digest = hashlib.sha1(file.encode()).hexdigest()[:8]
    name = f"corpuscope_user_{''.join(c if c.isalnum() else '_' for c in Path(file).stem)}_{digest}"

    def execute() -> None:
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise ImportError("not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise

    _load(file, name, where, execute, label=f"inspector module {file}")


def _load(source: str, module: str, where: str, execute, label: str | None) -> None:
    """Run ``execute`` (an import) once per process for ``source``, attributing to ``where`` what it
    registers. A failure, or a labelled source that registers no inspector, is a ``BadInput`` starting
    with ``label``, kept and raised again on a later attempt rather than importing twice; without a
    label (the built-ins) the error propagates as is."""
    if source in _sources:
        return
    if source in _failures:
        raise _failures[source]
    before = _snapshot()
    try:
        execute()
    except Exception as error:
        if label is None:
            raise
        _failures[source] = BadInput(f"{label} failed to import: {_first_line(error)}")
        raise _failures[source] from None
    finally:
        _record(before, where)
    if label is not None and not _registers_any(before, module):
        _failures[source] = BadInput(f"{label} registers no inspector: it imports, but no class in it is "
                                     "decorated with @register (from inspectors.core.registry)")
        raise _failures[source]
    _sources[source] = where
    _module_sources.setdefault(module, where)


def _registers_any(before: dict[str, type], module: str) -> bool:
    """True when the import added an inspector, or ``module`` (or a submodule) holds a registered one:
    a module imported before its load, as a dotted name may be, registered its inspectors then."""
    return any(before.get(key) is not cls or cls.__module__ == module or cls.__module__.startswith(module + ".")
               for key, cls in registry._REGISTRY.items())


def _append_env(file: str) -> None:
    entries = split_env(os.environ.get(ENV))
    present = {str(Path(e).expanduser().resolve()) if is_file_entry(e) else e for e in entries}
    if file not in present:
        os.environ[ENV] = os.pathsep.join([*entries, file])


def _snapshot() -> dict[str, type]:
    return dict(registry._REGISTRY)


def _record(before: dict[str, type], where: str) -> None:
    for key, cls in registry._REGISTRY.items():
        if before.get(key) is not cls:
            _origins[key] = (cls, where)


def _problem(message: str) -> None:
    if message in _problems:
        return
    _problems.append(message)
    log.warning("%s; skipped (the other inspectors are loaded)", message)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _after_fork_in_child() -> None:
    global _lock, _busy
    _lock, _busy = threading.RLock(), False  # a thread of the parent may have held it


os.register_at_fork(after_in_child=_after_fork_in_child)
