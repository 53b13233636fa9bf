"""Speed and memory of the default profile (issue 4), against the language kernel alone and a naive loop.

Builds ~4 KB documents from real text in ../shared/data, writes them as Parquet shards in a temp
folder, then measures on one core in the same run, for two mixes: ``web`` (C4 English, Vietnamese
Wikipedia, XQuAD paragraphs in 12 languages) and ``legal`` (the same plus pieces of VLC2021 statutes,
58% of the documents, the costliest text for the topic rules):

* the full default profile (``profile_corpus``, one worker: every built-in inspector, cache write),
  after a warm-up shard so that the one-time load of models and tables (reported apart) is not
  counted against throughput;
* the language inspector alone through the same engine (read, inspect, write);
* the language kernel alone (``LanguageInspector.inspect`` on the same batches, nothing else);
* each inspector's ``inspect`` alone on the same batches (us per document);
* a naive loop: ``pandas.read_parquet`` + ``langdetect.detect`` on each full text (detection timed
  on 400 documents spread over all shards);
* peak RSS of the profiling process for a small and a 5x larger corpus (it must not grow with size).

Every rate is the best of ``REPEATS`` runs (the machine these were written on is shared and noisy).

With ``--topic-v1`` it also times the default profile with ``topic_v1`` in place of the newest topic
inspector (``topic_v2``, issue 14), in the same run.

Run: ``python benchmarks/bench_profile.py [--docs 8000] [--topic-v1]``
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

# ../shared/data beside the repository; a git worktree one level deeper (wt/N) finds it one level up.
SHARED = next((p / "shared" / "data" for p in Path(__file__).resolve().parents[2:4] if (p / "shared" / "data").is_dir()),
              Path(__file__).resolve().parents[2] / "shared" / "data")
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


REPEATS = 3  # every rate below is the best of this many runs: this machine is shared and noisy


def time_profile(folder: Path, warmup: Path, home: Path, inspectors: str = "") -> tuple[float, float, int]:
    """Warm-up seconds, best profile seconds (fresh attribute folder each run) and peak RSS (KiB) of a
    one-worker profile in a fresh process."""
    env = {**os.environ, "CORPUSCOPE_HOME": str(home)}
    env.pop("CORPUSCOPE_ATTRIBUTES", None)
    code = (
        "import os, resource, sys, time\n"
        "start = time.perf_counter()\n"
        "from inspectors.core.sources import resolve\n"
        "from inspectors.core.profile import profile_corpus\n"
        "import inspectors.builtin\n"
        "names = sys.argv[3].split(',') if sys.argv[3] else None\n"
        "profile_corpus(resolve(sys.argv[2]), inspector_names=names, workers=1)\n"
        "warm = time.perf_counter() - start\n"
        "best = float('inf')\n"
        "for run in range(int(sys.argv[4])):\n"
        "    os.environ['CORPUSCOPE_ATTRIBUTES'] = os.path.join(os.environ['CORPUSCOPE_HOME'], f'run{run}')\n"
        "    start = time.perf_counter()\n"
        "    report = profile_corpus(resolve(sys.argv[1]), inspector_names=names, workers=1)\n"
        "    best = min(best, time.perf_counter() - start)\n"
        "    assert not report.failed and report.count('profiled') == len(report.results), report.results[0]\n"
        "print(warm, best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder), str(warmup), inspectors, str(REPEATS)],
                         env=env, capture_output=True, text=True, check=True)
    warm, seconds, rss = out.stdout.split()
    return float(warm), float(seconds), int(rss)


def best_inspect_seconds(inspector, batches: list[pa.RecordBatch]) -> float:
    """Best of ``REPEATS`` timings of ``inspector.inspect`` over all ``batches`` (warmed up first)."""
    inspector.inspect(batches[0].slice(0, 10))
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for batch in batches:
            inspector.inspect(batch)
        best = min(best, time.perf_counter() - start)
    return best


def kernel_rate(folder: Path) -> float:
    """Documents per second of ``LanguageInspector.inspect`` alone on the shards' batches."""
    from inspectors.builtin.language import LanguageInspector

    table = pq.read_table(folder)
    return table.num_rows / best_inspect_seconds(LanguageInspector(), table.to_batches(1024))


def inspector_costs(folder: Path) -> dict[str, float]:
    """Microseconds per document of each registered inspector's ``inspect`` alone (best of the runs)."""
    from inspectors.core import registry

    table = pq.read_table(folder)
    batches = table.to_batches(1024)
    return {key: best_inspect_seconds(cls(), batches) / table.num_rows * 1e6
            for key, cls in sorted(registry.latest().items())}


