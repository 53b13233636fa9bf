"""Ray executor: the same per-shard function as the local pool, run as Ray tasks.

One Ray task per shard (``num_cpus=1``), so a cluster runs as many shards at once as it has CPUs.
Plain tasks fit better than Ray Data here: the unit of work is a whole file in and a whole file out,
written by the task itself, and the only thing coming back to the driver is a small ``ShardResult``.

* Where: ``address`` (``--ray-address``) connects to a running cluster (``auto``, ``HOST:6379`` or
  ``ray://HOST:10001``); without it ``$RAY_ADDRESS`` is used if set, else a private local Ray instance
  is started with ``workers`` CPUs (default: all cores), no dashboard, and shut down afterwards. If
  Ray is already initialised in this process (a notebook, a test), that session is used as it is.
* Same results: the task calls the very function the local engine calls, with the same arguments,
  including the attribute root, so the cache layout and resume behaviour are the local ones.
  ``CORPUSCOPE_HOME``, ``CORPUSCOPE_ATTRIBUTES`` and ``CORPUSCOPE_INSPECTOR_MODULES`` are forwarded
  to the workers with each task (whether Ray was started here, reached at an address or already
  running), so a task loads the driver's user inspectors: modules by name, files by absolute path;
  on a multi-node cluster a file must be at that path on every node (a shared mount) or be installed
  as a module or an entry point there.
* Failures: a shard fault is already a ``failed`` result (``profile_shard`` never raises for one). A
  worker or node lost mid-shard is retried by Ray (``max_retries``, default 3); a shard whose worker
  dies on every attempt comes back as a ``failed`` result naming the shard while the rest finish.
  Re-running resumes: finished shards are cached.
* Allocator: when the run starts or connects Ray itself, its tasks apply corpuscope's glibc malloc
  tuning in their worker (``inspectors.core.allocator``, once per worker; ``CORPUSCOPE_MALLOC_TUNING=0``
  is forwarded like the variables above); in a Ray session the caller already had, the workers are the
  caller's and are left alone.
* Back-pressure: at most ``workers`` tasks in flight when given, else enough to keep every cluster
  CPU busy (and to show an autoscaler the demand), so a million-shard corpus does not flood the driver.
"""

from __future__ import annotations

import itertools
import logging
import os
from typing import Callable, Iterator

from inspectors.core.errors import BadInput

INSTALL_HINT = 'pip install "ray[default]>=2.9"  (or the corpuscope wheel with its [ray] extra)'
FORWARDED_ENV = ("CORPUSCOPE_HOME", "CORPUSCOPE_ATTRIBUTES", "CORPUSCOPE_INSPECTOR_MODULES", "CORPUSCOPE_MALLOC_TUNING")
MAX_RETRIES = 3
MIN_IN_FLIGHT = 256
CONNECT_TIMEOUT_S = 5  # a reachable head answers a TCP connect in far less

log = logging.getLogger("corpuscope.ray")


def require_ray():
    """The ``ray`` module, or ``BadInput`` (exit code 2) saying how to install it."""
    try:
        import ray
    except ImportError:
        raise BadInput(f"--engine ray needs Ray, which is not installed; install it with: {INSTALL_HINT}") from None
    return ray


def run_ray(
    func: Callable,
    shards: list,
    kwargs: dict,
    workers: int | None,
    address: str | None,
    *,
    max_retries: int = MAX_RETRIES,
) -> Iterator:
    """Yield ``func(shard, **kwargs)`` for each shard as its Ray task finishes.

    Connects (or starts Ray) before returning, so a missing Ray or a bad address fails at once.
    """
    ray = require_ray()
    started = _connect(ray, address, workers)
    return _results(ray, func, list(shards), kwargs, workers, max_retries, started)


def _connect(ray, address: str | None, workers: int | None) -> bool:
    """Attach to (or start) Ray; True when this call initialised it, so the run shuts it down."""
    if ray.is_initialized():
        return False
    options: dict = {"logging_level": logging.WARNING, "configure_logging": True}
    if address is None and not os.environ.get("RAY_ADDRESS"):
        prepare_local_instance()
        options.update(address="local", num_cpus=workers or os.cpu_count() or 1, include_dashboard=False)
    else:
        options.update(address=address)
        check_reachable(address or os.environ["RAY_ADDRESS"])
    try:
        ray.init(**options)
    except (ConnectionError, ValueError, RuntimeError) as error:
        where = address or os.environ.get("RAY_ADDRESS") or "a local Ray instance"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInput(f"cannot start or reach Ray at {where}: {first}") from None
    return True


