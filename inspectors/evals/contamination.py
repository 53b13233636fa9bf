"""Contamination joins attached to results files (``corpuscope.contamination``), as rows for the report and app.

``corpuscope contamination join --results`` stores a join record under ``corpuscope.contamination``:
per task and method the share of dirty items and the score on dirty and on not-found items, each with
a 95% bootstrap interval over items. ``rows`` flattens it to one row per (model, task, method);
``html_section`` and ``markdown_section`` render those rows with the caveat that goes with them.
"""

from __future__ import annotations

import html

from inspectors.core.errors import BadInput
from inspectors.evals.results import EvalResult

SUBKEY = "contamination"
JOIN_KIND = "contamination_join"
CAVEAT = ("Contamination is a lower bound: a 'dirty' item was found verbatim (every match is verified), but "
          "'not found' is not 'clean'. Overlaps shorter than n+stride−1 tokens can be missed and a shard "
          "sample or a row limit reads only part of the corpus, so clean is never claimed on a sample. "
          "Accuracy on 'not found' items is over items not found dirty, not over clean items.")
COLUMNS = ("model", "task", "method", "metric", "items", "dirty", "share_dirty", "share_low", "share_high",
           "score_dirty", "dirty_low", "dirty_high", "score_not_found", "not_found_low", "not_found_high",
           "difference", "difference_low", "difference_high", "corpus", "shards")


def record_of(result: EvalResult) -> dict | None:
    """The join record attached to ``result``, ``None`` if there is none; BadInput if it is malformed."""
    record = (result.attachment or {}).get(SUBKEY)
    if record is None:
        return None
    if not isinstance(record, dict) or record.get("kind") != JOIN_KIND or not isinstance(record.get("tasks"), dict):
        raise BadInput(f"{result.path}: its corpuscope.{SUBKEY} key is not a `corpuscope contamination join` record")
    return record


def _ci(block: dict | None) -> tuple:
    if not block:
        return None, None, None
    return block.get("mean"), block.get("low"), block.get("high")


def rows(result: EvalResult, label: str | None = None) -> list[dict]:
    """One row per task and method of ``result``'s contamination join (empty when none is attached)."""
    record = record_of(result)
    if record is None:
        return []
    corpus = record.get("corpus") or {}
    shards = f"{corpus.get('shards_read', '?')} of {corpus.get('shards_total', '?')}"
    out = []
    for task, block in sorted(record["tasks"].items()):
        for method, m in (block.get("methods") or {}).items():
            share_ci = m.get("share_dirty_ci95") or [None, None]
            out.append(dict(zip(COLUMNS, (
                label or result.model_label, task, method, block.get("metric"), block.get("n_joined"),
                m.get("n_dirty"), m.get("share_dirty"), share_ci[0], share_ci[1], *_ci(m.get("score_dirty")),
                *_ci(m.get("score_not_found")), *_ci(m.get("difference")), corpus.get("name"), shards))))
    return out


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.3g}%"


def _num(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def _interval(row: dict, mean: str, low: str, high: str, fmt=_num) -> str:
    if row[mean] is None:
        return "—"
    if row[low] is None:
        return fmt(row[mean])
    return f"{fmt(row[mean])} [{fmt(row[low])}, {fmt(row[high])}]"


def cells(row: dict) -> list[str]:
    """The displayed cells of ``row``: model, task, method, metric, items, dirty share, scores, difference."""
    return [str(row["model"]), str(row["task"]), str(row["method"]), str(row["metric"] or ""),
            f"{row['dirty']} of {row['items']}", _interval(row, "share_dirty", "share_low", "share_high", _pct),
            _interval(row, "score_dirty", "dirty_low", "dirty_high"),
            _interval(row, "score_not_found", "not_found_low", "not_found_high"),
            _interval(row, "difference", "difference_low", "difference_high"),
            f"{row['corpus']} ({row['shards']} shards)"]


HEADERS = ("model", "task", "method", "metric", "dirty items", "share dirty [95% CI]", "score dirty [95% CI]",
           "score not found [95% CI]", "difference", "corpus")


def html_section(table: list[dict]) -> str:
    """The report's contamination section: a table per (model, task, method) and the caveat."""
    if not table:
        return ""
    esc = html.escape
    parts = ['<h2 id="contamination">Contamination per item</h2>', f'<p class="note">{esc(CAVEAT)}</p>',
             "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADERS) + "</tr>"]
    for row in table:
        parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells(row)) + "</tr>")
    return "\n".join(parts) + "</table>"


def markdown_section(table: list[dict]) -> list[str]:
    """The report's contamination section as Markdown lines (none when there is nothing to show)."""
    if not table:
        return []
    lines = ["## Contamination per item", "", f"> {CAVEAT}", "", "| " + " | ".join(HEADERS) + " |",
             "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(row)) + " |" for row in table]
    return lines + [""]
