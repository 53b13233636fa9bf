"""Evaluation results meet coverage: parsing real lm-eval files, task mapping, attach, report."""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import shared
from inspectors.cli import CorpuscopeGroup
from inspectors.cli.eval_cmds import attach, report
from inspectors.core.errors import BadInput
from inspectors.core.findings import Finding
from inspectors.evals import attach as attach_mod
from inspectors.evals import build_report, load_results, load_task_map, render_html, resolve_model

LM = shared("lm_eval_results")
V3 = LM / "pythia_repo_v0.3_format"
ML = LM / "lm-evaluation-harness_v0.3_format_multilingual"
V4 = LM / "lm-evaluation-harness_v0.4_format"
NON_STANDARD = V4 / "results/VisualRWKV__rwkv7-1.47B-pile/results_2025-03-05T00-33-06.json"
BLOOM_XNLI = ML / "bloom/bloom-560m/bloom-560m_xnli_0-shot.json"
XGLM_XNLI = ML / "xglm/xglm-564M/xglm-564M_xnli_0-shot.json"
PYTHIA_14 = V3 / "pythia-v1/pythia-1.4b-deduped/zero-shot/1.4b-deduped_step143000.json"


def _one(folder: Path) -> Path:
    files = sorted(folder.rglob("*.json"))
    assert files, folder
    return files[0]


# ---------------------------------------------------------------- catalogue


def _real_catalogue():
    try:
        return importlib.import_module("inspectors.core.catalogue")
    except ImportError:
        return None


class _Entry:
    def __init__(self, name, corpus, version=None):
        self.name, self.organisation = name, name.split("/")[0]
        self.corpus, self.corpus_version, self.openness = corpus, version, "open" if corpus else "closed"

    def to_dict(self):
        return {"name": self.name, "organisation": self.organisation, "corpus": self.corpus,
                "corpus_version": self.corpus_version, "openness": self.openness}


def _stub_find_model(text: str):
    """Stand-in for catalogue.find_model while the real module is absent: a few known models only."""
    value = text.split("pretrained=", 1)[1].split(",")[0] if "pretrained=" in text else text
    value = value.replace("__", "/").strip("/")
    value = "/".join(value.split("/")[-2:])
    known = {"EleutherAI/pythia-1.4b-deduped": "pile-deduped", "EleutherAI/pythia-160m": "pile",
             "EleutherAI/pythia-1.4b": "pile", "EleutherAI/pythia-14m": "pile",
             "state-spaces/mamba-1.4b": "pile", "state-spaces/mamba2-130m": "pile",
             "bigscience/bloom-560m": "roots", "Qwen/Qwen2.5-1.5B": None}
    for name, corpus in known.items():
        if value.lower() == name.lower():
            return _Entry(name, corpus)
    return None


@pytest.fixture
def catalogue(monkeypatch, home):
    """The real catalogue when it exists; else a stub module with the same ``find_model`` API."""
    real = _real_catalogue()
    if real is not None:
        return real
    stub = types.ModuleType("inspectors.core.catalogue")
    stub.find_model = _stub_find_model
    monkeypatch.setitem(sys.modules, "inspectors.core.catalogue", stub)
    return stub


# ---------------------------------------------------------------- helpers