def check_reachable(address: str) -> None:
    """``BadInput`` at once when a ``HOST:PORT`` (or ``ray://HOST:PORT``) address takes no connection:
    ``ray.init`` would otherwise wait minutes for the cluster's GCS, logging warnings. ``auto`` and other
    forms are left to Ray."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not (sep and host and port.isdigit()):
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise BadInput(f"cannot start or reach Ray at {address}: {error.strerror or error}") from None


def prepare_local_instance() -> None:
    """Environment for a private local Ray instance: nothing written to the home directory.

    Ray >= 2.5x turns token authentication on for a new local instance and, without a token, writes
    one to ``~/.ray/auth_token``. We keep token auth but hand Ray a random token in the environment
    (inherited by the processes Ray starts), so no file appears in the home directory; usage-stats
    reporting is off. Ray's session files go to ``$RAY_TMPDIR`` (default the system temp folder).
    Call this before ``ray.init`` when starting a local instance yourself (tests, benchmarks).
    """
    import secrets

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Ray switches token mode on itself (and refreshes its config); we only supply the token.
    if os.environ.get("RAY_AUTH_MODE", "token") == "token" and not (
        os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
    ):
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    # "Token authentication is enabled for this Ray cluster": true, and by our choice; not a warning.
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)


def _call(shard, payload):
    """The Ray task: set the driver's corpuscope environment, tune the allocator when the worker belongs
    to a session this run started, then run the unit of work."""
    func, kwargs, env, own_workers = payload
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if own_workers:
        from inspectors.core.allocator import tune_allocator

        tune_allocator()  # once per worker process: later calls return at once
    return func(shard, **kwargs)


def _forwarded_env() -> dict[str, str | None]:
    """The corpuscope variables for the tasks; inspector module files by absolute path (a Ray worker
    does not start in the driver's directory)."""
    from inspectors.core import plugins

    env = {name: os.environ.get(name) for name in FORWARDED_ENV}
    env[plugins.ENV] = plugins.worker_env()
    return env


def _results(ray, func, shards, kwargs, workers, max_retries, started) -> Iterator:
    try:
        if not shards:
            return
        _warn_if_root_is_node_local(ray, kwargs)
        env = _forwarded_env()
        payload = ray.put((func, kwargs, env, started))  # shipped once, not once per shard
        task = ray.remote(_call).options(
            num_cpus=1, max_retries=max_retries, retry_exceptions=False, name="corpuscope.profile_shard"
        )
        window = workers or max(2 * int(ray.cluster_resources().get("CPU", 1)), MIN_IN_FLIGHT)
        queue = iter(shards)
        pending: dict = {}

        def fill() -> None:
            for shard in itertools.islice(queue, max(0, window - len(pending))):
                pending[task.remote(shard, payload)] = shard

        fill()
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    shard = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as error:
                        result = _failed(shard, error, max_retries)
                    yield result
                fill()
        finally:
            for ref in pending:  # interrupted: do not leave work running on the cluster
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - best effort
                    pass
    finally:
        if started:
            ray.shutdown()


def _failed(shard, error, max_retries: int):
    """A ``failed`` ShardResult naming ``shard`` for a task Ray gave up on."""
    from inspectors.core.profile import ShardResult

    uri = getattr(shard, "uri", str(shard))
    kind = type(error).__name__
    detail = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    if "RayTaskError" in kind:  # the function itself raised (profile_shard does not, for shard faults)
        cause = getattr(error, "cause", None)
        message = f"{type(cause).__name__}: {cause}" if cause is not None else detail
        return ShardResult(uri, "failed", error=f"shard {uri}: {message}", exit_code=1)
    attempts = max_retries + 1 if max_retries >= 0 else "every"
    return ShardResult(
        uri, "failed", exit_code=1,
        error=f"shard {uri}: Ray worker lost on {attempts} attempt(s) ({kind}: {detail[:200]}); "
              "the other shards finished; re-run to retry it",
    )


def _warn_if_root_is_node_local(ray, kwargs: dict) -> None:
    from inspectors.core import store

    root = kwargs.get("root")
    if not root or store.is_remote(root):
        return
    try:
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    except Exception:  # noqa: BLE001 - only a warning
        return
    if nodes > 1:
        log.warning(
            "attribute root %s is a local path but the Ray cluster has %d nodes: each node writes to its "
            "own disk unless this is a shared mount; set CORPUSCOPE_ATTRIBUTES=s3://bucket/prefix (or gs://…)",
            root, nodes,
        )
