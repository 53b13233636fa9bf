"""``corpuscope finding show``: read a finding JSON as a person would."""

from __future__ import annotations

import click

from inspectors.core import findings


@click.group()
def finding():
    """Findings: the JSON records that slices produce with --out."""


@finding.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table", show_default=True)
def show(path, fmt):
    """Print a finding: estimates with 95% intervals, shards read, plan, evidence and provenance."""
    record = findings.load(path)
    click.echo(record.to_json() if fmt == "json" else findings.describe(record, fmt))
