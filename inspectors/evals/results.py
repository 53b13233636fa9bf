"""Reading lm-evaluation-harness result files (v0.3 and v0.4 schemas) into one shape.

v0.3 files hold ``results``, ``versions`` and ``config`` (``config.model_args`` is a
``pretrained=ORG/NAME,revision=…`` string). v0.4 ``results_*.json`` files add ``configs``, ``n-shot``,
``model_name``, ``group_subtasks`` and more; metric keys there carry a filter (``"acc,none"``).
Anything else fails naming the file and what was expected.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from inspectors.core.errors import BadInput

ATTACH_KEY = "corpuscope"
V03_KEYS = ("results", "versions", "config")
V04_KEYS = ("results", "configs", "n-shot", "config")
# When a task reports several metrics, the score plotted is the first of these it has.
PRIMARY_METRICS = ("acc", "acc_norm", "exact_match", "em", "f1", "mcc", "pct_stereotype", "word_perplexity",
                   "perplexity", "ppl")
# Metrics where smaller is better, for tasks whose file does not say (v0.3 has no higher_is_better).
LOWER_IS_BETTER = {"perplexity", "word_perplexity", "byte_perplexity", "bits_per_byte", "ppl",
                   "likelihood_difference"}
# Hugging Face repositories renamed after these evaluations were run: old id -> current id.
RENAMED = ((re.compile(r"^EleutherAI/pythia-v1\.1-"), "EleutherAI/pythia-"),)


@dataclass(frozen=True)
class TaskScore:
    """One task's numbers from a results file: every metric, and the one chosen as its score."""

    task: str
    metrics: dict[str, float]
    stderrs: dict[str, float]
    metric: str | None
    n_shot: int | None = None
    is_group: bool = False
    higher_is_better: bool | None = None

    @property
    def score(self) -> float | None:
        """The primary metric's value (None when the task reported no number)."""
        return self.metrics.get(self.metric) if self.metric else None

    @property
    def stderr(self) -> float | None:
        """Standard error of the primary metric, when the harness reported one."""
        return self.stderrs.get(self.metric) if self.metric else None

    def to_dict(self) -> dict:
        """Plain fields for the attachment and the report."""
        return {"metric": self.metric, "value": self.score, "stderr": self.stderr, "n_shot": self.n_shot,
                "higher_is_better": self.higher_is_better, "is_group": self.is_group}


@dataclass
class EvalResult:
    """A parsed results file: its original JSON, format, model hints and per-task scores."""

    path: Path
    format: str  # "v0.3" or "v0.4"
    original: dict  # the file's JSON without any earlier corpuscope attachment
    tasks: dict[str, TaskScore]
    model_args: str | None
    model_name: str | None
    revision: str | None
    attachment: dict | None = None  # the corpuscope key from an earlier attach, if any
    candidates: list[str] = field(default_factory=list)

    @property
    def model_label(self) -> str:
        """A short human name for the model: the pretrained id, else the file's folder."""
        return self.candidates[0] if self.candidates else self.path.parent.name


def load_results(path: str | Path, name: str | None = None) -> EvalResult:
    """Read one lm-evaluation-harness results file; BadInput names the file (as ``name``, what the user
    knows it by, e.g. an upload's own name, else its path) and the expected shape."""
    path = Path(path)
    shown = name or path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"results file {shown} does not exist") from None
    except IsADirectoryError:
        raise BadInput(f"results file {shown} is a directory; pass the results_*.json files in it") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"results file {shown} is not JSON: {error}") from None
    return parse_results(data, path, name)


