"""Time the Overview's shard-bootstrap intervals: the plain method against the per-shard one (issue 12).

Run: ``python benchmarks/bench_overview.py [--sample-shards 4] [--seed 0] [--repeats 3] [--large]``.

Profiles the demo corpus (sample_data/demo, 6 shards) into a temporary cache, then, for each of the
Overview's 7 report queries with default parameters on a shard-sample plan, opens the connection the
report runs on, runs the report, and times ``bootstrap.replicate_bootstrap`` (200 SQL runs per report)
and ``bootstrap.shard_bootstrap`` (the per-shard method as callers get it: parsing, both SQL passes,
the numpy resampling and its one-replicate cross-check), and ``per_shard_bootstrap(verify=0)``
without that cross-check. Prints each method's best of ``--repeats`` for the whole Overview and per
report, the ratio, and whether the intervals agree.

``--large`` also times two reports on a synthetic attribute table (100 shards of 10,000 documents,
Zipf-distributed domains, so ~20,000 groups): the per-shard method with 200 replicates against the
plain one with ``--large-replicates`` replicates, scaled to 200 (its cost is linear in replicates).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
_TMP = tempfile.mkdtemp(prefix="corpuscope-bench-overview-")
for _name in ("CORPUSCOPE_HOME", "XDG_CACHE_HOME", "TLDEXTRACT_CACHE", "HF_HOME"):
    os.environ[_name] = os.path.join(_TMP, _name.lower())

import numpy as np  # noqa: E402

from inspectors.core import bootstrap, queries, views  # noqa: E402
from inspectors.core.plan import Plan  # noqa: E402
from inspectors.core.profile import profile_corpus  # noqa: E402
from inspectors.core.sources import resolve  # noqa: E402


# The Overview's reports (their query headers carry an ``overview`` entry), run with default parameters.
OVERVIEW = ("language_distribution", "source_breakdown", "topic_distribution", "format_distribution",
            "top_registered_domains", "length_distribution", "language_topic_crosstab")


def prepare(sample_shards: int, seed: int):
    """The Overview's reports, each with its connection, bound values and table, on a shard sample."""
    corpus = resolve(str(REPO / "sample_data" / "demo"))
    plan = Plan("shard_sample", sample_shards, None, seed)
    chosen = plan.choose(corpus.shards)
    reports = [queries.find(name) for name in OVERVIEW]
    report = profile_corpus(corpus, sorted({i for q in reports for i in q.requires}), chosen, None, workers=1)
    if report.failed:
        raise SystemExit(report.failed[0].error)
    runs = []
    for query in reports:
        values = query.bind({})
        con = views.open_documents(chosen, with_text=False)
        runs.append((query.name, con, query.sql, values, views.run_select(con, query.sql, values)))
    return corpus, chosen, plan, runs


def best(function, runs, seed: int, repeats: int) -> tuple[float, dict[str, float], dict]:
    """Best total over ``repeats`` passes of the whole Overview, per-report times of that pass, results."""
    best_total, best_each, results = float("inf"), {}, {}
    for _ in range(repeats):
        each = {}
        for name, con, sql, values, table in runs:
            start = time.perf_counter()
            results[name] = function(con, sql, values, table, seed)
            each[name] = time.perf_counter() - start
        if sum(each.values()) < best_total:
            best_total, best_each = sum(each.values()), each
    return best_total, best_each, results


