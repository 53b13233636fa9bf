"""Language inspector: accuracy floors on real paragraphs, bad input, backends, offline loading."""

from __future__ import annotations

import random
import socket
import time
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import shared
from inspectors.builtin import language
from inspectors.core.registry import registered


def _inspector(backend: str | None = None):
    return registered()["language_v1"](backend)


def _xquad() -> tuple[list[str], list[str]]:
    table = pq.read_table(shared("langid_xquad_paragraphs", "xquad_paragraphs.parquet"))
    return table.column("text").to_pylist(), table.column("lang").to_pylist()


def _accuracy(backend: str, texts: list[str], langs: list[str]) -> dict[str, float]:
    out = _inspector(backend).inspect(pa.record_batch({"text": pa.array(texts)}))
    hits, total = defaultdict(int), defaultdict(int)
    for got, want in zip(out["language"].to_pylist(), langs):
        hits[want] += got == want
        total[want] += 1
    return {lang: hits[lang] / total[lang] for lang in total}


def test_registered_with_schema():
    cls = registered()["language_v1"]
    assert cls.name == "language" and cls.inputs == ("text",)
    assert cls.output_schema.field("language_score").type == pa.float32()


def test_default_backend_accuracy_floors():
    texts, langs = _xquad()
    accuracy = _accuracy(language.DEFAULT_BACKEND, texts, langs)
    assert len(accuracy) == 12
    assert all(acc >= 0.98 for acc in accuracy.values()), accuracy
    assert accuracy["vi"] >= 0.99


def test_langdetect_backend_floor():
    texts, langs = _xquad()
    # 40 paragraphs per language keeps the slow backend under a few seconds; floors still bind.
    keep = [i for i in range(len(texts)) if i % 6 == 0]
    accuracy = _accuracy("langdetect", [texts[i] for i in keep], [langs[i] for i in keep])
    assert all(acc >= 0.95 for acc in accuracy.values()), accuracy


@pytest.mark.parametrize("backend", ["py3langid", "cld2"])
def test_other_backends_work(backend):
    codes, scores, reasons = language.detect(
        ["Đây là một đoạn văn bằng tiếng Việt về lịch sử và văn hoá của đất nước.",
         "这是一段关于中国历史和文化的中文文本，用来测试语言识别。"], backend)
    assert codes == ["vi", "zh"] and all(0 <= s <= 1 for s in scores) and reasons == [None, None]


def test_langdetect_is_deterministic():
    text = ["Der schnelle braune Fuchs springt über den faulen Hund."]
    assert language.detect(text * 3, "langdetect") == language.detect(text * 3, "langdetect")


def test_bad_input_is_und_with_reason():
    junk = bytes(random.Random(0).getrandbits(8) for _ in range(20_000)).decode("utf-8", "replace")
    texts = [None, "", "  \n\t ", junk, "12345 67 !!", "Hi", "Đây là văn bản\ufffd tiếng Việt có một lỗi nhỏ."]
    out = _inspector().inspect(pa.record_batch({"text": pa.array(texts, pa.string())}))
    assert out["language"].to_pylist()[:6] == ["und"] * 6
    assert out["language_reason"].to_pylist() == [
        "null", "empty", "empty", "binary", "no letters", "too short", "invalid utf-8 replaced"]
    assert out["language"].to_pylist()[6] == "vi"
    assert all(len(col) == len(texts) for col in out.values())


def test_ten_megabyte_document_is_fast_and_right():
    huge = ("Đây là một câu tiếng Việt khá dài để kiểm tra tài liệu lớn. " * 170_000)[:10_000_000]
    batch = pa.record_batch({"text": pa.array([huge, "The end of the batch is English text here."])})
    start = time.perf_counter()
    out = _inspector().inspect(batch)
    assert time.perf_counter() - start < 1.0
    assert out["language"].to_pylist() == ["vi", "en"]


def test_codes_are_iso_639_1():
    assert language.normalize_code("zh-cn") == "zh"
    assert language.normalize_code("zh-Hant") == "zh"
    assert language.normalize_code("iw") == "he"
    assert language.normalize_code("un") == "und"
    assert language._fasttext_code("__label__als") == "gsw"
    codes, _, _ = language.detect(["这是一段关于中国历史和文化的中文文本。"] * 1, "langdetect")
    assert codes == ["zh"]


def test_backend_selection(monkeypatch):
    monkeypatch.setenv(language.ENV_VAR, "cld2")
    assert language.current_backend() == "cld2"
    language.set_backend("py3langid")
    try:
        assert language.current_backend() == "py3langid"
        assert _inspector().backend == "py3langid"
    finally:
        language.set_backend(None)
    monkeypatch.setenv(language.ENV_VAR, "nope")
    with pytest.raises(ValueError):
        language.current_backend()


def test_fasttext_loads_bundled_model_without_network(monkeypatch, tmp_path):
    """The model is the file inside the wheel, and loading it opens no socket and writes no cache."""
    assert language.fasttext_model_path().name == "lid.176.ftz"

    def no_network(*args, **kwargs):
        raise AssertionError("the language backend tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("FTLANG_CACHE", str(tmp_path / "ftcache"))
    language._fasttext.cache_clear()
    try:
        codes, _, _ = language.detect(["Xin chào, hôm nay trời đẹp quá và tôi muốn đi dạo."], "fasttext")
    finally:
        language._fasttext.cache_clear()
    assert codes == ["vi"]
    assert not (tmp_path / "ftcache").exists()
