"""``corpuscope plan``: shards, bytes to fetch and a time estimate, before reading any data page."""

from __future__ import annotations

import os
import sys

import click

from inspectors.cli.options import add_modules, column_options, corpus_from, inspector_module_option, plan_options, workers_option
from inspectors.cli.output import dumps
from inspectors.core.plan import Plan


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown (no throughput measured yet)"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@click.command()
@click.argument("source")
@click.option("--query", "query_name", default=None, metavar="Q",
              help="Plan for `query run Q`: the inspectors it needs (and text, if its SQL reads text).")
@click.option("--inspectors", "inspector_names", default=None, metavar="A,B",
              help="Plan for `profile --inspectors A,B` (default: every inspector, as `profile` runs).")
@click.option("--contamination", "contamination", is_flag=True,
              help="Also estimate `contamination SOURCE` (core-hours at the measured rate, and per TB).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@inspector_module_option
@column_options
@plan_options
@workers_option
def plan(source, query_name, inspector_names, contamination, fmt, modules, text_column, url_column, id_column, source_column,
         sample_shards, rows_per_shard, seed, workers):
    """Show what a run over SOURCE would read: shards, bytes fetched and a time estimate.

    Bytes come from Parquet footers (only the needed column chunks of the row groups reached), so no
    data page is read; JSONL is read whole (with --rows-per-shard, at most whole: shown with ≤).
    Shards whose attributes are already cached cost only their footer.
    """
    from inspectors.core import costplan, queries

    add_modules(modules)
    corpus = corpus_from(source, text_column, url_column, id_column, source_column)
    the_plan = Plan.from_options(sample_shards, rows_per_shard, seed)
    query = queries.find(query_name) if query_name else None
    names = [n.strip() for n in inspector_names.split(",")] if inspector_names else None
    result = costplan.plan_cost(corpus, the_plan, names, query, workers)
    scan_cost = None
    if contamination:
        from inspectors.contamination import cost

        scan_cost = cost.estimate(corpus, the_plan, workers or os.cpu_count() or 1)
    if fmt == "json":
        click.echo(dumps({**result.to_dict(), **({"contamination": scan_cost} if scan_cost else {})}))
        return
    chosen = len(result.shards)
    click.echo(f"plan for {corpus.name}: {chosen} of {result.shards_total} shards"
               + (f" (seed {seed})" if chosen < result.shards_total else "")
               + (f", at most {rows_per_shard} rows each" if rows_per_shard else ""))
    for stage in result.stages:
        extra = f"; inspectors {', '.join(stage['inspectors'])}" if stage.get("inspectors") else ""
        click.echo(f"  {stage['stage']}: reads {', '.join(stage['fields'])}{extra}")
    rows = [("shard", "format", "size", "fetch", "requests", "row groups", "columns / status")]
    for c in result.shards:
        fetch = ("≤ " if not c.exact else "") + _size(c.fetch_bytes)
        status = c.note if c.status == "failed" else (
            ", ".join(c.columns) + (" (attributes cached)" if c.status == "cached" else "")
            + (f" (local disk: reads {'≤ ' if not c.exact else ''}{_size(c.read_bytes)} in place)" if c.local else ""))
        rows.append((c.shard, c.format, _size(c.size), fetch, str(c.requests), c.row_groups or "-", status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths)) + "  " + r[-1])
    share = f" ({100 * result.fetch_bytes / result.shard_bytes:.1f}% of {_size(result.shard_bytes)})" \
        if result.shard_bytes else ""
    approx = "≤ " if any(not c.exact for c in result.shards) else ""
    click.echo(f"total: fetch {approx}{_size(result.fetch_bytes)}{share} in {result.requests} requests; "
               f"estimated {_duration(result.seconds)}")
    if result.read_bytes:
        click.echo(f"local: reads {approx}{_size(result.read_bytes)} from disk in place (not fetched)")
    click.echo(f"cached already: {result.cached} of {len(result.shards)} shards")
    t = result.throughput
    if t.get("bytes_per_s"):
        click.echo(f"throughput: {_size(t['bytes_per_s'])}/s, {1000 * t.get('latency_s', 0):.0f} ms/request "
                   f"({t['source']}; host {t['host']})")
    else:
        click.echo(f"throughput: {t['source']}")
    if scan_cost:
        from inspectors.cli.contamination_cmd import describe_cost

        for line in describe_cost(scan_cost):
            click.echo(line)
    failed = [c for c in result.shards if c.status == "failed"]
    if failed:
        more = f" (and {len(failed) - 1} more shards)" if len(failed) > 1 else ""
        click.echo(f"Error: {failed[0].note}{more}; {len(failed)} shard(s) could not be planned, the run would "
                   "fail them.", err=True)
        # as a run that fails those shards does: a script must not take a partial plan for a whole one
        sys.exit(max(c.exit_code for c in failed))
