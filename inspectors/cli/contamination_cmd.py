"""``corpuscope contamination``: which benchmark items occur in a corpus, and ``join`` with lm-eval samples."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import pyarrow as pa

from inspectors.cli.options import (check_engine, column_options, corpus_from, engine_options, plan_options,
                                    workers_option)
from inspectors.cli.exposure_cmd import stream_options
from inspectors.cli.output import dumps, render_table
from inspectors.core.errors import BadInput

METHOD_NAMES = ("gpt3", "palm", "llama2")


class _DefaultScan(click.Group):
    """``corpuscope contamination BENCH …`` means ``corpuscope contamination scan BENCH …``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["scan", *args]
        return super().parse_args(ctx, args)


@click.group("contamination", cls=_DefaultScan)
def contamination():
    """Contamination per benchmark item: `contamination BENCH --corpus SOURCE`, then `contamination join`.

    \b
    corpuscope contamination mmlu_law.jsonl --corpus pile --sample-shards 8 --out law.json
    corpuscope contamination join law.json samples_mmlu_law_2024-01-01T00-00-00.jsonl --results results.json --out annotated.json
    """


@contamination.command("scan")
@click.argument("bench", type=click.Path(path_type=Path))
@click.option("--corpus", "source", required=True, metavar="SOURCE",
              help="The corpus: files, folder or glob of shards, a URL, an hf:// path, a catalogue name, or a "
                   "training stream as `exposure` names them (olmo:CONFIG.yaml, pythia:PATH, amber:PATH, "
                   "a name from `corpuscope exposure list`) with --up-to-step.")
@click.option("--up-to-step", type=int, default=None,
              help="With a training stream: the checkpoint (steps trained on); each item gets the first step it was seen.")
@click.option("--block-steps", type=click.IntRange(min=1), default=None,
              help="With a training stream: steps per block (a sampled plan draws whole blocks; default about 100 blocks).")
@stream_options
@click.option("--question-field", default=None, metavar="PATH", help="Field of the question side (auto: question, query, prompt…).")
@click.option("--answer-field", default=None, metavar="PATH", help="Field of the answer side (auto: answer, target, label…; an index into choices becomes its text).")
@click.option("--id-field", default=None, metavar="PATH", help="Field of the item id (auto: id, doc_id, idx…; else the row number).")
@click.option("--split", default=None, help="Split folder of a save-to-disk DatasetDict (default: every split).")
@click.option("--stride", type=int, default=13, show_default=True,
              help="Hash every S-th corpus 8-gram: overlaps of at least 8+S-1 tokens are always found.")
@click.option("--boilerplate-df", type=int, default=100, show_default=True,
              help="Ignore (and report) benchmark 8-grams found in more than this many documents.")
@column_options
@plan_options
@workers_option
@engine_options
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, metavar="F.json",
              help="Write the full record (every item, both sides, documents) as JSON.")
@click.option("--findings", "findings_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Also write one finding per method (DIR/<bench>-contamination_<method>.json), "
              "with full provenance, for `finding show`, `attach` and the app.")
@click.option("--dry-run", is_flag=True, help="Only estimate the scan: text bytes from footers, core-hours at the "
              "measured rate, and the cost of 1 TB; reads no data page (a stream's chosen blocks are decoded first).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--show", type=click.IntRange(min=0), default=20, show_default=True,
              help="Items shown in the table (dirty first).")
