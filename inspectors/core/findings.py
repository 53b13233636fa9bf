"""Findings: the JSON record of a slice's result with full provenance, read back and described."""

from __future__ import annotations

import json
from pathlib import Path

from inspectors.core.errors import BadInput

KIND = "corpuscope.finding"
SUPPORTED_VERSIONS = (1,)


def load(path: str | Path) -> dict:
    """Read a finding file; anything else fails naming the file and what was expected."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"finding {path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"finding {path} is not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise BadInput(f"{path} is not a corpuscope finding (expected \"kind\": \"{KIND}\")")
    if data.get("finding_version") not in SUPPORTED_VERSIONS:
        raise BadInput(f"{path}: finding_version {data.get('finding_version')!r} is not supported "
                       f"(supported: {SUPPORTED_VERSIONS})")
    return data


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.4g}%"


def describe(finding: dict, fmt: str = "table") -> str:
    """A human summary of ``finding`` in ``fmt``: table (text), csv or markdown (one row per unit)."""
    units = [(u, finding[u]) for u in ("documents", "bytes", "tokens") if finding.get(u)]
    if fmt == "csv":
        lines = ["unit,matched,total,share,ci95_low,ci95_high,method,shards_read,shards_total"]
        for unit, est in units:
            lines.append(",".join(str(x) for x in (unit, est["matched"], est["total"], est["share"], *est["ci95"],
                                                   est["method"], finding["shards"]["read"], finding["shards"]["total"])))
        return "\n".join(lines)
    q, c, s, p = finding["query"], finding["corpus"], finding["shards"], finding["plan"]
    params = ", ".join(f"{k}={v}" for k, v in q["params"].items())
    head = [f"{q['title']}  [{q['name']} v{q['version']}{'; ' + params if params else ''}]",
            f"corpus: {c['name']} ({c['source']}); {s['read']} of {s['total']} shards read; plan: {p['strategy']}"
            + (f", seed {p['seed']}" if p["strategy"] != "full" else "")]
    if fmt == "markdown":
        lines = [f"**{head[0]}**", "", head[1], "", "| unit | matched | total | share | 95% CI | method |",
                 "|---|---:|---:|---:|---|---|"]
        for unit, est in units:
            lo, hi = est["ci95"]
            lines.append(f"| {unit} | {est['matched']:,.0f} | {est['total']:,.0f} | {_pct(est['share'])} "
                         f"| [{_pct(lo)}, {_pct(hi)}] | {est['method']} |")
        for doc in finding.get("evidence") or []:
            lines.append(f"- `{doc['id']}` {doc['url'] or ''}: {doc['snippet'][:200]}")
        return "\n".join(lines)
    lines = list(head)
    for unit, est in units:
        lo, hi = est["ci95"]
        lines.append(f"{unit:<10} {est['matched']:>14,.0f} of {est['total']:>14,.0f}  share {_pct(est['share'])}"
                     f"  95% CI [{_pct(lo)}, {_pct(hi)}]  ({est['method']})")
    if finding.get("evidence"):
        lines.append("evidence:")
        for doc in finding["evidence"]:
            lines.append(f"  - {doc['id']} ({doc['url'] or 'no url'}) {doc.get('evidence') or ''}")
            lines.append(f"    {doc['snippet'][:200]}")
    lines.append(f"tool {finding['provenance']['tool_version']}, {finding['provenance']['created']}")
    return "\n".join(lines)
