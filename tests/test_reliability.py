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
    assert cli("profile", shard, "--inspectors", "language_v1")[0] == 0
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
    code, out, err = cli("profile", tmp_path / "c", "--inspectors", "language_v1")
    assert code == 2, (out, err)
    assert err.count("nosuch") == 1 and "and 2 more" not in err


def test_missing_storage_package_is_named_once_with_its_extra(home, cli, tmp_path, monkeypatch):
    pytest.importorskip("fsspec")
    import importlib.util

    if importlib.util.find_spec("s3fs") is not None:
        pytest.skip("s3fs is installed: nothing is missing")
    for i in range(3):
        _write_jsonl(tmp_path / "c" / f"s{i}.jsonl", ["some text"] * 2)
    monkeypatch.setenv("CORPUSCOPE_ATTRIBUTES", "s3://no-such-bucket/attrs")
    code, out, err = cli("profile", tmp_path / "c", "--inspectors", "length")
    assert code == 2, (out, err)
    assert err.count("s3://no-such-bucket/attrs") == 1 and 'pip install "corpuscope[s3]"' in err
    assert "shard" not in err  # the setting is to blame, not a shard


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
    assert code == 2 and "timeout of 1 s (raise it with --timeout SECONDS)" in err and err.count("\n") == 1, err


def test_memory_limit_is_a_one_line_error(tiny, cli, monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_MEMORY_LIMIT", "100MB")
    code, _, err = cli("sql", tiny, "select count(distinct s) from (select repeat('x', 100) || range s "
                                    "from range(20000000))")
    assert code == 2 and "memory" in err and err.count("\n") == 1


# ---------------------------------------------------------------- 4, 7: hostile query files

def _query_file(folder: Path, name: str, sql: str, extra: str = "", kind: str = "slice") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(f"-- ---\n-- title: {name}\n-- version: 1\n-- kind: {kind}\n-- requires: [length]\n{extra}-- ---\n{sql}\n")
    return path


def _breakout(target: Path) -> str:
    return f"select 1 as x) ; copy (select 42) to '{target}' ; select * from (select 1 as x"


def test_break_out_is_refused_by_validate_sql_and_run(tiny, cli, tmp_path):
    target = tmp_path / "pwned.csv"
    hostile = _query_file(tmp_path / "q", "hostile", _breakout(target))
    for args in (("query", "validate", hostile), ("query", "run", hostile, "--corpus", tiny),
                 ("sql", tiny, _breakout(target))):
        code, _, err = cli(*args)
        assert code == 2 and ("does not parse" in err or "exactly one SQL statement" in err), (args, err)
    assert not target.exists()


def test_strata_are_validated_as_one_expression_and_never_break_out(tiny, cli, tmp_path):
    target = tmp_path / "pwned.csv"
    when = f"1=1) THEN 'a' END FROM _batch; COPY (select 42) TO '{target}'; SELECT CASE WHEN (1=1"
    extra = f'-- strata:\n--   - {{name: a, when: "{when}"}}\n'
    hostile = _query_file(tmp_path / "q", "hostile_strata", "SELECT * FROM documents WHERE n_chars > 3", extra)
    code, _, err = cli("query", "validate", hostile)
    assert code == 2 and "strata" in err and ("does not parse" in err or "exactly one" in err), err
    code, _, err = cli("query", "run", hostile, "--corpus", tiny, "--stratified")
    assert code == 2 and ("does not parse" in err or "exactly one" in err) and "Traceback" not in err
    assert not target.exists()
    # a strata condition that reads a file is refused by the sandbox, without the file's contents
    extra = "-- strata:\n--   - {name: a, when: \"(select count(*) from read_csv('/etc/passwd')) > 0\"}\n"
    reader = _query_file(tmp_path / "q", "reader_strata", "SELECT * FROM documents WHERE n_chars > 3", extra)
    code, _, err = cli("query", "run", reader, "--corpus", tiny, "--stratified")
    assert code == 2 and "root:" not in err and err.count("\n") == 1
    # and validate now checks strata that do not bind
    extra = "-- strata:\n--   - {name: a, when: \"no_such_column > 1\"}\n"
    broken = _query_file(tmp_path / "q", "broken_strata", "SELECT * FROM documents WHERE n_chars > 3", extra)
    code, _, err = cli("query", "validate", broken)
    assert code == 2 and "strata do not prepare" in err and "no_such_column" in err


def test_install_is_named_install(tiny, cli):
    code, _, err = cli("sql", tiny, "install httpfs")
    assert code == 2 and "got INSTALL" in err


def test_query_name_cannot_leave_the_query_folders(home, cli, tmp_path, monkeypatch):
    queries = tmp_path / "queries"
    queries.mkdir()
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(queries))
    _query_file(tmp_path, "outside", "SELECT * FROM documents")
    monkeypatch.chdir(queries)
    code, _, err = cli("query", "show", "../outside")
    assert code == 2 and "is not a name" in err
    code, _, err = cli("query", "show", "language_share/../../outside")
    assert code == 2 and "is not a name" in err


