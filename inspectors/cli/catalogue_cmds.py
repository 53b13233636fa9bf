"""``corpuscope corpus`` and ``corpuscope models``: the catalogue of open corpora and models."""

from __future__ import annotations

import json

import click

from inspectors.core.catalogue import OPENNESS_FIELDS, add_corpus, load_catalogue


def _number(value) -> str:
    if value is None:
        return "—"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:,}"


@click.group()
def corpus():
    """The catalogue of open corpora (facts with sources) and your own entries."""


@corpus.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_corpora(fmt):
    """List every corpus: default version, format, size and the models trained on it."""
    entries = load_catalogue().corpora
    if fmt == "json":
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    click.echo(f"{'corpus':<16} {'versions':<22} {'format':<8} {'tokens':>7}  models")
    for e in entries:
        models = ", ".join(m.split("/")[-1] for m in e.models[:4]) + (" …" if len(e.models) > 4 else "")
        click.echo(f"{e.name:<16} {','.join(e.versions):<22} {e.format or '—':<8} "
                   f"{_number(e.size.get('tokens')):>7}  {models}")


@corpus.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def show_corpus(name, fmt):
    """Every fact of NAME[:version], each with its source."""
    e = load_catalogue().corpus(name)
    if fmt == "json":
        click.echo(json.dumps(e.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{e.name}:{e.version}  (versions: {', '.join(e.versions)})\n{e.description}\n")
    rows = [("license", e.license), ("homepage", e.homepage), ("format", e.format), ("compression", e.compression),
            ("shards", json.dumps(e.shard_spec) if e.shard_spec else "not hosted where we can name"),
            ("columns", ", ".join(f"{k}={v}" for k, v in e.columns.items() if v))]
    rows += [(f"size.{k}", _number(v)) for k, v in e.size.items()]
    for key, value in rows:
        click.echo(f"{key:<16} {value if value is not None else '—'}")
    click.echo("sources:")
    for key, url in e.sources.items():
        click.echo(f"  {key:<14} {url}")
    if e.models:
        click.echo(f"models: {', '.join(e.models)}")


@corpus.command("add")
@click.argument("name")
@click.option("--shards", multiple=True, required=True, help="Shard URI, glob, hf:// path or URL list (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl"]), default=None)
@click.option("--text-column", default=None)
@click.option("--url-column", default=None)
@click.option("--id-column", default=None)
@click.option("--source-column", default=None)
@click.option("--description", default=None)
@click.option("--version", default=None)
def add(name, shards, fmt, text_column, url_column, id_column, source_column, description, version):
    """Add your own corpus to $CORPUSCOPE_HOME/catalogue.yaml (same name replaces)."""
    columns = {"text": text_column, "url": url_column, "id": id_column, "source": source_column}
    entry = add_corpus(name, list(shards), fmt, columns, description, version)
    click.echo(f"added {entry.name}:{entry.version}; use it as SOURCE: corpuscope profile {entry.name}")


@click.group()
def models():
    """Open models, their training corpus and openness card."""


@models.command("list")
@click.option("--corpus", "corpus_name", default=None, help="Only models trained on this corpus.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_models(corpus_name, fmt):
    """List models with their training corpus and how open they are."""
    entries = load_catalogue().models
    if corpus_name:
        entries = [m for m in entries if m.corpus == corpus_name.split(":")[0]]
    if fmt == "json":
        click.echo(json.dumps([m.to_dict() for m in entries], indent=2, ensure_ascii=False))
        return
    for m in entries:
        corpus_label = f"{m.corpus}:{m.corpus_version}" if m.corpus else "(training data not open)"
        open_count = sum(bool((m.openness.get(k) or {}).get("open")) for k in OPENNESS_FIELDS)
        click.echo(f"{m.name:<36} {corpus_label:<24} open {open_count}/{len(OPENNESS_FIELDS)}")


@models.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def show_model(name, fmt):
    """The openness card of NAME: weights, training code and data, data-processing code, checkpoints."""
    m = load_catalogue().model(name)
    if fmt == "json":
        click.echo(json.dumps(m.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{m.name}  ({m.organisation or '—'})")
    click.echo(f"trained on: {f'{m.corpus}:{m.corpus_version}' if m.corpus else 'not in the catalogue'}"
               + (f"  [{m.sources.get('corpus')}]" if m.sources.get("corpus") else ""))
    if m.note:
        click.echo(m.note)
    for key in OPENNESS_FIELDS:
        item = m.openness.get(key) or {}
        mark = {True: "yes", False: "no", None: "unknown"}[item.get("open")]
        click.echo(f"  {key.replace('_', ' '):<26} {mark:<8} {item.get('source') or ''}")
