"""``corpuscope inspectors list``: every registered inspector with version and output columns."""

from __future__ import annotations

import json

import click

from inspectors.core import registry


@click.group("inspectors")
def inspectors_group():
    """Registered inspectors."""


@inspectors_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_inspectors(fmt):
    """List every inspector: versioned name (with the backend or mode in force), inputs, outputs, purpose."""
    rows = []
    for key, cls in sorted(registry.registered().items()):
        rows.append({
            "inspector": key,
            "name": cls.name,
            "version": cls.version,
            "in_force": cls.identity(),
            "inputs": list(cls.inputs),
            "outputs": [f"{f.name}:{f.type}" for f in cls.output_schema],
            "description": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
        })
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['in_force']:<24} in: {','.join(row['inputs']):<16} out: {', '.join(row['outputs'])}")
        if row["description"]:
            click.echo(f"{'':<24} {row['description']}")
