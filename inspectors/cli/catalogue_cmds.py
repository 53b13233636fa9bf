"""``corpuscope corpus`` and ``corpuscope models``: the catalogue of open corpora and the models trained on them.

Errors (``inspectors.core.errors.*``) propagate; the main group turns them into messages and exit codes.
"""

from __future__ import annotations

import json

import click

from inspectors.core.catalogue import OPENNESS_FIELDS, add_corpus, load_catalogue

FORMAT_OPTION = dict(type=click.Choice(["table", "json"]), default="table", show_default=True,
                     help="table for people, json for scripts.")


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:,}"


def _dump(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group()
def corpus():
    """The catalogue of open corpora (every fact with its source) and your own entries."""


@corpus.command("list")
@click.option("--format", "fmt", **FORMAT_OPTION)
def list_corpora(fmt):
    """List every corpus: its versions, format, token count and the models trained on it."""
    entries = load_catalogue().corpora
    if fmt == "json":
        _dump([e.to_dict() for e in entries])
        return
    click.echo(f"{'corpus':<16} {'default':<12} {'versions':<40} {'format':<8} {'tokens':>7}  models")
    for e in entries:
        models = ", ".join(m.split("/")[-1] for m in e.models[:3]) + (f" +{len(e.models) - 3}" if len(e.models) > 3 else "")
        click.echo(f"{e.name:<16} {e.version or '—':<12} {','.join(e.versions):<40} {e.format or '—':<8} "
                   f"{_number(e.size.get('tokens')):>7}  {models}")


@corpus.command("show")
@click.argument("name")
@click.option("--format", "fmt", **FORMAT_OPTION)
def show_corpus(name, fmt):
    """Every fact of NAME[:version] (default version if none given), each with its source."""
    e = load_catalogue().corpus(name)
    if fmt == "json":
        _dump(e.to_dict())
        return
    click.echo(f"{e.name}:{e.version}  (versions: {', '.join(e.versions)})")
    if e.description:
        click.echo(e.description)
    if e.note:
        click.echo(f"note: {e.note}")
    click.echo()
    rows = [("license", e.license), ("homepage", e.homepage), ("format", e.format),
            ("compression", e.compression), ("hf uri", e.hf_uri()),
            ("shards", json.dumps(e.shard_spec) if e.shard_spec else "none we can point a reader at"),
            ("columns", ", ".join(f"{k}={v}" for k, v in e.columns.items() if v) or None)]
    rows += [(f"size.{k}", _number(v)) for k, v in e.size.items()]
    for key, value in rows:
        if value is not None:
            click.echo(f"{key:<22} {value}")
    if e.sources:  # your own entries (corpus add) cite none: no empty heading
        click.echo("sources:")
    for key, url in e.sources.items():
        click.echo(f"  {key:<20} {url}")
    if e.models:
        click.echo(f"models: {', '.join(e.models)}")


@corpus.command("add")
@click.argument("name")
@click.option("--shards", multiple=True, required=True,
              help="Shard file, folder, glob, URL, URL list (.txt) or hf://datasets/ORG/NAME[@REV]/glob (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl"]), default=None,
              help="Shard format, for files whose names do not tell.")
@click.option("--compression", type=click.Choice(["gz", "zst"]), default=None,
              help="Shard compression, for files whose names do not tell.")
@click.option("--text-column", default=None, help="Column (dotted path) holding the document text.")
@click.option("--url-column", default=None, help="Column (dotted path) holding the document URL, e.g. metadata.url.")
@click.option("--id-column", default=None, help="Column (dotted path) holding the document id.")
@click.option("--source-column", default=None, help="Column (dotted path) naming the subset, e.g. meta.pile_set_name.")
@click.option("--description", default=None, help="One line saying what the corpus is.")
@click.option("--version", default=None, help="Version label (default: user); an existing label is replaced.")
def add(name, shards, fmt, compression, text_column, url_column, id_column, source_column, description, version):
    """Add NAME (or a new version of it) to your catalogue, $CORPUSCOPE_HOME/catalogue.yaml."""
    columns = {"text": text_column, "url": url_column, "id": id_column, "source": source_column}
    entry = add_corpus(name, list(shards), fmt, columns, description, version, compression=compression)
    click.echo(f"added {entry.name}:{entry.version} (default); use it as a SOURCE, e.g. corpuscope profile {entry.name}")


@click.group()
def models():
    """Open models: the corpus each trained on and how open each is."""


@models.command("list")
@click.option("--corpus", "corpus_name", default=None, help="Only models trained on this corpus (NAME or NAME:version).")
@click.option("--format", "fmt", **FORMAT_OPTION)
def list_models(corpus_name, fmt):
    """List models with their training corpus and how many openness items are open."""
    catalogue = load_catalogue()
    if corpus_name:
        catalogue.corpus(corpus_name)  # an unknown corpus is an error, not an empty list
        entries = catalogue.models_of(corpus_name)
    else:
        entries = catalogue.models
    if fmt == "json":
        _dump([m.to_dict() for m in entries])
        return
    for m in entries:
        label = f"{m.corpus}:{m.corpus_version}" if m.corpus else "(no open corpus in the catalogue)"
        opened = sum((m.openness.get(k) or {}).get("open") is True for k in OPENNESS_FIELDS)
        click.echo(f"{m.name:<40} {label:<34} open {opened}/{len(OPENNESS_FIELDS)}")


@models.command("show")
@click.argument("name")
@click.option("--format", "fmt", **FORMAT_OPTION)
def show_model(name, fmt):
    """The openness card of NAME: weights, training code and data, data-processing code, checkpoints."""
    m = load_catalogue().model(name)
    if fmt == "json":
        _dump(m.to_dict())
        return
    click.echo(f"{m.name}  ({m.organisation or '—'})")
    trained = f"{m.corpus}:{m.corpus_version}" if m.corpus else "no corpus in the catalogue"
    click.echo(f"trained on: {trained}" + (f"  [{m.sources['corpus']}]" if m.sources.get("corpus") else ""))
    if m.note:
        click.echo(m.note)
    for key in OPENNESS_FIELDS:
        item = m.openness.get(key) or {}
        mark = {True: "yes", False: "no"}.get(item.get("open"), "unknown")
        click.echo(f"  {key.replace('_', ' '):<26} {mark:<8} {item.get('source') or ''}")
