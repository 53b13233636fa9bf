"""``corpuscope attach`` and ``corpuscope report``: coverage findings meet lm-evaluation-harness results."""

from __future__ import annotations

from pathlib import Path

import click

from inspectors.cli.options import plan_options
from inspectors.core.errors import BadInput


@click.command("attach")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--finding", "finding_files", multiple=True, type=click.Path(path_type=Path), metavar="F.json",
              help="A finding JSON from `corpuscope query run --out` (repeatable).")
@click.option("--auto", is_flag=True, help="Run each task's mapped saved query on the model's training corpus "
              "(with the plan flags) instead of, or as well as, --finding.")
@click.option("--task-map", "task_map_file", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Your own task map YAML, merged over the shipped inspectors/data/task_map.yaml.")
@click.option("--model-corpus", "model_corpus", multiple=True, metavar="MODEL=CORPUS[:version]",
              help="Training corpus of a model the catalogue does not know, or overriding it (repeatable).")
@click.option("-o", "--out", required=True, type=click.Path(),
              help="Output file for one RESULTS file (a folder if it ends in / or exists as one); a folder for several.")
@plan_options
def attach(results, finding_files, auto, task_map_file, model_corpus, out, sample_shards, rows_per_shard, seed):
    """Attach coverage findings to lm-evaluation-harness RESULTS files (v0.3 or v0.4 JSON).

    Each output is its input with every original field untouched plus one new top-level key,
    "corpuscope", holding the findings keyed by task; attaching again merges and never duplicates.
    A finding goes to the tasks whose mapped question (query name + params, see --task-map) it answers,
    and only if it was measured on the model's training corpus (from the catalogue or --model-corpus).

    With one RESULTS file, -o is the output file (or a folder to write it into). With several, -o is a
    folder and each output keeps its path relative to the inputs' common folder.

    \b
    corpuscope attach results.json --finding pile-vi.json -o annotated.json
    corpuscope attach a/results.json b/results.json --finding pile-vi.json -o annotated/
    corpuscope attach results.json --auto --sample-shards 8 --rows-per-shard 1000 --seed 0 -o annotated.json
    """
    from inspectors.core.findings import load as load_finding
    from inspectors.evals.attach import (attach_findings, auto_findings, grouped_warnings, output_paths,
                                         parse_model_corpus, plan_dict, resolve_model, write_json)
    from inspectors.evals.results import load_results
    from inspectors.evals.tasks import load_task_map

    if not finding_files and not auto:
        raise BadInput("attach needs findings: give --finding F.json (repeatable) or --auto")
    if not auto and (sample_shards or rows_per_shard):
        raise BadInput("--sample-shards/--rows-per-shard set the plan of --auto; add --auto or drop them")
    task_map = load_task_map(task_map_file)
    findings = [load_finding(p) for p in finding_files]
    overrides = parse_model_corpus(model_corpus, "--model-corpus", findings)
    if out.endswith(("/", "\\")):
        Path(out).mkdir(parents=True, exist_ok=True)
    targets = output_paths(list(results), Path(out))
    loaded = [load_results(p) for p in results]  # every file is checked before anything is written
    models = [resolve_model(r, overrides) for r in loaded]
    if auto:
        findings += auto_findings(loaded, models, task_map, plan_dict(sample_shards, rows_per_shard, seed))
    used: set[str] = set()
    outcomes = []
    for result, model, target in zip(loaded, models, targets):
        outcome = attach_findings(result, findings, task_map, model)
        outcomes.append(outcome)
        write_json(target, outcome.data)
        used |= outcome.used
        tasks = outcome.data["corpuscope"]["tasks"]
        corpus = f"{model.corpus} ({model.corpus_source})" if model.resolved else "unknown corpus"
        click.echo(f"{target}: {model.label}, {corpus}; {outcome.attached} new finding(s), "
                   f"{len(tasks)} task(s) with findings")
    for warning in grouped_warnings(outcomes, "cli"):  # one per cause, across every file
        click.echo(f"warning: {warning}", err=True)
    skipped = {i for o in outcomes for issue in o.issues for i in issue.findings}
    for finding, path in zip(findings, [*finding_files, *[None] * len(findings)]):
        if finding.id not in used and finding.id not in skipped:  # skipped ones were explained above
            name = path or f"auto finding {finding.name}"
            click.echo(f"warning: {name} ({finding.name} {finding.params} on "
                       f"{finding.corpus_name}) matched no task of any RESULTS file", err=True)


@click.command("report")
@click.argument("annotated", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="report.html (self-contained, inline SVG charts) or report.md (+ one SVG per family beside it).")
@click.option("--unit", type=click.Choice(("documents", "bytes", "tokens")), default="documents", show_default=True,
              help="Which share of the corpus to plot.")
def report(annotated, out, unit):
    """Score vs training-data coverage across models, per task family, from files made by `attach`.

    Each family gets a table and a chart (score ± 1.96·stderr against share with its 95% interval),
    each point linked to its finding, and a note on what the comparison does and does not show.
    Files annotated by `contamination join --results` add, per task and method, the share of dirty
    items and the score on dirty vs not-found items, each with its 95% interval.

    \b
    corpuscope report pythia-annotated.json olmo-annotated.json -o report.html
    """
    from inspectors.evals.report import build_report, write_report

    data = build_report(list(annotated), unit=unit)
    for path in write_report(data, out):
        click.echo(f"wrote {path}")
    points = sum(len(s.points) for s in data.families)
    click.echo(f"{len(data.models)} model(s), {len(data.families)} task family(ies), {points} point(s)"
               + (f", {len(data.contamination)} contamination row(s) (task x method)" if data.contamination else ""))
