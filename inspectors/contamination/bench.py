"""Benchmark items from a user's JSONL/Parquet, a ``datasets`` save-to-disk folder or lm-eval samples.

Every item has an id, a question side and an answer side (either may be empty), and the
``doc_hash`` lm-eval would give its record (sha256 of ``json.dumps(doc, indent=2,
ensure_ascii=False)``), so contamination results join to samples files by hash or by doc id.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from inspectors.core.errors import BadInput

QUESTION_FIELDS = ("question", "query", "prompt", "problem", "ctx", "goal", "sentence", "passage", "text", "input")
ANSWER_FIELDS = ("answer", "target", "label", "solution", "gold", "output")
ID_FIELDS = ("id", "doc_id", "idx", "question_id", "ind")
SAMPLES_NAME = re.compile(r"^samples_(?P<task>.+?)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.:]+)\.jsonl$")


@dataclass
class Item:
    """One benchmark item: ``question`` and ``answer`` are the two sides searched for."""

    id: str
    question: str
    answer: str
    task: str | None = None
    doc_id: int | str | None = None
    doc_hash: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Bench:
    """Items read from ``path``; ``kind`` is jsonl, parquet, save_to_disk or lm_eval_samples."""

    path: str
    kind: str
    items: list[Item]

    def digest(self) -> str:
        """Identity of the items' text (keys the per-shard cache)."""
        h = hashlib.sha256()
        for item in self.items:
            h.update(json.dumps([item.id, item.question, item.answer], ensure_ascii=False).encode())
        return h.hexdigest()[:24]


