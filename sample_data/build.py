"""Build the demo corpus in sample_data/demo/ deterministically (same bytes on every run).

Two real layouts: Dolma-style ``dolma/*.jsonl.gz`` (id, text, source, added, metadata.url) and flat
Parquet ``flat/*.parquet`` (id, text, url). Documents are stitched from the phrase banks in
``phrases.py``, written for this project. It is a demo: never make accuracy claims on it.

Run: ``python sample_data/build.py``
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from phrases import BANKS, SHARD_MIXES

OUT = Path(__file__).resolve().parent / "demo"
DOCS_PER_SHARD = 120
SEED = 20261128


def _document(rng: random.Random, language: str, topic: str, serial: int) -> dict:
    bank = BANKS[(language, topic)]
    title = rng.choice(bank["title"]).format(num=rng.randint(1, 199), year=rng.randint(2010, 2024))
    sentences = rng.sample(bank["sentences"], k=min(len(bank["sentences"]), rng.randint(4, 9)))
    joiner = "\n" if topic == "code" else " "
    text = title + "\n\n" + joiner.join(sentences)
    host = rng.choice(bank["hosts"])
    url = f"https://{host}/{topic}/{language}-{serial:05d}.html"
    return {"text": text, "url": url, "language": language, "topic": topic}


def _shard_documents(rng: random.Random, mix: dict, start: int) -> list[dict]:
    weighted = [key for key, weight in mix.items() for _ in range(weight)]
    return [_document(rng, *rng.choice(weighted), serial=start + i) for i in range(DOCS_PER_SHARD)]


def build(out: Path = OUT) -> list[Path]:
    """Write the demo shards under ``out`` and return their paths."""
    rng = random.Random(SEED)
    written = []
    serial = 0
    for family in ("dolma", "flat"):
        for index, mix in enumerate(SHARD_MIXES):
            docs = _shard_documents(rng, mix, serial)
            serial += len(docs)
            folder = out / family
            folder.mkdir(parents=True, exist_ok=True)
            if family == "dolma":
                path = folder / f"demo-{index:04d}.jsonl.gz"
                _write_dolma(path, docs, index)
            else:
                path = folder / f"demo-{index:04d}.parquet"
                _write_flat(path, docs, index)
            written.append(path)
    return written


def _write_dolma(path: Path, docs: list[dict], index: int) -> None:
    lines = []
    for row, doc in enumerate(docs):
        record = {
            "id": f"demo-dolma-{index}-{row}",
            "text": doc["text"],
            "source": "demo-web",
            "added": "2026-11-28T00:00:00Z",
            "created": "2024-01-01T00:00:00Z",
            "metadata": {"url": doc["url"], "demo_truth": {"language": doc["language"], "topic": doc["topic"]}},
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    buffer = io.BytesIO()
    # mtime=0 keeps the gzip header, and so the file, identical from run to run.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def _write_flat(path: Path, docs: list[dict], index: int) -> None:
    table = pa.table({
        "id": [f"demo-flat-{index}-{row}" for row in range(len(docs))],
        "text": [d["text"] for d in docs],
        "url": [d["url"] for d in docs],
    })
    pq.write_table(table, path, compression="zstd", row_group_size=40)


if __name__ == "__main__":
    for written_path in build():
        print(written_path.relative_to(OUT.parent))
