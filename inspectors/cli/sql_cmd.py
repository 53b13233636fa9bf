"""``corpuscope sql``: read-only SQL over a profiled corpus's ``documents`` view."""

from __future__ import annotations

import click

from inspectors.cli.options import column_options, corpus_from
from inspectors.cli.output import FORMATS, render_table
from inspectors.core import views


@click.command()
@click.argument("source")
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@column_options
def sql(source, query, fmt, text_column, url_column, id_column, source_column):
    """Run one SELECT over SOURCE's ``documents`` view.

    Columns: shard, row, id, url, source, text and every attribute (language, language_score,
    n_bytes, n_chars, host, registered_domain, suffix, topic, format, n_tokens, …). Profile SOURCE
    first; only the view is visible and files cannot be read or written.
    """
    corpus = corpus_from(source, text_column, url_column, id_column, source_column)
    con = views.open_documents(corpus.shards, views.needs_text(query))
    click.echo(render_table(views.run_select(con, query), fmt))
