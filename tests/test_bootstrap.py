"""Per-shard shard bootstrap (inspectors.core.bootstrap) against the plain replicate-by-replicate method."""

from __future__ import annotations

import logging
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inspectors.core import bootstrap, queries, views
from inspectors.core.plan import Plan
from inspectors.core.profile import profile_corpus
from inspectors.core.sources import resolve
from conftest import SAMPLE

INSPECTORS = ["language", "length", "tokens", "topic", "web_domain"]
REPORTS = ["language_distribution", "topic_distribution", "format_distribution", "top_registered_domains",
           "top_suffixes", "source_breakdown", "language_topic_crosstab", "length_distribution"]
SMALL = {"top_registered_domains": {"limit": 3}, "top_suffixes": {"limit": 2},
         "language_topic_crosstab": {"min_documents": 5}, "language_distribution": {"min_score": 0.9}}
CASES = [(name, {}) for name in REPORTS] + list(SMALL.items())


def _chosen(source, plan: Plan):
    corpus = resolve(str(source))
    chosen = plan.choose(corpus.shards)
    report = profile_corpus(corpus, INSPECTORS, chosen, None, workers=1)
    assert not report.failed, report.failed[0].error
    return chosen


@pytest.fixture(scope="module")
def demo():
    """The demo corpus's shards read by a 4-of-6 shard sample (profiled once)."""
    return _chosen(SAMPLE, Plan("shard_sample", 4, None, 0))


def _report(chosen, sql: str, values: dict):
    con = views.open_documents(chosen, with_text=False)
    return con, views.run_select(con, sql, values)


def _intervals(table: pa.Table) -> list[str]:
    return [n for n in table.column_names if n.endswith(("_ci_low", "_ci_high"))]


def assert_same(reference: pa.Table, got: pa.Table, original: pa.Table) -> None:
    assert got.column_names == reference.column_names
    assert got.select(original.column_names).equals(original)
    assert _intervals(reference), "the report has no share intervals to compare"
    for name in _intervals(reference):
        assert np.allclose(got[name].to_numpy(), reference[name].to_numpy(), rtol=1e-9, atol=0.0), name


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in p.items()) or 'default'}"
                                                     for n, p in CASES])
def test_report_intervals_equal_the_reference(demo, name, params):
    query = queries.find(name)
    values = query.bind(params)
    con, table = _report(demo, query.sql, values)
    for seed in (0, 1):
        reference = bootstrap.replicate_bootstrap(con, query.sql, values, table, seed)
        got = bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed, verify=0)
        assert_same(reference, got, table)


def test_auto_takes_the_per_shard_path_and_leaves_the_connection_as_it_was(demo, caplog):
    query = queries.find("language_topic_crosstab")
    values = query.bind({})
    con, table = _report(demo, query.sql, values)
    before = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
    with caplog.at_level(logging.INFO, logger="inspectors.core.bootstrap"):
        got = bootstrap.shard_bootstrap(con, query.sql, values, table, seed=3)
    assert not caplog.records  # no fallback was logged
    assert con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall() == before
    leftovers = "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, '__cs_')"
    assert con.execute(leftovers).fetchall() == [(0,)]
    assert_same(bootstrap.replicate_bootstrap(con, query.sql, values, table, seed=3), got, table)
    low, high = got["document_share_ci_low"].to_numpy(), got["document_share_ci_high"].to_numpy()
    assert np.all(low <= high) and np.any(low < high)


