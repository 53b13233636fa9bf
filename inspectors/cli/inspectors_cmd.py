"""``corpuscope inspectors list``: every registered inspector with version, output columns and origin."""

from __future__ import annotations

import json

import click

from inspectors.cli.options import add_modules, inspector_module_option
from inspectors.core import plugins, registry


@click.group("inspectors")
def inspectors_group():
    """Registered inspectors."""


@inspectors_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@inspector_module_option
def list_inspectors(fmt, modules):
    """List every inspector: versioned name (with the backend or mode in force), where it came from,
    inputs, outputs, purpose, and its label columns with the size of each closed set (the full
    lists with --format json, key ``labels``, present for inspectors that declare label columns).

    Inspectors come from the built-ins, installed plugins (entry points of group
    ``corpuscope.inspectors``), $CORPUSCOPE_INSPECTOR_MODULES (files or module names separated by
    the path separator) and --inspector-module files.
    """
    add_modules(modules)
    origins = plugins.origins()
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
            "origin": origins[key],
        })
        if cls.labels:
            # Each label column with its closed set of values (None: open, e.g. a host name); the key
            # is there only for inspectors that declare label columns.
            rows[-1]["labels"] = {column: (list(values) if values is not None else None)
                                  for column, values in cls.labels.items()}
    for problem in plugins.problems():
        click.echo(f"Warning: {problem}; its inspectors are not available", err=True)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    name_width = max([len(row["in_force"]) for row in rows] + [24])
    origin_width = max(len(row["origin"]) for row in rows) if rows else 0
    for row in rows:
        click.echo(f"{row['in_force']:<{name_width}} {row['origin']:<{origin_width}} "
                   f"in: {','.join(row['inputs']):<16} out: {', '.join(row['outputs'])}")
        if row["description"]:
            click.echo(f"{'':<{name_width}} {'':<{origin_width}} {row['description']}")
        if row.get("labels"):
            sets = ", ".join(f"{column} ({len(values)} values)" if values is not None else f"{column} (open)"
                             for column, values in row["labels"].items())
            click.echo(f"{'':<{name_width}} {'':<{origin_width}} labels: {sets}")