def scan_cmd(bench, source, up_to_step, block_steps, tokenizer, window, world_size, batch, question_field, answer_field, id_field, split, stride, boilerplate_df, text_column,
             url_column, id_column, source_column, sample_shards, rows_per_shard, seed, workers, engine, ray_address,
             out, findings_dir, dry_run, fmt, show):
    """Find BENCH's items in the corpus: per item and side, matched n-grams, longest match, documents, verdicts.

    BENCH is a JSONL/Parquet file of items, a `datasets` save-to-disk folder, or an lm-eval samples
    file (samples_<task>_<date>.jsonl). Verdicts follow named methods (GPT-3 13-gram, PaLM 70% of
    8-grams, Llama-2 token share) and are "dirty" or "not found", never "clean": a strided scan, a
    shard sample or a row limit finds a lower bound.
    """
    from inspectors.contamination.bench import load_bench
    from inspectors.contamination.run import is_stream, run_contamination, stream_source
    from inspectors.core.plan import Plan
    from inspectors.core.run import RunOptions

    check_engine(engine, ray_address)
    items = load_bench(bench, question_field, answer_field, id_field, split)
    plan = Plan.from_options(sample_shards, rows_per_shard, seed)
    if is_stream(source):
        if up_to_step is None:
            raise BadInput(f"--corpus {source} is a training stream: give --up-to-step K (the checkpoint)")
        corpus = stream_source(source, up_to_step, plan, block_steps, tokenizer=tokenizer, window=window,
                               world_size=world_size, batch=batch)
        shards = corpus.corpus.shards
    else:
        if up_to_step is not None or block_steps is not None:
            raise BadInput(f"--up-to-step/--block-steps need a training stream; --corpus {source} is not one")
        corpus = corpus_from(source, text_column, url_column, id_column, source_column)
        shards = corpus.shards
    if dry_run:
        from inspectors.contamination import cost

        estimate = cost.estimate(getattr(corpus, "corpus", corpus), plan, workers or os.cpu_count() or 1)
        click.echo(dumps(estimate) if fmt == "json" else "\n".join(describe_cost(estimate)))
        return
    total = len(plan.choose(shards))
    with click.progressbar(length=total, label=f"scanning {source}", file=sys.stderr, show_pos=True) as bar:
        record = run_contamination(items, corpus, plan, RunOptions(workers=workers, engine=engine, address=ray_address,
                                                                   progress=lambda p: bar.update(1)),
                                   stride=stride, boilerplate_df=boilerplate_df)
    if out:
        _write(out, record)
    click.echo(dumps(record) if fmt == "json" else describe(record, show))
    if findings_dir:
        from inspectors.contamination.findings import to_findings

        findings_dir.mkdir(parents=True, exist_ok=True)
        for finding in to_findings(record):
            path = findings_dir / f"{bench.stem}-{finding.name}.json"
            path.write_text(finding.to_json() + "\n", encoding="utf-8")
            click.echo(f"wrote {path}", err=True)


def describe_cost(cost: dict) -> list[str]:
    """A scan's estimate (``contamination.cost.estimate``) as lines for the terminal."""
    from inspectors.cli.plan_cmd import _duration, _size

    approx = "" if cost["exact"] else "≤ "
    hours = lambda h: _duration(h * 3600)  # noqa: E731
    lines = [f"contamination scan: {cost['shards_read']} of {cost['shards_total']} shards, {approx}"
             f"{_size(cost['text_bytes_read'])} of text: {hours(cost['core_hours'])} of one core "
             f"({hours(cost['wall_hours'])} on {cost['workers']} worker(s)) at "
             f"{cost['rate_bytes_per_core_second'] / 1e6:.1f} MB/s per core, {cost['rate_source']}"]
    if cost["shards_read"] < cost["shards_total"]:
        lines.append(f"  whole corpus: about {_size(cost['text_bytes_corpus'])} of text, "
                     f"{hours(cost['core_hours_whole_corpus'])} of one core")
    lines.append(f"  1 TB of text: {cost['core_hours_per_tb']:.1f} core-hours at this rate "
                 f"({hours(cost['core_hours_per_tb'] / 64)} on 64 cores); verifying candidate documents "
                 "adds to it when many documents match the benchmark")
    return lines


def _write(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(record) + "\n", encoding="utf-8")
    tmp.replace(path)


