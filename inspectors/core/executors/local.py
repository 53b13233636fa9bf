"""Local executor: a process pool (all cores by default); inline when one worker or one shard.

Each worker is handed this process's ``$CORPUSCOPE_INSPECTOR_MODULES`` when it starts (file entries
made absolute), so it loads the same user inspectors as the driver whatever the start method: a
forked worker would inherit it, but a ``forkserver`` or ``spawn`` one starts from a server or an
interpreter that may predate an ``--inspector-module`` added in this process.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterator


def run_local(func: Callable, shards: list, kwargs: dict, workers: int | None) -> Iterator:
    """Yield ``func(shard, **kwargs)`` for each shard as it finishes.

    Closing the generator early (a cancelled run) cancels the shards not yet started.
    """
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(shards) <= 1:
        for shard in shards:
            yield func(shard, **kwargs)
        return
    from inspectors.core import plugins

    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(shards)),
        initializer=plugins.set_worker_env,
        initargs=(plugins.worker_env(),),
    )
    try:
        futures = [pool.submit(func, shard, **kwargs) for shard in shards]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
