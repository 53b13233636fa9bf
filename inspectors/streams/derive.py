"""Streams as corpora: clusters of steps written as Parquet shards under the cache, then a ``Corpus``.

``stream_corpus(stream, up_to_step, block_steps, plan)`` cuts the steps a checkpoint has seen into
blocks, writes the blocks the plan reads (``CORPUSCOPE_HOME/streams/CONFIG_HASH/steps-A-B.parquet``,
atomically; an existing file is reused, so its attribute shard stays cached) and returns a ``Corpus``
of every block's shard whose ``name``/``version``/``revision`` carry the stream's identity, so the
ordinary run layer profiles and queries it and its findings record what was read.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace

import pyarrow.parquet as pq

from inspectors.core import paths
from inspectors.core.errors import BadInput, CorpuscopeError
from inspectors.core.plan import Plan
from inspectors.core.shards import Shard
from inspectors.core.sources import Corpus
from inspectors.streams.base import Cluster, rows_table, seed_text, step_blocks

ROW_GROUP = 2048


@dataclass
class StreamCorpus:
    """A stream resolved at a checkpoint: the corpus, its clusters (one per shard) and the stream."""

    stream: object
    corpus: Corpus
    clusters: list[Cluster]
    up_to_step: int
    block_steps: int

    def identity(self) -> dict:
        s = self.stream
        missing = s.missing_steps(self.clusters[0].first, self.up_to_step)
        return {"spec": s.spec, "kind": s.kind, "name": s.name, "config_hash": s.config_hash, "seed": s.seed,
                "up_to_step": self.up_to_step, "first_step": self.clusters[0].first, "block_steps": self.block_steps,
                "tokens_per_step": s.tokens_per_step, "clusters": len(self.clusters),
                **({"missing_steps": missing} if missing else {})}


def first_step(stream) -> int:
    """The number of a stream's first step in its data order: 0 for Amber, whose chunks count from 0; 1 for the others."""
    return 0 if stream.kind == "amber" else 1


def default_block(stream, up_to_step: int) -> int:
    """About 100 clusters (at least one step each): enough for a sampled plan's intervals."""
    n = up_to_step - first_step(stream) + 1
    return max(1, -(-n // 100))


def shard_path(stream, cluster: Cluster) -> str:
    """Where the decoded text of ``cluster`` (one block of steps) is cached, under the stream's config hash."""
    return str(paths.home() / "streams" / stream.config_hash / f"{stream.kind}-{cluster.label}.parquet")


def write_atomic(path: str, table) -> None:
    """Write ``table`` as zstd Parquet at ``path`` through a temporary file (no half-written shard)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression="zstd")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def materialize(stream, cluster: Cluster) -> str:
    """Write the cluster's rows once (atomically) and return the Parquet path."""
    path = shard_path(stream, cluster)
    if not os.path.exists(path):
        write_atomic(path, rows_table(stream.rows(cluster)))
    return path


def block_of(shard: Shard, clusters: dict[str, tuple[int, int]]) -> Cluster:
    """The step block a derived shard stands for."""
    return Cluster(*clusters[shard.uri])


def materialize_shard(shard: Shard, stream, clusters: dict[str, tuple[int, int]]) -> dict:
    """One step block -> its derived shard, as a pool or Ray task: ``{"shard"}`` or ``{"shard", "error"}``."""
    try:
        materialize(stream, block_of(shard, clusters))
        return {"shard": shard.uri}
    except CorpuscopeError as error:
        return {"shard": shard.uri, "error": f"{shard.name}: {error}", "exit_code": error.exit_code}
    except Exception as error:  # a reader's fault fails its block, named
        return {"shard": shard.uri, "error": f"{shard.name}: {type(error).__name__}: {error}", "exit_code": 1}


def stream_corpus(stream, up_to_step: int, block_steps: int | None = None, plan: Plan | None = None,
                  progress=None, options=None) -> StreamCorpus:
    """The stream up to ``up_to_step`` as a corpus; only the plan's chosen clusters are read and written.

    The chosen blocks are written on the engine of ``options`` (a ``RunOptions``: local process pool by
    default, Ray with ``engine="ray"``), one task per block, like profiling. A stratified plan writes
    none: its passes read token ids and decode only the sampled occurrences (``stratify``).
    ``progress(done, total, label)`` hears of each block written.
    """
    from inspectors.core import run as runs, stratified

    plan = plan or Plan()
    first = first_step(stream)
    total = stream.total_steps
    if up_to_step < first:
        raise BadInput(f"--up-to-step must be at least {first}")
    if total is not None and up_to_step > total:
        # the last step's number: Amber's chunks count from 0, so "has N steps" was one short for it
        raise BadInput(f"{stream.spec} ends at step {total}; --up-to-step {up_to_step} is past its end")
    block = block_steps or default_block(stream, up_to_step)
    clusters = step_blocks(first, up_to_step, block)
    shards = [Shard(uri=shard_path(stream, c), name=f"{stream.kind}-{c.label}.parquet", format="parquet")
              for c in clusters]
    if plan.strategy != "stratified":
        todo = [s for s in plan.choose(shards) if not os.path.exists(s.uri)]
        options = options or runs.RunOptions()
        if progress:
            options = replace(options, progress=lambda p: progress(p.done, p.total, p.detail.removesuffix(".parquet")))
        kwargs = {"stream": stream, "clusters": {s.uri: (c.first, c.last) for s, c in zip(shards, clusters)}}
        stratified.collect(runs.drive_shards("read", materialize_shard, todo, kwargs, options), todo)
    corpus = Corpus(name=f"{stream.name}@step{up_to_step}", source=stream.spec, shards=shards,
                    version=stream.config_hash,
                    revision=f"steps {first}-{up_to_step}; seed {seed_text(stream.seed)}; blocks of {block}")
    return StreamCorpus(stream, corpus, clusters, up_to_step, block)
