"""OLMo's ``data.instance_filter``: instances with a short n-gram repeated many times are masked from
the loss; corpuscope leaves their occurrences out while keeping OLMo's instance ids and steps."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from test_streams_build import english, neox, vietnamese_law, write_olmo_file

from inspectors.core.errors import BadInput
from inspectors.core.plan import Plan
from inspectors.core.queries import find
from inspectors.core.run import RunOptions, run_exposure
from inspectors.streams.base import Cluster
from inspectors.streams.instance_filter import InstanceFilter, max_repeats
from inspectors.streams.olmo import OlmoStream


def brute_repeats(ids, min_period, max_period) -> int:
    """From the definition: the most whole copies of ``ids[s:s+p]`` that follow one another from s."""
    ids = list(ids)
    best = 0
    for p in range(min_period, min(max_period, len(ids) // 3) + 1):
        for s in range(len(ids) - p + 1):
            unit, k = ids[s:s + p], 1
            while ids[s + k * p: s + (k + 1) * p] == unit:
                k += 1
            best = max(best, k)
    return best


def test_max_repeats_matches_the_definition():
    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(3, 80))
        ids = rng.integers(0, int(rng.integers(2, 6)), n)  # small alphabets repeat often
        if trial % 3 == 0:  # plant a periodic stretch
            p, times, at = int(rng.integers(1, 6)), int(rng.integers(3, 12)), int(rng.integers(0, n))
            ids = np.concatenate([ids[:at], np.tile(rng.integers(0, 50, p), times), ids[at:]])
        for lo, hi in ((1, 13), (2, 5), (3, 3)):
            assert max_repeats(ids, lo, hi) == brute_repeats(ids.tolist(), lo, hi), (ids.tolist(), lo, hi)


def test_config_keys_are_checked():
    assert InstanceFilter.from_config(None) is None
    assert InstanceFilter.from_config({}) == InstanceFilter(1, 13, 32)  # OLMo's defaults
    with pytest.raises(BadInput, match="repetition_max_cout"):
        InstanceFilter.from_config({"repetition_max_cout": 3})


def _build(folder, instance_filter):
    """One file: English and Vietnamese statutes, and one document that repeats a 7-token phrase."""
    tok = neox()
    folder.mkdir(parents=True, exist_ok=True)
    phrase = "Điều 1. "
    ids = tok.encode(phrase * 4, add_special_tokens=False).ids
    period = next(p for p in range(1, 13) if ids[p:3 * p] == ids[2 * p:4 * p])
    docs = [(f"en-{i}", "s3://ai2-llm/documents/c4/en-000.json.gz", t) for i, t in enumerate(english(30))]
    docs.insert(5, ("rep-0", "s3://ai2-llm/documents/vi_law/rep.json.gz", phrase * 80))
    docs.insert(9, ("vi-0", "s3://ai2-llm/documents/vi_law/vi-000.json.gz", vietnamese_law(1)[0]))
    write_olmo_file(folder / "a.npy", docs, tok)
    config = {"seed": 6198, "global_train_batch_size": 4, "model": {"max_sequence_length": 64},
              "data": {"paths": ["a.npy"], "memmap_dtype": "uint16"}}
    if instance_filter is not None:
        config["data"]["instance_filter"] = instance_filter
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder / "config.yaml", period


def test_masked_instances_keep_ids_and_steps_and_give_no_tokens(tmp_path, home):
    rule = {"repetition_max_count": 8, "repetition_max_period": 13}
    plain_cfg, period = _build(tmp_path / "plain", None)
    filt_cfg, _ = _build(tmp_path / "filtered", rule)
    assert period == 7  # 9 copies in an instance of 64 tokens
    plain, filtered = OlmoStream(str(plain_cfg)), OlmoStream(str(filt_cfg))
    assert filtered.N == plain.N and filtered.config_hash != plain.config_hash
    K = plain.steps_per_epoch
    raw = np.fromfile(tmp_path / "plain" / "a.npy", "<u2")
    masked = {i for i in range(plain.N) if brute_repeats(raw[i * 64:(i + 1) * 64].tolist(), 1, 13) >= 8}
    assert 2 <= len(masked) < plain.N // 2  # the repeated document fills whole instances; the rest is text
    rows_p, rows_f = plain.rows(Cluster(1, K)), filtered.rows(Cluster(1, K))
    seen = set(rows_p["instance"])
    assert set(rows_f["instance"]) == seen - masked
    step_p = dict(zip(rows_p["instance"], rows_p["step"]))
    assert all(step_p[i] == s for i, s in zip(rows_f["instance"], rows_f["step"]))  # same order and steps
    assert sum(rows_f["tokens_seen"]) == sum(rows_p["tokens_seen"]) - 64 * len(masked & seen)
    # a sampled plan no longer assumes B x L trained tokens per step
    assert plain.known_tokens_per_step == 256 and filtered.known_tokens_per_step is None
    q = tmp_path / "law.sql"
    q.write_text("-- ---\n-- title: Law\n-- description: vi_law rows\n-- version: 1\n-- kind: slice\n"
                 "-- requires: [length]\n-- ---\nSELECT * FROM documents WHERE source = 'vi_law'\n")
    f = run_exposure(find(str(q)), filtered, K, plan=Plan(), options=RunOptions(workers=1), block_steps=1)
    assert f.estimates["tokens_seen"]["total"] == sum(rows_f["tokens_seen"])
    assert filtered.describe()["instance_filter"] == {"min_period": 1, "max_period": 13, "max_count": 8}
