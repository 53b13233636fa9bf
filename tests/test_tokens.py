"""Token inspector: script classes, calibrated estimates vs exact counts, offline tokenizer files."""

from __future__ import annotations

import json
import statistics

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import shared
from inspectors.builtin import tokens
from inspectors.core.registry import registered


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
    assert tokens.script_class(text) == expected


def test_estimates_and_nulls():
    out = _run([None, "", "Xin chào thế giới, đây là tiếng Việt."], exact=False)
    assert out["n_tokens"].to_pylist()[:2] == [0, 0]
    assert out["n_tokens"].to_pylist()[2] > 0
    assert out["n_tokens_method"].to_pylist()[2] == "estimate:olmo2:vietnamese"


def test_ratio_file_records_its_source():
    data = json.loads(tokens.RATIOS_FILE.read_text(encoding="utf-8"))
    assert data["created"] and data["script"] == "benchmarks/calibrate_tokens.py"
    for name in tokens.TOKENIZERS:
        assert set(tokens.SCRIPT_CLASSES) <= set(data["bytes_per_token"][name])


def test_tokenizer_files_are_found_offline():
    for name in tokens.TOKENIZERS:
        assert tokens.exact_counter(name) is not None, f"{name} tokenizer files are not installed"
    assert tokens.exact_counter("gpt2")(["Hello world"]) == [2]
    assert tokens.exact_counter("cl100k")(["Hello world"]) == [2]


def test_exact_mode_and_estimate_close_to_it_on_vietnamese():
    texts = pq.read_table(shared("vi_wikipedia_dev", "viwiki_dev_500.parquet")).column("text").to_pylist()
    texts = [t for t in texts[:200] if len(t) > 500]
    exact = _run(texts, exact=True)
    assert set(exact["n_tokens_method"].to_pylist()) == {"exact:olmo2"}
    estimate = _run(texts, exact=False)
    errors = [abs(e - x) / x for e, x in zip(estimate["n_tokens"].to_pylist(), exact["n_tokens"].to_pylist())]
    assert statistics.median(errors) < 0.10
    assert abs(sum(estimate["n_tokens"].to_pylist()) / sum(exact["n_tokens"].to_pylist()) - 1) < 0.05


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
