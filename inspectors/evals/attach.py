"""Attach coverage findings to evaluation results, task by task, under one new ``corpuscope`` key.

The original JSON is never changed: the output is the file's own object with ``corpuscope`` added (or
replaced, merging earlier findings, so attaching twice gives the same file). A finding goes to every
task whose mapped question (saved query + parameters) it answers, and only when its corpus is the
model's training corpus as the catalogue (or ``--model-corpus``) says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import inspectors
from inspectors.core.errors import BadInput, RuntimeFailure
from inspectors.core.findings import Finding
from inspectors.evals.results import ATTACH_KEY, EvalResult
from inspectors.evals.tasks import TaskMap

KIND = "corpuscope.eval_attachment"
VERSION = 1


@dataclass
class ModelInfo:
    """Who the model is and which corpus it trained on, and how we know (catalogue or the user)."""

    label: str
    candidates: list[str]
    entry: dict | None = None
    corpus: str | None = None  # "name" or "name:version"
    corpus_source: str | None = None  # "catalogue", "--model-corpus", or None when unknown
    revision: str | None = None
    matched: str | None = None  # the candidate string the catalogue recognised

    @property
    def resolved(self) -> bool:
        """True when the training corpus is known."""
        return self.corpus is not None

    def to_dict(self) -> dict:
        """Plain fields for the attachment."""
        # Candidates are left out: they include folder names, which would differ between copies of a file.
        return {"label": self.label, "matched": self.matched, "revision": self.revision,
                "catalogue": self.entry, "corpus": self.corpus, "corpus_source": self.corpus_source}


@dataclass
class Issue:
    """One cause of findings not being checked or attached, with every task and file it touched.

    Issues with the same ``key`` (cause, model, corpora) merge, so the user reads one message per cause,
    not one per task; ``message(surface)`` says what to do in the CLI (a flag) or the app (a field).
    """

    cause: str  # "model_unknown" | "corpus_unknown" | "other_corpus"
    model: str
    model_corpus: str | None = None
    finding_corpus: str | None = None
    note: str | None = None
    files: set[str] = field(default_factory=set)
    tasks: set[str] = field(default_factory=set)
    findings: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple:
        return self.cause, self.model, self.model_corpus, self.finding_corpus

    def merge(self, other: "Issue") -> None:
        self.files |= other.files
        self.tasks |= other.tasks
        self.findings |= other.findings

    def message(self, surface: str = "cli") -> str:
        """One actionable sentence or two; ``surface`` is "cli" (names the flag) or "app" (names the field)."""
        where = (f" ({len(self.files)} files)" if len(self.files) > 1 else "")
        mapping = (f"--model-corpus {self.model}=CORPUS[:version]" if surface == "cli"
                   else f"“{self.model}=CORPUS[:version]” in the Model → training corpus box")
        if self.cause == "model_unknown":
            return (f"{self.model}{where} is not in the catalogue, so its training corpus is unknown and findings "
                    f"were attached without checking their corpus. To check them, give its corpus: {mapping}.")
        if self.cause == "corpus_unknown":
            why = f" ({self.note.rstrip('.')})" if self.note else ""
            return (f"{self.model}{where} is in the catalogue, but its training corpus is not{why}; findings were "
                    f"attached without checking their corpus. If you know the corpus, give it: {mapping}.")
        tasks = sorted(self.tasks)
        shown = ", ".join(tasks[:4]) + (f" and {len(tasks) - 4} more" if len(tasks) > 4 else "")
        count = f"{len(self.findings)} finding{'s' if len(self.findings) != 1 else ''}"
        run_on = (f"`corpuscope query run … --corpus {self.model_corpus}`" if surface == "cli"
                  else f"choose {self.model_corpus} in the sidebar and run the slice again")
        return (f"{count} measured on {self.finding_corpus!r} not attached to {len(tasks)} task"
                f"{'s' if len(tasks) != 1 else ''} of {self.model}{where} ({shown}): {self.model} trained on "
                f"{self.model_corpus!r}. Measure the slice on that corpus ({run_on}), or, if the catalogue is "
                f"wrong, map the model: {mapping}.")


def group_issues(issues) -> list[Issue]:
    """``issues`` merged by cause, model and corpora (first-seen order)."""
    merged: dict[tuple, Issue] = {}
    for issue in issues:
        if issue.key in merged:
            merged[issue.key].merge(issue)
        else:
            merged[issue.key] = Issue(issue.cause, issue.model, issue.model_corpus, issue.finding_corpus,
                                      issue.note, set(issue.files), set(issue.tasks), set(issue.findings))
    return list(merged.values())


def grouped_warnings(outcomes, surface: str = "cli") -> list[str]:
    """One message per cause across ``outcomes`` (one per results file)."""
    return [i.message(surface) for i in group_issues(i for o in outcomes for i in o.issues)]


@dataclass
class AttachOutcome:
    """What attaching did to one file: the new JSON, counts, and the issues met (grouped by cause)."""

    data: dict
    attached: int = 0
    issues: list[Issue] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # ids of findings that matched a task

    @property
    def warnings(self) -> list[str]:
        """One CLI message per cause for this file."""
        return [i.message("cli") for i in group_issues(self.issues)]


def parse_model_corpus(pairs, label: str = "a model-corpus mapping", findings=()) -> dict[str, str]:
    """``("MODEL=CORPUS[:version]", …)`` as a dict; BadInput on a malformed pair or on a CORPUS no finding
    could be measured on (``check_corpus``, with the ``findings`` at hand), naming the control the user
    typed it in by ``label`` (the CLI's ``--model-corpus``, the app's mapping box)."""
    out = {}
    for pair in pairs or ():
        model, sep, corpus = pair.partition("=")
        if not sep or not model.strip() or not corpus.strip():
            raise BadInput(f"{label} takes MODEL=CORPUS[:version], got {pair!r}")
        check_corpus(corpus.strip(), findings, f"{label} {pair.strip()!r}")
        out[model.strip()] = corpus.strip()
    return out


def check_corpus(corpus: str, findings, label: str) -> None:
    """BadInput unless ``corpus`` is something a finding can be measured on: a path, glob or URL, the
    corpus of one of ``findings``, or a catalogue corpus (``NAME[:version]``). Without the catalogue
    module a name cannot be checked, so it passes."""
    from inspectors.core.sources import names_a_location

    if names_a_location(corpus) or any(corpus_matches(corpus, f) for f in findings):
        return
    try:
        from inspectors.core.catalogue import load_catalogue
    except ImportError:
        return
    try:
        load_catalogue().corpus(corpus)
    except BadInput as error:
        measured = sorted({f.corpus_name for f in findings if f.corpus_name})
        on = f"; the findings given were measured on: {', '.join(measured)}" if measured else ""
        raise BadInput(f"{label}: {error}{on}; a path or URL of a corpus works too") from None


def _find_model(candidate: str):
    from inspectors.core.catalogue import find_model

    return find_model(candidate)


def resolve_model(result: EvalResult, overrides: dict[str, str] | None = None) -> ModelInfo:
    """The model of ``result`` via the catalogue; ``overrides`` (MODEL -> CORPUS) win over it."""
    info = ModelInfo(result.model_label, list(result.candidates), revision=result.revision)
    for candidate in result.candidates:
        entry = _find_model(candidate)
        if entry is not None:
            info.entry = entry.to_dict()
            info.label, info.matched = entry.name, candidate
            if entry.corpus:
                info.corpus = f"{entry.corpus}:{entry.corpus_version}" if entry.corpus_version else entry.corpus
                info.corpus_source = "catalogue"
            break
    names = {c.lower() for c in info.candidates} | {info.label.lower()}
    for model, corpus in (overrides or {}).items():
        if model.lower() in names:
            info.corpus, info.corpus_source = corpus, "--model-corpus"
    return info


def corpus_matches(model_corpus: str, finding: Finding) -> bool:
    """True when ``finding`` was measured on ``model_corpus`` ("name" or "name:version")."""
    corpus = finding.corpus
    if corpus.get("source") and str(corpus["source"]).rstrip("/") == model_corpus.rstrip("/"):
        return True  # a path or URL given as the model's corpus: the finding was run on exactly it
    name, _, version = model_corpus.partition(":")
    if str(corpus.get("name", "")).lower() != name.lower():
        return False
    got = corpus.get("version")
    return not version or not got or str(got).lower() == version.lower()


def attach_findings(result: EvalResult, findings: list[Finding], task_map: TaskMap,
                    model: ModelInfo | None = None) -> AttachOutcome:
    """``result``'s original JSON plus a ``corpuscope`` key holding ``findings`` keyed by task.

    Findings already attached to ``result`` are kept; one with the same id is not added twice.
    """
    model = model or resolve_model(result)
    earlier = (result.attachment or {}).get("tasks") or {}
    outcome = AttachOutcome(data={})
    if not model.resolved:
        known = model.entry is not None
        outcome.issues.append(Issue("corpus_unknown" if known else "model_unknown", model.label,
                                    note=(model.entry or {}).get("note"), files={str(result.path)}))
    tasks: dict[str, dict] = {}
    for task, score in result.tasks.items():
        question = task_map.question(task)
        if question is None:
            continue
        kept = list((earlier.get(task) or {}).get("findings") or [])
        ids = {f.get("id") for f in kept}
        for finding in findings:
            if not task_map.matches(question, finding.name, finding.params):
                continue
            fid = finding.id
            if model.resolved and not corpus_matches(model.corpus, finding):
                outcome.issues.append(Issue("other_corpus", model.label, model.corpus, finding.corpus_name,
                                            files={str(result.path)}, tasks={task}, findings={fid}))
                continue
            outcome.used.add(fid)
            if fid not in ids:
                kept.append({"id": fid, **finding.to_dict()})
                ids.add(fid)
                outcome.attached += 1
        if kept:
            tasks[task] = {"question": question.to_dict(), "score": score.to_dict(), "findings": kept}
    for task, block in earlier.items():  # tasks a user's old task map covered stay attached
        tasks.setdefault(task, block)
    # Other records under the key (e.g. ``contamination`` from `contamination join`) stay as they are.
    kept = {k: v for k, v in (result.attachment or {}).items()
            if k not in ("kind", "attachment_version", "tool_version", "results_format", "model", "tasks")}
    outcome.data = {**result.original, ATTACH_KEY: {
        "kind": KIND, "attachment_version": VERSION, "tool_version": inspectors.__version__,
        "results_format": result.format, "model": model.to_dict(), "tasks": tasks, **kept}}
    return outcome


def auto_findings(results: list[EvalResult], models: list[ModelInfo], task_map: TaskMap, plan: dict,
                  run=None) -> list[Finding]:
    """Run each mapped question once per training corpus; the findings for ``attach_findings``.

    ``run`` defaults to the run layer's ``inspectors.core.run.run(name, corpus, params, plan)``.
    """
    unresolved = sorted({str(r.path) + f" ({m.label})" for r, m in zip(results, models) if not m.resolved})
    if unresolved:
        raise BadInput("--auto needs each model's training corpus; not in the catalogue: "
                       + "; ".join(unresolved) + ". Map them with --model-corpus MODEL=CORPUS[:version]")
    run = run or _run_query()
    done: dict[tuple, Finding] = {}
    for result, model in zip(results, models):
        for task in result.tasks:
            question = task_map.question(task)
            if question is None or (model.corpus, question.key()) in done:
                continue
            finding = run(question.query, model.corpus, dict(question.params), dict(plan))
            if not isinstance(finding, Finding):
                raise BadInput(f"task map entry for {task} names query {question.query!r}, which did not "
                               "produce a finding (expected a slice query)")
            done[(model.corpus, question.key())] = finding
    return list(done.values())


def _run_query():
    try:
        from inspectors.core.run import run
    except ImportError as error:
        raise RuntimeFailure(f"--auto needs the query engine, which failed to load: {error}") from None
    return run


def plan_dict(sample_shards: int | None, rows_per_shard: int | None, seed: int) -> dict:
    """The plan the ``--sample-shards/--rows-per-shard/--seed`` flags describe, as run_query takes it."""
    strategy = "shard_sample" if (sample_shards or rows_per_shard) else "full"
    return {"strategy": strategy, "sample_shards": sample_shards, "rows_per_shard": rows_per_shard, "seed": seed}


def output_paths(inputs: list[Path], out: Path) -> list[Path]:
    """Where each annotated file goes: ``out`` itself for one input (inside it if a folder), else
    ``out/<path relative to the inputs' common folder>``."""
    if len(inputs) == 1:
        return [out / inputs[0].name if out.is_dir() else out]
    if out.exists() and not out.is_dir():
        raise BadInput(f"-o {out}: with {len(inputs)} RESULTS files -o must be a folder, not a file")
    resolved = [p.resolve() for p in inputs]
    import os

    common = Path(os.path.commonpath([p.parent for p in resolved]))
    targets = [out / p.relative_to(common) for p in resolved]
    if len(set(targets)) != len(targets):
        raise BadInput("the same RESULTS file is given twice")
    return targets


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as pretty UTF-8 JSON, creating folders, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
