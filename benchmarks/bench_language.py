"""Benchmark the language backends on the same documents in one run: accuracy, docs/s, ratio.

Run from the repo root: ``python benchmarks/bench_language.py [--backends fasttext,cld2]
[--window 1000 --max-windows 3]``. The process pins itself to one core so docs/s is per core.

Sets (all from ../shared/data):
* XQuAD paragraphs, 12 languages x 240 (accuracy per language, the floors the tests assert);
* "4 KB docs": consecutive XQuAD paragraphs of one language joined until >= 4,096 UTF-8 bytes
  (speed is measured here, the size the profile targets; accuracy also reported);
* viwiki dev 500 (vi), vlc2021 laws (vi, long: up to ~740 KB, exercises the windows), C4 sample (en);
* a 10 MB document (time per call must stay far below 1 s).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout, as in tests/conftest.py: $CORPUSCOPE_SHARED_DATA names it
# elsewhere, and a git worktree one level deeper (wt/N) finds it two levels up.
DATA = Path(os.environ.get("CORPUSCOPE_SHARED_DATA") or next(
    (p for p in (REPO.parent / "shared" / "data", REPO.parents[1] / "shared" / "data") if p.exists()),
    REPO.parent / "shared" / "data"))
sys.path.insert(0, str(REPO))

from inspectors.builtin import language  # noqa: E402


def xquad() -> tuple[list[str], list[str]]:
    """XQuAD paragraph texts and their language codes."""
    table = pq.read_table(DATA / "langid_xquad_paragraphs" / "xquad_paragraphs.parquet")
    return table.column("text").to_pylist(), table.column("lang").to_pylist()


def four_kb_docs(texts: list[str], langs: list[str]) -> tuple[list[str], list[str]]:
    """Join consecutive same-language paragraphs into documents of at least 4,096 bytes."""
    docs, labels, current, size, last = [], [], [], 0, None
    for text, lang in zip(texts, langs):
        if lang != last:
            current, size, last = [], 0, lang
        current.append(text.strip())
        size += len(text.encode("utf-8"))
        if size >= 4096:
            docs.append("\n\n".join(current))
            labels.append(lang)
            current, size = [], 0
    return docs, labels


def extra_sets() -> dict[str, tuple[list[str], str]]:
    """Real corpora with one expected language each."""
    viwiki = pq.read_table(DATA / "vi_wikipedia_dev" / "viwiki_dev_500.parquet").column("text")
    vlc = pq.read_table(DATA / "vi_legal_vlc2021" / "vlc2021_laws.parquet").column("text")
    with gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt") as f:
        c4 = [json.loads(line)["text"] for line in f]
    # Empty articles are und by design, not a miss: keep only documents with text.
    return {
        "viwiki_dev_500 (vi)": ([t for t in viwiki.to_pylist() if t.strip()], "vi"),
        "vlc2021 laws (vi, long)": ([t for t in vlc.to_pylist() if t.strip()], "vi"),
        "c4 sample (en)": ([t for t in c4 if t.strip()], "en"),
    }


def timed(texts: list[str], backend: str) -> tuple[list[str], float]:
    """Codes and wall seconds for detecting ``texts`` with ``backend`` (model already loaded)."""
    start = time.perf_counter()
    codes, _, _ = language.detect(texts, backend)
    return codes, time.perf_counter() - start


def main() -> None:
    """Run every backend over every set and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(language.BACKENDS))
    parser.add_argument("--window", type=int, default=language.WINDOW_CHARS)
    parser.add_argument("--max-windows", type=int, default=language.MAX_WINDOWS)
    args = parser.parse_args()
    backends = args.backends.split(",")
    language.WINDOW_CHARS, language.MAX_WINDOWS = args.window, args.max_windows
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    texts, langs = xquad()
    docs, doc_langs = four_kb_docs(texts, langs)
    extras = extra_sets()
    huge = ("Đây là một câu tiếng Việt khá dài để kiểm tra tài liệu lớn. " * 200_000)[:10_000_000]
    print(f"window={args.window} chars x {args.max_windows}; {len(texts)} paragraphs, "
          f"{len(docs)} docs of >=4 KB (mean {sum(len(d.encode()) for d in docs) / len(docs):.0f} B)")

    per_lang: dict[str, dict[str, float]] = defaultdict(dict)
    rows = []
    for backend in backends:
        language.detect(["warm up the model"], backend)
        codes, _ = timed(texts, backend)
        hits = defaultdict(int)
        for code, lang in zip(codes, langs):
            hits[lang] += code == lang
        for lang in sorted(set(langs)):
            per_lang[lang][backend] = hits[lang] / langs.count(lang)
        xquad_acc = sum(hits.values()) / len(langs)
        doc_codes, seconds = timed(docs, backend)
        doc_acc = sum(c == l for c, l in zip(doc_codes, doc_langs)) / len(docs)
        extra_acc = {}
        for name, (items, want) in extras.items():
            got, _ = timed(items, backend)
            extra_acc[name] = sum(c == want for c in got) / len(items)
        huge_code, huge_s = timed([huge], backend)
        rows.append((backend, xquad_acc, min(per_lang[l][backend] for l in per_lang), doc_acc,
                     len(docs) / seconds, extra_acc, huge_s, huge_code[0]))

    print("\n## XQuAD paragraph accuracy per language\n")
    print("| lang | " + " | ".join(backends) + " |")
    print("|---|" + "---:|" * len(backends))
    for lang in sorted(per_lang):
        print(f"| {lang} | " + " | ".join(f"{per_lang[lang][b]:.4f}" for b in backends) + " |")

    base = next((r[4] for r in rows if r[0] == "langdetect"), None)
    names = list(extras)
    print("\n## Summary (speed on the >=4 KB docs, one core)\n")
    print("| backend | XQuAD acc | worst lang | 4 KB acc | docs/s | x langdetect | "
          + " | ".join(names) + " | 10 MB doc |")
    print("|---|" + "---:|" * (6 + len(names)))
    for backend, acc, worst, doc_acc, rate, extra, huge_s, huge_code in rows:
        ratio = f"{rate / base:.1f}" if base else "n/a"
        print(f"| {backend} | {acc:.4f} | {worst:.4f} | {doc_acc:.4f} | {rate:,.0f} | {ratio} | "
              + " | ".join(f"{extra[n]:.4f}" for n in names)
              + f" | {huge_s * 1000:.1f} ms ({huge_code}) |")


if __name__ == "__main__":
    main()