def naive_rate(folder: Path, n_docs: int) -> float:
    """Documents per second of a naive loop over the shards: ``pandas.read_parquet`` of each shard,
    then ``langdetect.detect`` on each full text. Detection is timed on ``n_docs`` documents spread
    evenly over every shard (so the mix is the profile's), reading on all of them; best of the runs."""
    import langdetect
    import pandas as pd

    langdetect.DetectorFactory.seed = 0
    shards = sorted(folder.glob("*.parquet"))
    best = float("inf")
    for _ in range(REPEATS):
        read_seconds = detect_seconds = 0.0
        total = sampled = 0
        for shard in shards:
            start = time.perf_counter()
            frame = pd.read_parquet(shard)
            read_seconds += time.perf_counter() - start
            total += len(frame)
            texts = frame["text"].iloc[:: max(1, len(frame) * len(shards) // n_docs)]
            start = time.perf_counter()
            for text in texts:
                try:
                    langdetect.detect(text)
                except langdetect.LangDetectException:
                    pass
            detect_seconds += time.perf_counter() - start
            sampled += len(texts)
        best = min(best, read_seconds / total + detect_seconds / sampled)
    return 1 / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=8000)
    parser.add_argument("--topic-v1", action="store_true", help="also time the profile with topic_v1")
    parser.add_argument("--topic-v2", action="store_true", help="also time the profile with topic_v2")
    args = parser.parse_args()
    from inspectors.core import registry

    latest = registry.latest()
    others = sorted(cls.key() for name, cls in latest.items() if name != "topic")
    alternatives = [key for key, wanted in (("topic_v1", args.topic_v1), ("topic_v2", args.topic_v2)) if wanted]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"topic = {latest['topic'].key()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for mix, statutes in (("web", False), ("legal", True)):
        docs = real_texts(statutes=statutes)
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            tmp = Path(tmp)
            small, warmup = tmp / "small", tmp / "warmup"
            n_bytes = write_shards(small, docs, args.docs, 1000)
            write_shards(warmup, docs[::-1], 300, 300)
            mean = n_bytes / args.docs
            warm, seconds, rss_small = time_profile(small, warmup, tmp / "home1")
            _, language_seconds, _ = time_profile(small, warmup, tmp / "home2", "language")
            profile = args.docs / seconds
            language_profile = args.docs / language_seconds
            kernel = kernel_rate(small)
            naive = naive_rate(small, 400)
            print(f"\n## {mix} mix: {args.docs} documents, mean {mean:,.0f} bytes, {args.docs // 1000} shards")
            print(f"full default profile (1 core)   : {profile:8,.0f} docs/s  ({profile * mean / 1e6:.1f} MB/s)")
            print(f"language-only profile (1 core)  : {language_profile:8,.0f} docs/s")
            print(f"language kernel alone           : {kernel:8,.0f} docs/s")
            print(f"naive pandas + langdetect       : {naive:8,.0f} docs/s")
            print(f"profile / kernel                : {profile / kernel:.2f}x")
            print(f"profile / language-only profile : {profile / language_profile:.2f}x")
            print(f"profile / naive                 : {profile / naive:.1f}x")
            for key in alternatives:
                _, alt_seconds, _ = time_profile(small, warmup, tmp / f"home-{key}", ",".join(others + [key]))
                print(f"profile with {key} (1 core)  : {args.docs / alt_seconds:8,.0f} docs/s  "
                      f"({args.docs / alt_seconds / language_profile:.2f}x language-only, "
                      f"{args.docs / alt_seconds / naive:.1f}x naive)")
            costs = inspector_costs(small)
            print("per inspector, us/doc        : " + ", ".join(f"{k} {v:.1f}" for k, v in costs.items()))
            print(f"one-time start (imports, models, tables, 300-doc warm-up shard): {warm:.2f} s")
            if statutes:
                large = tmp / "large"
                write_shards(large, docs, args.docs * 5, 1000)
                _, _, rss_large = time_profile(large, warmup, tmp / "home3")
                print(f"peak RSS: {rss_small / 1024:,.0f} MiB for {args.docs} docs, "
                      f"{rss_large / 1024:,.0f} MiB for {args.docs * 5} docs")


if __name__ == "__main__":
    main()
