"""Scan paths build their string columns from buffers (no pandas import) with ``pa.array``'s values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inspectors.core import shards

VALUES = [None, "", "plain ascii", "Tiếng Việt có dấu", "日本語のテキスト", "emoji 🙂 and ß", None, "x" * 5000]


def test_strings_equal_pa_array():
    for values in (VALUES, [], [None, None], ["only"]):
        got = shards._strings(values)
        got.validate(full=True)
        assert got.equals(pa.array(values, pa.string())) and got.null_count == values.count(None)


def test_strings_keep_pa_array_errors():
    with pytest.raises(UnicodeEncodeError):
        shards._strings(["a", "lone \ud800 surrogate"])


def test_as_string_of_binary_integer_and_other_columns():
    valid = pa.array([b"caf\xc3\xa9", None, b"plain"], pa.binary())
    assert shards._as_string(valid).to_pylist() == ["café", None, "plain"]
    invalid = pa.array([b"bad \xff byte", None], pa.large_binary())
    assert shards._as_string(invalid).to_pylist() == ["bad \ufffd byte", None]
    ints = pa.array([0, -7, 2**62, None], pa.int64())
    assert shards._as_string(ints).to_pylist() == ["0", "-7", str(2**62), None]
    assert shards._as_string(pa.array([1, 2], pa.uint8())).to_pylist() == ["1", "2"]
    floats = pa.array([1.0, 2.5, None])
    assert shards._as_string(floats).to_pylist() == ["1.0", "2.5", None]  # str(float), not Arrow's "1"
    assert shards._as_string(pa.array([True, None])).to_pylist() == ["True", None]
    for array in (valid, invalid, ints, floats):
        assert pa.types.is_string(shards._as_string(array).type)


def _write_shards(folder: Path) -> tuple[Path, Path]:
    parquet = folder / "noid.parquet"
    pq.write_table(pa.table({"text": [f"text {i}" for i in range(2500)]}), parquet)
    jsonl = folder / "rows.jsonl"
    rows = [{"id": 1, "text": "first"}, {"id": "b", "text": None}, {"id": None, "text": {"nested": ["x", 2]}},
            {"id": "d", "text": "Tiếng Việt"}]
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return parquet, jsonl


def _table(path: Path) -> pa.Table:
    shard = shards.shard_for(str(path))
    return pa.Table.from_batches(list(shards.read_batches(shard, shards.detect_columns(shard))))


def test_id_fallback_and_jsonl_columns(tmp_path):
    parquet, jsonl = _write_shards(tmp_path)
    table = _table(parquet)
    assert table.column("id").to_pylist() == [f"noid.parquet:{r}" for r in range(2500)]
    assert table.column("row").to_pylist() == list(range(2500))
    rows = _table(jsonl)
    assert rows.column("id").to_pylist() == ["1", "b", None, "d"]
    assert rows.column("text").to_pylist() == ["first", None, json.dumps({"nested": ["x", 2]}), "Tiếng Việt"]
    assert rows.schema.field("text").type == pa.string()


def test_reading_id_less_parquet_and_jsonl_does_not_import_pandas(tmp_path):
    parquet, jsonl = _write_shards(tmp_path)
    code = (
        "import sys\n"
        "from inspectors.core import shards\n"
        f"for path in ({str(parquet)!r}, {str(jsonl)!r}):\n"
        "    shard = shards.shard_for(path)\n"
        "    n = sum(b.num_rows for b in shards.read_batches(shard, shards.detect_columns(shard)))\n"
        "    print(n)\n"
        "print(shards._as_string(shards._row_numbers(0, 3)).to_pylist() == ['0', '1', '2'])\n"
        "print('pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.stdout.split() == ["2500", "4", "True", "False"]
