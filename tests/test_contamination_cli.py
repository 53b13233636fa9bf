"""`corpuscope contamination` end to end, and the join with samples files written in lm-eval's format."""

from __future__ import annotations

import hashlib
import json
import shutil
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE, shared

from inspectors.contamination.bench import doc_hash, load_bench
from inspectors.contamination.join import join, load_samples

def _demo_texts() -> list[str]:
    return pq.read_table(SAMPLE / "flat" / "demo-0001.parquet").column("text").to_pylist()


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_cli_on_the_demo_corpus(cli, home, tmp_path):
    text = _demo_texts()[7]
    bench = _write_jsonl(tmp_path / "items.jsonl", [
        {"id": "in-demo", "question": text[:300], "answer": "an answer too short"},
        {"id": "made-up", "question": "Zebras compose symphonies on the moon while quasars knit purple socks for the winter", "answer": ""},
    ])
    out = tmp_path / "record.json"
    code, stdout, _ = cli("contamination", bench, "--corpus", SAMPLE / "flat", "--workers", "1", "--out", out)
    assert code == 0, stdout
    assert "in-demo" in stdout and "dirty" in stdout and "not 'clean'" in stdout
    record = json.loads(out.read_text())
    by_id = {r["id"]: r for r in record["items"]}
    assert by_id["in-demo"]["verdicts"]["gpt3"] == "dirty"
    assert by_id["in-demo"]["question"]["documents"][0]["shard"].startswith("demo-")
    assert by_id["made-up"]["verdicts"]["gpt3"] == "not found"
    assert record["corpus"]["exact"] and record["lower_bound"]
    code, stdout, _ = cli("contamination", "scan", bench, "--corpus", SAMPLE / "dolma", "--sample-shards", "1",
                          "--seed", "3", "--workers", "1", "--format", "json")
    assert code == 0
    sampled = json.loads(stdout[stdout.index("{"):])
    assert sampled["corpus"]["shards_read"] == 1 and "Read 1 of 3 shards" in sampled["honesty"]


def test_cli_on_vietnamese_statutes_keeps_tones(cli, home, tmp_path):
    corpus = shared("vi_legal_vlc2021", "vlc2021_laws.parquet")
    text = pq.read_table(corpus, columns=["text"]).column("text")[5].as_py()
    passage = " ".join(text.split()[100:160])
    stripped = "".join(c for c in unicodedata.normalize("NFD", passage) if not unicodedata.combining(c))
    bench = _write_jsonl(tmp_path / "vi.jsonl", [
        {"id": "verbatim", "question": passage, "answer": ""},
        {"id": "nfd", "question": unicodedata.normalize("NFD", passage.upper()), "answer": ""},
        {"id": "no-tones", "question": stripped, "answer": ""},
    ])
    code, stdout, _ = cli("contamination", bench, "--corpus", corpus, "--workers", "1", "--format", "json")
    assert code == 0
    items = {r["id"]: r for r in json.loads(stdout[stdout.index("{"):])["items"]}
    assert items["verbatim"]["verdicts"]["gpt3"] == "dirty" and items["verbatim"]["question"]["frac_matched"] == 1.0
    assert items["nfd"]["verdicts"]["gpt3"] == "dirty"
    assert items["no-tones"]["question"]["n_matched"] < items["verbatim"]["question"]["n_matched"] / 4


@pytest.mark.parametrize("content", [None, "{broken\n"])
def test_cli_bad_benchmark_is_one_line_exit_2(cli, tmp_path, content):
    path = tmp_path / "bench.jsonl"
    if content is not None:
        path.write_text(content)
    code, _, stderr = cli("contamination", path, "--corpus", SAMPLE / "flat")
    assert code == 2
    assert stderr.count("\n") == 1 and str(path) in stderr and stderr.startswith("Error: benchmark")


