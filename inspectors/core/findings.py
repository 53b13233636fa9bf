"""Findings: the typed record of a slice's result with full provenance, written and read back.

``Finding`` owns its kind, schema version and JSON form; every reader (the CLI, ``attach``, the
report, the app) goes through it, so the file format is defined once. Files written by earlier
versions of corpuscope (``finding_version`` 1) load unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from inspectors.core.errors import BadInput

KIND = "corpuscope.finding"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
# Top-level keys that are not estimates; anything else holding an estimate (or null) is one.
_FIXED = ("kind", "finding_version", "query", "corpus", "plan", "shards")
_TAIL = ("evidence", "inspectors", "provenance")
_EXTRA = ("strata", "inspected_share")  # a stratified scan's; other plan kinds add their own keys


@dataclass
class Finding:
    """A slice's result: what was asked, of which corpus, how it was read, the estimates and evidence.

    ``estimates`` maps each unit (``documents`` and every registered measure, e.g. ``bytes``,
    ``tokens``) to ``{matched, total, share, ci95, matched_ci95, method}`` or ``None`` when the
    corpus has no such measure. ``extra`` holds plan-specific fields (a stratified scan's ``strata``
    and ``inspected_share``).
    """

    query: dict
    corpus: dict
    plan: dict
    shards: dict
    estimates: dict[str, dict | None]
    evidence: list[dict] = field(default_factory=list)
    inspectors: dict[str, str] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    kind = KIND
    finding_version = VERSION

    def to_dict(self) -> dict:
        """The JSON-ready record, keys in their documented order."""
        out = {"kind": KIND, "finding_version": VERSION, "query": self.query, "corpus": self.corpus,
               "plan": self.plan, "shards": self.shards, **self.estimates}
        out.update(self.extra)
        out.update({"evidence": self.evidence, "inspectors": self.inspectors, "provenance": self.provenance})
        return out

    def to_json(self) -> str:
        """The one text form of a finding (what ``--out`` writes and ``attach`` embeds)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)

    @classmethod
    def from_dict(cls, data, where: str = "finding") -> "Finding":
        """A ``Finding`` from its record; ``BadInput`` naming ``where`` when it is not one."""
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise BadInput(f"{where} is not a corpuscope finding (expected \"kind\": \"{KIND}\")")
        if data.get("finding_version") not in SUPPORTED_VERSIONS:
            raise BadInput(f"{where}: finding_version {data.get('finding_version')!r} is not supported "
                           f"(supported: {SUPPORTED_VERSIONS})")
        _check_record(data, where)
        skip = set(_FIXED) | set(_TAIL) | set(_EXTRA) | {"id"}  # ``attach`` stores its id beside the record
        estimates = {k: v for k, v in data.items() if k not in skip and (v is None or _is_estimate(v))}
        return cls(query=data["query"], corpus=data["corpus"], plan=data["plan"], shards=data["shards"],
                   estimates=estimates, evidence=list(data.get("evidence") or []),
                   inspectors=dict(data.get("inspectors") or {}), provenance=dict(data.get("provenance") or {}),
                   extra={k: v for k, v in data.items() if k not in skip - set(_EXTRA) and k not in estimates})

    @classmethod
    def from_json(cls, text: str, where: str = "finding") -> "Finding":
        """A ``Finding`` from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BadInput(f"{where} is not JSON: {error}") from None
        return cls.from_dict(data, where)

    def estimate(self, unit: str) -> dict | None:
        """The estimate for ``unit`` (``documents``, ``bytes``, ``tokens``…), ``None`` if absent."""
        return self.estimates.get(unit)

    def counted_by(self, unit: str) -> str | None:
        """How ``unit`` was counted, in words: a token share's tokenizer, its file's SHA-256 and whether the
        counts are exact or estimated (from ``provenance["measures"]``); ``None`` when not recorded."""
        info = (self.provenance.get("measures") or {}).get(unit) or {}
        if "name" not in info:
            return None
        files = "; ".join(f"{Path(f).name} sha256 {h[:12]}…" for f, h in (info.get("files") or {}).items())
        return (f"{info['name']}" + (f" [{info['tokenizer']}]" if info.get("tokenizer") else "")
                + (f", {files}" if files else "") + (f"; counts {info['counts']}" if info.get("counts") else ""))

    @property
    def units(self) -> list[str]:
        """Units that carry an estimate, in order."""
        return [u for u, est in self.estimates.items() if est]

    @property
    def name(self) -> str:
        """The query's name."""
        return self.query.get("name", "")

    @property
    def title(self) -> str:
        """The query's title."""
        return self.query.get("title") or self.name

    @property
    def params(self) -> dict:
        """The query's bound parameters."""
        return self.query.get("params") or {}

    @property
    def corpus_name(self) -> str:
        """The corpus's display name."""
        return str(self.corpus.get("name", ""))

    @property
    def exact(self) -> bool:
        """True when every row of every shard was read."""
        return (self.shards.get("read") == self.shards.get("total") and self.plan.get("strategy") == "full"
                and self.plan.get("rows_per_shard") is None)

    @property
    def id(self) -> str:
        """A short stable id: the same query, params, corpus, plan and creation time give the same id."""
        q, c = self.query, self.corpus
        identity = {"query": [q.get("name"), q.get("sha256"), q.get("params")],
                    "corpus": [c.get("name"), c.get("version"), c.get("shards_fingerprint")],
                    "plan": self.plan, "created": self.provenance.get("created")}
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _is_estimate(value) -> bool:
    return isinstance(value, dict) and "share" in value and "matched" in value


