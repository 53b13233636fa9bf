"""The two per-block passes of a stratified exposure run: token ids first, decoding only the sample.

Pass 1 (``prefilter_block``, every occurrence of every block read): a token-id prefilter
(``prefilter.PREFILTERS``) puts each occurrence in stratum ``candidate`` (it holds a marked id) or
``rest``, from the ids alone, and counts its tokens seen and whether it starts its exposure, exactly.
Nothing is decoded. Pass 2 (``tag_block``, only blocks with sampled occurrences): the seeded sample's
occurrences are decoded with the model's tokenizer and tagged by the query's inspectors; the block's
sample is cached under ``CORPUSCOPE_HOME/streams/CONFIG_HASH/samples``.

Both are top-level functions over picklable arguments (the stream object travels with the task), so
the run layer runs them on its engine, the local process pool or Ray, like any per-shard pass. The
prefilter only stratifies: ``rest`` is sampled too, so an unsound prefilter costs precision, never bias.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pyarrow as pa

from inspectors.core import paths, registry
from inspectors.core.errors import CorpuscopeError
from inspectors.core.shards import Shard
from inspectors.core.stratified import REST, tag_batch
from inspectors.streams.base import rows_table
from inspectors.streams.derive import block_of, write_atomic
from inspectors.streams.prefilter import PREFILTERS

CANDIDATE = "candidate"
# Units whose stratum totals pass 1 counts exactly, and the sample column that carries each.
EXACT_UNITS = {"tokens_seen": "tokens_seen", "exposures": "exposure_start"}
STREAM_FIELDS = ("step", "epoch", "instance", "offset", "doc_key", "exposure_key")


_CHUNK = 1 << 18  # ids looked up per step: the intp copy numpy makes of an index stays in cache


def marked(ids: np.ndarray, lengths: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For pieces laid end to end in ``ids`` (``lengths`` each), whether each holds an id ``table`` marks."""
    if not len(lengths):
        return np.zeros(0, bool)
    flags, lookup = np.empty(len(ids), np.uint8), table.view(np.uint8)
    for a in range(0, len(ids), _CHUNK):
        np.take(lookup, ids[a:a + _CHUNK], out=flags[a:a + _CHUNK])
    if lengths.min() > 0:  # the common case: one reduction, no running sum
        return np.logical_or.reduceat(flags.view(bool), np.concatenate([[0], np.cumsum(lengths)[:-1]]))
    counts = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
    ends = np.cumsum(lengths)
    return counts[ends] - counts[ends - lengths] > 0


def prefilter_block(shard: Shard, stream, clusters: dict, prefilter: str = "vietnamese") -> dict:
    """Pass 1 over one block: ``row``, ``stratum``, ``tokens_seen``, ``exposure_start``; or ``{"error"}``."""
    try:
        ids, lengths, tokens_seen, starts = stream.token_pieces(block_of(shard, clusters))
        hit = marked(ids, lengths, PREFILTERS[prefilter](stream.tokenizer))
        return {"shard": shard.uri, "row": np.arange(len(lengths), dtype=np.int64),
                "stratum": np.where(hit, CANDIDATE, REST).astype(object),
                "tokens_seen": tokens_seen, "exposure_start": starts.astype(np.int64)}
    except CorpuscopeError as error:
        return {"shard": shard.uri, "error": f"{shard.name}: {error}", "exit_code": error.exit_code}
    except Exception as error:  # a reader's fault fails its block, named
        return {"shard": shard.uri, "error": f"{shard.name}: prefilter failed: {type(error).__name__}: {error}",
                "exit_code": 1}


def tag_block(shard: Shard, stream, clusters: dict, picked: dict[str, list[int]], inspector_keys: list[str],
              root: str | None = None) -> dict:
    """Pass 2 over one block: decode and tag its sampled occurrences; ``{"shard", "path"}`` or ``{"error"}``.

    The sample is cached beside the stream's blocks (``root``, the attribute root the run layer passes
    to every tag pass, is not needed: it holds attribute shards of files, and a block is no file).
    """
    rows = sorted(picked[shard.uri])
    try:
        classes = registry.resolve(inspector_keys)
        wanted = {cls.name: cls.identity() for cls in classes}
        digest = hashlib.sha1(json.dumps([rows, wanted], sort_keys=True, default=str).encode()).hexdigest()[:16]
        cluster = block_of(shard, clusters)
        path = str(paths.home() / "streams" / stream.config_hash / "samples" /
                   f"{stream.kind}-{cluster.label}-{digest}.parquet")
        if not os.path.exists(path):
            write_atomic(path, sample_table(shard, stream, cluster, rows, [cls() for cls in classes]))
        return {"shard": shard.uri, "path": path}
    except CorpuscopeError as error:
        return {"shard": shard.uri, "error": f"{shard.name}: {error}", "exit_code": error.exit_code}
    except Exception as error:  # an inspector's or reader's bug fails its block, named
        return {"shard": shard.uri, "error": f"{shard.name}: {type(error).__name__}: {error}", "exit_code": 1}


def sample_table(shard: Shard, stream, cluster, rows: list[int], instances: list) -> pa.Table:
    """The block's occurrences ``rows``, decoded and tagged, keyed by the block's shard and row number."""
    chosen = stream.pieces_at(cluster, rows)
    starts = [int(p["exposure_start"]) for p in chosen]
    decoded = rows_table(stream._emit(chosen)).combine_chunks()
    batch = pa.record_batch({"row": pa.array(rows, pa.int64()),
                             **{name: decoded.column(name).chunk(0) for name in ("id", "text", "url", "source")}})
    table = tag_batch(batch, instances, shard.uri)
    for name in ("tokens_seen", *STREAM_FIELDS):
        table = table.append_column(name, decoded.column(name))
    return table.append_column("exposure_start", pa.array(starts, pa.int64()))
