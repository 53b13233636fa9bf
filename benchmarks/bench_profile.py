"""Speed and memory of the default profile (issue 4), against the language kernel alone and a naive loop.

Builds ~4 KB documents from real text in ../shared/data (C4 English, Vietnamese Wikipedia and statutes,
XQuAD paragraphs in 12 languages), writes them as Parquet shards in a temp folder, then measures on
one core in the same run:

* the full default profile (``profile_corpus``, one worker: every built-in inspector, cache write);
* the language kernel alone (``LanguageInspector.inspect`` on the same batches);
* a naive loop: ``pandas.read_parquet`` + ``langdetect.detect`` on each full text;
* peak RSS of the profiling process for a small and a 5x larger corpus (it must not grow with size).

Run: ``python benchmarks/bench_profile.py [--docs 4000]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET = 4096


def real_texts(statutes: bool = True) -> list[str]:
    """Real documents from ../shared/data, cut or joined to about 4 KB (with or without statutes)."""
    pieces = []
    with gzip.open(next((SHARED / "c4_sample_wimbd").glob("*.json.gz")), "rt") as handle:
        pieces += [json.loads(line)["text"] for line in handle]
    pieces += pq.read_table(SHARED / "vi_wikipedia_dev" / "viwiki_dev_500.parquet", columns=["text"]).column(0).to_pylist()
    pieces += pq.read_table(SHARED / "langid_xquad_paragraphs" / "xquad_paragraphs.parquet", columns=["text"]).column(0).to_pylist()
    laws = pq.read_table(SHARED / "vi_legal_vlc2021" / "vlc2021_laws.parquet", columns=["text"]).column(0).to_pylist()
    for statute in laws if statutes else []:
        pieces += [statute[i : i + TARGET] for i in range(0, min(len(statute), 40 * TARGET), TARGET)]
    docs, current = [], ""
    for piece in pieces:
        current = (current + "\n" + piece) if current else piece
        if len(current.encode()) >= TARGET * 0.8:
            docs.append(current.encode()[:TARGET].decode("utf-8", "ignore"))
            current = ""
    return docs


def write_shards(folder: Path, docs: list[str], n_docs: int, per_shard: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for index in range(0, n_docs, per_shard):
        batch = [docs[(index + i) % len(docs)] for i in range(min(per_shard, n_docs - index))]
        urls = [f"https://example{(index + i) % 97}.com/{i}" for i in range(len(batch))]
        pq.write_table(pa.table({"text": batch, "url": urls}), folder / f"part-{index // per_shard:05d}.parquet")
        total += sum(len(d.encode()) for d in batch)
    return total


def time_profile(folder: Path, home: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `corpuscope profile --workers 1` in a fresh process."""
    env = {**os.environ, "CORPUSCOPE_HOME": str(home)}
    code = (
        "import resource, sys, time\n"
        "from inspectors.core.sources import resolve\n"
        "from inspectors.core.profile import profile_corpus\n"
        "import inspectors.builtin\n"
        "corpus = resolve(sys.argv[1])\n"
        "start = time.perf_counter()\n"
        "report = profile_corpus(corpus, workers=1)\n"
        "assert not report.failed, report.failed[0].error\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder)], env=env, capture_output=True, text=True, check=True)
    seconds, rss = out.stdout.split()
    return float(seconds), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=8000)
    args = parser.parse_args()
    docs = real_texts()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        tmp = Path(tmp)
        small = tmp / "small"
        n_bytes = write_shards(small, docs, args.docs, 1000)
        mean = n_bytes / args.docs
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
        print(f"{args.docs} documents, mean {mean:,.0f} bytes, {len(list(small.glob('*.parquet')))} shards")

        seconds, rss_small = time_profile(small, tmp / "home1")
        profile_rate = args.docs / seconds

        from inspectors.builtin.language import LanguageInspector

        kernel = LanguageInspector()
        table = pq.read_table(small)
        start = time.perf_counter()
        for batch in table.to_batches(1024):
            kernel.inspect(batch)
        kernel_rate = args.docs / (time.perf_counter() - start)

        import langdetect
        import pandas as pd

        langdetect.DetectorFactory.seed = 0
        naive_docs = min(300, args.docs)
        start = time.perf_counter()
        frame = pd.read_parquet(next(small.glob("*.parquet")))
        for text in frame["text"].head(naive_docs):
            try:
                langdetect.detect(text)
            except langdetect.LangDetectException:
                pass
        naive_rate = naive_docs / (time.perf_counter() - start)

        large = tmp / "large"
        write_shards(large, docs, args.docs * 5, 1000)
        _, rss_large = time_profile(large, tmp / "home2")

    print(f"full default profile (1 core): {profile_rate:8,.0f} docs/s  ({profile_rate * mean / 1e6:.1f} MB/s)")
    print(f"language kernel alone        : {kernel_rate:8,.0f} docs/s")
    print(f"naive pandas + langdetect    : {naive_rate:8,.0f} docs/s")
    print(f"profile / kernel             : {profile_rate / kernel_rate:.2f}x")
    print(f"profile / naive              : {profile_rate / naive_rate:.1f}x")
    print(f"peak RSS: {rss_small / 1024:,.0f} MiB for {args.docs} docs, {rss_large / 1024:,.0f} MiB for {args.docs * 5} docs")


if __name__ == "__main__":
    main()