def test_catastrophic_highlight_regex_does_not_hang(home, tmp_path):
    from inspectors.core import evidence

    text = "word " * 40 + "!"
    start = time.monotonic()
    out = evidence.snippet(text, (r"(\w+\s?)+$",))
    assert time.monotonic() - start < 2
    assert out.startswith("word word")
    # ordinary highlights keep re's Unicode word boundaries
    assert "**của**" in evidence.snippet("tên của tôi", (r"\b(của|và)\b",))


def test_query_run_with_a_catastrophic_highlight_finishes(tiny, cli, tmp_path):
    slow = _query_file(tmp_path / "q", "slow_highlight", "SELECT * FROM documents WHERE n_chars > 3",
                       '-- highlight: ["(\\\\w+\\\\s?)+$"]\n')
    start = time.monotonic()
    code, out, err = cli("query", "run", slow, "--corpus", tiny)
    assert code == 0, err
    assert time.monotonic() - start < 30


def test_query_run_timeout_and_runtime_sql_errors_are_one_line(tiny, cli, tmp_path):
    slow = _query_file(tmp_path / "q", "slow_report", "SELECT count(*) AS n FROM documents a, range(100000000) b, "
                       "range(100000000) c WHERE b.range + c.range = a.row", kind="report")
    start = time.monotonic()
    code, _, err = cli("query", "run", slow, "--corpus", tiny, "--timeout", "1")
    assert time.monotonic() - start < 30
    assert code == 2 and "timeout of 1 s (raise it with --timeout SECONDS)" in err and err.count("\n") == 1, err
    overflow = _query_file(tmp_path / "q", "overflow", "SELECT max(row) + 9223372036854775807 AS n FROM documents",
                           kind="report")
    code, _, err = cli("query", "run", overflow, "--corpus", tiny)
    assert code == 2 and "Overflow" in err and err.count("\n") == 1 and "Traceback" not in err


def test_run_options_timeout_reaches_the_run_layer(tiny, tmp_path):
    from inspectors.core import run
    from inspectors.core.errors import BadInput
    import duckdb

    slow = _query_file(tmp_path / "q", "slow_report", "SELECT count(*) AS n FROM documents a, range(100000000) b, "
                       "range(100000000) c WHERE b.range + c.range = a.row", kind="report")
    with pytest.raises((duckdb.InterruptException, BadInput)):
        run.run(str(slow), str(tiny), timeout=1)


# ---------------------------------------------------------------- 3. NFD text

def _vietnamese(chars: int = 80) -> list[str]:
    from conftest import SAMPLE

    texts = []
    for path in sorted((SAMPLE / "flat").glob("*.parquet")):
        texts += [t for t in pq.read_table(path, columns=["text"]).column("text").to_pylist()
                  if "của" in t or "Việt" in t or "những" in t]
    return [t[:chars] for t in texts]


