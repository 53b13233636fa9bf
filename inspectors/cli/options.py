"""Options shared by the commands that read a corpus."""

from __future__ import annotations

import contextvars
import functools
import os

import click

from inspectors.core.sources import Corpus, resolve


_SELECTION: contextvars.ContextVar[tuple[tuple, tuple]] = contextvars.ContextVar("shard_selection",
                                                                                 default=((), ()))


def selection_options(func):
    """Add ``--include GLOB`` and ``--exclude GLOB`` (repeatable) to a command that takes SOURCE.

    The command function does not see them: they are kept for ``corpus_from`` of this invocation, so
    every command with ``column_options`` gets them without a change to its signature.
    """
    @functools.wraps(func)
    def wrapper(*args, include=(), exclude=(), **kwargs):
        token = _SELECTION.set((tuple(include or ()), tuple(exclude or ())))
        try:
            return func(*args, **kwargs)
        finally:
            _SELECTION.reset(token)

    wrapper = click.option("--exclude", multiple=True, metavar="GLOB",
                           help="Skip shards whose path below SOURCE (or file name) matches GLOB; repeatable.")(wrapper)
    wrapper = click.option("--include", multiple=True, metavar="GLOB",
                           help="Read only shards whose path below SOURCE (or file name) matches GLOB, e.g. "
                                "'*.parquet' or 'documents/**'; repeatable. Without it, a folder holding both "
                                "Parquet and JSON(L) is read as Parquet only.")(wrapper)
    return wrapper


def column_options(func):
    """Add ``--text-column``, ``--url-column``, ``--id-column`` and ``--source-column``, and the shard
    selection ``--include``/``--exclude``."""
    for name in ("source", "id", "url", "text"):
        func = click.option(
            f"--{name}-column",
            default=None,
            metavar="PATH",
            help=f"Dotted path of the {name} field (auto-detected for Dolma, C4, Pile and flat layouts).",
        )(func)
    return selection_options(func)


def corpus_from(source: str, text_column=None, url_column=None, id_column=None, source_column=None) -> Corpus:
    """Resolve SOURCE with the column overrides and ``--include``/``--exclude`` given on the command line;
    what resolving skipped (another format in the same folder) is said on stderr."""
    overrides = {"text": text_column, "url": url_column, "id": id_column, "source": source_column}
    include, exclude = _SELECTION.get()
    corpus = resolve(source, overrides, include, exclude)
    for note in corpus.notes:
        click.echo(f"note: {note}", err=True)
    return corpus


def plan_options(func):
    """Add the sampling flags ``--sample-shards``, ``--rows-per-shard`` and ``--seed``."""
    func = click.option("--seed", type=int, default=0, show_default=True, help="Seed of the shard sample.")(func)
    func = click.option("--rows-per-shard", type=int, default=None, help="Read at most N rows of each shard.")(func)
    func = click.option("--sample-shards", type=int, default=None, help="Read K shards drawn at random.")(func)
    return func


def workers_option(func):
    """Add ``--workers`` (processes; default all cores)."""
    return click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="Worker processes (default: all cores).")(func)


def stratified_options(func):
    """Add ``--stratified`` and ``--per-stratum`` (a stratified targeted scan for rare slices)."""
    func = click.option("--per-stratum", type=int, default=None,
                        help="Documents tagged per stratum in a stratified scan (default 200).")(func)
    func = click.option("--stratified", is_flag=True,
                        help="Prefilter every document into the query's strata, then tag a seeded sample of each.")(func)
    return func


def engine_options(func):
    """Add ``--engine local|ray`` and ``--ray-address``."""
    from inspectors.core.executors import ENGINES

    func = click.option("--ray-address", "ray_address", default=None, metavar="ADDR",
                        help="Ray cluster to use with --engine ray (auto, HOST:6379 or ray://HOST:10001); "
                             "default: $RAY_ADDRESS, else a local Ray instance.")(func)
    func = click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
                        help="Where per-shard work runs: a process pool on this machine, or Ray tasks.")(func)
    return func


def check_engine(engine: str, ray_address: str | None) -> None:
    """Fail before any work when the engine flags do not fit together or Ray is missing."""
    from inspectors.core.errors import BadInput

    if ray_address and engine != "ray":
        raise BadInput("--ray-address needs --engine ray")
    if engine == "ray":
        from inspectors.core.executors.ray import require_ray

        require_ray()


def prepare_out(out: str | None) -> None:
    """Make ``--out``'s folder before any work, and fail now, naming it, if the file cannot go there,
    so a finished run never ends in an unwritable path."""
    if not out:
        return
    from pathlib import Path

    from inspectors.core.errors import BadInput

    path = Path(out)
    if path.is_dir():
        raise BadInput(f"--out {out} is a folder; give a file name")
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise BadInput(f"--out {out}: {blocking} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInput(f"--out {out}: cannot make its folder ({error.strerror or error})") from None
    if not os.access(path.parent, os.W_OK):
        raise BadInput(f"--out {out}: its folder {path.parent} is not writable")


TIMEOUT_HINT = "raise it with --timeout SECONDS"  # a timed-out query's advice, for the commands with --timeout


def inspector_module_option(func):
    """Add ``--inspector-module FILE`` (repeatable): a Python file registering your own inspectors."""
    return click.option("--inspector-module", "modules", multiple=True, type=click.Path(exists=True, dir_okay=False),
                        help="A Python file registering your own inspectors with @register (repeatable); "
                             "also read from $CORPUSCOPE_INSPECTOR_MODULES.")(func)


def add_modules(modules) -> None:
    """Load ``--inspector-module`` files here and in every worker this command starts."""
    if modules:
        from inspectors.core import plugins

        plugins.add_modules(list(modules))
