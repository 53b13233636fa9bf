"""Local executor: a process pool (all cores by default); inline when one worker or one shard.

Each worker is handed this process's ``$CORPUSCOPE_INSPECTOR_MODULES`` when it starts (file entries
made absolute), so it loads the same user inspectors as the driver whatever the start method: a
forked worker would inherit it, but a ``forkserver`` or ``spawn`` one starts from a server or an
interpreter that may predate an ``--inspector-module`` added in this process.

Workers die with their parent: on Linux the kernel sends them SIGKILL when it exits
(``PR_SET_PDEATHSIG``), and everywhere a watchdog thread ends a worker whose parent is gone, so a
``kill -9`` or SIGTERM of the driver leaves no worker finishing queued shards or blocked forever.
"""

from __future__ import annotations

import os
import sys
import threading
import time
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
        initializer=init_worker,
        initargs=(plugins.worker_env(), os.getpid()),
    )
    try:
        futures = [pool.submit(func, shard, **kwargs) for shard in shards]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 1.0


def init_worker(env: str | None, parent: int) -> None:
    """Pool initializer: the inspector modules' environment, the allocator tuning (the worker is ours),
    then die-with-parent (see the module doc)."""
    from inspectors.core import allocator, plugins

    plugins.set_worker_env(env)
    allocator.tune_allocator()
    die_with_parent(parent)


def die_with_parent(driver: int) -> None:
    """End this process when its parent or the ``driver`` process exits: a kernel signal on Linux, else
    a watchdog thread. The parent is the driver, or with ``forkserver`` the server (the driver is then
    watched by pid)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent or not _exists(driver):  # gone before the signal was armed
        os._exit(1)

    def watch():
        while os.getppid() == parent and _exists(driver):
            time.sleep(WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="corpuscope-parent-watchdog", daemon=True).start()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
