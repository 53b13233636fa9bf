"""``corpuscope docs``: browse a profiled corpus's documents with their labels, filtered and paged."""

from __future__ import annotations

import json

import click

from inspectors.cli.options import add_modules, column_options, corpus_from, inspector_module_option


@click.command("docs")
@click.argument("source")
@click.option("--where", "where", multiple=True, metavar="COL=VALUE",
              help="Keep documents whose label COL matches: =, != (comma-separated values: any of them), "
                   ">=, <=, >, < (numbers). Repeatable; all must hold. E.g. --where language=vi "
                   "--where 'n_bytes>=1000' (quoted: the shell reads an unquoted > or < as a redirect).")
@click.option("--text", "text", default=None, metavar="REGEX",
              help="Keep documents whose text matches this RE2 regular expression (\\b knows Unicode letters).")
@click.option("--limit", type=int, default=10, show_default=True, help="Documents per page (1..1000).")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many matching documents.")
@click.option("--columns", "columns", default=None, metavar="A,B",
              help="Label columns to show (default: every column but the text).")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@inspector_module_option
@column_options
def docs(source, where, text, limit, offset, columns, fmt, modules, text_column, url_column, id_column,
         source_column):
    """Show SOURCE's documents with their labels and a masked, highlighted snippet.

    Reads the cached attributes of the profiled shards (profile SOURCE first); without --text only the
    shown rows' text is read. E-mail addresses and phone numbers in snippets are masked.

    \b
    corpuscope docs sample_data/demo --where language=vi --text 'Điều \\d+' --limit 5
    corpuscope docs sample_data/demo --where topic=law,government --offset 10 --format json
    """
    from inspectors.core.run import browse

    add_modules(modules)
    corpus = corpus_from(source, text_column, url_column, id_column, source_column)
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    page = browse(corpus, list(where), text, limit, offset, chosen, filter_label="--where")
    if fmt == "json":
        click.echo(json.dumps({"matched": page.matched, "offset": page.offset, "limit": page.limit,
                               "shards_read": page.shards_read, "shards_total": page.shards_total,
                               "filters": page.filters, "documents": page.rows}, ensure_ascii=False, indent=1,
                              default=str))
        return
    last = page.offset + len(page.rows)
    click.echo(f"{page.matched:,} matching document(s) in {page.shards_read} of {page.shards_total} profiled "
               f"shards" + (f" ({'; '.join(page.filters)})" if page.filters else "")
               + (f"; showing {page.offset + 1}-{last}" if page.rows else ""))
    for row in page.rows:
        labels = ", ".join(f"{k}={_short(v)}" for k, v in row.items()
                           if k not in ("shard", "row", "id", "url", "snippet") and v is not None)
        click.echo(f"\n{row.get('id')}  {row.get('url') or ''}")
        click.echo(f"  {row['shard'].rsplit('/', 1)[-1]} row {row['row']}; {labels}")
        click.echo(f"  {row['snippet']}")
    if page.has_more:
        click.echo(f"\nmore: --offset {last}")


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
