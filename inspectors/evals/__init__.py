"""Evaluation results meet coverage: read lm-evaluation-harness files, attach findings, report.

Library entry points (used by the CLI and the browser page):
``load_results(path) -> EvalResult``, ``load_task_map(file=None) -> TaskMap``,
``resolve_model(result, overrides) -> ModelInfo``, ``attach_findings(result, findings, task_map, model)``,
``build_report(paths, unit) -> ReportData``, ``render_html(data)``, ``render_markdown(data)``.
"""

from inspectors.evals.attach import AttachOutcome, ModelInfo, attach_findings, auto_findings, resolve_model
from inspectors.evals.report import ReportData, build_report, render_html, render_markdown, render_svg
from inspectors.evals.results import EvalResult, TaskScore, load_results, parse_results
from inspectors.evals.tasks import TaskMap, TaskQuestion, load_task_map

__all__ = [
    "AttachOutcome", "EvalResult", "ModelInfo", "ReportData", "TaskMap", "TaskQuestion", "TaskScore",
    "attach_findings", "auto_findings", "build_report", "load_results", "load_task_map", "parse_results",
    "render_html", "render_markdown", "render_svg", "resolve_model",
]
