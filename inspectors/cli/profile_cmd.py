"""``corpuscope profile``: tag every shard of a corpus and cache the attribute shards."""

from __future__ import annotations

import sys

import click

from inspectors.cli.options import (add_modules, check_engine, column_options, corpus_from, engine_options,
                                    inspector_module_option, plan_options, workers_option)
from inspectors.core.plan import Plan
from inspectors.core.profile import profile_corpus

LISTED_FAILURES = 10  # failed shards named one per line; the rest are counted


@click.command()
@click.argument("source")
@click.option("--inspectors", "inspector_names", default=None, metavar="A,B",
              help="Comma-separated inspector names (default: the latest version of every one).")
@inspector_module_option
@column_options
@plan_options
@workers_option
@engine_options
def profile(source, inspector_names, modules, text_column, url_column, id_column, source_column,
            sample_shards, rows_per_shard, seed, workers, engine, ray_address):
    """Run the inspectors over SOURCE's shards and cache their output.

    SOURCE is a file, folder or glob of Parquet/JSONL(.gz/.zst) shards, a URL, an hf:// path or a
    catalogue name. Shards already profiled with the same inspector versions are skipped, so an
    interrupted run resumes where it stopped. With --engine ray the same work runs as Ray tasks on a
    cluster; attribute shards go to $CORPUSCOPE_ATTRIBUTES (a folder or s3://, gs:// URI) if set.
    """
    check_engine(engine, ray_address)
    add_modules(modules)
    corpus = corpus_from(source, text_column, url_column, id_column, source_column)
    plan = Plan.from_options(sample_shards, rows_per_shard, seed)
    shards = plan.choose(corpus.shards)
    names = [n.strip() for n in inspector_names.split(",")] if inspector_names else None
    with click.progressbar(length=len(shards), label=f"profiling {corpus.name}", file=sys.stderr,
                           show_pos=True, item_show_func=lambda r: r.shard.rsplit("/", 1)[-1] if r else "") as bar:
        report = profile_corpus(corpus, names, shards, plan.rows_per_shard, workers,
                                progress=lambda r: bar.update(1, r),
                                engine=engine, address=ray_address)
    click.echo(
        f"{len(shards)} of {len(corpus.shards)} shards: {report.count('profiled')} profiled, "
        f"{report.count('updated')} updated, {report.count('cached')} cached, {len(report.failed)} failed; "
        f"{report.rows} documents"
    )
    for failure in report.failed[:LISTED_FAILURES]:
        click.echo(f"Error: {failure.error}", err=True)
    if len(report.failed) > LISTED_FAILURES:
        # a wrong --text-column over thousands of shards fails them all alike: a screenful, not thousands
        click.echo(f"Error: … and {len(report.failed) - LISTED_FAILURES:,} more failed shards; finished shards "
                   "stay cached, re-run to retry the failed ones", err=True)
    if len(shards) > 1:
        warn_duplicate_ids(corpus)
    if report.failed:
        sys.exit(max(f.exit_code for f in report.failed))


DUPLICATE_IDS_SQL = """
SELECT count(*) AS ids, coalesce(sum(copies), 0) AS documents, min(id) AS example, min(shards) AS shards
FROM (SELECT id, count(*) AS copies, string_agg(DISTINCT shard, ' and ') AS shards
      FROM documents WHERE id IS NOT NULL GROUP BY id HAVING count(DISTINCT shard) > 1)
"""


def warn_duplicate_ids(corpus) -> None:
    """Warn when the same document id appears in more than one shard (e.g. one folder in two formats)."""
    import warnings

    from inspectors.core import run, views
    from inspectors.core.errors import CorpuscopeError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", views.UnprofiledShards)  # a sampled profile is partial by design
            row = run.select(corpus, DUPLICATE_IDS_SQL).to_pylist()[0]
    except CorpuscopeError:
        return
    if row["ids"]:
        names = " and ".join(part.rsplit("/", 1)[-1] for part in str(row["shards"]).split(" and ")[:2])
        click.echo(f"warning: {row['ids']:,} document id(s) appear in more than one shard ({row['documents']:,} "
                   f"documents; e.g. {row['example']!r} in {names}): the same documents may be counted twice. "
                   "Choose the shards with --include/--exclude.", err=True)