def _finding(tmp: Path, name: str, query: str, params: dict, corpus: str, share: float, total: int = 8000) -> Path:
    lo, hi = share * 0.6, share * 1.5
    est = {"matched": share * total, "total": total, "share": share, "ci95": [lo, hi], "method": "ratio"}
    data = {"kind": "corpuscope.finding", "finding_version": 1,
            "query": {"name": query, "title": query, "version": 1, "sha256": "q" * 8, "params": params},
            "corpus": {"name": corpus, "version": None, "revision": None, "source": f"hf://{corpus}",
                       "shards_fingerprint": "f" * 8},
            "plan": {"strategy": "shard_sample", "seed": 0, "sample_shards": 8, "rows_per_shard": 1000},
            "shards": {"read": 8, "total": 100}, "documents": est, "bytes": est, "tokens": est,
            "evidence": [{"id": "d1", "shard": "s0", "row": 3, "url": "https://x.example/a",
                          "snippet": f"<b>{name}</b> text", "evidence": None}],
            "inspectors": {"language": "language_v1"},
            "provenance": {"tool_version": "0.1.0", "created": "2026-11-28T00:00:00Z", "query_sha256": "q" * 8}}
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run(command, *args):
    group = CorpuscopeGroup(commands={"attach": attach, "report": report})
    result = CliRunner().invoke(group, [command, *[str(a) for a in args]], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- reading results


def test_every_real_file_parses_or_fails_clearly():
    formats = {"v0.3": 0, "v0.4": 0}
    for path in sorted(LM.rglob("*.json")):
        if path == NON_STANDARD:
            with pytest.raises(BadInput) as error:
                load_results(path)
            message = str(error.value)
            assert str(path) in message and "v0.3" in message and "v0.4" in message and "expected" in message
            continue
        result = load_results(path)
        formats[result.format] += 1
        assert result.tasks and result.candidates
        assert result.original == _read(path)
    assert formats == {"v0.3": 187, "v0.4": 21}


def test_v04_metrics_groups_and_shots():
    result = load_results(_one(V4 / "results/Qwen__Qwen2.5-1.5B"))
    law = result.tasks["mmlu_professional_law"]
    assert law.metric == "acc" and 0 < law.score < 1 and law.stderr > 0 and law.n_shot == 0
    assert result.tasks["mmlu_humanities"].is_group and not law.is_group
    v3 = load_results(ML / "xglm/xglm-564M/xglm-564M_gsm8k_8-shot.json")
    assert v3.format == "v0.3" and v3.tasks["gsm8k"].n_shot == 8


def test_not_json_and_missing_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    for path in (bad, tmp_path / "missing.json"):
        with pytest.raises(BadInput, match=str(path)):
            load_results(path)


# ---------------------------------------------------------------- task map


@pytest.mark.parametrize("task, query, params", [
    ("xnli_vi", "language_share", {"language": "vi"}),
    ("xcopa_vi", "language_share", {"language": "vi"}),
    ("xstory_cloze_my", "language_share", {"language": "my"}),
    ("xstorycloze_vi", "language_share", {"language": "vi"}),
    ("pawsx_zh", "language_share", {"language": "zh"}),
    ("xwinograd_jp", "language_share", {"language": "ja"}),
    ("belebele_vie_Latn", "language_share", {"language": "vi"}),
    ("hendrycksTest-professional_law", "language_topic_share", {"language": "en", "topic": "law"}),
    ("mmlu_professional_law", "language_topic_share", {"language": "en", "topic": "law"}),
    ("mmlu_jurisprudence", "language_topic_share", {"language": "en", "topic": "law"}),
    ("arc_easy", "language_topic_share", {"language": "en", "topic": "science_tech"}),
    ("arc_vi", "language_share", {"language": "vi"}),
    ("masakhaner_luo_prompt_1", "language_share", {"language": "luo"}),
])
def test_task_map_shipped(task, query, params):
    question = load_task_map().question(task)
    assert (question.query, question.params) == (query, params)


def test_task_map_unmapped_and_aliases():
    task_map = load_task_map()
    for task in ("steer", "mmlu", "mmlu_humanities", "hellaswag", "mmlu_miscellaneous"):
        assert task_map.question(task) is None
    vi = task_map.question("xnli_vi")
    assert task_map.matches(vi, "vietnamese_share", {"min_score": 0.5})
    assert task_map.matches(vi, "language_share", {"language": "vi", "min_score": 0.5})
    assert not task_map.matches(vi, "language_share", {"language": "en"})


def test_user_task_map_overrides(tmp_path):
    user = tmp_path / "map.yaml"
    user.write_text("tasks:\n  xnli_vi: null\n  steer: {family: steer, query: language_share, params: {language: en}}\n"
                    "families:\n  - {family: mine, match: 'xcopa_{lang}', query: my_query, params: {lang: '{lang}'}}\n",
                    encoding="utf-8")
    task_map = load_task_map(user)
    assert task_map.question("xnli_vi") is None
    assert task_map.question("steer").params == {"language": "en"}
    assert task_map.question("xcopa_vi").query == "my_query"
    assert task_map.question("xnli_de").params == {"language": "de"}
    broken = tmp_path / "broken.yaml"
    broken.write_text("tasks:\n  x: {query: q}\n", encoding="utf-8")
    with pytest.raises(BadInput, match="needs 'family'"):
        load_task_map(broken)


# ---------------------------------------------------------------- models


def test_model_candidates_from_files():
    assert load_results(PYTHIA_14).candidates[:2] == ["EleutherAI/pythia-v1.1-1.4b-deduped",
                                                      "EleutherAI/pythia-1.4b-deduped"]
    local = load_results(_one(V4 / "lm_evals/pythia-14m"))
    assert local.candidates[0] == "/data/public_models/huggingface/EleutherAI/pythia-14m"
    assert load_results(BLOOM_XNLI).candidates[0] == "bigscience/bloom-560m"
    assert load_results(_one(V4 / "results/Qwen__Qwen2.5-1.5B")).candidates[0] == "Qwen/Qwen2.5-1.5B"


def _corpus(path: Path) -> str:
    info = resolve_model(load_results(path))
    assert info.corpus, f"{info.label} ({path.name}) did not resolve to a training corpus"
    return info.corpus


def test_models_resolve_through_catalogue(catalogue):
    assert "pile" in _corpus(PYTHIA_14) and "dedup" in _corpus(PYTHIA_14)
    assert "pile" in _corpus(V3 / "pythia-v1/pythia-160m/zero-shot/160m_step143000.json")
    assert "dedup" not in _corpus(V3 / "pythia-v1/pythia-160m/zero-shot/160m_step143000.json")
    assert "pile" in _corpus(_one(V4 / "lm_evals/pythia-14m"))  # local path /data/…/EleutherAI/pythia-14m
    assert "pile" in _corpus(_one(V4 / "results-0.4.3/state-spaces__mamba-1.4b"))
    # Named by the catalogue or reported unknown; never a corpus borrowed from a similar name.
    for path, org in ((BLOOM_XNLI, "bigscience"), (XGLM_XNLI, "facebook"),
                      (_one(V4 / "results/Qwen__Qwen2.5-1.5B"), "Qwen"),
                      (_one(V4 / "results/fla-hub__rwkv7-1.5B-world"), "fla-hub"),
                      (_one(V4 / "results/SmerkyG__RWKV7-Goose-0.1B-Pile-HF"), "SmerkyG")):
        info = resolve_model(load_results(path))
        if info.entry is None:
            assert info.corpus is None and info.corpus_source is None
        else:
            assert info.entry["name"].split("/")[0].lower() == org.lower()


def test_unknown_model_reported_and_mappable(catalogue, tmp_path):
    path = _one(V4 / "results/fla-hub__rwkv7-1.5B-world")
    assert resolve_model(load_results(path)).corpus is None or catalogue.find_model("fla-hub/rwkv7-1.5B-world")
    finding = _finding(tmp_path, "law", "language_topic_share", {"language": "en", "topic": "law"}, "world-v2", 0.01)
    code, out, err = _run("attach", path, "--finding", finding, "-o", tmp_path / "a.json")
    assert code == 0
    if resolve_model(load_results(path)).corpus is None:
        assert "fla-hub/rwkv7-1.5B-world" in err and "--model-corpus" in err
    code, out, err = _run("attach", path, "--finding", finding, "--model-corpus",
                          "fla-hub/rwkv7-1.5B-world=world-v2", "-o", tmp_path / "b.json")
    block = _read(tmp_path / "b.json")["corpuscope"]
    assert block["model"]["corpus"] == "world-v2" and block["model"]["corpus_source"] == "--model-corpus"
    assert {"mmlu_professional_law", "mmlu_jurisprudence", "mmlu_international_law"} <= set(block["tasks"])


# ---------------------------------------------------------------- attach


def test_attach_keeps_original_and_is_idempotent(catalogue, tmp_path):
    vi = _finding(tmp_path, "vi", "language_share", {"language": "vi", "min_score": 0.5}, "roots-x", 0.02)
    fr = _finding(tmp_path, "fr", "language_share", {"language": "fr", "min_score": 0.5}, "roots-x", 0.1)
    first, second = tmp_path / "once.json", tmp_path / "twice.json"
    args = ["--finding", vi, "--finding", fr, "--model-corpus", "bigscience/bloom-560m=roots-x"]
    code, out, err = _run("attach", BLOOM_XNLI, *args, "-o", first)
    assert code == 0, err
    annotated, original = _read(first), _read(BLOOM_XNLI)
    block = annotated.pop("corpuscope")
    assert annotated == original and list(annotated) == list(original)
    assert set(block["tasks"]) == {"xnli_vi", "xnli_fr"}
    assert block["tasks"]["xnli_vi"]["findings"][0]["documents"]["share"] == 0.02
    assert block["tasks"]["xnli_vi"]["score"]["value"] == original["results"]["xnli_vi"]["acc"]
    _run("attach", first, *args, "-o", second)
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_attach_checks_the_corpus(catalogue, tmp_path):
    law = _finding(tmp_path, "law", "language_topic_share", {"language": "en", "topic": "law"}, "dolma", 0.01)
    code, out, err = _run("attach", PYTHIA_14, "--finding", law, "-o", tmp_path / "o.json")
    assert code == 0
    assert "not attached" in err and _read(tmp_path / "o.json")["corpuscope"]["tasks"] == {}
    pile = _corpus(PYTHIA_14).split(":")[0]
    law = _finding(tmp_path, "law2", "language_topic_share", {"language": "en", "topic": "law"}, pile, 0.01)
    _run("attach", PYTHIA_14, "--finding", law, "-o", tmp_path / "p.json")
    tasks = _read(tmp_path / "p.json")["corpuscope"]["tasks"]
    assert {"hendrycksTest-professional_law", "hendrycksTest-jurisprudence",
            "hendrycksTest-international_law"} == set(tasks)


def test_attach_refuses_a_corpus_no_finding_names(catalogue, tmp_path):
    """`--model-corpus MODEL=roots-y` with findings on roots-x was accepted, so nothing attached and no error
    said why; it fails naming the value and the corpora the findings were measured on."""
    vi = _finding(tmp_path, "vi", "language_share", {"language": "vi", "min_score": 0.5}, "roots-x", 0.02)
    code, _, err = _run("attach", BLOOM_XNLI, "--finding", vi, "--model-corpus", "bigscience/bloom-560m=roots-y",
                        "-o", tmp_path / "o.json")
    assert code == 2 and "'roots-y'" in err and "measured on: roots-x" in err, err
    assert not (tmp_path / "o.json").exists()


def test_attach_several_files_to_a_folder(catalogue, tmp_path):
    vi = _finding(tmp_path, "vi", "vietnamese_share", {"min_score": 0.5}, "cc", 0.01)
    out = tmp_path / "out"
    code, _, err = _run("attach", BLOOM_XNLI, XGLM_XNLI, "--finding", vi, "--model-corpus", "bigscience/bloom-560m=cc",
                        "--model-corpus", "facebook/xglm-564M=cc", "-o", out)
    assert code == 0, err
    for src in (BLOOM_XNLI, XGLM_XNLI):
        written = out / src.relative_to(ML)
        assert "xnli_vi" in _read(written)["corpuscope"]["tasks"]
    code, _, err = _run("attach", BLOOM_XNLI, "--finding", vi, "-o", f"{tmp_path / 'single'}/")
    assert code == 0 and (tmp_path / "single" / BLOOM_XNLI.name).is_file()
    (tmp_path / "file.json").write_text("{}")
    code, _, err = _run("attach", BLOOM_XNLI, XGLM_XNLI, "--finding", vi, "-o", tmp_path / "file.json")
    assert code == 2 and "must be a folder" in err


def test_attach_bad_inputs(catalogue, tmp_path):
    code, _, err = _run("attach", BLOOM_XNLI, "--finding", PYTHIA_14, "-o", tmp_path / "x.json")
    assert code == 2 and str(PYTHIA_14) in err and "not a corpuscope finding" in err
    vi = _finding(tmp_path, "vi", "vietnamese_share", {"min_score": 0.5}, "cc", 0.01)
    code, _, err = _run("attach", NON_STANDARD, "--finding", vi, "-o", tmp_path / "x.json")
    assert code == 2 and str(NON_STANDARD) in err and "expected lm-evaluation-harness output" in err
    assert not (tmp_path / "x.json").exists()
    code, _, err = _run("attach", BLOOM_XNLI, "-o", tmp_path / "x.json")
    assert code == 2 and "--finding" in err and "--auto" in err


# One hand edit per field or part: each is refused by `finding show`, `attach` and `report`, naming file and field.
HAND_EDITS = [
    (lambda d: d.update(documents="lots"), '"documents" must be an estimate'),
    (lambda d: d["documents"].update(matched="lots"), "documents.matched must be a number"),
    (lambda d: d["tokens"].update(total="many"), "tokens.total must be a number"),
    (lambda d: d["bytes"].update(share=True), "bytes.share must be a number"),
    (lambda d: d["documents"].update(ci95=[0.1, "high"]), "documents.ci95 high must be a number"),
    (lambda d: d["documents"].update(ci95=0.1), "documents.ci95 must be a pair"),
    (lambda d: d["shards"].update(read="eight"), "shards.read must be a number"),
    (lambda d: d.update(tokens="many") or d["provenance"].update(measures={"tokens": {"name": "t"}}),
     '"tokens" must be an estimate'),
    # the parts the readers index: each crashed `finding show` with a traceback
    (lambda d: d["documents"].pop("method"), "documents.method must name"),
    (lambda d: d["plan"].pop("strategy"), "plan.strategy must be a name"),
    (lambda d: d["query"].update(params="vi"), "query.params must be an object"),
    (lambda d: d.update(provenance="x"), '"provenance" must be an object'),
    (lambda d: d.update(evidence="none"), '"evidence" must be a list'),
    (lambda d: d["evidence"][0].pop("snippet"), "evidence[0] lacks snippet"),
]


@pytest.mark.parametrize("edit, message", HAND_EDITS, ids=[m for _, m in HAND_EDITS])
def test_a_hand_edited_finding_is_refused_naming_file_and_field(catalogue, cli, tmp_path, edit, message):
    good = _finding(tmp_path, "vi", "vietnamese_share", {"min_score": 0.5}, "cc", 0.01)
    annotated = tmp_path / "annotated.json"
    code, _, err = _run("attach", BLOOM_XNLI, "--finding", good, "--model-corpus", "bigscience/bloom-560m=cc",
                        "-o", annotated)
    assert code == 0, err
    bad = tmp_path / "bad.json"
    data = _read(good)
    edit(data)
    bad.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = cli("finding", "show", bad)
    assert code == 2 and str(bad) in err and message in err, err
    code, _, err = _run("attach", BLOOM_XNLI, "--finding", bad, "-o", tmp_path / "x.json")
    assert code == 2 and str(bad) in err and message in err, err
    record = _read(annotated)
    edit(record["corpuscope"]["tasks"]["xnli_vi"]["findings"][0])
    annotated.write_text(json.dumps(record), encoding="utf-8")
    code, _, err = _run("report", annotated, "-o", tmp_path / "report.html")
    assert code == 2 and str(annotated) in err and "xnli_vi" in err and message in err, err


def test_attach_auto_runs_each_question_once(catalogue, tmp_path, monkeypatch):
    calls = []

    def fake_run(name, corpus, params, plan):
        calls.append((name, corpus, params, plan))
        data = _read(_finding(tmp_path, f"auto{len(calls)}", name, {**params, "min_score": 0.5}, corpus, 0.01))
        return Finding.from_dict(data)

    monkeypatch.setattr(attach_mod, "_run_query", lambda: fake_run)
    code, out, err = _run("attach", BLOOM_XNLI, XGLM_XNLI, "--auto", "--sample-shards", 2, "--rows-per-shard", 50,
                          "--seed", 3, "--model-corpus", "bigscience/bloom-560m=culturax",
                          "--model-corpus", "facebook/xglm-564M=mc4", "-o", tmp_path / "auto")
    assert code == 0, err
    assert len(calls) == 2 * 15  # 15 xnli languages for each of two corpora
    assert calls[0][3] == {"strategy": "shard_sample", "sample_shards": 2, "rows_per_shard": 50, "seed": 3}
    block = _read(tmp_path / "auto" / "bloom/bloom-560m/bloom-560m_xnli_0-shot.json")["corpuscope"]
    assert len(block["tasks"]) == 15 and block["tasks"]["xnli_vi"]["findings"][0]["corpus"]["name"] == "culturax"
    code, _, err = _run("attach", _one(V4 / "results/gpt2"), "--auto", "-o", tmp_path / "g.json")
    if resolve_model(load_results(_one(V4 / "results/gpt2"))).corpus is None:
        assert code == 2 and "--model-corpus" in err


# ---------------------------------------------------------------- report


@pytest.fixture
def annotated(catalogue, tmp_path) -> list[Path]:
    """bloom-560m and xglm-564M xnli results with synthetic vi/fr/de findings on their corpora."""
    outs = []
    for src, model, corpus, scale in ((BLOOM_XNLI, "bigscience/bloom-560m", "roots-x", 1.0),
                                      (XGLM_XNLI, "facebook/xglm-564M", "cc100-x", 0.3)):
        findings = [_finding(tmp_path, f"{corpus}-{lang}", "language_share", {"language": lang, "min_score": 0.5},
                             corpus, share * scale) for lang, share in (("vi", 0.02), ("fr", 0.1), ("de", 0.001))]
        out = tmp_path / f"{corpus}.json"
        args = [x for f in findings for x in ("--finding", f)]
        code, _, err = _run("attach", src, *args, "--model-corpus", f"{model}={corpus}", "-o", out)
        assert code == 0, err
        outs.append(out)
    return outs


def test_report_html(annotated, tmp_path):
    data = build_report(annotated)
    assert [s.family for s in data.families] == ["xnli"] and len(data.families[0].models) == 2
    assert len(data.families[0].points) == 6
    code, out, err = _run("report", *annotated, "-o", tmp_path / "report.html")
    assert code == 0, err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page == render_html(data)
    assert "<svg" in page and "<script" not in page and "src=\"http" not in page
    for point in data.families[0].points:
        assert f'href="#finding-{point.finding_id}"' in page and f'id="finding-{point.finding_id}"' in page
    assert "What this does and does not show" in page and "correlational" in page and "deduplication" in page
    assert "&lt;b&gt;" in page  # evidence snippets are escaped


def test_report_markdown(annotated, tmp_path):
    code, out, err = _run("report", *annotated, "-o", tmp_path / "r.md", "--unit", "tokens")
    assert code == 0, err
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "| model |" in text and "![xnli" in text and "correlational" in text
    assert (tmp_path / "r-xnli.svg").read_text(encoding="utf-8").startswith("<svg")


def test_report_rejects_unannotated_and_bad_suffix(annotated, tmp_path):
    code, _, err = _run("report", BLOOM_XNLI, "-o", tmp_path / "r.html")
    assert code == 2 and str(BLOOM_XNLI) in err and "corpuscope attach" in err
    code, _, err = _run("report", *annotated, "-o", tmp_path / "r.pdf")
    assert code == 2 and ".html or .md" in err



def test_task_map_topics_are_inspector_topics():
    """A task mapped to a topic the topic inspector never emits would always find zero coverage."""
    from pathlib import Path

    import yaml

    import inspectors
    from inspectors.builtin.topic import TOPICS

    raw = yaml.safe_load((Path(inspectors.__file__).parent / "data" / "task_map.yaml").read_text())
    named = {entry["topic"] for entry in raw["tasks"].values() if entry and entry.get("topic")}
    for family in raw["families"]:
        if family.get("topic") and family["topic"] != "{topic}":
            named.add(family["topic"])
        named |= set((family.get("subjects") or {}).values())
    assert named and named <= set(TOPICS), sorted(named - set(TOPICS))


def test_a_broken_file_is_named_as_the_user_knows_it(tmp_path):
    """The app stores an upload under a hashed folder; its errors named that path beside the upload's own
    name. ``name`` is what the error shows, once; without it, the path."""
    from inspectors.core import findings

    stored = tmp_path / "0123abcd" / "mine.json"
    stored.parent.mkdir()
    for body, load in (("{not json", load_results), ("[]", load_results), ("{not json", findings.load)):
        stored.write_text(body)
        with pytest.raises(BadInput) as caught:
            load(stored, "mine.json")
        assert "mine.json" in str(caught.value) and "0123abcd" not in str(caught.value), caught.value
        with pytest.raises(BadInput, match="0123abcd"):
            load(stored)
