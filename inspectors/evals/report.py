"""Score vs coverage across models, per task family: report data, inline-SVG charts, HTML and Markdown.

Input is results files annotated by ``attach``. Each point is one (model, task): the harness score
(with ±1.96·stderr when reported) against the share of the model's training corpus the task's finding
measured (with its 95% interval), linked to that finding. Files annotated by ``contamination join``
add a section per task and method: share of dirty items, score dirty vs not found, with intervals.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from inspectors.core.errors import BadInput
from inspectors.core.findings import Finding, percent
from inspectors.evals import contamination
from inspectors.evals.results import ATTACH_KEY, EvalResult, load_results

_pct = partial(percent, digits=3)  # charts and tables: three significant digits

UNITS = ("documents", "bytes", "tokens")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
# Catalogue fields that say how the training data differs from the released corpus, if present.
TRAINING_NOTE_KEYS = ("notes", "training_notes", "data_notes", "filtering", "deduplication", "dedup",
                      "epochs", "tokens_trained", "training_tokens")


@dataclass
class Point:
    """One (model, task) pair: score and coverage share with intervals, and the finding behind it."""

    model: str
    corpus: str | None
    task: str
    family: str
    language: str | None
    topic: str | None
    n_shot: int | None
    metric: str | None
    score: float | None
    score_stderr: float | None
    share: float | None
    ci95: tuple[float | None, float | None]
    finding_id: str
    source: str
    revision: str | None = None

    @property
    def label(self) -> str:
        """Model name with its revision and shots, so points from the same model stay apart."""
        extra = [x for x in (self.revision, f"{self.n_shot}-shot" if self.n_shot is not None else None) if x]
        return f"{self.model} ({', '.join(extra)})" if extra else self.model


@dataclass
class FamilySection:
    """The points of one task family (xnli, mmlu, …)."""

    family: str
    points: list[Point]

    @property
    def models(self) -> list[str]:
        """Distinct point labels, in first-seen order."""
        return list(dict.fromkeys(p.label for p in self.points))


@dataclass
class ReportData:
    """Everything a renderer needs: sections, findings by id, models, caveats."""

    unit: str
    families: list[FamilySection]
    findings: dict[str, dict]
    models: list[dict]
    notes: list[str]
    sources: list[str] = field(default_factory=list)
    contamination: list[dict] = field(default_factory=list)  # rows of ``evals.contamination.rows``


def build_report(inputs, unit: str = "documents") -> ReportData:
    """Report data from annotated results (paths or ``EvalResult``s); BadInput if one is not annotated."""
    if unit not in UNITS:
        raise BadInput(f"--unit must be one of {UNITS}, got {unit!r}")
    results = [r if isinstance(r, EvalResult) else load_results(r) for r in inputs]
    if not results:
        raise BadInput("report needs at least one annotated results file (from corpuscope attach)")
    families: dict[str, list[Point]] = {}
    findings: dict[str, dict] = {}
    models: dict[str, dict] = {}
    missing_unit = 0
    dirty_rows: list[dict] = []
    for result in results:
        block = result.attachment
        joined = contamination.records_of(result)
        if not block or (not isinstance(block.get("tasks"), dict) and not joined):
            raise BadInput(f"{result.path} has no '{ATTACH_KEY}' key: expected results annotated by "
                           "corpuscope attach (run: corpuscope attach RESULTS --finding F -o OUT) "
                           "or by corpuscope contamination join --results")
        model = block.get("model") or {}
        label = model.get("label") or result.model_label
        models.setdefault(label, model)
        dirty_rows += contamination.rows(result, label)
        for task, entry in (block.get("tasks") or {}).items():
            chosen = _best(entry.get("findings") or [], unit, f"{result.path} (a finding attached to {task})")
            if chosen is None:
                missing_unit += bool(entry.get("findings"))
                continue
            findings[chosen.id] = {"id": chosen.id, **chosen.to_dict()}
            families.setdefault(entry["question"]["family"], []).append(
                _point(result, label, model, task, entry, chosen, unit))
    sections = [FamilySection(name, sorted(points, key=lambda p: (p.task, p.label)))
                for name, points in sorted(families.items())]
    notes = _notes(models, unit)
    counted = sorted({text for f in findings.values() if (text := Finding.from_dict(f).counted_by(unit))})
    notes += [f"{unit.capitalize()} counted by {text}." for text in counted]
    if missing_unit:
        notes.append(f"{missing_unit} task(s) have findings without a {unit} estimate and are not shown "
                     "(try another --unit).")
    if dirty_rows:
        notes.append(contamination.CAVEAT)
    return ReportData(unit, sections, findings, [{"label": k, **v} for k, v in models.items()],
                      notes, [str(r.path) for r in results], dirty_rows)


def _best(candidates: list[dict], unit: str, where: str) -> Finding | None:
    parsed = [Finding.from_dict(f, where) for f in candidates]
    usable = [f for f in parsed if f.estimate(unit) and f.estimate(unit).get("share") is not None]
    # Several findings for one task: the one that read the most is the most precise.
    return max(usable, key=lambda f: f.estimate(unit).get("total") or 0, default=None)


def _point(result: EvalResult, label: str, model: dict, task: str, entry: dict, finding: Finding, unit: str) -> Point:
    score = result.tasks.get(task)
    question = entry["question"]
    est = finding.estimate(unit)
    ci = est.get("ci95") or [None, None]
    return Point(model=label, corpus=model.get("corpus") or finding.corpus_name or None, task=task,
                 family=question["family"], language=question.get("language"), topic=question.get("topic"),
                 n_shot=score.n_shot if score else None, metric=score.metric if score else None,
                 score=score.score if score else None, score_stderr=score.stderr if score else None,
                 share=est["share"], ci95=(ci[0], ci[1]), finding_id=finding.id, source=str(result.path),
                 revision=model.get("revision"))


def _notes(models: dict[str, dict], unit: str) -> list[str]:
    notes = [
        "Coverage is correlational. Models differ in size, architecture, tokenizer, data quality and how many "
        "times they saw each document; a higher score next to a larger share does not show the share caused it.",
        f"Shares are of {unit} in the released (raw) corpus, estimated from the plan in each finding; the 95% "
        "intervals cover sampling error only, not the errors of the language/topic inspectors that tag documents.",
        "The raw corpus is not what the model saw: training applies its own filtering, deduplication, mixing "
        "weights and number of epochs, and an intermediate checkpoint has seen only part of the data.",
    ]
    for label, model in models.items():
        entry = model.get("catalogue") or {}
        known = [f"{k.replace('_', ' ')}: {entry[k]}" for k in TRAINING_NOTE_KEYS if entry.get(k) not in (None, "", [])]
        if model.get("revision"):
            known.append(f"evaluated at revision {model['revision']}")
        if not model.get("corpus"):
            known.append("training corpus unknown to the catalogue; its findings were not checked against it")
        elif model.get("corpus_source") == "--model-corpus":
            known.append(f"training corpus {model['corpus']} given by the user (--model-corpus)")
        if known:
            notes.append(f"{label}: " + "; ".join(known) + ".")
    notes.append("Score error bars are ±1.96 × the harness's reported standard error, where it reported one.")
    return notes


# ---------------------------------------------------------------- chart

def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering ``lo``..``hi``, about ``count`` of them."""
    if not hi > lo:
        hi = lo + (abs(lo) * 0.1 or 1e-3)
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks, v = [], first
    while v <= hi + step * 1e-6:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi - step * 1e-6:
        ticks.append(round(v, 12))
    return ticks


