"""What joining Dolma's own attribute files costs a profile: the same documents with and without
``attributes/`` beside them, profiled on one core with the length inspector alone and with every
default inspector.

Run from the repo root: ``taskset -c 1 python benchmarks/bench_dolma_attributes.py [DOCS]``. Writes a
Dolma-format tree to a temp folder (documents from ../shared/data's C4 sample, two taggers' attribute
files: a document-level score and paragraph spans), profiles it cold with attributes and the same
documents without, and prints documents per second and the ratio for each inspector set.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CORPUSCOPE_SHARED_DATA") or REPO.parent / "shared" / "data")
sys.path.insert(0, str(REPO))


def write_tree(root: Path, n_docs: int, shards: int = 4) -> None:
    """``n_docs`` C4 documents (repeated as needed) in Dolma layout, with two attribute folders."""
    with gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt") as f:
        texts = [json.loads(line)["text"] for line in f]
    per = n_docs // shards
    for s in range(shards):
        docs = [(f"doc-{s}-{i}", texts[(s * per + i) % len(texts)]) for i in range(per)]
        rel = Path("cc") / f"{s:04d}.json.gz"
        _write(root / "documents" / rel, [{"id": i, "text": t, "source": "c4", "metadata": {"url": None}}
                                          for i, t in docs])
        _write(root / "attributes" / "quality" / rel,
               [{"id": i, "attributes": {"quality__fasttext_v1__hq": [[0, len(t), (k % 100) / 100]]}}
                for k, (i, t) in enumerate(docs)])
        _write(root / "attributes" / "dedupe" / rel,
               [{"id": i, "attributes": {"bff_duplicate_paragraph_spans": [[p, p + 40, 1.0] for p in
                                                                          range(0, min(len(t), 400), 80)]}}
                for i, t in docs])


def _write(path: Path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


def _cpu() -> float:
    self, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self.ru_utime + self.ru_stime + children.ru_utime + children.ru_stime


def profile_seconds(root: Path, inspectors: list[str] | None) -> float:
    """CPU seconds (this process and its workers) of a cold profile of ``root`` (``inspectors``, default
    all; one worker): CPU time, not wall time, because the machine is shared and wall time is noise."""
    from inspectors.core import run

    os.environ["CORPUSCOPE_HOME"] = tempfile.mkdtemp(prefix="bench-dolma-home-")
    corpus = run.resolve_corpus(str(root))
    started = _cpu()
    run.profile(corpus, run.Plan(), run.RunOptions(workers=1), inspectors)
    return _cpu() - started


def main() -> None:
    """Profile with and without attributes; print docs/s per core and the ratio."""
    n_docs = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    work = Path(tempfile.mkdtemp(prefix="bench-dolma-"))
    try:
        write_tree(work / "with", n_docs)
        shutil.copytree(work / "with" / "documents", work / "without" / "documents")
        print(f"{n_docs} documents, 4 shards, 2 attribute folders")
        for label, inspectors in (("length only", ["length"]), ("every default inspector", None)):
            profile_seconds(work / "without", inspectors)  # warm imports, models and the page cache
            plain = profile_seconds(work / "without", inspectors)
            joined = profile_seconds(work / "with", inspectors)
            print(f"{label}: without attributes {n_docs / plain:,.0f} docs per CPU second ({plain:.2f} CPU s); "
                  f"with {n_docs / joined:,.0f} docs/s ({joined:.2f} CPU s); ratio with/without {plain / joined:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
