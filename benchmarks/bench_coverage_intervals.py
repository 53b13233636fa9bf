"""Coverage of 95% intervals on synthetic corpora whose slice is clustered in a few shards.

Run: ``python benchmarks/bench_coverage_intervals.py [--replicates 1000] [--corpora 5]``.

Each corpus has K shards of a few hundred documents; the slice lives mostly in a few "hot" shards
(within-shard rate ~ Beta(2, 5)) plus a thin background elsewhere, and slice documents are longer, so
document and byte shares differ. The truth is known exactly; each replicate draws a seeded plan and
checks whether each method's interval holds it. ``tests/test_estimate.py`` imports ``make_corpus``,
``shard_replicate`` and ``stratified_replicate`` from here so the test and the benchmark measure the
same thing.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspectors.core import estimate as est  # noqa: E402

MEASURES = ("documents", "bytes")


@dataclass
class Corpus:
    """Documents of a synthetic corpus, sorted by shard."""

    shard: np.ndarray      # shard index of each document
    nbytes: np.ndarray     # its size
    slice_: np.ndarray     # 1 if in the slice
    stratum: np.ndarray    # prefilter stratum 0 (candidates), 1 (weak signal), 2 (rest)
    starts: np.ndarray     # document offset of each shard (len K + 1)

    @property
    def K(self) -> int:
        return len(self.starts) - 1

    def truth(self, measure: str) -> float:
        x = self.measure(measure)
        return float((x * self.slice_).sum() / x.sum())

    def measure(self, measure: str) -> np.ndarray:
        return np.ones(len(self.shard)) if measure == "documents" else self.nbytes

    def per_shard(self, measure: str) -> tuple[np.ndarray, np.ndarray]:
        x = self.measure(measure)
        return (np.bincount(self.shard, x * self.slice_, self.K), np.bincount(self.shard, x, self.K))


def make_corpus(seed: int, K: int = 200, hot: float = 0.1, background: float = 0.0005,
                docs: tuple[int, int] = (200, 600)) -> Corpus:
    """A corpus whose slice sits in ``hot * K`` shards, and prefilter strata that are imperfect."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(docs[0], docs[1], K)
    shard = np.repeat(np.arange(K), sizes)
    rate = np.full(K, background)
    hot_ids = rng.choice(K, max(1, round(hot * K)), replace=False)
    rate[hot_ids] = rng.beta(2, 5, len(hot_ids))
    slice_ = (rng.random(len(shard)) < rate[shard]).astype(float)
    nbytes = np.round(rng.lognormal(7, 1, len(shard)) * (1 + slice_)) + 1
    # the prefilter finds 80% of slice documents as candidates, 5% fall in "rest"
    u = rng.random(len(shard))
    in_hot = np.isin(shard, hot_ids)
    stratum = np.where(slice_ == 1, np.where(u < 0.8, 0, np.where(u < 0.95, 1, 2)),
                       np.where(u < np.where(in_hot, 0.02, 0.001), 0,
                                np.where(u < np.where(in_hot, 0.2, 0.02), 1, 2)))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return Corpus(shard, nbytes, slice_, stratum, starts)


def shard_replicate(corpus: Corpus, k: int, rng: np.random.Generator, measure: str,
                    baselines: bool = False) -> tuple[float, dict[str, tuple[float, float]]]:
    """One seeded shard sample: the true share and each method's 95% interval for it."""
    m_all, t_all = corpus.per_shard(measure)
    idx = rng.choice(corpus.K, k, replace=False)
    m, t = m_all[idx], t_all[idx]
    truth = corpus.truth(measure)
    out = {"cluster-ratio Wilson, effective df (ours)": est.shard_sample(m, t, corpus.K).ci95}
    if baselines:
        docs_m, docs_t = corpus.per_shard("documents")
        share = m.sum() / t.sum()
        # naive: every read document an independent draw; for bytes, n = documents read
        out["naive per-document Wilson"] = est.wilson_interval(share * docs_t[idx].sum(), docs_t[idx].sum())
        f = k / corpus.K
        d = m - share * t
        se = np.sqrt((1 - f) / (k * t.mean() ** 2) * (d @ d) / (k - 1))
        q = est.t_quantile(k - 1)
        out["cluster-ratio Wald t(k-1)"] = (share - q * se, share + q * se)
        boot = []
        for _ in range(200):
            i = rng.integers(0, k, k)
            boot.append(m[i].sum() / t[i].sum())
        out["shard bootstrap percentile"] = tuple(np.percentile(boot, [2.5, 97.5]))
    return truth, out