def test_nfd_vietnamese_keeps_its_language(home, cli, tmp_path):
    import unicodedata

    texts = _vietnamese()
    assert len(texts) >= 40
    nfc = _write_jsonl(tmp_path / "nfc" / "a.jsonl", texts)
    nfd = _write_jsonl(tmp_path / "nfd" / "a.jsonl", [unicodedata.normalize("NFD", t) for t in texts])
    counts = []
    for shard in (nfc, nfd):
        assert cli("profile", shard, "--inspectors", "language")[0] == 0
        out = cli("sql", shard, "select language, count(*) n from documents group by all order by n desc, language",
                  "--format", "json")[1]
        counts.append(json.loads(out))
    assert counts[0] == counts[1]
    assert counts[0][0]["language"] == "vi"


def test_nfc_is_cheap_and_leaves_nfc_text_alone():
    import unicodedata

    from inspectors.core.shards import nfc

    ascii_batch = pa.RecordBatch.from_pydict({"row": [0], "text": ["plain"]})
    assert nfc(ascii_batch) is ascii_batch
    composed = pa.RecordBatch.from_pydict({"row": [0, 1], "text": ["Tiếng Việt", None]})
    assert nfc(composed) is composed
    decomposed = pa.RecordBatch.from_pydict({"row": [0, 1], "text": [unicodedata.normalize("NFD", "Tiếng Việt"), None]})
    assert nfc(decomposed).column(1).to_pylist() == ["Tiếng Việt", None]


# ---------------------------------------------------------------- 11. empty shards

def test_empty_shards_are_valid_with_zero_rows(home, cli, tmp_path):
    folder = tmp_path / "c"
    _write_jsonl(folder / "full.jsonl", ["a document with some words"] * 4)
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
                   folder / "empty.parquet")
    (folder / "empty.jsonl").write_text("")
    code, out, err = cli("profile", folder)
    assert code == 0, err
    code, out, err = cli("sql", folder, "select shard, count(*) n from documents group by shard", "--format", "json")
    assert code == 0, err
    assert sum(r["n"] for r in json.loads(out)) == 4
    empty = folder / "empty.jsonl"
    code, _, err = cli("profile", empty, "--text-column", "text")
    assert code == 0, err
    code, out, err = cli("sql", empty, "select count(*) n, count(text) t from documents", "--text-column", "text",
                         "--format", "json")
    assert code == 0 and json.loads(out) == [{"n": 0, "t": 0}], err


# ---------------------------------------------------------------- 12. host rules

def _host_rules_reference(host):
    """The rule as specified: the longest trailing name that is a host key, and the longest proper one
    that is a suffix key (quadratic, fine for normal hosts)."""
    from inspectors.builtin.topic import tables

    t = tables()
    labels = host.split(".") if host else []
    names = [".".join(labels[i:]) for i in range(len(labels))]
    on_host = next((n for n in names if n in t.hosts), None)
    on_suffix = next((n for n in names[1:] if n in t.suffixes), None)
    return (t.hosts[on_host] if on_host else {}, f"host:{on_host}" if on_host else None,
            t.suffixes[on_suffix] if on_suffix else {}, f"suffix:.{on_suffix}" if on_suffix else None)