def _check_record(data: dict, where: str) -> None:
    """``BadInput`` naming ``where`` and the key unless ``data`` has the parts of a finding, each of the shape
    its readers index, and every number in its shard counts and estimates is a number (a hand-edited
    ``"documents": "lots"`` is refused)."""
    missing = [k for k in ("query", "corpus", "plan", "shards", "documents") if k not in data]
    if missing:
        raise BadInput(f"{where}: finding lacks {', '.join(missing)}")
    for key in ("query", "corpus", "plan", "shards"):
        if not isinstance(data[key], dict):
            raise BadInput(f"{where}: \"{key}\" must be an object, not {data[key]!r}")
    for key in ("inspectors", "provenance"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise BadInput(f"{where}: \"{key}\" must be an object, not {data[key]!r}")
    if data["query"].get("params") is not None and not isinstance(data["query"]["params"], dict):
        raise BadInput(f"{where}: query.params must be an object, not {data['query']['params']!r}")
    if not isinstance(data["plan"].get("strategy"), str):
        raise BadInput(f"{where}: plan.strategy must be a name (full, shard_sample, stratified), "
                       f"not {data['plan'].get('strategy')!r}")
    for key in ("read", "total"):
        _check_number(data["shards"].get(key), f"shards.{key}", where)
    _check_evidence(data.get("evidence"), where)
    for unit in _units(data):
        if data.get(unit) is not None and not _is_estimate(data[unit]):
            raise BadInput(f"{where}: \"{unit}\" must be an estimate ({{\"matched\", \"total\", \"share\", "
                           f"\"ci95\", …}}) or null, not {data[unit]!r}")
    for key, value in data.items():
        if key not in _FIXED + _TAIL + _EXTRA and _is_estimate(value):
            _check_estimate(value, key, where)


def _check_evidence(docs, where: str) -> None:
    """Evidence is a list of documents, each an object with its ``id``, ``url`` (may be null) and ``snippet``."""
    if docs is None:
        return
    if not isinstance(docs, list):
        raise BadInput(f"{where}: \"evidence\" must be a list of documents, not {docs!r}")
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise BadInput(f"{where}: evidence[{i}] must be an object, not {doc!r}")
        missing = [k for k in ("id", "url", "snippet") if k not in doc]
        if missing:
            raise BadInput(f"{where}: evidence[{i}] lacks {', '.join(missing)}")
        if not isinstance(doc["snippet"], str):
            raise BadInput(f"{where}: evidence[{i}].snippet must be text, not {doc['snippet']!r}")


def _units(data: dict) -> list[str]:
    """Keys that must hold an estimate (or null): ``documents`` and each measure the provenance records."""
    provenance = data.get("provenance")
    measures = provenance.get("measures") if isinstance(provenance, dict) else None
    return ["documents", *(measures if isinstance(measures, dict) else ())]


def _check_estimate(est: dict, unit: str, where: str) -> None:
    """``BadInput`` naming ``where`` and the field unless ``est``'s counts, share and intervals are numbers."""
    for key in ("matched", "total", "share"):
        _check_number(est.get(key), f"{unit}.{key}", where)
    if not isinstance(est.get("method"), str):
        raise BadInput(f"{where}: {unit}.method must name how it was estimated, not {est.get('method')!r}")
    for key in ("ci95", *(("matched_ci95",) if "matched_ci95" in est else ())):  # only counts text uses the 2nd
        bounds = est.get(key)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise BadInput(f"{where}: {unit}.{key} must be a pair [low, high] of numbers, not {bounds!r}")
        for side, value in zip(("low", "high"), bounds):
            _check_number(value, f"{unit}.{key} {side}", where)


def _check_number(value, field: str, where: str) -> None:
    # bool is an int to Python, but "share": true is a hand-edit, not a figure.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return
    raise BadInput(f"{where}: {field} must be a number, not {value!r}" if value is not None
                   else f"{where}: {field} must be a number (it is missing or null)")


def load(path: str | Path, name: str | None = None) -> Finding:
    """Read a finding file; anything else fails naming the file (as ``name``, what the user knows it by,
    e.g. an upload's own name, else its path) and what was expected."""
    shown = name or str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"finding {shown} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"finding {shown} is not JSON: {error}") from None
    return Finding.from_dict(data, shown)


def percent(x, digits: int = 4) -> str:
    """``x`` (a share) as a percentage with ``digits`` significant digits; "—" for None."""
    return "—" if x is None else f"{100 * x:.{digits}g}%"


def counts_text(finding: Finding, unit: str) -> str:
    """``matched of total`` for ``unit``: plain when the scan was exact; when sampled, both marked as
    estimates (``≈``) and the matched count given its 95% interval, so a scaled-up sample never reads
    as a count."""
    est = finding.estimate(unit) or {}
    matched, total = est.get("matched"), est.get("total")
    if matched is None or total is None:
        return "—"
    if finding.exact:
        return f"{matched:,.0f} of {total:,.0f}"
    lo, hi = est.get("matched_ci95") or (None, None)
    interval = f" (95% CI {lo:,.0f}–{hi:,.0f})" if lo is not None and hi is not None else ""
    return f"≈{matched:,.0f}{interval} of ≈{total:,.0f}"


def sample_note(finding: Finding) -> str | None:
    """What a sampled finding's counts are, or ``None`` for an exact scan."""
    if finding.exact:
        return None
    s, p = finding.shards, finding.plan
    note = (f"sampled ({s.get('read')} of {s.get('total')} shards): counts are estimates scaled up from "
            f"the shards read, with 95% intervals; shares are the figures to quote")
    if p.get("rows_per_shard"):
        note += (f"; at most {p['rows_per_shard']:,} rows of each shard were read, so totals scale the rows "
                 f"read, not the corpus's size")
    return note


def _method_text(method: str) -> str:
    # "exact" is the interval's method (every shard read: no sampling error), not a claim about the counts,
    # which may be estimated (tokens from bytes): the human formats say which.
    return "full scan" if method == "exact" else method


def describe(finding: Finding, fmt: str = "table") -> str:
    """A human summary of ``finding`` in ``fmt``: table (text), csv or markdown (one row per unit)."""
    units = [(u, finding.estimate(u)) for u in finding.units]
    s, p = finding.shards, finding.plan
    if fmt == "csv":
        lines = ["unit,matched,total,share,ci95_low,ci95_high,method,shards_read,shards_total"]
        for unit, est in units:
            lines.append(",".join(str(x) for x in (unit, est["matched"], est["total"], est["share"], *est["ci95"],
                                                   est["method"], s["read"], s["total"])))
        return "\n".join(lines)
    q, c = finding.query, finding.corpus
    params = ", ".join(f"{k}={v}" for k, v in finding.params.items())
    head = [f"{finding.title}  [{finding.name} v{q.get('version')}{'; ' + params if params else ''}]",
            f"corpus: {c.get('name')} ({c.get('source')}); {s['read']} of {s['total']} shards read; plan: {p['strategy']}"
            + (f", seed {p['seed']}" if p["strategy"] != "full" else "")]
    if fmt == "markdown":
        lines = [f"**{head[0]}**", "", head[1], "", "| unit | matched | total | share | 95% CI | method |",
                 "|---|---:|---:|---:|---|---|"]
        for unit, est in units:
            lo, hi = est["ci95"]
            matched, _, total = counts_text(finding, unit).partition(" of ")
            lines.append(f"| {unit} | {matched} | {total} | {percent(est['share'])} "
                         f"| [{percent(lo)}, {percent(hi)}] | {_method_text(est['method'])} |")
        counted = [f"{unit} counted by {finding.counted_by(unit)}" for unit, _ in units if finding.counted_by(unit)]
        lines += ["", *counted] if counted else []
        if sample_note(finding):
            lines += ["", f"_{sample_note(finding)}._"]
        for doc in finding.evidence:
            lines.append(f"- `{doc['id']}` {doc['url'] or ''}: {doc['snippet'][:200]}")
        return "\n".join(lines)
    lines = list(head)
    width = max((len(counts_text(finding, u)) for u, _ in units), default=0)
    for unit, est in units:
        lo, hi = est["ci95"]
        lines.append(f"{unit:<10} {counts_text(finding, unit):>{width}}  share {percent(est['share'])}"
                     f"  95% CI [{percent(lo)}, {percent(hi)}]  ({_method_text(est['method'])})")
        if finding.counted_by(unit):
            lines.append(f"{'':<10} counted by {finding.counted_by(unit)}")
    if sample_note(finding):
        lines.append(f"note: {sample_note(finding)}")
    if finding.evidence:
        lines.append("evidence:")
        for doc in finding.evidence:
            lines.append(f"  - {doc['id']} ({doc['url'] or 'no url'}) {doc.get('evidence') or ''}")
            lines.append(f"    {doc['snippet'][:200]}")
    lines.append(f"tool {finding.provenance.get('tool_version')}, {finding.provenance.get('created')}")
    return "\n".join(lines)
