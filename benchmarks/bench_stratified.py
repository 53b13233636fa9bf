"""Stratified targeted scan for "Vietnamese legal documents" over >= 1 GB of mixed Parquet (issue 5).

Writes a mixed corpus from real text in ../shared/data (English C4, 12-language XQuAD, Vietnamese
Wikipedia, and — rare — Vietnamese statutes cut into ~4 KB pieces) as Parquet shards in a temp folder,
then measures on this machine with 2 workers:

* the prefilter pass alone (every document put in a stratum by DuckDB regexes): MB/s of text;
* the whole stratified run (prefilter + seeded sample + inspectors on the sample): the share of
  documents the expensive inspectors ran on, the estimate and its interval;
* for scale, the full default profile rate of the same machine on one shard (docs/s), i.e. what a
  full scan would cost.

Run: ``python benchmarks/bench_stratified.py [--gigabytes 1.0]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_profile import SHARED, TARGET, real_texts  # noqa: E402

DOCS_PER_SHARD = 4000


def statute_pieces() -> list[str]:
    statutes = pq.read_table(SHARED / "vi_legal_vlc2021" / "vlc2021_laws.parquet", columns=["text"]).column(0).to_pylist()
    return [s[i : i + TARGET] for s in statutes for i in range(0, len(s), TARGET)][:2000]


def build(folder: Path, gigabytes: float) -> tuple[int, int, int]:
    """Write shards until ``gigabytes`` of text; a few shards carry the statutes. Returns docs, bytes, legal."""
    folder.mkdir(parents=True, exist_ok=True)
    background = real_texts(statutes=False)
    legal = statute_pieces()
    total_bytes = docs = legal_docs = 0
    index = 0
    while total_bytes < gigabytes * 1e9:
        batch = [background[(index * DOCS_PER_SHARD + i) % len(background)] for i in range(DOCS_PER_SHARD)]
        if index % 8 == 3:  # rare and clustered, as in real corpora
            for j in range(0, DOCS_PER_SHARD, 40):
                batch[j] = legal[(index * 100 + j) % len(legal)]
                legal_docs += 1
        urls = [f"https://site{(index * 7 + i) % 991}.example/{i}" for i in range(len(batch))]
        pq.write_table(pa.table({"text": batch, "url": urls}), folder / f"part-{index:05d}.parquet",
                       row_group_size=1000)
        total_bytes += sum(len(d.encode()) for d in batch)
        docs += len(batch)
        index += 1
    return docs, total_bytes, legal_docs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--per-stratum", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stratified-") as tmp:
        tmp = Path(tmp)
        os.environ["CORPUSCOPE_HOME"] = str(tmp / "home")
        start = time.perf_counter()
        docs, n_bytes, legal_docs = build(tmp / "corpus", args.gigabytes)
        print(f"built {docs:,} documents, {n_bytes / 1e9:.2f} GB of text, {legal_docs:,} statute pieces "
              f"in {time.perf_counter() - start:.0f} s")

        from inspectors.core import coverage, queries, stratified
        from inspectors.core.plan import Plan
        from inspectors.core.sources import resolve

        corpus = resolve(str(tmp / "corpus"))
        query = queries.find("vietnamese_legal_documents")
        values = query.bind({})
        start = time.perf_counter()
        passes = stratified.prefilter(corpus.shards, stratified.strata_sql(query.strata), values, {}, workers=2)
        prefilter_seconds = time.perf_counter() - start
        counted = sum(len(p["row"]) for p in passes)
        assert counted == docs, (counted, docs)

        plan = Plan("stratified", per_stratum=args.per_stratum, seed=0)
        start = time.perf_counter()
        finding = coverage.run_slice(query, corpus, {}, plan, workers=2, evidence_docs=3)
        run_seconds = time.perf_counter() - start

        one = resolve(str(corpus.shards[0].uri))
        from inspectors.core.profile import profile_corpus

        start = time.perf_counter()
        profile_corpus(one, workers=1)
        full_rate = DOCS_PER_SHARD / (time.perf_counter() - start)

    est = finding["documents"]
    print(f"prefilter: {n_bytes / 1e6 / prefilter_seconds:,.0f} MB/s of text on 2 workers "
          f"({prefilter_seconds:.1f} s for {n_bytes / 1e9:.2f} GB; {docs / prefilter_seconds:,.0f} docs/s)")
    print(f"stratified run: {run_seconds:.1f} s; expensive inspectors on {finding['inspected_share']:.3%} of documents")
    for s in finding["strata"]:
        print(f"  stratum {s['name']:<20} {s['documents']:>9,} docs, sampled {s['sampled']:>5}, matched {s['matched_in_sample']}")
    print(f"estimate: {est['matched']:,.0f} documents, share {est['share']:.4%} "
          f"[{est['ci95'][0]:.4%}, {est['ci95'][1]:.4%}] ({est['method']}); planted statute pieces: {legal_docs:,}")
    print(f"full default profile on this machine: {full_rate:,.0f} docs/s per core -> a full scan would take "
          f"~{docs / full_rate / 2:,.0f} s on 2 cores vs {run_seconds:.0f} s stratified "
          f"({docs / full_rate / 2 / run_seconds:.1f}x)")


if __name__ == "__main__":
    main()