def _decimals(values: list[float]) -> int:
    """The fewest decimals that print every one of ``values`` exactly (2.5 -> 1, 0.05 -> 2, 40 -> 0)."""
    for d in range(8):
        if all(abs(float(f"{v:.{d}f}") - v) < 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return 8


def _tick_labels(ticks: list[float], percent: bool) -> list[str]:
    scaled = [round(100 * t, 10) if percent else t for t in ticks]
    d = _decimals(scaled)
    return [f"{v:.{d}f}" + ("%" if percent else "") for v in scaled]


CHAR_W = 6.4  # average width of an 11px sans-serif character, for laying labels out without a browser


def _place_labels(anchors: list[tuple[float, float, str]], box: tuple[float, float, float, float],
                  taken: list[tuple[float, float, float, float]]) -> list[tuple[float, float, str] | None]:
    """For each (x, y, text) a label position that overlaps no other label, point or the frame, or None."""
    x0, y0, x1, y1 = box
    out = []
    for x, y, text in anchors:
        w, h = CHAR_W * len(text), 11
        chosen = None
        for dx, dy in ((7, -5), (7, 12), (-7 - w, -5), (-7 - w, 12), (-w / 2, -9), (-w / 2, 18)):
            lx, ly = x + dx, y + dy  # text baseline at ly, top at ly - h
            rect = (lx, ly - h + 2, lx + w, ly + 2)
            if rect[0] < x0 + 2 or rect[2] > x1 - 2 or rect[1] < y0 + 2 or rect[3] > y1 - 2:
                continue
            if any(rect[0] < t[2] and t[0] < rect[2] and rect[1] < t[3] and t[1] < rect[3] for t in taken):
                continue
            chosen = (lx, ly, text)
            taken.append(rect)
            break
        out.append(chosen)
    return out


def render_svg(section: FamilySection, unit: str, link=lambda fid: f"#finding-{fid}") -> str:
    """An SVG scatter of score vs share for one family, each point linking to ``link(finding_id)``.

    Axes get round ticks and a margin so no point sits on the frame; each point's tag is placed where it
    overlaps nothing (or left to the tooltip); the legend sits below the plot with full model names.
    """
    width, left, right, top, bottom = 720, 70, 20, 30, 50
    plot_h = 340
    points = [p for p in section.points if p.share is not None and p.score is not None]
    models = section.models
    legend_cols = 2 if max((len(m) for m in models), default=0) < 48 else 1
    legend_rows = math.ceil(len(models) / legend_cols)
    height = top + plot_h + bottom + 16 * legend_rows + 10
    plot_w = width - left - right
    inset = 14  # pixels between the frame and the nearest point
    xs = [v for p in points for v in (p.share, *p.ci95) if v is not None]
    ys = [v for p in points for v in _score_range(p)]
    positive = [v for v in xs if v > 0]
    log_x = bool(positive) and max(positive) / min(positive) > 100
    if log_x:
        floor = min(positive) / 2
        lo, hi = math.log10(floor), math.log10(max(positive))
        hi = hi if hi > lo else lo + 1

        def sx(v):
            return left + inset + (plot_w - 2 * inset) * (math.log10(max(v, floor)) - lo) / (hi - lo)
        x_ticks = [10 ** e for e in range(math.ceil(lo), math.floor(hi) + 1)] or [max(positive)]
    else:
        x_ticks = nice_ticks(0.0, min(1.0, max(xs, default=0) or 1e-3))
        x_ticks = [t for t in x_ticks if t <= 1.0 + 1e-12]
        dom_lo, dom_hi = x_ticks[0], max(x_ticks[-1], max(xs, default=0))

        def sx(v):
            return left + inset + (plot_w - 2 * inset) * (v - dom_lo) / ((dom_hi - dom_lo) or 1)
    y_ticks = nice_ticks(*((min(ys), max(ys)) if ys else (0.0, 1.0)))
    y_lo, y_hi = y_ticks[0], y_ticks[-1]

    def sy(v):
        return top + inset + (plot_h - 2 * inset) * (1 - (v - y_lo) / ((y_hi - y_lo) or 1))

    colours = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}
    esc = html.escape
    metric = ", ".join(sorted({p.metric for p in points if p.metric})) or "score"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{esc(section.family)}: {esc(metric)} vs {unit} share" font-family="sans-serif" font-size="11">',
           f'<rect class="plot" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>']
    for t, label in zip(x_ticks, [_pct(t) for t in x_ticks] if log_x else _tick_labels(x_ticks, True)):
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" stroke="#999"/>'
                   f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{label}</text>')
    for v, label in zip(y_ticks, _tick_labels(y_ticks, False)):
        y = sy(v)
        out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#999"/>'
                   f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(f'<text class="axis" x="{left + plot_w / 2}" y="{top + plot_h + 36}" text-anchor="middle">share of '
               f'{unit} in the training corpus{" (log scale)" if log_x else ""}, with 95% CI</text>')
    out.append(f'<text class="axis" transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">'
               f'{esc(metric)}</text>')
    taken = [(sx(p.share) - 5, sy(p.score) - 5, sx(p.share) + 5, sy(p.score) + 5) for p in points]
    labels = _place_labels([(sx(p.share), sy(p.score), _short(p)) for p in points],
                           (left, top, left + plot_w, top + plot_h), taken)
    for p, placed in zip(points, labels):
        colour, x, y = colours[p.label], sx(p.share), sy(p.score)
        x_lo, x_hi_ci = (sx(v) if v is not None else x for v in p.ci95)
        y_lo_v, y_hi_v = _score_range(p)
        title = (f"{p.label} · {p.task}: {p.metric} {p.score:.4g}; share {_pct(p.share)} "
                 f"[{_pct(p.ci95[0])}, {_pct(p.ci95[1])}] · finding {p.finding_id}")
        href = esc(link(p.finding_id))
        tag = (f'<text class="point-label" x="{placed[0]:.1f}" y="{placed[1]:.1f}" stroke="none">{esc(placed[2])}</text>'
               if placed else "")
        out.append(f'<a href="{href}" xlink:href="{href}"><g stroke="{colour}" fill="{colour}">'
                   f'<title>{esc(title)}</title>'
                   f'<line x1="{x_lo:.1f}" y1="{y:.1f}" x2="{x_hi_ci:.1f}" y2="{y:.1f}"/>'
                   f'<line x1="{x:.1f}" y1="{sy(y_lo_v):.1f}" x2="{x:.1f}" y2="{sy(y_hi_v):.1f}"/>'
                   f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill-opacity="0.8"/>{tag}</g></a>')
    column_w = plot_w / legend_cols
    for i, model in enumerate(models):
        row, col = divmod(i, legend_cols)
        x, y = left + col * column_w, top + plot_h + bottom + 4 + row * 16
        limit = int((column_w - 24) / CHAR_W)
        name = model if len(model) <= limit else model[:limit - 1] + "…"
        out.append(f'<circle cx="{x + 5}" cy="{y}" r="4" fill="{colours[model]}"/>'
                   f'<text class="legend" x="{x + 14}" y="{y + 4}"><title>{esc(model)}</title>{esc(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _short(p: Point) -> str:
    """The point's tag in the chart: what differs within a family (language, else topic, else task)."""
    if p.language and (p.language != "en" or not p.topic):
        return p.language
    return p.topic or p.task


def _score_range(p: Point) -> tuple[float, float]:
    if p.score is None:
        return ()
    half = 1.96 * p.score_stderr if p.score_stderr else 0.0
    return (p.score - half, p.score + half)


def _score_text(p: Point) -> str:
    if p.score is None:
        return "—"
    return f"{p.score:.4g}" + (f" ± {1.96 * p.score_stderr:.2g}" if p.score_stderr else "")


# ---------------------------------------------------------------- HTML

def render_html(data: ReportData) -> str:
    """A self-contained HTML page: per family a chart and a table, the findings, and the caveats."""
    esc = html.escape
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>corpuscope: score vs training-data coverage</title>",
             "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;font-size:13px;margin:1em 0}th,td{border:1px solid #ccc;"
             "padding:3px 6px;text-align:left}td.n{text-align:right}.note{background:#fff8e1;"
             "border-left:4px solid #f0b400;padding:.5em 1em}.finding{border-top:1px solid #ddd;"
             "padding:.5em 0}code{font-size:12px}</style></head><body>",
             "<h1>Score vs training-data coverage</h1>",
             f"<p>{len(data.models)} model(s), {len(data.families)} task family(ies); unit: {esc(data.unit)}. "
             "Each point links to the finding it comes from.</p>",
             '<div class="note"><h2>What this does and does not show</h2><ul>',
             *[f"<li>{esc(n)}</li>" for n in data.notes], "</ul></div>"]
    if not data.families:
        parts.append("<p>No task in these files has an attached finding.</p>")
    parts.append(contamination.html_section(data.contamination))
    for section in data.families:
        parts.append(f'<h2 id="family-{_slug(section.family)}">{esc(section.family)}</h2>')
        parts.append(render_svg(section, data.unit))
        parts.append(_html_table(section))
    parts.append("<h2>Findings</h2>")
    for fid, finding in data.findings.items():
        parts.append(_html_finding(fid, finding, data.unit))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_table(section: FamilySection) -> str:
    esc = html.escape
    rows = ["<table><tr><th>model</th><th>corpus</th><th>task</th><th>metric</th><th>score</th>"
            "<th>share</th><th>95% CI</th><th>finding</th></tr>"]
    for p in section.points:
        rows.append(f"<tr><td>{esc(p.label)}</td><td>{esc(p.corpus or '?')}</td><td>{esc(p.task)}</td>"
                    f"<td>{esc(p.metric or '')}</td><td class=n>{_score_text(p)}</td><td class=n>{_pct(p.share)}</td>"
                    f"<td>[{_pct(p.ci95[0])}, {_pct(p.ci95[1])}]</td>"
                    f'<td><a href="#finding-{p.finding_id}"><code>{p.finding_id}</code></a></td></tr>')
    return "\n".join(rows) + "</table>"


def _html_finding(fid: str, finding: dict, unit: str) -> str:
    esc = html.escape
    q, c, plan, shards = (finding.get(k) or {} for k in ("query", "corpus", "plan", "shards"))
    params = ", ".join(f"{k}={v}" for k, v in (q.get("params") or {}).items())
    lines = [f'<div class="finding" id="finding-{fid}"><b><code>{fid}</code> {esc(str(q.get("title") or q.get("name")))}'
             f"</b> [{esc(str(q.get('name')))} v{esc(str(q.get('version')))}; {esc(params)}]<br>",
             f"corpus {esc(str(c.get('name')))} {esc(str(c.get('version') or ''))} ({esc(str(c.get('source') or ''))}); "
             f"{shards.get('read')} of {shards.get('total')} shards; plan {esc(str(plan.get('strategy')))}"
             f", seed {esc(str(plan.get('seed')))}<br><ul>"]
    for u in UNITS:
        est = finding.get(u)
        if isinstance(est, dict) and est.get("share") is not None:
            ci = est.get("ci95") or [None, None]
            lines.append(f"<li>{u}: {_pct(est['share'])} [{_pct(ci[0])}, {_pct(ci[1])}] "
                         f"({_count(est.get('matched'))} of {_count(est.get('total'))})</li>")
    lines.append("</ul>")
    for doc in (finding.get("evidence") or [])[:3]:
        url = doc.get("url") or ""
        lines.append(f"<blockquote><code>{esc(str(doc.get('id')))}</code> {esc(url)}<br>"
                     f"{_highlighted(str(doc.get('snippet') or ''), 300)}</blockquote>")
    return "\n".join(lines) + "</div>"


def _count(value) -> str:
    """A document or byte count as people write it: ``1,000``, not ``1000.0``; an estimate keeps one decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?" if value is None else html.escape(str(value))
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _highlighted(snippet: str, limit: int) -> str:
    """An evidence snippet as HTML: its ``**match**`` marks become ``<mark>``, the rest is escaped; cut at
    ``limit`` characters without leaving a mark open."""
    pieces = snippet.split("**")
    out, used = [], 0
    for i, piece in enumerate(pieces):
        piece = piece[:max(0, limit - used)]
        used += len(piece)
        if i % 2 and i < len(pieces) - 1:
            out.append(f"<mark>{html.escape(piece)}</mark>" if piece else "")
        else:
            out.append(html.escape(piece))
        if used >= limit:
            out.append("…")
            break
    return "".join(out)


# ---------------------------------------------------------------- Markdown

def render_markdown(data: ReportData, chart_names: dict[str, str] | None = None) -> str:
    """Markdown: per family a chart link (``chart_names[family]`` if given) and a table; findings; caveats."""
    lines = ["# Score vs training-data coverage", "",
             f"{len(data.models)} model(s), {len(data.families)} task family(ies); unit: {data.unit}.", "",
             "## What this does and does not show", "", *[f"- {n}" for n in data.notes], ""]
    for section in data.families:
        lines += [f"## {section.family}", ""]
        if chart_names and section.family in chart_names:
            lines += [f"![{section.family}: score vs share]({chart_names[section.family]})", ""]
        lines += ["| model | corpus | task | metric | score | share | 95% CI | finding |",
                  "|---|---|---|---|---:|---:|---|---|"]
        for p in section.points:
            lines.append(f"| {_md(p.label)} | {_md(p.corpus or '?')} | {_md(p.task)} | {_md(p.metric or '')} | "
                         f"{_score_text(p)} | {_pct(p.share)} | [{_pct(p.ci95[0])}, {_pct(p.ci95[1])}] | "
                         f"[`{p.finding_id}`](#finding-{p.finding_id}) |")
        lines.append("")
    lines += contamination.markdown_section(data.contamination)
    lines += ["## Findings", ""]
    for fid, finding in data.findings.items():
        q, c = finding.get("query") or {}, finding.get("corpus") or {}
        est = finding.get(data.unit) or {}
        ci = est.get("ci95") or [None, None]
        params = ", ".join(f"{k}={v}" for k, v in (q.get("params") or {}).items())
        lines += [f'<a id="finding-{fid}"></a>', "",
                  f"**`{fid}`** {q.get('title') or q.get('name')} [{q.get('name')} v{q.get('version')}; {params}] "
                  f"on {c.get('name')} {c.get('version') or ''}: {data.unit} share {_pct(est.get('share'))} "
                  f"[{_pct(ci[0])}, {_pct(ci[1])}]", ""]
    return "\n".join(lines) + "\n"


def write_report(data: ReportData, out: Path) -> list[Path]:
    """Write ``out`` (.html/.htm or .md); Markdown also gets one SVG per family beside it."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".md", ".markdown"):
        raise BadInput(f"-o {out}: expected a .html or .md file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [out]
    if suffix in (".html", ".htm"):
        out.write_text(render_html(data), encoding="utf-8")
        return written
    charts = {}
    for section in data.families:
        name = f"{out.stem}-{_slug(section.family)}.svg"
        path = out.with_name(name)
        path.write_text(render_svg(section, data.unit, link=lambda fid: f"{out.name}#finding-{fid}"),
                        encoding="utf-8")
        charts[section.family] = name
        written.append(path)
    out.write_text(render_markdown(data, charts), encoding="utf-8")
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "family"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")
