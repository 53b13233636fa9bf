"""The profile engine: hostile documents, changed inspector versions, a user's own inspector."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq


def _hostile_shard(path):
    rng = random.Random(0)
    junk = bytes(rng.randrange(256) for _ in range(3000)).decode("utf-8", "replace")
    texts = ["", "   \n ", None, junk, "Tiếng Việt " * 1_000_000, "\udcff broken surrogate text here",
             "A perfectly ordinary English sentence about courts and judges.", "x"]
    urls = [None, "not a url", "http://", "https://thuvienphapluat.vn/van-ban/a", None, "ftp://x.y/z",
            "https://www.courtlistener.com/opinion/1/", ""]
    table = pa.table({"text": pa.array([t.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                                        if t else t for t in texts]), "url": urls})
    pq.write_table(table, path)
    return len(texts)


def test_hostile_documents_are_labelled_never_dropped(home, cli, tmp_path):
    shard = tmp_path / "hostile.parquet"
    rows = _hostile_shard(shard)
    code, out, err = cli("profile", shard, "--workers", "1")
    assert code == 0, err
    code, out, err = cli("sql", shard, "select row, language, language_reason, topic, n_bytes, host, n_tokens "
                         "from documents order by row", "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert [r["row"] for r in got] == list(range(rows))  # profiled count == shard row count
    by_row = {r["row"]: r for r in got}
    for row in (0, 1, 2, 3, 7):
        assert by_row[row]["language"] == "und" and by_row[row]["language_reason"], by_row[row]
    assert by_row[4]["language"] == "vi" and by_row[4]["n_bytes"] > 10_000_000
    assert by_row[6]["language"] == "en" and by_row[6]["host"] == "www.courtlistener.com"
    assert by_row[0]["host"] is None and by_row[2]["n_tokens"] == 0


def test_only_new_or_changed_inspectors_run_again(home, cli, tmp_path):
    shard = tmp_path / "s.parquet"
    pq.write_table(pa.table({"text": ["Hello there, this is English text."] * 5, "url": ["https://a.com/"] * 5}), shard)
    code, out, _ = cli("profile", shard, "--inspectors", "length,web_domain")
    assert "1 profiled" in out
    code, out, _ = cli("profile", shard, "--inspectors", "length,web_domain,language")
    assert "1 updated" in out
    code, out, _ = cli("sql", shard, "select count(language) n, count(host) h from documents", "--format", "json")
    assert json.loads(out) == [{"n": 5, "h": 5}]
    code, out, _ = cli("profile", shard, "--inspectors", "language")
    assert "1 cached" in out


def test_user_inspector_module(home, cli, tmp_path, monkeypatch):
    from inspectors.core import registry

    # The user's inspector registers process-wide; keep it out of the other tests' default profile.
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.delenv("CORPUSCOPE_INSPECTOR_MODULES", raising=False)  # --inspector-module sets it for workers
    module = tmp_path / "shouting.py"
    module.write_text('''
import pyarrow as pa
import pyarrow.compute as pc
from inspectors.core.registry import Inspector, register

@register
class Shouting(Inspector):
    """Share of upper-case letters."""
    name = "shouting"
    version = 1
    inputs = ("text",)
    output_schema = pa.schema([("upper_share", pa.float64())])

    def inspect(self, batch):
        text = batch.column(batch.schema.get_field_index("text"))
        upper = pc.utf8_length(pc.replace_substring_regex(text, "[^A-Z]", ""))
        return {"upper_share": pc.divide(pc.cast(upper, pa.float64()), pc.cast(pc.utf8_length(text), pa.float64()))}
''')
    shard = tmp_path / "s.parquet"
    pq.write_table(pa.table({"text": ["HELLO", "hello"]}), shard)
    code, out, err = cli("profile", shard, "--inspector-module", module, "--inspectors", "shouting")
    assert code == 0, err
    code, out, err = cli("sql", shard, "select upper_share from documents order by row", "--format", "json")
    assert json.loads(out) == [{"upper_share": 1.0}, {"upper_share": 0.0}]


def test_changing_the_language_backend_recomputes_only_language(home, cli, tmp_path, monkeypatch):
    shard = tmp_path / "s.parquet"
    pq.write_table(pa.table({"text": ["Đây là một câu tiếng Việt khá dài để nhận dạng ngôn ngữ."] * 3}), shard)
    assert "1 profiled" in cli("profile", shard, "--inspectors", "language_v1,length")[1]
    assert "1 cached" in cli("profile", shard, "--inspectors", "language_v1,length")[1]
    monkeypatch.setenv("CORPUSCOPE_LANGUAGE_BACKEND", "langdetect")
    assert "1 updated" in cli("profile", shard, "--inspectors", "language_v1,length")[1]
    from inspectors.core import store
    from inspectors.core.sources import resolve

    info = store.read_info(store.attribute_path(resolve(str(shard)).shards[0]))
    assert info.inspectors == {"language": "language_v1+langdetect", "length": "length_v1"}


def test_column_values_are_shared_within_a_batch_only():
    from inspectors.core.registry import column_values, release_values

    first = pa.record_batch({"text": ["a", None, "b"]})
    again = column_values(first, "text")
    assert again == ["a", None, "b"] and column_values(first, "text") is again
    assert column_values(first, "url") is None
    second = pa.record_batch({"text": ["c", "d", "e"]})
    assert column_values(second, "text") == ["c", "d", "e"]
    assert column_values(first.slice(1, 2), "text") == [None, "b"]
    # Dictionary columns sharing an indices buffer are still told apart.
    indices = pa.array([0, 1], pa.int32())
    one = pa.record_batch({"text": pa.DictionaryArray.from_arrays(indices, pa.array(["a", "b"]))})
    two = pa.record_batch({"text": pa.DictionaryArray.from_arrays(indices, pa.array(["c", "d"]))})
    assert column_values(one, "text") == ["a", "b"] and column_values(two, "text") == ["c", "d"]
    assert column_values(pa.table({"text": pa.chunked_array([["x"], ["y"]])}), "text") == ["x", "y"]
    release_values()


def test_inspectors_without_their_input_column_give_nulls_of_the_right_length():
    from inspectors.core.registry import registered

    batch = pa.record_batch({"id": ["1", "2"]})
    assert registered()["web_domain_v1"]().inspect(batch)["host"].to_pylist() == [None, None]
    assert registered()["language_v1"]().inspect(batch)["language"].to_pylist() == ["und", "und"]
