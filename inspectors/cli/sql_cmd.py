"""``corpuscope sql``: read-only SQL over a profiled corpus's ``documents`` view."""

from __future__ import annotations

import click

from inspectors.cli.options import TIMEOUT_HINT, add_modules, column_options, corpus_from, inspector_module_option
from inspectors.cli.output import FORMATS, render_table


@click.command()
@click.argument("source")
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Stop the statement after this many seconds (default: no limit).")
@inspector_module_option
@column_options
def sql(source, query, fmt, timeout, modules, text_column, url_column, id_column, source_column):
    """Run one SELECT over SOURCE's ``documents`` view.

    Columns: shard, row, id, url, source, text and every attribute (language, language_score,
    n_bytes, n_chars, host, registered_domain, suffix, topic, format, n_tokens, …), plus
    dolma_<name>_<key> for a Dolma release's own attributes/<name>/ files. Profile SOURCE first; only
    the view is visible and files cannot be read or written.
    """
    import warnings

    from inspectors.core.run import select
    from inspectors.core.views import StaleAttributes, UnprofiledShards

    add_modules(modules)
    corpus = corpus_from(source, text_column, url_column, id_column, source_column)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StaleAttributes)
        warnings.simplefilter("always", UnprofiledShards)
        table = select(corpus, query, timeout=timeout, timeout_hint=TIMEOUT_HINT)
    for warning in caught:
        if issubclass(warning.category, (StaleAttributes, UnprofiledShards)):
            click.echo(f"warning: {warning.message}", err=True)
    click.echo(render_table(table, fmt))
