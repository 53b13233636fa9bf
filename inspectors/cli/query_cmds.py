"""``corpuscope query``: list, show, validate and run saved coverage queries."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from inspectors.cli.options import (TIMEOUT_HINT, add_modules, check_engine, column_options, corpus_from,
                                    engine_options, inspector_module_option, plan_options, prepare_out,
                                    stratified_options, workers_option)
from inspectors.cli.output import FORMATS, dumps, render_table
from inspectors.core import queries
from inspectors.core.errors import BadInput
from inspectors.core.plan import Plan


@click.group()
def query():
    """Saved coverage queries (files in queries/ or $CORPUSCOPE_QUERIES)."""


@query.command("list")
def list_queries():
    """List saved queries: name, kind and title; files that do not load are named on stderr."""
    broken: list = []
    for q in queries.list_queries(broken):
        click.echo(f"{q.name:<32} {q.kind:<7} v{q.version}  {q.title}")
    for error in broken:
        click.echo(f"skipped {error}", err=True)


@query.command("show")
@click.argument("name_or_file")
def show(name_or_file):
    """Print a query's header, parameters and SQL."""
    q = queries.find(name_or_file)
    click.echo(f"{q.title}  ({q.name} v{q.version}, {q.kind})\n{q.description}\n")
    click.echo(f"requires: {', '.join(q.requires) or '-'}")
    for p in q.params:
        click.echo(f"param {p.name} ({p.type}, default {p.default!r}): {p.help}")
    click.echo(f"file: {q.path}\n\n{q.sql}")


@query.command("validate")
@click.argument("names", nargs=-1)
@inspector_module_option
def validate(names, modules):
    """Parse every query file (or NAMES), check parameters and inspectors, and prepare the SQL."""
    from inspectors.core.validate import validate_query

    add_modules(modules)
    targets = [queries.find(n) for n in names] if names else None
    if targets is None:
        targets, broken = [], []
        for folder in queries.search_dirs():
            for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
                try:
                    targets.append(queries.load(path))
                except BadInput as error:
                    broken.append(str(error))
    else:
        broken = []
    for q in targets:
        try:
            validate_query(q)
            click.echo(f"ok      {q.name}")
        except BadInput as error:
            broken.append(str(error))
    for message in broken:
        click.echo(f"broken  {message}", err=True)
    if broken:
        sys.exit(2)


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise BadInput(f"--param takes KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


@query.command("run")
@click.argument("name_or_file")
@click.option("--corpus", "source", required=True, help="SOURCE: path, glob, URL, hf:// path or catalogue name.")
@click.option("--param", "pairs", multiple=True, metavar="KEY=VALUE", help="A query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the result here (a slice's finding JSON, or the report table in --format).")
@click.option("--evidence", "evidence_docs", type=click.IntRange(min=0), default=5, show_default=True,
              help="Evidence documents kept for a slice.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Stop the query's SQL after this many seconds (profiling is not limited; default: no limit).")
@click.option("--tokenizer", default=None, metavar="NAME",
              help="Count tokens (a slice's share, a report's n_tokens sums) in this tokenizer: olmo2 (default), olmo1, neox20b (Pythia's "
                   "GPT-NeoX-20B), gpt2 or cl100k; the finding names it and its file's SHA-256.")
@inspector_module_option
@column_options
@plan_options
@stratified_options
@workers_option
@engine_options
def run(name_or_file, source, pairs, fmt, out, evidence_docs, timeout, tokenizer, modules, text_column, url_column,
        id_column, source_column, sample_shards, rows_per_shard, seed, stratified, per_stratum, workers, engine,
        ray_address):
    """Run a saved query over a corpus, profiling what it needs first (cached)."""
    from inspectors.core import run as runs
    from inspectors.core.findings import describe

    check_engine(engine, ray_address)
    prepare_out(out)
    add_modules(modules)
    q = queries.find(name_or_file)
    corpus = corpus_from(source, text_column, url_column, id_column, source_column)
    plan = Plan.from_options(sample_shards, rows_per_shard, seed, stratified, per_stratum)
    options = runs.RunOptions(workers=workers, engine=engine, address=ray_address, evidence_docs=evidence_docs,
                              timeout=timeout, timeout_hint=TIMEOUT_HINT,
                              measures={"tokens": tokenizer} if tokenizer else {})
    params = _params(pairs)
    for note in runs.label_notes(q, q.bind(params), "`corpuscope inspectors list --format json`"):
        click.echo(f"warning: {note}", err=True)
    result = runs.run_query(q, corpus, params, plan, options)
    if isinstance(result, runs.Finding):
        text = result.to_json() if fmt == "json" else describe(result, fmt)
        if out:
            Path(out).write_text(result.to_json() + "\n", encoding="utf-8")
    else:
        text = render_table(result.table, fmt)
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
    click.echo(text)
