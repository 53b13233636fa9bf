"""Reliability and security (issue 16): no silent wrong numbers, an airtight sandbox, clean faults."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest


def _write_jsonl(path: Path, texts: list[str], prefix: str = "d") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for i, text in enumerate(texts):
            handle.write(json.dumps({"id": f"{prefix}{i}", "text": text, "url": f"https://e.org/{prefix}{i}"}) + "\n")
    return path


def _rewrite(path: Path, texts: list[str], prefix: str) -> None:
    before = path.stat().st_mtime_ns
    _write_jsonl(path, texts, prefix)
    if path.stat().st_mtime_ns == before:  # coarse clocks: make the change visible
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


# ---------------------------------------------------------------- 1. a shard rewritten after profiling

def test_sql_refuses_a_shard_rewritten_after_profiling(home, cli, tmp_path):
    shard = _write_jsonl(tmp_path / "c" / "a.jsonl", [f"old document {i}" for i in range(30)], "old")
    assert cli("profile", shard, "--inspectors", "length")[0] == 0
    assert json.loads(cli("sql", shard, "select count(*) n from documents", "--format", "json")[1]) == [{"n": 30}]
    _rewrite(shard, [f"new text {i}" for i in range(16)], "new")
    code, out, err = cli("sql", shard, "select count(*) n from documents")
    assert code == 2, out
    assert "changed since it was profiled" in err and "corpuscope profile" in err and "a.jsonl" in err
    code, _, err = cli("sql", shard, "select id, text from documents")
    assert code == 2 and "changed since it was profiled" in err


def test_query_run_reprofiles_a_rewritten_shard(home, tmp_path):
    from inspectors.core import run

    shard = _write_jsonl(tmp_path / "c" / "a.jsonl", [f"old document {i}" for i in range(30)], "old")
    query = tmp_path / "count_all.sql"
    query.write_text("-- ---\n-- title: All\n-- version: 1\n-- kind: report\n-- requires: [length]\n-- ---\n"
                     "SELECT count(*) AS n, min(id) AS first FROM documents\n")
    assert run.run(str(query), str(shard)).table.to_pylist() == [{"n": 30, "first": "old0"}]
    _rewrite(shard, [f"new text {i}" for i in range(16)], "new")
    assert run.run(str(query), str(shard)).table.to_pylist() == [{"n": 16, "first": "new0"}]
    # and sql agrees once the shard is profiled again
    corpus = run.resolve_corpus(str(shard))
    assert run.select(corpus, "select count(*) n from documents").to_pylist() == [{"n": 16}]


# ---------------------------------------------------------------- 2. settings that reach every path

def test_sql_warns_when_cached_labels_come_from_another_backend(home, cli, tmp_path, monkeypatch):
    shard = _write_jsonl(tmp_path / "c" / "a.jsonl", ["Ceci est un texte en français, assez long pour être reconnu."] * 3)
    monkeypatch.setenv("CORPUSCOPE_LANGUAGE_BACKEND", "py3langid")
    assert cli("profile", shard, "--inspectors", "language")[0] == 0
    code, _, err = cli("sql", shard, "select count(*) n from documents")
    assert code == 0 and "warning" not in err
    monkeypatch.delenv("CORPUSCOPE_LANGUAGE_BACKEND")
    code, out, err = cli("sql", shard, "select language from documents limit 1")
    assert code == 0
    assert "warning: language: cached columns were made by language_v1+py3langid" in err
    assert "language_v1+fasttext is in force" in err


def test_unknown_language_backend_fails_once_up_front(home, cli, tmp_path, monkeypatch):
    for i in range(3):
        _write_jsonl(tmp_path / "c" / f"s{i}.jsonl", ["some text"] * 2)
    monkeypatch.setenv("CORPUSCOPE_LANGUAGE_BACKEND", "nosuch")
    code, out, err = cli("profile", tmp_path / "c", "--inspectors", "language")
    assert code == 2, (out, err)
    assert err.count("nosuch") == 1 and "and 2 more" not in err


# ---------------------------------------------------------------- 6, 13: timeout, memory, one-line errors

@pytest.fixture
def tiny(home, cli, tmp_path):
    shard = _write_jsonl(tmp_path / "c" / "a.jsonl", [f"document number {i}" for i in range(20)])
    assert cli("profile", shard, "--inspectors", "length")[0] == 0
    return shard


@pytest.mark.parametrize("statement", [
    "select 9223372036854775807 + 1",
    "select length(repeat('x', 5000000000))",
    "select cast('abc' as integer)",
])
def test_sql_errors_are_one_line(tiny, cli, statement):
    code, out, err = cli("sql", tiny, statement)
    assert code == 2, out
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_sql_timeout_stops_a_runaway_query(tiny, cli):
    start = time.monotonic()
    code, _, err = cli("sql", tiny, "--timeout", "1",
                       "select count(*) from range(100000000) a, range(100000000) b where a.range + b.range = 7")
    assert time.monotonic() - start < 20
    assert code == 2 and "timeout of 1 s" in err and err.count("\n") == 1


def test_memory_limit_is_a_one_line_error(tiny, cli, monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_MEMORY_LIMIT", "100MB")
    code, _, err = cli("sql", tiny, "select count(distinct s) from (select repeat('x', 100) || range s "
                                    "from range(20000000))")
    assert code == 2 and "memory" in err and err.count("\n") == 1