def describe(record: dict, show: int = 20) -> str:
    """The terminal view of a contamination record."""
    c, p = record["corpus"], record["parameters"]
    lines = [f"{record['benchmark']['n_items']} items of {record['benchmark']['path']} against {c['name']}: "
             f"{c['shards_read']} of {c['shards_total']} shards, {c['documents']:,} documents, {c['bytes'] / 1e6:.1f} MB; "
             f"stride {p['stride']} (overlaps of {p['guaranteed_overlap_tokens']}+ tokens always found)"]
    if record.get("stream"):
        st = record["stream"]
        lines.append(f"  training stream {st['spec']} up to step {st['up_to_step']} (blocks of {st['block_steps']} "
                     "steps): each item's first step seen and first step dirty per method are in the record")
    for m, s in record["summary"].items():
        lines.append(f"  {m:7s} dirty items: {s['dirty_items']} (questions {s['dirty_questions']}, answers "
                     f"{s['dirty_answers']}; too short {s['too_short']})  - {record['methods'][m]}")
    b = record["boilerplate"]
    if b["n_ngrams"]:
        lines.append(f"  boilerplate: {b['n_ngrams']} benchmark 8-grams in more than {b['df_cut']} documents ignored, "
                     f"e.g. {b['top'][0]['ngram']!r} ({b['top'][0]['documents']} documents)")
    ranked = sorted(record["items"], key=lambda r: (-sum(v == "dirty" for v in r["verdicts"].values()),
                                                    -max(r["question"]["frac_matched"], r["answer"]["frac_matched"])))
    rows = []
    for r in ranked[:show]:
        for side in ("question", "answer"):
            s = r[side]
            if not s["n_tokens"]:
                continue
            rows.append({"item": r["id"], "side": side, "ngrams": s["n_ngrams"], "matched": s["n_matched"],
                         "frac": round(s["frac_matched"], 3), "longest_tok": s["longest_match"]["tokens"],
                         "longest_chars": s["longest_match"]["chars"], **{m: s["verdicts"][m] for m in METHOD_NAMES},
                         "docs": s["n_documents"],
                         "first_doc": (f"{s['documents'][0]['shard']}:{s['documents'][0]['row']}" if s["documents"] else ""),
                         **({"first_seen_step": s["first_seen_step"], "gpt3_dirty_step": s["first_dirty_step"]["gpt3"]}
                            if "first_seen_step" in s else {})})
    if rows:
        lines += ["", render_table(pa.Table.from_pylist(rows), "table")]
    lines += ["", "Note: " + record["honesty"]]
    return "\n".join(lines)


@contamination.command("join")
@click.argument("contamination_file", metavar="CONTAMINATION.json", type=click.Path(path_type=Path))
@click.argument("samples", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--results", "results", type=click.Path(path_type=Path), default=None, metavar="RESULTS.json",
              help="An lm-eval results file to attach the join to: corpuscope.contamination (latest) and corpuscope.contamination_joins (every benchmark x corpus kept; needs --out).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="With --results: the annotated results file; without: the join record as JSON.")
@click.option("--metric", default=None, help="Metric of the samples files (default: acc, exact_match, … the first present).")
@click.option("--filter", "filter_name", default=None, help="lm-eval filter to use (default: each file's first).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--bootstrap", type=int, default=1000, show_default=True, help="Bootstrap replicates.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def join_cmd(contamination_file, samples, results, out, metric, filter_name, seed, bootstrap, fmt):
    """Accuracy on dirty vs not-found items per task, from lm-eval SAMPLES files (--log_samples).

    Items join by doc_hash, else by task and doc_id. Intervals are 95% percentile bootstraps over
    items. "Not found" items are not shown to be clean; the comparison is a lower bound on contamination.
    """
    from inspectors.contamination.join import attach_join, join, load_samples

    if results and not out:
        raise BadInput("--results needs --out (the annotated results file to write)")
    if bootstrap < 10:
        raise BadInput(f"--bootstrap must be at least 10, got {bootstrap}")
    try:
        record_in = json.loads(contamination_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"contamination file {contamination_file}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"contamination file {contamination_file}: not JSON ({error})") from None
    if not isinstance(record_in, dict) or record_in.get("kind") != "contamination":
        raise BadInput(f"contamination file {contamination_file}: not a `corpuscope contamination --out` record")
    record = join(record_in, [load_samples(s, metric, filter_name) for s in samples], seed, bootstrap)
    if results:
        attach_join(results, record, out)
    elif out:
        _write(out, record)
    click.echo(dumps(record) if fmt == "json" else describe_join(record))


def _fmt(ci: dict | None) -> str:
    return "" if ci is None else f"{ci['mean']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]"


def describe_join(record: dict) -> str:
    """The terminal view of a join record."""
    rows = []
    for task, t in record["tasks"].items():
        for m, s in t["methods"].items():
            rows.append({"task": task, "metric": t["metric"], "method": m, "items": t["n_joined"],
                         "dirty": s["n_dirty"], "share_dirty": round(s["share_dirty"], 4),
                         "score_dirty": _fmt(s["score_dirty"]), "score_not_found": _fmt(s["score_not_found"]),
                         "difference": _fmt(s["difference"])})
        if not t["methods"]:
            rows.append({"task": task, "metric": t["metric"], "method": "", "items": 0, "dirty": 0, "share_dirty": 0.0,
                         "score_dirty": "", "score_not_found": "", "difference": "no item joined"})
    return render_table(pa.Table.from_pylist(rows), "table") + "\n\nNote: " + record["honesty"]