def large(replicates: int) -> None:
    """The per-shard method where a report has many groups (LIMIT over ~20,000 domains)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    folder = Path(_TMP) / "large"
    folder.mkdir()
    files = []
    for s in range(100):
        n = 10_000
        domains = rng.zipf(1.3, n) % 20_000
        pq.write_table(pa.table({
            "shard": [f"shard-{s:03d}"] * n, "row": np.arange(n), "registered_domain": [f"d{d}.com" for d in domains],
            "n_bytes": rng.integers(10, 100_000, n), "n_tokens": rng.integers(1, 20_000, n),
            "language": rng.choice(["en", "vi", "de", "fr"], n), "topic": rng.choice([f"t{i}" for i in range(20)], n),
        }), folder / f"{s:03d}.parquet")
        files.append(str(folder / f"{s:03d}.parquet"))
    con = duckdb.connect(config={"threads": 2})
    con.execute(f"CREATE VIEW {views.BASE_VIEW} AS SELECT * FROM read_parquet({files!r})")
    con.execute(f"CREATE VIEW documents AS SELECT * FROM {views.BASE_VIEW}")
    con.execute(f"SET allowed_directories = ['{folder}/']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    print(f"\nsynthetic: 100 shards x 10,000 documents; plain method timed on {replicates} replicates, x{200 // replicates}")
    for name in ("top_registered_domains", "language_topic_crosstab"):
        query = queries.find(name)
        values = query.bind({})
        table = views.fetch_table(con, query.sql, values)
        grouped = query.sql.split("ORDER BY")[0]  # the report's rows before its LIMIT
        used = {k: v for k, v in values.items() if f"${k}" in grouped}
        groups = con.execute(f"SELECT count(*) FROM ({grouped})", used).fetchall()[0][0]
        start = time.perf_counter()
        bootstrap.shard_bootstrap(con, query.sql, values, table, 0)
        fast = time.perf_counter() - start
        start = time.perf_counter()
        plain = bootstrap.replicate_bootstrap(con, query.sql, values, table, 0, replicates)
        slow = (time.perf_counter() - start) * 200 / replicates
        check = bootstrap.per_shard_bootstrap(con, query.sql, values, table, 0, replicates, verify=0)
        same = all(np.allclose(plain[c].to_numpy(), check[c].to_numpy(), rtol=1e-9, atol=0.0)
                   for c in plain.column_names if c.endswith(("_ci_low", "_ci_high")))
        print(f"{name:28s} {groups:6d} groups  per-shard {fast:6.2f} s  plain ~{slow:6.1f} s  "
              f"{slow / fast:4.0f}x  same {'yes' if same else 'NO'}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-shards", type=int, default=4, help="shards the plan reads (of 6)")
    parser.add_argument("--seed", type=int, default=0, help="plan and bootstrap seed")
    parser.add_argument("--repeats", type=int, default=3, help="passes per method; the best is reported")
    parser.add_argument("--large", action="store_true", help="also time a synthetic 1M-document, 100-shard table")
    parser.add_argument("--large-replicates", type=int, default=10, help="plain-method replicates timed there")
    args = parser.parse_args(argv)
    corpus, chosen, plan, runs = prepare(args.sample_shards, args.seed)
    print(f"demo corpus: {len(chosen)} of {len(corpus.shards)} shards read (seed {plan.seed}), "
          f"{bootstrap.BOOTSTRAP} replicates, best of {args.repeats}\n")
    old_total, old_each, old = best(bootstrap.replicate_bootstrap, runs, args.seed, args.repeats)
    new_total, new_each, new = best(bootstrap.shard_bootstrap, runs, args.seed, args.repeats)
    bare_total, bare_each, _ = best(lambda *a: bootstrap.per_shard_bootstrap(*a, verify=0), runs, args.seed, args.repeats)
    print(f"{'report':28s} {'rows':>5s} {'replicate (s)':>14s} {'per-shard (s)':>14s} {'ratio':>6s} "
          f"{'unchecked (s)':>14s}  same")
    for name, _, _, _, table in runs:
        intervals = [c for c in old[name].column_names if c.endswith(("_ci_low", "_ci_high"))]
        same = all(np.allclose(old[name][c].to_numpy(), new[name][c].to_numpy(), rtol=1e-9, atol=0.0)
                   for c in intervals)
        print(f"{name:28s} {table.num_rows:5d} {old_each[name]:14.3f} {new_each[name]:14.4f} "
              f"{old_each[name] / new_each[name]:5.0f}x {bare_each[name]:14.4f}  {'yes' if same else 'NO'}")
    print(f"{'Overview (7 reports)':28s} {'':5s} {old_total:14.3f} {new_total:14.4f} {old_total / new_total:5.0f}x "
          f"{bare_total:14.4f}")
    print("\nper-shard: shard_bootstrap as callers get it (with its one-replicate cross-check); "
          "unchecked: per_shard_bootstrap(verify=0)")
    if args.large:
        large(args.large_replicates)


if __name__ == "__main__":
    main()
