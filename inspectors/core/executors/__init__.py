"""Executors run the per-shard unit of work (``profile_shard``) over many shards.

``local`` uses a process pool on this machine; ``ray`` submits the same function as Ray tasks.
Each yields ``ShardResult``s as shards finish; the caller orders and reports them.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

ENGINES = ("local", "ray")


def run(
    engine: str,
    func: Callable,
    shards: Iterable,
    kwargs: dict,
    workers: int | None = None,
    address: str | None = None,
) -> Iterator:
    """Call ``func(shard, **kwargs)`` for every shard on ``engine``; yield results as they finish."""
    if engine == "local":
        from inspectors.core.executors.local import run_local

        return run_local(func, list(shards), kwargs, workers)
    if engine == "ray":
        from inspectors.core.executors.ray import run_ray

        return run_ray(func, list(shards), kwargs, workers, address)
    from inspectors.core.errors import BadInput

    raise BadInput(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def drive(results: Iterator, on_result: Callable | None = None, cancel: Callable[[], bool] | None = None,
          cancelled: Callable[[int], Exception] | None = None) -> list:
    """Collect ``results`` (from ``run``), calling ``on_result`` on each; stop when ``cancel()`` is true.

    Stopping closes the generator, so a pool drops the shards not yet started, and raises
    ``cancelled(n_done)``. Finished shards have written their output already.
    """
    out = []
    try:
        for result in results:
            out.append(result)
            if on_result:
                on_result(result)
            if cancel and cancel():
                raise cancelled(len(out)) if cancelled else RuntimeError("cancelled")
    finally:
        close = getattr(results, "close", None)
        if close:
            close()
    return out
