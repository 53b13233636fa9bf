"""Estimates of a slice's size (documents, bytes or tokens) with 95% intervals that respect the plan.

One ``Estimate`` per measure: ``matched``, ``total``, ``share = matched / total``, an interval for the
share (``ci95``) and for the matched amount (``matched_ci95``), and the ``method`` that made them.

Plans and methods
-----------------
``full_scan``
    Every row of every shard was read: the numbers are counts, ``ci95 == (share, share)``
    (method ``"exact"``).
``shard_sample``
    k of K shards drawn uniformly without replacement. Shards are clusters: documents of one shard
    share a source, a crawl date, a language, so a slice is typically concentrated in a few shards and
    per-document intervals are far too narrow (the benchmark and tests show ~10% coverage). Method
    ``"cluster-ratio-wilson"``: the combined ratio estimator with its shard-level (linearised)
    variance, and a Wilson interval on the effective sample size with effective degrees of freedom;
    ``"upper-bound"`` when nothing matched.
``stratified``
    A cheap prefilter put every document of the scanned shards in a stratum of known size; the
    inspectors ran on a simple random sample inside each stratum. Method ``"stratified-gamma"``:
    separate ratio estimator with stratified variance and a gamma interval that stays honest when a
    big stratum had no match in its sample. When the scanned shards are themselves a sample of the
    corpus the variance is between shards (``"two-stage-gamma"``).

Formulas and sources
--------------------
Cluster ratio estimator (Cochran 1977, *Sampling Techniques*, 3rd ed., ch. 6 and ch. 9A for
clusters of unequal size; Lohr 2019, *Sampling: Design and Analysis*, 2nd ed., ch. 4-5): with ``m_i``
matched and ``t_i`` total in sampled shard i, ``f = k/K``::

    R = sum(m_i) / sum(t_i)
    v(R) = (1 - f) / (k * tbar^2) * sum((m_i - R t_i)^2) / (k - 1)          (Cochran ch. 6)

Wilson (1927, JASA 22:209) score interval on the effective sample size (Kish design effect; Korn &
Graubard 1998, *Survey Methodology* 24:193-201, who use it with Clopper-Pearson)::

    n_eff = R (1 - R) / v(R)
    (R + q^2/(2 n_eff) -/+ q sqrt(R (1 - R)/n_eff + q^2/(4 n_eff^2))) / (1 + q^2/n_eff)

with ``q = t_{df, .975}``. A rare slice clustered in a few shards makes v(R) rest on the few shards
that hold it, so instead of k - 1 we use the Satterthwaite (1946) effective degrees of freedom of the
residual sum of squares, ``df = floor((sum d_i^2)^2 / sum d_i^4)`` clipped to [1, k - 1] with
``d_i = m_i - R t_i`` (Johnson & Rust 1992, *J. Educ. Stat.* 17:175-190, use the same form for
replicate variances): one dominant shard gives df = 1. In our simulations of slices clustered in 5-10%
of the shards (k = 40-60 shards read), the t(k-1) Wald interval covers 84-87% and a shard bootstrap
87-89%, this one 95-98%, about twice as wide (``benchmarks/RESULTS.md``).

Nothing matched in k of K shards: each unseen shard might be all slice, so the only honest bound is on
the number c of shards holding any match. The exact hypergeometric one-sided 95% bound is the largest
c with ``P(no matched shard among k | c) = C(K-c, k) / C(K, k) > 0.05`` (for K >> k this is the
rule of three, c/K ~ 3/k; Hanley & Lippman-Hand 1983, JAMA 249:1743), and the share bound is c/K
(shards of about equal size). Everything matched is the mirror image.

Stratified, separate ratio estimator (Cochran 1977 §6.10; ch. 5 for stratified sampling): in
stratum h with N_h documents, X_h measure (known from the prefilter), sample of n_h documents with
matched measure y_j and measure x_j::

    R_h = sum(y) / sum(x),   Y = sum_h X_h R_h,   share = Y / X,   X = sum_h X_h
    v(Y) = sum_h (X_h / xbar_h)^2 (1 - n_h/N_h) / n_h * s_h^2,   s_h^2 = sum_j (y_j - R_h x_j)^2 / (n_h - 1)

A stratum whose sample has no match contributes nothing to v although its true share may not be zero
(the "rest" stratum of a prefilter is usually huge). The gamma interval of Fay & Feuer (1997, *Stat.
Med.* 16:791-801), built for weighted sums of rare counts, covers that case: with ``w`` the share one
more matched document would add in the stratum where that counts most, ``w = max_h X_h / (n_h X)``
(strata read whole excluded)::

    lower = G^{-1}(0.025; shape = share^2 / v,            scale = v / share)
    upper = G^{-1}(0.975; shape = (share + w)^2 / (v + w^2), scale = (v + w^2) / (share + w))

so with no match anywhere the upper bound is ``G^{-1}(0.975; 1, w) = 3.69 w``. Fay & Feuer use the
Poisson variance; we use the design variance above, which is smaller than the Poisson one when
sampling fractions are large.

Two stages (scanned shards are a sample of k of K): each sampled document gets the ratio weight
``X_h / sum_{s_h} x``; per scanned shard i, ``Y_i`` and ``X_i`` are weighted sums of its sampled
documents (zero for a shard none of whose documents were drawn). The ultimate-cluster variance
(Cochran 1977 ch. 11; Lohr 2019 ch. 6, the "with-replacement" approximation, which includes
the within-shard sampling variance and drops the first-stage fpc)::

    v(share) = k / (k - 1) * sum_i (Y_i - share X_i)^2 / X^2

inflated by ``(t_{df, .975} / z_{.975})^2`` (df: the effective degrees of freedom above, from
``d_i = Y_i - share X_i``) for the few shards, and plugged into the same gamma interval. We prefer
this to a shard bootstrap: it is deterministic and cheap, and the percentile bootstrap under-covers
with few clusters (benchmarks, shard samples: 79-94%).

Corpus totals: when only k of K shards were read and no ``population_total`` is given, the total is
the expansion estimate ``K/k sum(t_i)`` with a t(k-1) interval (Cochran ch. 2, with fpc), and
``matched_ci95`` is the product of the share and total intervals (each ≥ 95%, so jointly ≥ 90% by
Bonferroni; in practice shard sizes vary little and the share interval dominates).

Assumption every sample plan shares: a slice living in only a handful of shards can be missed by a
shard sample with no sign in the data (if c of K shards hold it, the chance that k sampled shards
miss all of them is C(K-c, k)/C(K, k)); no interval can cover that, so read more shards or scan fully
for slices you expect to be that concentrated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from inspectors.core.errors import BadInput

Z975 = 1.959963984540054
# t_{0.975, df} for df = 1..30 (Student quantiles, e.g. Cochran 1977 Appendix table); above 30 the
# Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5) is accurate to < 1e-4.
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
         2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
         2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)


class EstimateError(BadInput, ValueError):
    """Inputs an estimate cannot be made from (empty, negative, matched above total, …)."""


@dataclass(frozen=True)
class Estimate:
    """A slice's size in one measure, with 95% intervals for its share and its matched amount.

    ``matched`` and ``total`` are for the whole corpus (estimated from the sample when the plan read
    part of it); ``share = matched / total`` in [0, 1]; ``ci95`` ⊂ [0, 1] holds ``share``;
    ``matched_ci95`` holds ``matched``.
    """

    matched: float
    total: float
    share: float
    ci95: tuple[float, float]
    matched_ci95: tuple[float, float]
    method: str

    def to_dict(self) -> dict:
        """Plain JSON-ready fields: matched, total, share, ci95 [lo, hi], matched_ci95 [lo, hi], method."""
        return {"matched": float(self.matched), "total": float(self.total), "share": float(self.share),
                "ci95": [float(v) for v in self.ci95], "matched_ci95": [float(v) for v in self.matched_ci95],
                "method": self.method}


@dataclass(frozen=True)
class StratumSample:
    """One prefilter stratum: its size and the inspected sample drawn from it.

    ``N``: documents in the stratum (over the scanned shards). ``x_total``: its total measure (bytes
    or tokens; ``None`` means the documents measure, ``x_total = N``). ``y``: matched measure of each
    sampled document (0 or its measure; 0/1 for documents). ``x``: measure of each sampled document
    (``None`` means 1 each). ``shard``: index in ``range(shards_read)`` of each sampled document's
    shard, needed when the scanned shards are a sample of the corpus.
    """

    N: int
    y: ArrayLike
    x_total: float | None = None
    x: ArrayLike | None = None
    shard: ArrayLike | None = None
    name: str = ""


def full_scan(matched: float, total: float) -> Estimate:
    """Exact counts from reading everything: ``ci95 == (share, share)``, method ``"exact"``."""
    matched, total = float(matched), float(total)
    _check_amounts(np.array([matched]), np.array([total]))
    share = min(1.0, matched / total)
    return Estimate(matched, total, share, (share, share), (matched, matched), "exact")


def shard_sample(matched: ArrayLike, total: ArrayLike, shards_total: int,
                 read_fraction: ArrayLike | float | None = None,
                 population_total: float | None = None, whole_shards: bool = True) -> Estimate:
    """Estimate from k shards drawn uniformly without replacement from ``shards_total`` (K).

    ``matched[i]``, ``total[i]``: amounts in what was read of sampled shard i. ``read_fraction``: the
    fraction of each sampled shard that was read (``--rows-per-shard``; rows read / rows in shard);
    amounts are expanded by it, the interval drops the first-stage fpc (ultimate-cluster
    approximation) and the plan is never exact. ``population_total``: the corpus total if known
    (e.g. row counts from Parquet metadata), else it is estimated as ``K/k sum(total)``.
    k == K with whole shards read gives ``full_scan``. ``whole_shards=False`` says some shard was read
    only in part by an amount nobody knows (a row-limited JSONL shard): amounts are not expanded, but
    the plan is not exact and the first-stage fpc is dropped. Formulas: module docstring.
    """
    m, t = _as_amounts(matched, total)
    k, K = len(m), int(shards_total)
    if K < k:
        raise EstimateError(f"{k} shards sampled but shards_total is {K}")
    partial = not whole_shards
    if read_fraction is not None:
        frac = np.broadcast_to(np.asarray(read_fraction, dtype=float), m.shape)
        if np.any(~(frac > 0)) or np.any(frac > 1):
            raise EstimateError("read_fraction must be in (0, 1]")
        partial = partial or bool(np.any(frac < 1))
        m, t = m / frac, t / frac
    if k == K and not partial:
        exact = full_scan(m.sum(), t.sum())
        return exact if population_total is None else _rescale(exact, population_total)
    f = 0.0 if partial else k / K
    share = float(m.sum() / t.sum())
    total, total_ci = _corpus_total(t, K, f, population_total)
    if m.sum() == 0 or m.sum() >= t.sum():
        bound = _hypergeometric_bound(K, k)
        ci = (0.0, bound) if m.sum() == 0 else (1.0 - bound, 1.0)
        method = "upper-bound" if m.sum() == 0 else "lower-bound"
    elif k == 1:
        ci, method = (0.0, 1.0), "cluster-ratio-single-shard"
    else:
        d = m - share * t
        var = (1 - f) / (k * t.mean() ** 2) * float(d @ d) / (k - 1)
        ci, method = _wilson_design(share, var, t_quantile(effective_df(d))), "cluster-ratio-wilson"
    share = min(1.0, share)
    return Estimate(share * total, total, share, ci, _matched_interval(ci, total_ci), method)


def stratified(strata: Sequence[StratumSample], shards_total: int | None = None,
               shards_read: int | None = None, population_total: float | None = None) -> Estimate:
    """Estimate from a stratified targeted scan (prefilter strata, random sample inside each).

    ``strata``: every stratum of the scanned shards (a stratum with ``N == 0`` is ignored; one with
    documents but an empty sample is an error). ``shards_read``/``shards_total``: k scanned shards of
    K; when k < K the scanned shards are a uniform sample and the variance is two-stage (needs each
    stratum's ``shard``). ``population_total``: the corpus total measure if known; otherwise the
    scanned total, scaled by K/k for a shard sample. Formulas: module docstring.
    """
    if not strata:
        raise EstimateError("stratified estimate needs at least one stratum")
    parts = [_stratum(s) for s in strata]
    parts = [p for p in parts if p is not None]
    if not parts:
        raise EstimateError("every stratum is empty")
    X = sum(p["X"] for p in parts)
    if X <= 0:
        raise EstimateError("strata have zero total measure")
    share = min(1.0, sum(p["X"] * p["R"] for p in parts) / X)
    sampled = [p for p in parts if p["n"] < p["N"]]
    w = max((p["X"] / (p["n"] * X) for p in sampled), default=0.0)
    two_stage = shards_total is not None and shards_read is not None and shards_read < shards_total
    if two_stage:
        k, K = int(shards_read), int(shards_total)
        if k < 2:
            raise EstimateError("a two-stage estimate needs at least 2 scanned shards")
        Yi, Xi = np.zeros(k), np.zeros(k)
        for p in parts:
            if p["shard"] is None:
                raise EstimateError(f"stratum {p['name']!r}: shard of each sampled document needed for a shard sample")
            if p["shard"].min() < 0 or p["shard"].max() >= k:
                raise EstimateError(f"stratum {p['name']!r}: shard index outside range({k})")
            weight = p["X"] / p["x"].sum() if p["x"].sum() > 0 else 0.0
            Yi += np.bincount(p["shard"], p["y"] * weight, minlength=k)
            Xi += np.bincount(p["shard"], p["x"] * weight, minlength=k)
        d = Yi - share * Xi
        var = k / (k - 1) * float(d @ d) / X ** 2 * (t_quantile(effective_df(d)) / Z975) ** 2
        total, total_ci = _corpus_total(Xi, K, k / K, population_total)
        method = "two-stage-gamma"
    else:
        var = sum(p["var"] for p in parts) / X ** 2
        if shards_total is not None and shards_read is None:
            raise EstimateError("give shards_read with shards_total")
        total = X if population_total is None else float(population_total)
        total_ci = (total, total)
        method = "stratified-gamma"
    if var == 0 and w == 0 and not two_stage:  # every stratum read whole: a census
        ci, method = (share, share), "exact"
    else:
        ci = _gamma_interval(share, var, w)
        # Mirror image of the gamma upper bound for strata whose sample matched throughout (they add
        # no variance): one more non-match where it would count most, so the lower bound does not
        # sit on the estimate.
        w_all = max((p["X"] / (p["n"] * X) for p in sampled if p["R"] >= 1.0), default=0.0)
        if w_all > 0:
            ci = (max(0.0, min(ci[0], 1.0 - _gamma_interval(1.0 - share, var, w_all)[1])), ci[1])
    if share == 0 and method != "exact":
        method = "upper-bound"
    return Estimate(share * total, total, share, ci, _matched_interval(ci, total_ci), method)


def t_quantile(df: int) -> float:
    """Student t 0.975 quantile for ``df`` ≥ 1 degrees of freedom (table, then A&S 26.7.5)."""
    if df < 1:
        raise EstimateError("t quantile needs at least 1 degree of freedom")
    if df <= len(_T975):
        return _T975[int(df) - 1]
    z, n = Z975, float(df)
    return (z + (z ** 3 + z) / (4 * n) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * n ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * n ** 3))


def effective_df(residuals: ArrayLike) -> int:
    """Satterthwaite degrees of freedom of ``sum(d^2)``: ``floor((sum d^2)^2 / sum d^4)`` in [1, k-1]."""
    d2 = np.asarray(residuals, dtype=float) ** 2
    k = len(d2)
    if k < 2:
        raise EstimateError("effective degrees of freedom need at least 2 residuals")
    if d2.sum() == 0:
        return k - 1
    return int(max(1, min(k - 1, math.floor(d2.sum() ** 2 / float(d2 @ d2)))))


def gamma_quantile(p: float, shape: float, scale: float = 1.0) -> float:
    """Quantile of the gamma distribution, by bisection on the regularized incomplete gamma."""
    if shape <= 0 or scale <= 0:
        raise EstimateError("gamma quantile needs positive shape and scale")
    lo, hi = 0.0, max(1.0, shape)
    while _gamma_cdf(shape, hi) < p:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _gamma_cdf(shape, mid) < p else (lo, mid)
        if hi - lo <= 1e-12 * hi:
            break
    return (lo + hi) / 2 * scale


def wilson_interval(successes: float, n: float, z: float = Z975) -> tuple[float, float]:
    """Wilson (1927, JASA 22:209) score interval: the naive per-document interval we compare against."""
    if n <= 0:
        raise EstimateError("Wilson interval needs n > 0")
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# --- helpers ---------------------------------------------------------------------------------------

def _as_amounts(matched, total) -> tuple[np.ndarray, np.ndarray]:
    m = np.atleast_1d(np.asarray(matched, dtype=float))
    t = np.atleast_1d(np.asarray(total, dtype=float))
    if m.size == 0 or t.size == 0:
        raise EstimateError("no shards: matched and total are empty")
    if m.shape != t.shape or m.ndim != 1:
        raise EstimateError(f"matched and total need one value per shard, got shapes {m.shape} and {t.shape}")
    _check_amounts(m, t)
    return m, t


def _check_amounts(m: np.ndarray, t: np.ndarray) -> None:
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(t))):
        raise EstimateError("matched and total must be finite")
    if np.any(m < 0) or np.any(t < 0):
        raise EstimateError("matched and total must not be negative")
    if np.any(m > t * (1 + 1e-9)):
        raise EstimateError("matched exceeds total")
    if t.sum() <= 0:
        raise EstimateError("total is zero: nothing was read")


def _stratum(s: StratumSample) -> dict | None:
    N = int(s.N)
    y = np.atleast_1d(np.asarray(s.y, dtype=float))
    x = np.ones_like(y) if s.x is None else np.atleast_1d(np.asarray(s.x, dtype=float))
    X = float(N if s.x_total is None else s.x_total)
    if N < 0 or X < 0:
        raise EstimateError(f"stratum {s.name!r}: N and x_total must not be negative")
    if N == 0:
        return None
    n = len(y)
    if n == 0:
        raise EstimateError(f"stratum {s.name!r}: {N} documents but no sampled document")
    if n > N or x.shape != y.shape:
        raise EstimateError(f"stratum {s.name!r}: sample of {n} from {N} documents, x shape {x.shape}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(x))) or np.any(y < 0) or np.any(y > x * (1 + 1e-9)):
        raise EstimateError(f"stratum {s.name!r}: need 0 <= y <= x for every sampled document")
    shard = None if s.shard is None else np.atleast_1d(np.asarray(s.shard, dtype=np.int64))
    if shard is not None and shard.shape != y.shape:
        raise EstimateError(f"stratum {s.name!r}: one shard index per sampled document needed")
    R = y.sum() / x.sum() if x.sum() > 0 else 0.0
    d = y - R * x
    # (X_h / xbar_h)^2 = N_h^2 (Xbar_h / xbar_h)^2: Cochran's v(Y_R) with the sample mean of x (ch. 6)
    expand = X / x.mean() if x.mean() > 0 else 0.0
    var = expand ** 2 * (1 - n / N) / n * float(d @ d) / (n - 1) if n > 1 else 0.0
    return {"name": s.name, "N": N, "n": n, "X": X, "R": R, "var": var, "y": y, "x": x, "shard": shard}


def _corpus_total(t: np.ndarray, K: int, f: float, population_total: float | None):
    """Corpus total and its 95% interval: known, or the expansion estimate K * mean(t) (t(k-1))."""
    if population_total is not None:
        total = float(population_total)
        return total, (total, total)
    k = len(t)
    total = K * float(t.mean())
    if k < 2:
        return total, (0.0, math.inf)
    half = t_quantile(k - 1) * K * math.sqrt((1 - f) * float(t.var(ddof=1)) / k)
    return total, (max(float(t.sum()), total - half), total + half)


def _matched_interval(ci, total_ci) -> tuple[float, float]:
    return ci[0] * total_ci[0], ci[1] * total_ci[1]


def _rescale(est: Estimate, population_total: float) -> Estimate:
    total = float(population_total)
    return Estimate(est.share * total, total, est.share, est.ci95,
                    (est.ci95[0] * total, est.ci95[1] * total), est.method)


def _hypergeometric_bound(K: int, k: int, alpha: float = 0.05) -> float:
    """Largest c/K with P(none of c marked shards among k drawn from K) > alpha."""
    c, p_none = 0, 1.0
    while c < K - k:
        # P(0 | c+1) = P(0 | c) * (K - c - k) / (K - c)
        nxt = p_none * (K - c - k) / (K - c)
        if nxt <= alpha:
            break
        c, p_none = c + 1, nxt
    return c / K


def _wilson_design(p: float, var: float, q: float) -> tuple[float, float]:
    """Wilson interval for ``p`` on the effective sample size ``p (1 - p) / var``, quantile ``q``."""
    if var <= 0:  # every shard has the same share: nothing varies between clusters
        return p, p
    lo, hi = wilson_interval(p * p * (1 - p) / var, p * (1 - p) / var, q)
    return min(lo, p), max(hi, p)


def _gamma_interval(y: float, v: float, w: float) -> tuple[float, float]:
    """Fay & Feuer (1997) gamma interval for a weighted sum ``y`` with variance ``v``, unit ``w``."""
    lower = gamma_quantile(0.025, y * y / v, v / y) if y > 0 and v > 0 else y
    mean, var = y + w, v + w * w
    upper = gamma_quantile(0.975, mean * mean / var, var / mean) if var > 0 else y
    return max(0.0, min(lower, y)), min(1.0, max(upper, y))


def _gamma_cdf(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) (Numerical Recipes §6.2: series / continued fraction)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)