def _samples_record(doc_id: int, doc: dict, target: str, acc: float, filt: str = "none") -> dict:
    """One line of lm-eval's --log_samples output (0.4.x, a multiple-choice task)."""
    prompt = f"Question: {doc['question']}\nAnswer:"
    return {
        "doc_id": doc_id, "doc": doc, "target": target,
        "arguments": {f"gen_args_{k}": {"arg_0": prompt, "arg_1": f" {c}"} for k, c in enumerate(doc["choices"])},
        "resps": [[[-1.5 - k, False]] for k in range(len(doc["choices"]))],
        "filtered_resps": [[-1.5 - k, False] for k in range(len(doc["choices"]))],
        "filter": filt, "metrics": ["acc", "acc_norm"],
        "doc_hash": hashlib.sha256(json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")).hexdigest(),
        "prompt_hash": hashlib.sha256(prompt.encode()).hexdigest(),
        "target_hash": hashlib.sha256(target.encode()).hexdigest(),
        "acc": acc, "acc_norm": acc,
    }


@pytest.fixture
def task_files(tmp_path):
    texts = _demo_texts()
    docs, lines = [], []
    for i in range(40):
        seen = i < 12  # the first 12 questions are demo text (dirty), the rest are made up
        question = texts[i][:240] if seen else f"Item {i}: would a violet giraffe number {i} prefer sonatas or quartz mining in autumn {i * 7}?"
        doc = {"question": question, "choices": ["yes", "no"], "answer": i % 2}
        docs.append(doc)
        lines.append(_samples_record(i, doc, str(doc["answer"]), 1.0 if (seen or i % 3 == 0) else 0.0))
        lines.append(_samples_record(i, doc, str(doc["answer"]), 0.0, filt="other"))
    samples = _write_jsonl(tmp_path / "samples_demo_qa_2024-06-03T01-50-28.099832.jsonl", lines)
    user = _write_jsonl(tmp_path / "demo_qa.jsonl", docs)
    return samples, user


def test_samples_file_as_benchmark(task_files):
    samples, user = task_files
    bench = load_bench(samples)
    assert bench.kind == "lm_eval_samples" and len(bench.items) == 40
    assert bench.items[0].id == "demo_qa:0" and bench.items[0].answer == "yes"  # target "0" indexes the choices
    assert bench.items[3].doc_hash == doc_hash(json.loads(user.read_text().splitlines()[3]))
    rows = load_samples(samples)
    assert rows["task"] == "demo_qa" and rows["metric"] == "acc" and rows["filter"] == "none" and len(rows["rows"]) == 40


@pytest.mark.parametrize("bench_kind", ["samples", "user"])
def test_join_and_attach_end_to_end(cli, home, tmp_path, task_files, bench_kind):
    samples, user = task_files
    record_path = tmp_path / "contamination.json"
    bench = samples if bench_kind == "samples" else user
    code, _, _ = cli("contamination", bench, "--corpus", SAMPLE / "flat", "--workers", "1", "--out", record_path)
    assert code == 0
    results = tmp_path / "results_2024-06-03T01-50-28.099832.json"
    original = next(shared("lm_eval_results", "lm-evaluation-harness_v0.4_format").rglob("results_*.json"))
    shutil.copy(original, results)
    annotated = tmp_path / "annotated.json"
    code, stdout, _ = cli("contamination", "join", record_path, samples, "--results", results, "--out", annotated,
                          "--seed", "1")
    assert code == 0, stdout
    assert "demo_qa" in stdout and "not over clean items" in stdout
    data_in, data_out = json.loads(original.read_text()), json.loads(annotated.read_text())
    assert {k: v for k, v in data_out.items() if k != "corpuscope"} == data_in
    block = data_out["corpuscope"]["contamination"]["tasks"]["demo_qa"]
    assert block["n_items"] == 40 and block["n_joined"] == 40 and block["metric"] == "acc"
    gpt3 = block["methods"]["gpt3"]
    assert gpt3["n_dirty"] == 12 and gpt3["share_dirty"] == pytest.approx(0.3)
    assert gpt3["score_dirty"]["mean"] == 1.0 and gpt3["score_dirty"]["low"] == 1.0
    assert gpt3["score_not_found"]["low"] <= gpt3["score_not_found"]["mean"] <= gpt3["score_not_found"]["high"]
    assert gpt3["difference"]["mean"] > 0
    # seeded: the same intervals again; attaching keeps other corpuscope keys
    data_out["corpuscope"]["tasks"] = {"kept": True}
    annotated.write_text(json.dumps(data_out))
    code, _, _ = cli("contamination", "join", record_path, samples, "--results", annotated, "--out", annotated, "--seed", "1")
    again = json.loads(annotated.read_text())
    assert again["corpuscope"]["tasks"] == {"kept": True}
    assert again["corpuscope"]["contamination"]["tasks"]["demo_qa"]["methods"]["gpt3"] == gpt3


def test_join_without_matches_and_bad_files(cli, tmp_path, task_files):
    samples, _ = task_files
    record = {"kind": "contamination", "items": [], "benchmark": {}, "corpus": {}, "parameters": {}, "honesty": "x."}
    out = join(record, [load_samples(samples)])
    assert out["tasks"]["demo_qa"]["n_joined"] == 0 and out["tasks"]["demo_qa"]["methods"] == {}
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    code, _, stderr = cli("contamination", "join", bad, samples)
    assert code == 2 and str(bad) in stderr
    code, _, stderr = cli("contamination", "join", tmp_path / "missing.json", samples)
    assert code == 2 and "missing.json" in stderr