def parse_results(data: object, path: str | Path, name: str | None = None) -> EvalResult:
    """An ``EvalResult`` from the parsed JSON of ``path``; BadInput (naming the file as ``name``, else its
    path) if it is neither v0.3 nor v0.4."""
    path = Path(path)
    shown = name or path
    expected = ("expected lm-evaluation-harness output: v0.3 {results, versions, config} or "
                "v0.4 {results, configs, n-shot, config, model_name, …}")
    if not isinstance(data, dict):
        raise BadInput(f"{shown} is not an lm-evaluation-harness results file: top level is "
                       f"{type(data).__name__}; {expected}")
    original = {k: v for k, v in data.items() if k != ATTACH_KEY}
    attachment = data.get(ATTACH_KEY)
    if all(k in data for k in V04_KEYS):
        fmt = "v0.4"
    elif all(k in data for k in V03_KEYS):
        fmt = "v0.3"
    else:
        missing_3 = [k for k in V03_KEYS if k not in data]
        missing_4 = [k for k in V04_KEYS if k not in data]
        raise BadInput(f"{shown} is not an lm-evaluation-harness results file: it has keys "
                       f"{sorted(data)[:8]}; missing {missing_3} for v0.3 and {missing_4} for v0.4; {expected}")
    if not isinstance(data["results"], dict) or not isinstance(data["config"], dict):
        raise BadInput(f"{shown}: 'results' and 'config' must be JSON objects ({expected})")
    tasks = _v04_tasks(data, shown) if fmt == "v0.4" else _v03_tasks(data, shown)
    model_args = _model_args_string(data["config"].get("model_args"))
    model_name = data.get("model_name") if isinstance(data.get("model_name"), str) else None
    args = parse_model_args(model_args)
    revision = args.get("revision") or data["config"].get("model_revision")
    result = EvalResult(path, fmt, original, tasks, model_args, model_name,
                        revision if revision not in (None, "main") else None,
                        attachment if isinstance(attachment, dict) else None)
    result.candidates = model_candidates(result)
    return result


def parse_model_args(model_args: str | None) -> dict[str, str]:
    """``"pretrained=X,revision=Y"`` as ``{"pretrained": "X", "revision": "Y"}`` (empty for None)."""
    out = {}
    for part in (model_args or "").split(","):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def model_candidates(result: EvalResult) -> list[str]:
    """Strings naming the model, best first: pretrained id, model_name, renamed ids, folder names."""
    found: list[str] = []
    pretrained = parse_model_args(result.model_args).get("pretrained")
    for value in (pretrained, result.model_name):
        if value:
            found.append(value)
            for pattern, replacement in RENAMED:
                if pattern.search(value):
                    found.append(pattern.sub(replacement, value))
    if result.model_args:
        found.append(result.model_args)
    # v0.4 writes results under a folder named after the sanitized model name (ORG__name).
    sanitized = result.original.get("model_name_sanitized")
    if isinstance(sanitized, str):
        found.append(sanitized)
    found.append(result.path.parent.name)
    return list(dict.fromkeys(v for v in found if v))


def _model_args_string(value) -> str | None:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return value if isinstance(value, str) else None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _primary(metrics: dict[str, float]) -> str | None:
    for name in PRIMARY_METRICS:
        for key in metrics:
            if key.partition(",")[0] == name:
                return key
    return next(iter(metrics), None)


def _v03_tasks(data: dict, path: str | Path) -> dict[str, TaskScore]:
    shots = data["config"].get("num_fewshot")
    tasks = {}
    for task, values in data["results"].items():
        if not isinstance(values, dict):
            raise BadInput(f"{path}: results.{task} must be an object of metrics, got {type(values).__name__}")
        metrics, stderrs = {}, {}
        for key, value in values.items():
            number = _number(value)
            if number is None:
                continue
            if key.endswith("_stderr"):
                stderrs[key[: -len("_stderr")]] = number
            else:
                metrics[key] = number
        metric = _primary(metrics)
        tasks[task] = TaskScore(task, metrics, stderrs, metric, shots if isinstance(shots, int) else None,
                                higher_is_better=None if metric is None else metric not in LOWER_IS_BETTER)
    return tasks


def _v04_tasks(data: dict, path: str | Path) -> dict[str, TaskScore]:
    shots = data.get("n-shot") or {}
    better = data.get("higher_is_better") or {}
    groups = set(data.get("groups") or {}) | {g for g, subs in (data.get("group_subtasks") or {}).items() if subs}
    tasks = {}
    for task, values in data["results"].items():
        if not isinstance(values, dict):
            raise BadInput(f"{path}: results.{task} must be an object of metrics, got {type(values).__name__}")
        metrics, stderrs = {}, {}
        for key, value in values.items():
            number = _number(value)
            if number is None or key == "alias":
                continue
            name, _, filt = key.partition(",")
            label = name if filt in ("", "none") else f"{name},{filt}"
            if name.endswith("_stderr"):
                stderrs[label.replace("_stderr", "", 1)] = number
            else:
                metrics[label] = number
        metric = _primary(metrics)
        base = metric.partition(",")[0] if metric else None
        hib = (better.get(task) or {}).get(base) if isinstance(better.get(task), dict) else None
        if hib is None and base is not None:
            hib = base not in LOWER_IS_BETTER
        n_shot = shots.get(task) if isinstance(shots, dict) else None
        tasks[task] = TaskScore(task, metrics, stderrs, metric, n_shot if isinstance(n_shot, int) else None,
                                is_group=task in groups, higher_is_better=hib)
    return tasks
