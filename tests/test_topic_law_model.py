"""The learned second opinion on English `law` (topic_law_model): features, the shipped model, its use."""

from __future__ import annotations

import zlib

import numpy as np

from inspectors.builtin import topic_law_model
from inspectors.builtin.topic_law_model import MODEL_PATH, features, law_probability


def test_features_are_hashed_distinct_words_and_pairs_l2_normalised():
    ids, values = features("The Court, the court!", 1 << 18, 100)
    grams = {"the", "court", "the court", "court the"}
    assert sorted(ids.tolist()) == sorted({zlib.crc32(g.encode()) % (1 << 18) for g in grams})
    assert np.isclose(np.linalg.norm(values), 1.0)
    assert features("12 34 !!", 1 << 18, 100)[0].size == 0
    # only the first max_chars characters count
    assert np.array_equal(features("court judge", 1 << 18, 6)[0], features("court", 1 << 18, 100)[0])


def test_the_shipped_model_is_small_and_separates_clear_cases():
    assert MODEL_PATH.stat().st_size < 2_000_000 and (MODEL_PATH.parent / "LAW_MODEL.md").exists()
    weights, bias, dim, max_chars = topic_law_model.model()
    assert dim == len(weights) and max_chars > 0 and np.isfinite(bias)
    law, cake = law_probability([
        "A tenant sued her landlord for breach of the lease after he refused to return the security deposit. "
        "The trial court held that the landlord had waived the defence, and the appellate court affirmed.",
        "Whisk the eggs with the sugar until pale, fold in the flour and bake the cake for forty minutes.",
    ])
    assert law > 0.8 and cake < 0.1
    assert law_probability([""])[0] == 1 / (1 + np.exp(-bias))
