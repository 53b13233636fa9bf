"""Throughput of the local engine (process pool) against the Ray engine on the same shards, same machine.

Run: ``python benchmarks/bench_engines.py [--copies 16] [--repeats 2] [--small 48]``.

The corpus is real text: the C4 sample in ../shared/data (1,000 documents) written out as ``--copies``
JSONL.gz shards, profiled with every registered inspector (the default of ``corpuscope profile``). Each
measurement starts from an empty attribute cache. Reported per configuration: wall seconds, documents
per second and documents per second per core. Ray is measured twice: *cold* (``--engine ray`` as the
CLI runs it: start a private local Ray instance, run, shut it down) and *warm* (Ray already running, as on
a cluster). A second corpus of ``--small`` tiny shards (10 documents each) isolates the per-shard cost
of scheduling a task. Ray's session files go to a temp folder, never the home directory.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
C4 = ROOT.parent / "shared" / "data" / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz"


def make_corpus(folder: Path, copies: int, rows: int | None = None) -> int:
    """``copies`` shards of the C4 sample (its first ``rows`` lines if given); returns documents written."""
    lines = gzip.open(C4, "rt", encoding="utf-8").read().splitlines()
    lines = lines[:rows] if rows else lines
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        with gzip.open(folder / f"c4-copy-{i:04d}.json.gz", "wt", encoding="utf-8", compresslevel=1) as out:
            out.write("\n".join(lines) + "\n")
    return copies * len(lines)


def timed_profile(corpus_dir: Path, engine: str, workers: int | None, scratch: Path) -> tuple[float, int]:
    """Profile ``corpus_dir`` into a fresh cache; (seconds, documents)."""
    from inspectors.core.profile import profile_corpus
    from inspectors.core.sources import resolve

    home = Path(tempfile.mkdtemp(dir=scratch, prefix=f"home-{engine}-"))
    os.environ["CORPUSCOPE_HOME"] = str(home)
    corpus = resolve(str(corpus_dir))
    start = time.perf_counter()
    report = profile_corpus(corpus, workers=workers, engine=engine)
    seconds = time.perf_counter() - start
    assert not report.failed, report.failed
    shutil.rmtree(home, ignore_errors=True)
    return seconds, report.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16, help="shards of the 1,000-document C4 sample")
    parser.add_argument("--small", type=int, default=48, help="tiny shards (10 documents) for the per-task cost")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="corpuscope-bench-"))
    os.environ.setdefault("RAY_TMPDIR", str(scratch / "ray"))
    Path(os.environ["RAY_TMPDIR"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TLDEXTRACT_CACHE", str(scratch / "tldextract"))
    try:
        import ray

        from inspectors.core import registry
        from inspectors.core.executors.ray import prepare_local_instance

        big, small = scratch / "big", scratch / "small"
        n_big = make_corpus(big, args.copies)
        n_small = make_corpus(small, args.small, rows=10)
        inspectors = ", ".join(cls.key() for cls in registry.resolve(None))
        cpus = args.cpus
        print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs; "
              f"python {platform.python_version()}; ray {ray.__version__}")
        print(f"inspectors: {inspectors}")
        print(f"corpus A: {args.copies} shards x 1,000 C4 documents = {n_big:,} documents; "
              f"corpus B: {args.small} shards x 10 documents = {n_small:,}")

        def measure(label, corpus_dir, engine, workers, cores):
            runs = [timed_profile(corpus_dir, engine, workers, scratch) for _ in range(args.repeats)]
            seconds = statistics.median(s for s, _ in runs)
            docs = runs[0][1]
            print(f"| {label} | {cores} | {seconds:.2f} | {docs / seconds:,.0f} | {docs / seconds / cores:,.0f} |",
                  flush=True)
            return seconds

        print("\n| configuration | cores | seconds (median) | docs/s | docs/s per core |")
        print("|---|---|---|---|---|")
        timed_profile(small, "local", 1, scratch)  # warm imports and caches (tldextract, langdetect)
        local1 = measure("A local, 1 worker (inline)", big, "local", 1, 1)
        local = measure(f"A local pool, {cpus} workers", big, "local", cpus, cpus)
        cold = measure(f"A ray cold (start+stop local Ray, {cpus} CPUs)", big, "ray", cpus, cpus)
        prepare_local_instance()
        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=cpus, include_dashboard=False, logging_level="warning",
                 _temp_dir=os.environ["RAY_TMPDIR"])
        startup = time.perf_counter() - t0
        try:
            timed_profile(small, "ray", None, scratch)  # warm the worker processes
            warm = measure(f"A ray warm ({cpus} CPUs)", big, "ray", None, cpus)
            small_ray = measure(f"B ray warm, {args.small} tiny shards", small, "ray", None, cpus)
        finally:
            ray.shutdown()
        small_local = measure(f"B local pool, {args.small} tiny shards", small, "local", cpus, cpus)
        print(f"\nray.init of a local {cpus}-CPU instance: {startup:.2f} s")
        print(f"ray warm vs local pool on A: {warm / local:.2f}x the wall time; cold: {cold / local:.2f}x")
        print(f"per-shard cost on B: local pool {small_local / args.small * 1000:.0f} ms/shard wall, "
              f"ray warm {small_ray / args.small * 1000:.0f} ms/shard wall")
        print(f"parallel efficiency of the local pool: {local1 / local / cpus:.0%}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