def stratified_replicate(corpus: Corpus, n_h: int, rng: np.random.Generator, measure: str,
                         k: int | None = None, baselines: bool = False) -> tuple[float, dict[str, tuple[float, float]]]:
    """One seeded stratified scan (of all shards, or of ``k`` sampled shards): truth and intervals."""
    truth = corpus.truth(measure)
    if k is None:
        docs = np.arange(len(corpus.shard))
        local = corpus.shard
    else:
        picked = np.sort(rng.choice(corpus.K, k, replace=False))
        docs = np.concatenate([np.arange(corpus.starts[s], corpus.starts[s + 1]) for s in picked])
        local = np.repeat(np.arange(k), np.diff(corpus.starts)[picked])
    x_all = corpus.measure(measure)
    strata, naive_n, naive_hits = [], 0, 0.0
    for h in range(3):
        members = np.flatnonzero(corpus.stratum[docs] == h)
        if len(members) == 0:
            continue
        sample = members if len(members) <= n_h else rng.choice(members, n_h, replace=False)
        x = x_all[docs[sample]]
        y = x * corpus.slice_[docs[sample]]
        strata.append(est.StratumSample(N=len(members), y=y, x=x, x_total=float(x_all[docs[members]].sum()),
                                        shard=local[sample], name=str(h)))
        naive_n += len(sample)
        naive_hits += corpus.slice_[docs[sample]].sum()
    ours = est.stratified(strata, shards_total=corpus.K, shards_read=k or corpus.K)
    out = {("two-stage-gamma (ours)" if k else "stratified-gamma (ours)"): ours.ci95}
    if baselines:
        if k:
            one_stage = est.stratified(strata)  # ignores that the shards were sampled
            out["stratified-gamma ignoring shard sample"] = one_stage.ci95
        else:
            X = sum(s.x_total for s in strata)
            var = sum(_stratum_var(s) for s in strata) / X ** 2
            half = est.Z975 * np.sqrt(var)
            out["stratified Wald (normal)"] = (ours.share - half, ours.share + half)
        out["naive Wilson on pooled sample"] = est.wilson_interval(naive_hits, naive_n)
    return truth, out


def _stratum_var(s: est.StratumSample) -> float:
    y, x = np.asarray(s.y), np.asarray(s.x)
    n = len(y)
    r = y.sum() / x.sum()
    d = y - r * x
    return (s.x_total / x.mean()) ** 2 * (1 - n / s.N) / n * (d @ d) / (n - 1)


SCENARIOS = [
    # (name, corpus kwargs, plan)
    ("shard sample k=40 of 200, slice in 10% of shards", {"K": 200, "hot": 0.10}, ("shard", 40)),
    ("shard sample k=20 of 200, slice in 10% of shards", {"K": 200, "hot": 0.10}, ("shard", 20)),
    ("shard sample k=60 of 240, slice in 5% of shards", {"K": 240, "hot": 0.05}, ("shard", 60)),
    ("shard sample k=30 of 200, slice in 30% of shards", {"K": 200, "hot": 0.30, "background": 0.005}, ("shard", 30)),
    ("stratified, all 200 shards, 200 docs/stratum", {"K": 200, "hot": 0.10}, ("stratified", None)),
    ("stratified, all 200 shards, 50 docs/stratum", {"K": 200, "hot": 0.10}, ("stratified50", None)),
    ("two-stage: 40 of 200 shards, 200 docs/stratum", {"K": 200, "hot": 0.10}, ("stratified", 40)),
]


def run(replicates: int, corpora: int, seed: int = 0) -> list[tuple[str, str, dict[str, tuple[float, float]]]]:
    """Per scenario and measure: {method: (coverage, median interval width / true share)}."""
    rows = []
    for name, kwargs, (plan, k) in SCENARIOS:
        for measure in MEASURES:
            hits: dict[str, list[bool]] = {}
            widths: dict[str, list[float]] = {}
            for c in range(corpora):
                corpus = make_corpus(seed * 1000 + c, **kwargs)
                rng = np.random.default_rng(seed * 1000 + c)
                for _ in range(replicates // corpora):
                    if plan == "shard":
                        truth, got = shard_replicate(corpus, k, rng, measure, baselines=True)
                    else:
                        n_h = 50 if plan == "stratified50" else 200
                        truth, got = stratified_replicate(corpus, n_h, rng, measure, k, baselines=True)
                    for key, (lo, hi) in got.items():
                        hits.setdefault(key, []).append(lo <= truth <= hi)
                        widths.setdefault(key, []).append((hi - lo) / truth)
            rows.append((name, measure, {key: (float(np.mean(hits[key])), float(np.median(widths[key])))
                                         for key in hits}))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000, help="plans drawn per scenario and measure")
    parser.add_argument("--corpora", type=int, default=5, help="synthetic corpora per scenario")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.time()
    print(f"coverage of nominal 95% intervals (and median width / true share), "
          f"{args.replicates} seeded plans over {args.corpora} corpora each\n")
    for name, measure, cov in run(args.replicates, args.corpora, args.seed):
        print(f"{name} [{measure}]")
        for key, (value, width) in cov.items():
            print(f"    {value:6.1%}  width {width:5.2f}x  {key}")
    print(f"\n{time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
