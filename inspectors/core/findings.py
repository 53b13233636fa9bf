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
    """A human summary of ``finding``: estimates with intervals, shards read, plan and evidence."""
    q, c, s, p = finding["query"], finding["corpus"], finding["shards"], finding["plan"]
    params = ", ".join(f"{k}={v}" for k, v in q["params"].items())
    lines = [f"{q['title']}  [{q['name']} v{q['version']}{'; ' + params if params else ''}]",
             f"corpus: {c['name']} ({c['source']}); {s['read']} of {s['total']} shards read; plan: {p['strategy']}"
             + (f", seed {p['seed']}" if p["strategy"] != "full" else "")]
    for unit in ("documents", "bytes", "tokens"):
        est = finding.get(unit)
        if not est:
            continue
        lo, hi = est["ci95"]
        lines.append(f"{unit:<10} {est['matched']:>14,.0f} of {est['total']:>14,.0f}  share {_pct(est['share'])}"
                     f"  95% CI [{_pct(lo)}, {_pct(hi)}]  ({est['method']})")
    if finding.get("evidence"):
        lines.append("evidence:")
        for doc in finding["evidence"]:
            lines.append(f"  - {doc['id']} ({doc['url'] or 'no url'}) {doc.get('evidence') or ''}")
            lines.append(f"    {doc['snippet'][:200]}")
    lines.append(f"tool {finding['provenance']['tool_version']}, {finding['provenance']['created']}")
    text = "\n".join(lines)
    return text if fmt != "markdown" else "\n".join(f"    {line}" for line in lines)