def _numeric(table: pa.Table) -> pa.Table:
    """DuckDB's wide sums (HUGEINT, as decimal128) cast to int64, as a caller may hand the table over."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            table = table.set_column(i, pa.field(f.name, pa.int64()), table.column(i).cast(pa.int64()))
    return table


def test_a_table_with_sums_cast_to_int64_still_takes_the_per_shard_path(demo):
    query = queries.find("format_distribution")
    values = query.bind({})
    con, raw = _report(demo, query.sql, values)
    table = _numeric(raw)
    assert table.schema != raw.schema
    got = bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed=0)
    assert_same(bootstrap.replicate_bootstrap(con, query.sql, values, table, seed=0), got, table)


def test_a_temporary_documents_view_is_put_back(demo):
    """The plain method shadows ``documents`` with a temporary view and restores what was there."""
    query = queries.find("source_breakdown")
    values = query.bind({})
    con, table = _report(demo, query.sql, values)
    con.execute(f"CREATE TEMP VIEW documents AS SELECT * FROM {views.BASE_VIEW} WHERE n_bytes >= 0")
    views_sql = "SELECT temporary, sql FROM duckdb_views() WHERE view_name = 'documents' ORDER BY 1"
    before = con.execute(views_sql).fetchall()
    reference = bootstrap.replicate_bootstrap(con, query.sql, values, table, seed=0, replicates=20)
    got = bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed=0, replicates=20)
    assert con.execute(views_sql).fetchall() == before
    assert_same(reference, got, table)


# Report shapes beyond the saved queries, all handled by the per-shard method.
SHARE = "count(*) / sum(count(*)) OVER () AS document_share"
SHAPES = {
    "filter_ratio": ("SELECT language, count(*) AS n, count(*) FILTER (WHERE n_bytes > 1000) / count(*) AS long_share "
                     "FROM documents GROUP BY language ORDER BY n DESC, language", {}),
    "qualify": (f"SELECT topic, count(*) AS n, {SHARE} FROM documents GROUP BY topic "
                "QUALIFY rank() OVER (ORDER BY count(*) DESC, topic) <= 3", {}),
    "order_by_aggregate_offset": (f"SELECT coalesce(topic, '?') AS t, {SHARE} FROM documents GROUP BY 1 "
                                  "ORDER BY count(*) DESC, 1 LIMIT 3 OFFSET 1", {}),
    "table_alias_params": ("SELECT d.language AS lang, sum(d.n_bytes) / sum(sum(d.n_bytes)) OVER () AS byte_share "
                           "FROM documents d WHERE d.n_bytes > $m GROUP BY d.language ORDER BY 2 DESC, 1 LIMIT $k",
                           {"m": 500, "k": 3}),
    "group_by_alias": (f"SELECT upper(language) AS lang, count(*) AS n, {SHARE} FROM documents "
                       "GROUP BY lang ORDER BY n DESC, lang LIMIT 4", {}),
    "float_sum_having": ("SELECT language, sum(language_score) / sum(sum(language_score)) OVER () AS score_share, "
                         "count(*) AS n FROM documents GROUP BY ALL HAVING sum(language_score) > 5 "
                         "ORDER BY n DESC, language", {}),
    "cumulative_window": ("SELECT format, count(*) AS n, sum(count(*)) OVER (ORDER BY count(*) DESC, format "
                          "ROWS UNBOUNDED PRECEDING) / sum(count(*)) OVER () AS cumulative_share FROM documents "
                          "GROUP BY format ORDER BY n DESC, format LIMIT 5", {}),
    "per_shard_rows": (f"SELECT shard, {SHARE} FROM documents GROUP BY shard", {}),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_other_report_shapes_equal_the_reference(demo, shape):
    sql, values = SHAPES[shape]
    con, table = _report(demo, sql, values)
    reference = bootstrap.replicate_bootstrap(con, sql, values, table, seed=1, replicates=60)
    got = bootstrap.per_shard_bootstrap(con, sql, values, table, seed=1, replicates=60, verify=0)
    assert_same(reference, got, table)


@pytest.mark.parametrize("name", ["language_topic_crosstab", "top_registered_domains"])
def test_row_by_row_weighting_and_replicate_batches_give_the_same(demo, monkeypatch, name):
    """The int64 row-block path (large corpora) and several grouped passes, forced on the demo."""
    query = queries.find(name)
    values = query.bind({})
    con, table = _report(demo, query.sql, values)
    reference = bootstrap.replicate_bootstrap(con, query.sql, values, table, seed=4, replicates=60)
    monkeypatch.setattr(bootstrap, "_DENSE_CELLS", 0)
    monkeypatch.setattr(bootstrap, "_CHUNK", 64)
    monkeypatch.setattr(bootstrap, "_ROWS_PER_PASS", 100)
    got = bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed=4, replicates=60, verify=0)
    assert_same(reference, got, table)


UNSUPPORTED = {
    "avg": f"SELECT language, avg(n_bytes) AS a, {SHARE} FROM documents GROUP BY language",
    "count_distinct": f"SELECT language, count(DISTINCT topic) AS t, {SHARE} FROM documents GROUP BY language",
    "max": "SELECT language, max(n_bytes) / sum(max(n_bytes)) OVER () AS max_share FROM documents GROUP BY language",
    "subquery": ("SELECT language, count(*) / (SELECT count(*) FROM documents) AS document_share "
                 "FROM documents GROUP BY language"),
    "cte": f"WITH d AS (SELECT * FROM documents) SELECT language, {SHARE} FROM d GROUP BY language",
    "volatile": f"SELECT language, {SHARE} FROM documents WHERE random() < 2 GROUP BY language",
    "rollup": f"SELECT language, {SHARE} FROM documents GROUP BY ROLLUP (language)",
    "union": f"SELECT language, {SHARE} FROM documents GROUP BY language UNION ALL SELECT 'none', 0.0",
}


@pytest.mark.parametrize("shape", sorted(UNSUPPORTED))
def test_unsupported_sql_falls_back_to_the_reference(demo, shape, caplog):
    sql = UNSUPPORTED[shape]
    con, table = _report(demo, sql, {})
    with pytest.raises(bootstrap.Unsupported):
        bootstrap.per_shard_bootstrap(con, sql, {}, table, seed=0, replicates=40)
    with caplog.at_level(logging.INFO, logger="inspectors.core.bootstrap"):
        got = bootstrap.shard_bootstrap(con, sql, {}, table, seed=0, replicates=40)
    assert any("per replicate" in r.getMessage() for r in caplog.records)
    assert_same(bootstrap.replicate_bootstrap(con, sql, {}, table, seed=0, replicates=40), got, table)


def test_a_wrong_per_shard_result_is_caught_and_replaced(demo, monkeypatch):
    query = queries.find("topic_distribution")
    values = query.bind({})
    con, table = _report(demo, query.sql, values)
    real = bootstrap._Rewrite.run

    def off_by_a_bit(self, *args):
        draws = real(self, *args)
        return {name: d * 1.01 for name, d in draws.items()}

    monkeypatch.setattr(bootstrap._Rewrite, "run", off_by_a_bit)
    with pytest.raises(bootstrap.Unsupported, match="replicate check"):
        bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed=0, replicates=40)
    got = bootstrap.shard_bootstrap(con, query.sql, values, table, seed=0, replicates=40)
    assert_same(bootstrap.replicate_bootstrap(con, query.sql, values, table, seed=0, replicates=40), got, table)


WORDS = ("the court ruled that contract law applies to every party in the dispute and the appeal was "
         "dismissed while markets rallied on news of rates football season opens recipe for soup").split()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """20 small Parquet shards whose 12 main domains have nearly equal counts, so a top-5 reshuffles."""
    root = tmp_path_factory.mktemp("bootstrap-corpus")
    rng = random.Random(12)
    main = [f"site{i:02d}.com" for i in range(12)]
    for s in range(20):
        rows = []
        for d, domain in enumerate(main):
            for _ in range(rng.randint(1, 5)):
                rows.append(domain)
        rows += [f"rare{s}-{i}.org" for i in range(rng.randint(0, 3))]
        rng.shuffle(rows)
        ids, texts, urls, sources = [], [], [], []
        for i, domain in enumerate(rows):
            ids.append(f"s{s}-{i}")
            texts.append(" ".join(rng.choice(WORDS) for _ in range(rng.choice([5, 40, 300]))))
            urls.append(f"https://{domain}/page/{i}" if rng.random() > 0.05 else None)
            sources.append(rng.choice(["web", "web", "news", "books"]))
        pq.write_table(pa.table({"id": ids, "text": texts, "url": urls, "source": sources}),
                       root / f"part-{s:04d}.parquet")
    return _chosen(root, Plan("shard_sample", 12, None, 5))


def test_synthetic_corpus_where_limit_drops_rows_in_replicates(synthetic):
    query = queries.find("top_registered_domains")
    values = query.bind({"limit": 5})
    con, table = _report(synthetic, query.sql, values)
    assert con.execute("SELECT count(DISTINCT shard) FROM documents").fetchall() == [(12,)]
    for seed in (0, 1):
        reference = bootstrap.replicate_bootstrap(con, query.sql, values, table, seed)
        got = bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed, verify=0)
        assert_same(reference, got, table)
    # Every listed domain is in all 12 read shards, so a low bound of 0 means LIMIT dropped it there.
    spread = dict(con.execute("SELECT registered_domain, count(DISTINCT shard) FROM documents GROUP BY 1").fetchall())
    dropped = [r for r in got.to_pylist() if r["document_share_ci_low"] == 0.0]
    assert dropped and all(spread[r["registered_domain"]] == 12 for r in dropped)


@pytest.mark.parametrize("name,params", [("language_topic_crosstab", {"min_documents": 4}),
                                         ("length_distribution", {}), ("source_breakdown", {})])
def test_synthetic_corpus_other_reports(synthetic, name, params):
    query = queries.find(name)
    values = query.bind(params)
    con, table = _report(synthetic, query.sql, values)
    reference = bootstrap.replicate_bootstrap(con, query.sql, values, table, seed=2)
    got = bootstrap.per_shard_bootstrap(con, query.sql, values, table, seed=2, verify=0)
    assert_same(reference, got, table)