def test_host_rules_are_linear_and_unchanged_for_normal_hosts():
    from inspectors.builtin.topic import _host_rules, tables

    t = tables()
    hosts = ["", "example.org", "a.b.c.d.e.f.example.co.uk"]
    for key in list(t.hosts)[:300] + list(t.suffixes)[:300]:
        hosts += [key, f"www.{key}", f"x.y.z.{key}", f"{key}.evil.com"]
    for host in hosts:
        assert _host_rules(host) == _host_rules_reference(host), host
    for size in (64_000, 1_000_000):
        host = ".".join(["a"] * (size // 2)) + ".gov.uk"
        start = time.process_time()
        _host_rules(host)
        assert time.process_time() - start < 1.0, size


# ---------------------------------------------------------------- 10. orphaned workers

_POOL_SCRIPT = """
import os, sys, time
from inspectors.core.executors.local import run_local

def work(i):
    open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
    time.sleep(120)
    return i

if __name__ == "__main__":
    for _ in run_local(work, list(range(8)), {}, 2):
        pass
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_pool_workers_die_with_their_parent(tmp_path, signal_name):
    import signal
    import subprocess
    import sys

    script = tmp_path / "pool.py"
    script.write_text(_POOL_SCRIPT)
    marks = tmp_path / "pids"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                     os.environ.get("PYTHONPATH")]))}
    parent = subprocess.Popen([sys.executable, str(script), str(marks)], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p.name) for p in marks.iterdir()]
        assert len(workers) == 2
        parent.send_signal(getattr(signal, signal_name))
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in marks.iterdir():
            if _alive(int(p.name)):
                os.kill(int(p.name), signal.SIGKILL)


# ---------------------------------------------------------------- 5. allowed files

def test_sandbox_allows_exactly_the_corpus_files(home, cli, tmp_path):
    from inspectors.core import store
    from inspectors.core.sources import resolve

    mine = _write_jsonl(tmp_path / "mine" / "a.jsonl", ["mine"] * 3, "mine")
    theirs = _write_jsonl(tmp_path / "theirs" / "a.jsonl", ["theirs"] * 3, "theirs")
    for shard in (mine, theirs):
        assert cli("profile", shard, "--inspectors", "length")[0] == 0
    own = store.attribute_path(resolve(str(mine)).shards[0])
    other = store.attribute_path(resolve(str(theirs)).shards[0])
    spill = home / "duckdb" / "tmp"
    (spill / "other-run").mkdir(parents=True, exist_ok=True)
    (spill / "other-run" / "leak.csv").write_text("secret\nvalue\n")
    code, out, _ = cli("sql", mine, f"select count(*) n from read_parquet('{own}')", "--format", "json")
    assert code == 0 and json.loads(out) == [{"n": 3}]
    for statement in (f"select * from read_parquet('{other}')",
                      f"select * from glob('{other.parent}/*')",
                      f"select * from glob('{own.parent.parent}/**')",
                      f"select * from read_csv('{spill}/other-run/leak.csv')",
                      f"select * from glob('{spill}/**')",
                      f"select * from glob('{spill}/*')"):
        code, out, err = cli("sql", mine, statement)
        assert code == 2 and "refused" in err and "secret" not in err and "theirs" not in out, statement


# ---------------------------------------------------------------- 8, 9: network faults

@pytest.fixture
def parquet_server(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from http_server import TestServer

    root = tmp_path / "srv"
    root.mkdir()
    pq.write_table(pa.table({"id": [str(i) for i in range(300)], "text": [f"doc {i} " * 50 for i in range(300)]}),
                   root / "p.parquet", row_group_size=100)
    with TestServer(root) as server:
        yield server


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_HTTP_BACKOFF", "0.01")
    from inspectors.core import storage

    storage.reset_transfer_stats()
    yield
    storage.reset_transfer_stats()


def test_one_reset_during_the_footer_read_is_retried(home, cli, parquet_server, fast_retries):
    url = parquet_server.file_url("p.parquet")
    parquet_server.fault("p.parquet", "sleep:0", "drop")  # the HEAD passes, the first footer GET is cut short
    code, out, err = cli("profile", url, "--inspectors", "length", "--workers", "1")
    assert code == 0, err
    assert [r["method"] for r in parquet_server.log.requests[:3]] == ["HEAD", "GET", "GET"]


def test_persistent_network_faults_exit_1(home, cli, parquet_server, fast_retries, monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_HTTP_RETRIES", "2")
    url = parquet_server.file_url("p.parquet")
    parquet_server.fault("p.parquet", "sleep:0", *["drop"] * 10)
    code, _, err = cli("profile", url, "--inspectors", "length", "--workers", "1")
    assert code == 1 and "3 attempts" in err and url in err
    parquet_server.faults.clear()
    parquet_server.fault("p.parquet", *["503"] * 10)
    code, _, err = cli("profile", url, "--inspectors", "length", "--workers", "1")
    assert code == 1 and "503" in err


def test_unreachable_hosts_fail_fast(home, cli, fast_retries, monkeypatch):
    import socket

    monkeypatch.setenv("CORPUSCOPE_HTTP_BACKOFF", "5")  # a retry would show in the time
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connection refused
    for url, host in ((f"http://127.0.0.1:{port}/x.parquet", "127.0.0.1"),
                      ("http://no-such-host.invalid/x.parquet", "no-such-host.invalid")):
        start = time.monotonic()
        code, _, err = cli("profile", url, "--inspectors", "length", "--workers", "1")
        assert time.monotonic() - start < 4.5, url
        assert code == 1 and f"cannot reach {host} (no network?)" in err


class _Trickle:
    """A loopback server that answers HEAD with a size and GET with one byte every 0.2 s."""

    def __init__(self, size: int = 65536):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        outer = self
        self.stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()

            def do_GET(self):
                self.send_response(206)
                self.send_header("Content-Length", str(size))
                self.send_header("Content-Range", f"bytes 0-{size - 1}/{size}")
                self.end_headers()
                try:
                    for _ in range(size):
                        if outer.stop.is_set():
                            return
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("name", ["t.parquet", "t.jsonl"])
def test_a_trickling_server_is_cut_off_by_the_request_deadline(home, cli, fast_retries, monkeypatch, name):
    monkeypatch.setenv("CORPUSCOPE_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("CORPUSCOPE_HTTP_RETRIES", "1")
    with _Trickle() as base:
        start = time.monotonic()
        code, _, err = cli("profile", f"{base}/{name}", "--inspectors", "length", "--workers", "1")
        elapsed = time.monotonic() - start
    assert code == 1, err
    assert elapsed < 30, elapsed


# ---------------------------------------------------------------- 15. concurrent runs

def test_two_concurrent_runs_profile_each_shard_once(home, tmp_path):
    import re
    import subprocess
    import sys

    folder = tmp_path / "c"
    words = "the quick brown fox jumps over the lazy dog while the court hears the appeal " * 20
    for i in range(6):
        _write_jsonl(folder / f"s{i}.jsonl", [f"{words} {j}" for j in range(1500)], f"s{i}-")
    env = {**os.environ, "CORPUSCOPE_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                       os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-c", "from inspectors.cli import main; main()", "profile", str(folder),
               "--inspectors", "topic,length", "--workers", "1"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 0 for r in runs), outs
    profiled = [int(re.search(r"(\d+) profiled", out).group(1)) for out, _ in outs]
    assert sum(profiled) == 6, outs


def test_a_lock_left_by_a_killed_process_does_not_block(home, cli, tmp_path):
    import signal
    import subprocess
    import sys

    from inspectors.core import store
    from inspectors.core.sources import resolve

    shard = _write_jsonl(tmp_path / "c" / "a.jsonl", ["text"] * 3)
    path = store.attribute_path(resolve(str(shard)).shards[0])
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\nfrom inspectors.core.profile import shard_lock\n"
        f"with shard_lock(Path({str(path)!r})):\n    print('held', flush=True)\n    time.sleep(300)\n")],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        start = time.monotonic()
        assert cli("profile", shard, "--inspectors", "length")[0] == 0
        assert time.monotonic() - start < 30
    finally:
        if holder.poll() is None:
            holder.kill()


# ---------------------------------------------------------------- 14. huge row groups

def test_huge_row_groups_are_read_in_slices_with_the_same_rows(tmp_path, monkeypatch):
    from inspectors.core import shards

    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"id": [str(i) for i in range(3000)], "text": [f"text {i} " * 30 for i in range(3000)]}),
                   path, row_group_size=3000)
    shard = shards.shard_for(str(path))
    mapping = shards.detect_columns(shard)
    whole = pa.Table.from_batches(list(shards.read_batches(shard, mapping)))
    monkeypatch.setattr(shards, "HUGE_CHUNK", 0)
    monkeypatch.setattr(shards, "STREAM_BUFFER", 4096)
    assert shards._huge_chunks(pq.ParquetFile(path).metadata)
    sliced = pa.Table.from_batches(list(shards.read_batches(shard, mapping)))
    assert sliced.equals(whole)
