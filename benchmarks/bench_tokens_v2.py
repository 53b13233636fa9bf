"""What Pythia's tokenizer column costs: ``tokens_v2`` (v1's columns plus ``tokens_neox20b``) against
``tokens_v1`` on the same batch of real text, estimate mode and exact mode, CPU seconds on one core.

Run from the repo root: ``taskset -c 1 python benchmarks/bench_tokens_v2.py``. Prints documents per CPU
second for each and the ratio v2/v1.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CORPUSCOPE_SHARED_DATA") or REPO.parent / "shared" / "data")
sys.path.insert(0, str(REPO))

from inspectors.core.registry import registered  # noqa: E402


def batch() -> pa.RecordBatch:
    """The 1,000 documents of the C4 sample as one batch."""
    with gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt") as f:
        texts = [json.loads(line)["text"] for line in f]
    return pa.record_batch({"text": pa.array(texts, pa.string())})


def docs_per_cpu_second(key: str, data: pa.RecordBatch, exact: bool, repeats: int) -> float:
    """Documents per CPU second of inspector ``key`` over ``data``."""
    inspector = registered()[key](exact=exact)
    inspector.inspect(data.slice(0, 10))  # load the tokenizers first
    started = time.process_time()
    for _ in range(repeats):
        inspector.inspect(data)
    return repeats * data.num_rows / (time.process_time() - started)


def main() -> None:
    """Compare v1 and v2, estimate then exact."""
    data = batch()
    for exact, repeats in ((False, 50), (True, 2)):
        v1 = docs_per_cpu_second("tokens_v1", data, exact, repeats)
        v2 = docs_per_cpu_second("tokens_v2", data, exact, repeats)
        mode = "exact" if exact else "estimate"
        print(f"{mode}: tokens_v1 {v1:,.0f} docs per CPU second, tokens_v2 {v2:,.0f}; ratio v2/v1 {v2 / v1:.2f}")


if __name__ == "__main__":
    main()
