"""Estimates and their intervals: contract, edge cases, and seeded coverage on a clustered corpus.

The coverage tests draw seeded plans from synthetic corpora of 200 shards built by
``benchmarks/bench_coverage_intervals.py`` (the benchmark runs more replicates and scenarios; results in
``benchmarks/RESULTS.md``). The slice sits in 10% of the shards, so a naive per-document
Wilson interval, which treats every read document as an independent draw, covers the truth only
~10% of the time; the test asserts that too.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from inspectors.core.errors import BadInput
from inspectors.core.estimate import (Estimate, EstimateError, StratumSample, effective_df, full_scan,
                                      gamma_quantile, shard_sample, stratified, t_quantile, wilson_interval)

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_coverage_intervals.py"
_spec = importlib.util.spec_from_file_location("bench_coverage_intervals", _BENCH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

REPLICATES = 240  # seeded plans per coverage check: 4 corpora x 60


def _in_unit(est: Estimate) -> bool:
    lo, hi = est.ci95
    return 0 <= lo <= est.share <= hi <= 1 and est.matched_ci95[0] <= est.matched <= est.matched_ci95[1]


# --- contract ---------------------------------------------------------------------------------------

def test_full_scan_is_exact():
    est = full_scan(25, 1000)
    assert est.share == 0.025 and est.ci95 == (0.025, 0.025) and est.matched_ci95 == (25.0, 25.0)
    assert est.method == "exact"
    assert est.to_dict() == {"matched": 25.0, "total": 1000.0, "share": 0.025, "ci95": [0.025, 0.025],
                             "matched_ci95": [25.0, 25.0], "method": "exact"}


def test_all_shards_read_is_exact():
    est = shard_sample([1, 0, 3], [10, 10, 20], shards_total=3)
    assert est.method == "exact" and est.share == pytest.approx(0.1) and est.ci95 == (est.share, est.share)


def test_rows_per_shard_is_never_exact_and_expands():
    # all 3 shards, but only half of each read: estimate, not a count; amounts scaled by 1 / fraction
    est = shard_sample([1, 0, 3], [10, 10, 20], shards_total=3, read_fraction=0.5)
    assert est.method == "cluster-ratio-wilson" and est.total == pytest.approx(80)
    assert est.ci95[0] < est.share < est.ci95[1]


def test_shard_sample_estimates_corpus_totals():
    est = shard_sample([5, 0, 1, 2], [100, 120, 80, 100], shards_total=40)
    assert est.total == pytest.approx(4000) and est.matched == pytest.approx(80)
    assert est.share == pytest.approx(8 / 400) and _in_unit(est)
    known = shard_sample([5, 0, 1, 2], [100, 120, 80, 100], shards_total=40, population_total=5000)
    assert known.total == 5000 and known.matched_ci95 == pytest.approx((known.ci95[0] * 5000, known.ci95[1] * 5000))


def test_nothing_matched_gives_hypergeometric_upper_bound():
    est = shard_sample(np.zeros(20), np.full(20, 500.0), shards_total=200)
    assert est.method == "upper-bound" and est.share == 0 and est.ci95[0] == 0
    # largest c with C(200-c, 20)/C(200, 20) > 0.05 is 26 (checked against scipy.stats.hypergeom)
    assert est.ci95[1] == pytest.approx(26 / 200)
    # K >> k: the rule of three, 3/k
    assert shard_sample(np.zeros(30), np.ones(30), 100_000).ci95[1] == pytest.approx(3 / 30, rel=0.05)


def test_everything_matched_gives_lower_bound():
    est = shard_sample([5, 5], [5, 5], shards_total=10)
    assert est.method == "lower-bound" and est.share == 1 and est.ci95[1] == 1 and est.ci95[0] < 1


def test_intervals_stay_in_unit_interval():
    rng = np.random.default_rng(3)
    for _ in range(200):
        k = int(rng.integers(2, 12))
        t = rng.integers(1, 50, k).astype(float)
        m = np.floor(t * rng.random(k) ** 4 * (rng.random(k) < 0.5))
        assert _in_unit(shard_sample(m, t, shards_total=k + int(rng.integers(1, 100))))


@pytest.mark.parametrize("matched,total,K", [
    ([], [], 10), ([1], [0], 10), ([-1, 2], [3, 3], 10), ([4, 1], [3, 3], 10), ([1, 2], [3], 10),
    ([1, 2], [3, 3], 1), ([math.nan, 1], [3, 3], 10),
])
def test_bad_shard_inputs_raise_value_error(matched, total, K):
    with pytest.raises(ValueError):
        shard_sample(matched, total, K)


def test_errors_are_value_errors_and_bad_input():
    with pytest.raises(BadInput):
        full_scan(1, 0)
    assert issubclass(EstimateError, ValueError)
    for bad in ([], [StratumSample(N=0, y=[])], [StratumSample(N=10, y=[])], [StratumSample(N=2, y=[1, 0, 1])]):
        with pytest.raises(ValueError):
            stratified(bad)


def test_stratified_census_is_exact_and_zero_is_upper_bound():
    census = stratified([StratumSample(N=3, y=[1, 0, 0]), StratumSample(N=2, y=[1, 1])])
    assert census.method == "exact" and census.share == pytest.approx(0.6)
    none = stratified([StratumSample(N=1000, y=np.zeros(100)), StratumSample(N=9000, y=np.zeros(100))])
    assert none.method == "upper-bound" and none.ci95[0] == 0
    # no match in 100 of 9000 "rest" documents (90% of the corpus): the bound is 3.69 * 0.9 / 100
    assert none.ci95[1] == pytest.approx(gamma_quantile(0.975, 1) * 0.9 / 100)


def test_stratified_bytes_uses_known_stratum_totals():
    strata = [StratumSample(N=100, x_total=50_000, y=[400, 0, 600, 0], x=[400, 300, 600, 500], name="cand"),
              StratumSample(N=900, x_total=450_000, y=[0, 0, 0, 500], x=[300, 700, 500, 500], name="rest")]
    est = stratified(strata)
    assert est.total == 500_000
    assert est.share == pytest.approx((50_000 * 1000 / 1800 + 450_000 * 500 / 2000) / 500_000)
    assert est.method == "stratified-gamma" and _in_unit(est)


def test_two_stage_needs_shards():
    strata = [StratumSample(N=100, y=[1, 0, 1]), StratumSample(N=900, y=[0, 0, 0])]
    with pytest.raises(ValueError):
        stratified(strata, shards_total=50, shards_read=10)
    strata = [StratumSample(N=100, y=[1, 0, 1], shard=[0, 1, 2]), StratumSample(N=900, y=[0, 0, 1], shard=[3, 4, 5])]
    est = stratified(strata, shards_total=50, shards_read=10)
    assert est.method == "two-stage-gamma" and est.total == pytest.approx(5000) and _in_unit(est)


def test_quantiles_match_reference_values():
    # references: scipy.stats.t.ppf(0.975, df), scipy.stats.gamma.ppf(p, a)
    for df, ref in ((1, 12.7062), (5, 2.5706), (30, 2.0423), (31, 2.0395), (100, 1.9840), (1000, 1.9623)):
        assert t_quantile(df) == pytest.approx(ref, abs=2e-4)
    for p, a, ref in ((0.975, 1, 3.688879), (0.025, 0.5, 0.000491), (0.975, 10, 17.084803), (0.025, 200, 173.24)):
        assert gamma_quantile(p, a) == pytest.approx(ref, rel=1e-3)
    assert wilson_interval(0, 100)[1] == pytest.approx(0.037, abs=1e-3)
    assert effective_df([5, 0, 0, 0, 0]) == 1 and effective_df([1, -1, 1, -1, 1, -1]) == 5


# --- seeded coverage on a clustered synthetic corpus -----------------------------------------------------

def _coverage(replicate, **kwargs) -> dict[str, float]:
    hits: dict[str, list[bool]] = {}
    for c in range(4):
        corpus = bench.make_corpus(1000 + c, K=200, hot=0.10)
        rng = np.random.default_rng(c)
        for _ in range(REPLICATES // 4):
            truth, intervals = replicate(corpus, rng=rng, **kwargs)
            for key, (lo, hi) in intervals.items():
                hits.setdefault(key, []).append(lo <= truth <= hi)
    return {key: float(np.mean(v)) for key, v in hits.items()}


@pytest.mark.parametrize("measure", ["documents", "bytes"])
def test_shard_sample_coverage(measure):
    cov = _coverage(bench.shard_replicate, k=40, measure=measure, baselines=True)
    ours = cov["cluster-ratio Wilson, effective df (ours)"]
    assert ours >= 0.90, cov
    # treating read documents as independent draws ignores the clustering: far below nominal
    assert cov["naive per-document Wilson"] < 0.5, cov
    assert ours > cov["cluster-ratio Wald t(k-1)"], cov


@pytest.mark.parametrize("measure", ["documents", "bytes"])
def test_stratified_coverage(measure):
    cov = _coverage(bench.stratified_replicate, n_h=100, measure=measure, baselines=True)
    assert cov["stratified-gamma (ours)"] >= 0.93, cov
    # a normal interval misses whenever a big stratum's sample had no match
    assert cov["stratified Wald (normal)"] < cov["stratified-gamma (ours)"], cov


def test_two_stage_stratified_coverage():
    cov = _coverage(bench.stratified_replicate, n_h=100, measure="documents", k=40, baselines=True)
    assert cov["two-stage-gamma (ours)"] >= 0.93, cov
    assert cov["stratified-gamma ignoring shard sample"] < 0.9, cov