def doc_hash(doc) -> str:
    """lm-eval's ``doc_hash`` of a record."""
    return hashlib.sha256(json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")).hexdigest()


def load_bench(path: str | Path, question_field: str | None = None, answer_field: str | None = None,
               id_field: str | None = None, split: str | None = None) -> Bench:
    """Read the items at ``path``; a missing or unreadable file raises ``BadInput`` naming it."""
    p = Path(path)
    if not p.exists():
        raise BadInput(f"benchmark {p}: no such file or folder")
    try:
        if p.is_dir():
            kind, records = "save_to_disk", _save_to_disk(p, split)
        elif p.suffix == ".parquet" or p.name.endswith(".pq"):
            kind, records = "parquet", [(None, r) for r in pq.read_table(p).to_pylist()]
        else:
            raw = _json_lines(p)
            if raw and _is_samples(raw[0]):
                return Bench(str(p), "lm_eval_samples", _samples_items(p, raw, question_field, answer_field))
            kind, records = "jsonl", [(None, r) for r in raw]
    except BadInput:
        raise
    except Exception as error:
        raise BadInput(f"benchmark {p}: cannot read: {type(error).__name__}: {error}") from error
    if not records:
        raise BadInput(f"benchmark {p}: no items")
    items = [_item(r, i, task, question_field, answer_field, id_field, p) for i, (task, r) in enumerate(records)]
    return Bench(str(p), kind, items)


def _json_lines(p: Path) -> list[dict]:
    opener = gzip.open if p.name.endswith(".gz") else open
    out = []
    with opener(p, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise BadInput(f"benchmark {p}: line {n} is not JSON ({error.msg})") from error
                if not isinstance(record, dict):
                    raise BadInput(f"benchmark {p}: line {n} is not a JSON object")
                out.append(record)
    return out


def _save_to_disk(p: Path, split: str | None) -> list[tuple[str | None, dict]]:
    """Records of a save-to-disk Dataset (Arrow IPC files + dataset_info.json) or DatasetDict."""
    folders = [p] if (p / "dataset_info.json").exists() or (p / "state.json").exists() else []
    if not folders:
        subs = sorted(d for d in p.iterdir() if d.is_dir() and ((d / "state.json").exists() or (d / "dataset_info.json").exists()))
        if split:
            subs = [d for d in subs if d.name == split]
        if not subs:
            raise BadInput(f"benchmark {p}: not a save-to-disk dataset (no dataset_info.json or split folders"
                           + (f" named {split!r})" if split else ")"))
        folders = subs
    out = []
    for folder in folders:
        state = folder / "state.json"
        files = ([folder / f["filename"] for f in json.loads(state.read_text())["_data_files"]]
                 if state.exists() else sorted(folder.glob("*.arrow")))
        if not files:
            raise BadInput(f"benchmark {folder}: no Arrow files")
        task = folder.name if len(folders) > 1 else None
        for f in files:
            with open(f, "rb") as handle:
                try:
                    table = pa.ipc.open_stream(handle).read_all()
                except pa.ArrowInvalid:
                    handle.seek(0)
                    table = pa.ipc.open_file(handle).read_all()
            out += [(task, r) for r in table.to_pylist()]
    return out


def _pick(record: dict, wanted: str | None, candidates: tuple[str, ...], what: str, p: Path, required: bool):
    if wanted:
        value = record
        for part in wanted.split("."):
            if not isinstance(value, dict) or part not in value:
                raise BadInput(f"benchmark {p}: no field {wanted!r} for the {what} (fields: {', '.join(sorted(record))})")
            value = value[part]
        return value
    for name in candidates:
        if name in record and record[name] not in (None, ""):
            return record[name]
    if required:
        raise BadInput(f"benchmark {p}: no {what} field among {', '.join(candidates)} "
                       f"(fields: {', '.join(sorted(record))}); name it with --{what}-field")
    return None


def _answer_text(record: dict, value) -> str:
    """An answer index into ``choices``/``endings``/``options`` becomes that choice's text."""
    for name in ("choices", "endings", "options", "mc1_targets"):
        choices = record.get(name)
        if isinstance(choices, dict):
            choices = choices.get("text") or choices.get("choices")
        if isinstance(choices, list) and isinstance(value, (int, str)) and str(value).isdigit():
            idx = int(value)
            if 0 <= idx < len(choices):
                return str(choices[idx])
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _item(record, i, task, qf, af, idf, p) -> Item:
    question = _pick(record, qf, QUESTION_FIELDS, "question", p, True)
    answer = _pick(record, af, ANSWER_FIELDS, "answer", p, False)
    ident = _pick(record, idf, ID_FIELDS, "id", p, False)
    ident = str(i) if ident is None else str(ident)
    return Item(f"{task}:{ident}" if task else ident, str(question), _answer_text(record, answer), task, i, doc_hash(record))


def _is_samples(record: dict) -> bool:
    return {"doc_id", "doc", "target"} <= set(record)


def samples_task(path: Path) -> str:
    """The task of an lm-eval samples file from its name ``samples_<task>_<date>.jsonl``."""
    m = SAMPLES_NAME.match(path.name)
    return m.group("task") if m else path.stem.removeprefix("samples_")


def _first_argument(arguments):
    """The context of an lm-eval request: ``[[ctx, cont], …]`` or ``{"gen_args_0": {"arg_0": ctx}}``."""
    if isinstance(arguments, dict):
        first = next(iter(arguments.values()), None)
        return first.get("arg_0") if isinstance(first, dict) else first
    if isinstance(arguments, list) and arguments:
        first = arguments[0]
        return first[0] if isinstance(first, list) and first else first
    return None


def _samples_items(p: Path, records: list[dict], qf, af) -> list[Item]:
    """One item per ``doc_id`` (a samples file has one line per item per filter)."""
    task, items, seen = samples_task(p), [], set()
    for record in records:
        if record["doc_id"] in seen:
            continue
        seen.add(record["doc_id"])
        doc = record["doc"] if isinstance(record["doc"], dict) else {"text": record["doc"]}
        question = _pick(doc, qf, QUESTION_FIELDS, "question", p, False) if qf or doc else None
        if question is None:
            question = _first_argument(record.get("arguments")) or ""
        if af:
            answer = _answer_text(doc, _pick(doc, af, ANSWER_FIELDS, "answer", p, True))
        else:
            answer = _answer_text(doc, record.get("target"))
        items.append(Item(f"{task}:{record['doc_id']}", str(question), answer, task, record["doc_id"],
                          record.get("doc_hash") or doc_hash(record["doc"])))
    return items
