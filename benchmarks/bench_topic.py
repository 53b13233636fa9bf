"""Throughput of the topic inspector on ~4 KB real documents, one core.

Builds ~4 KB documents by cutting the C4 sample (English web) into 4,000-character pieces and mixes
in 4 KB slices of Vietnamese laws and Wikipedia, then times ``TopicInspector.inspect`` on batches of
1,024 rows. Run: ``python benchmarks/bench_topic.py`` (prints docs/s per language mix and overall).
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from inspectors.core.registry import registered

# ../shared/data beside the repository; a git worktree one level deeper (wt/N) finds it one level up.
SHARED = next((p / "shared" / "data" for p in Path(__file__).resolve().parents[2:4] if (p / "shared" / "data").is_dir()),
              Path(__file__).resolve().parents[2] / "shared" / "data")
DOC_CHARS, BATCH = 4000, 1024


def _pieces(texts: list[str], limit: int) -> list[str]:
    joined = "\n".join(texts)
    return [joined[i : i + DOC_CHARS] for i in range(0, len(joined) - DOC_CHARS, DOC_CHARS)][:limit]


def corpora() -> dict[str, tuple[list[str], list[str | None]]]:
    """Name -> (texts, urls) of ~4 KB documents from the shared real data sets."""
    c4 = [json.loads(line) for line in gzip.open(next((SHARED / "c4_sample_wimbd").glob("*.json.gz")), "rt")]
    en = [row for row in c4 if len(row["text"]) >= 1500]
    en_texts = [row["text"][:DOC_CHARS] for row in en] + _pieces([r["text"] for r in c4 if len(r["text"]) < 1500], 2000)
    en_urls = [row["url"] for row in en] + [None] * (len(en_texts) - len(en))
    vi_law = pq.read_table(SHARED / "vi_legal_vlc2021" / "vlc2021_laws.parquet").column("text").to_pylist()
    vi_wiki = pq.read_table(SHARED / "vi_wikipedia_dev" / "viwiki_dev_500.parquet").column("text").to_pylist()
    vi = _pieces(vi_law, 500) + _pieces(vi_wiki, 500)
    return {"en_c4": (en_texts, en_urls), "vi_law+wiki": (vi, [None] * len(vi))}


def bench(texts: list[str], urls: list[str | None], repeats: int = 3) -> float:
    """Best-of-``repeats`` documents per second over all ``texts`` in batches of ``BATCH``."""
    inspector = registered()["topic_v1"]()
    batches = [
        pa.RecordBatch.from_pydict({"text": texts[i : i + BATCH], "url": urls[i : i + BATCH],
                                    "source": [None] * len(texts[i : i + BATCH])})
        for i in range(0, len(texts), BATCH)
    ]  # fmt: skip
    inspector.inspect(batches[0])  # load lexicons outside the timing
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            inspector.inspect(batch)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    """Print machine, date and docs/s for each corpus and for all of them together."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    except (AttributeError, OSError):
        pass
    pa.set_cpu_count(1)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"pyarrow {pa.__version__}, {time.strftime('%Y-%m-%d')}")
    allt, allu = [], []
    for name, (texts, urls) in corpora().items():
        chars = sum(map(len, texts)) / len(texts)
        print(f"{name}: {len(texts)} docs, mean {chars:.0f} chars: {bench(texts, urls):,.0f} docs/s")
        allt += texts
        allu += urls
    print(f"all: {len(allt)} docs: {bench(allt, allu):,.0f} docs/s")


if __name__ == "__main__":
    main()
