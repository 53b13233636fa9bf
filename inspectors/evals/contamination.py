"""Contamination joins attached to results files (``corpuscope.contamination``), as rows for the report and app.

``corpuscope contamination join --results`` stores a join record: per task and method the share of
dirty items and the score on dirty and on not-found items, each with a 95% bootstrap interval over
items. ``corpuscope.contamination`` holds the latest join; ``corpuscope.contamination_joins`` holds
every join keyed by benchmark, corpus and (for a training stream) the step scanned up to, so joining
MMLU after ARC keeps ARC. ``rows`` flattens them to one row per (model, benchmark, task, method);
``html_section`` and ``markdown_section`` render those rows with the caveat that goes with them.
"""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path

from inspectors.core.errors import BadInput
from inspectors.core.findings import percent
from inspectors.evals.results import EvalResult

_pct = partial(percent, digits=3)

SUBKEY = "contamination"
JOINS_KEY = "contamination_joins"
JOIN_KIND = "contamination_join"
CAVEAT = ("Contamination is a lower bound: a 'dirty' item was found verbatim (every match is verified), but "
          "'not found' is not 'clean'. Overlaps shorter than n+stride−1 tokens can be missed and a shard "
          "sample or a row limit reads only part of the corpus, so clean is never claimed on a sample. "
          "Accuracy on 'not found' items is over items not found dirty, not over clean items.")
COLUMNS = ("model", "benchmark", "task", "method", "metric", "items", "dirty", "share_dirty", "share_low", "share_high",
           "score_dirty", "dirty_low", "dirty_high", "score_not_found", "not_found_low", "not_found_high",
           "difference", "difference_low", "difference_high", "corpus", "shards")


def join_key(record: dict) -> str:
    """The key of a join record under ``contamination_joins``: benchmark (name and digest), corpus, stream step."""
    bench, corpus, stream = record.get("benchmark") or {}, record.get("corpus") or {}, record.get("stream")
    key = f"{Path(str(bench.get('path', '?'))).stem}#{str(bench.get('digest', ''))[:12]}@{corpus.get('name', '?')}"
    return key + (f"@step{stream['up_to_step']}" if stream and stream.get("up_to_step") is not None else "")


def _checked(result: EvalResult, record, where: str) -> dict:
    if not isinstance(record, dict) or record.get("kind") != JOIN_KIND or not isinstance(record.get("tasks"), dict):
        raise BadInput(f"{result.path}: its corpuscope.{where} key is not a `corpuscope contamination join` record")
    return record


def records_of(result: EvalResult) -> list[dict]:
    """Every join record attached to ``result`` (the keyed ones, else the latest alone); BadInput if one is malformed."""
    block = result.attachment or {}
    latest = block.get(SUBKEY)
    if latest is not None:
        latest = _checked(result, latest, SUBKEY)
    joins = block.get(JOINS_KEY)
    if joins is None:
        return [latest] if latest is not None else []
    if not isinstance(joins, dict):
        raise BadInput(f"{result.path}: its corpuscope.{JOINS_KEY} key is not an object")
    records = [_checked(result, r, f"{JOINS_KEY}.{k}") for k, r in sorted(joins.items())]
    if latest is not None and join_key(latest) not in joins:  # the latest written by an older corpuscope
        records.append(latest)
    return records


def store(block: dict, record: dict) -> None:
    """Put ``record`` in an attachment ``block``: the latest join, and under its key beside the other joins."""
    joins = block.get(JOINS_KEY)
    if joins is None:
        joins = block[JOINS_KEY] = {}
    if not isinstance(joins, dict):
        raise BadInput(f"its corpuscope.{JOINS_KEY} key is not an object")
    previous = block.get(SUBKEY)
    if isinstance(previous, dict) and previous.get("kind") == JOIN_KIND:
        joins.setdefault(join_key(previous), previous)  # a file joined before joins were keyed
    joins[join_key(record)] = record
    block[SUBKEY] = record


def _ci(block: dict | None) -> tuple:
    if not block:
        return None, None, None
    return block.get("mean"), block.get("low"), block.get("high")


def rows(result: EvalResult, label: str | None = None) -> list[dict]:
    """One row per benchmark, task and method of ``result``'s contamination joins (empty when none is attached)."""
    out = []
    for record in records_of(result):
        out += _record_rows(record, label or result.model_label)
    return out


def _record_rows(record: dict, label: str) -> list[dict]:
    corpus = record.get("corpus") or {}
    shards = f"{corpus.get('shards_read', '?')} of {corpus.get('shards_total', '?')}"
    stream = record.get("stream")
    corpus_name = str(corpus.get("name")) + (f" up to step {stream['up_to_step']}" if stream else "")
    bench = Path(str((record.get("benchmark") or {}).get("path", "?"))).stem
    out = []
    for task, block in sorted(record["tasks"].items()):
        for method, m in (block.get("methods") or {}).items():
            share_ci = m.get("share_dirty_ci95") or [None, None]
            out.append(dict(zip(COLUMNS, (
                label, bench, task, method, block.get("metric"), block.get("n_joined"),
                m.get("n_dirty"), m.get("share_dirty"), share_ci[0], share_ci[1], *_ci(m.get("score_dirty")),
                *_ci(m.get("score_not_found")), *_ci(m.get("difference")), corpus_name, shards))))
    return out


def _num(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def _interval(row: dict, mean: str, low: str, high: str, fmt=_num) -> str:
    if row[mean] is None:
        return "—"
    if row[low] is None:
        return fmt(row[mean])
    return f"{fmt(row[mean])} [{fmt(row[low])}, {fmt(row[high])}]"


def cells(row: dict) -> list[str]:
    """The displayed cells of ``row``: model, benchmark, task, method, metric, items, dirty share, scores, difference."""
    return [str(row["model"]), str(row["benchmark"]), str(row["task"]), str(row["method"]), str(row["metric"] or ""),
            f"{row['dirty']} of {row['items']}", _interval(row, "share_dirty", "share_low", "share_high", _pct),
            _interval(row, "score_dirty", "dirty_low", "dirty_high"),
            _interval(row, "score_not_found", "not_found_low", "not_found_high"),
            _interval(row, "difference", "difference_low", "difference_high"),
            f"{row['corpus']} ({row['shards']} shards)"]


HEADERS = ("model", "benchmark", "task", "method", "metric", "dirty items", "share dirty [95% CI]", "score dirty [95% CI]",
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
