"""Printing tables and records for the terminal: table, json, csv or markdown."""

from __future__ import annotations

import csv
import io
import json
import math

import pyarrow as pa

FORMATS = ("table", "json", "csv", "markdown")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "…"


def render_table(table: pa.Table, fmt: str) -> str:
    """``table`` as text in ``fmt`` (one of ``FORMATS``)."""
    rows = table.to_pylist()
    names = table.column_names
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, default=str, indent=1)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([[("" if r[n] is None else r[n]) for n in names] for r in rows])
        return buffer.getvalue().rstrip("\n")
    cells = [[_cell(r[n]) for n in names] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(names) + " |", "|" + "|".join("---" for _ in names) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max([len(n)] + [len(row[i]) for row in cells]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines)


def dumps(record: dict) -> str:
    """A JSON record, pretty and UTF-8 as is."""
    return json.dumps(record, ensure_ascii=False, indent=2, default=str)
