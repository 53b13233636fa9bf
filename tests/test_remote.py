"""Streaming over HTTP and hf://, the cost planner and faults, against real servers on 127.0.0.1.

The file server counts every byte it sends; the hub stand-in answers the routes huggingface_hub uses
(repo info, tree, paths-info, resolve with its redirect), selected through ``HF_ENDPOINT`` as a user
would. Shards are the ../shared/data Dolma and C4 fixtures and Parquet written from them.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
import types

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import shared
from http_server import TestServer, dataset_repo


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """A folder of real shards: Dolma jsonl.gz, a zst file, the C4 sample, Parquet from C4, a corrupt one."""
    root = tmp_path_factory.mktemp("remote-data")
    dolma = root / "dolma"
    dolma.mkdir()
    for f in shared("dolma_test_fixtures", "multiple_files").iterdir():
        shutil.copy(f, dolma / f.name)
    shutil.copy(shared("c4_sample_wimbd", "c4-sample.00000-of-00001.json.gz"), root / "c4.json.gz")
    shutil.copy(shared("dolma_test_fixtures", "formats", "test.jsonl.zst"), root / "test.jsonl.zst")
    records = [json.loads(line) for line in gzip.open(root / "c4.json.gz", "rt", encoding="utf-8")]
    table = pa.table({
        "id": [f"c4-{i}" for i in range(len(records))],
        "url": [r["url"] for r in records],
        "date": [r["date"] for r in records],
        "text": [r["text"] for r in records],
        "pad": [r["text"][::-1] for r in records],  # a wide column no query needs
    })
    parquet = root / "parquet"
    parquet.mkdir()
    pq.write_table(table, parquet / "c4-0000.parquet", row_group_size=100)
    pq.write_table(table.slice(0, 300), parquet / "c4-0001.parquet", row_group_size=100)
    bad = root / "bad"
    bad.mkdir()
    pq.write_table(table.slice(0, 200), bad / "a-good.parquet", row_group_size=100)
    (bad / "b-corrupt.parquet").write_bytes(b"PAR1" + b"\0" * 5000 + b"not a footer PAR1")
    (root / "urls.txt").write_text("# shards of the demo\nparquet/c4-0000.parquet\nparquet/c4-0001.parquet\n")
    return root


@pytest.fixture(scope="module")
def server(corpus_dir):
    repos = [dataset_repo("org/dolma-mini", corpus_dir / "dolma"),
             dataset_repo("org/c4-mini", corpus_dir / "parquet"),
             dataset_repo("org/gated", corpus_dir / "parquet", gated=True)]
    with TestServer(corpus_dir, repos=repos) as srv:
        yield srv


@pytest.fixture(autouse=True)
def fast_faults(monkeypatch, server):
    """Short backoff and timeouts, the hub stand-in as HF_ENDPOINT, no token, fresh per-process caches."""
    from inspectors.core import storage

    monkeypatch.setenv("CORPUSCOPE_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("CORPUSCOPE_HTTP_RETRIES", "3")
    monkeypatch.setenv("CORPUSCOPE_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", os.path.join(os.environ["HF_HOME"], "hub"))
    storage.reset_transfer_stats()
    server.faults.clear()
    server.log.reset()
    yield
    storage.reset_transfer_stats()


@pytest.fixture
def run(cli):
    """The real CLI."""
    return cli


def _sql(run, source, sql, *extra):
    code, out, err = run("sql", source, sql, "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


STATS_SQL = ("select count(*) n, count(url) urls, count(distinct host) hosts, sum(n_bytes) bytes, "
             "min(id) first_id from documents")


def test_profile_over_http_matches_local(home, run, server, corpus_dir):
    for relative in ("parquet/c4-0000.parquet", "dolma/cc_en_head-0091.jsonl.gz", "c4.json.gz"):
        url, local = server.file_url(relative), corpus_dir / relative
        for source in (url, local):
            code, out, err = run("profile", source, "--inspectors", "web_domain,length", "--workers", "1")
            assert code == 0, err
        assert _sql(run, url, STATS_SQL) == _sql(run, local, STATS_SQL)
    # the zstd stream too, with a column override
    url = server.file_url("test.jsonl.zst")
    assert run("profile", url, "--text-column", "message", "--inspectors", "length")[0] == 0
    rows = _sql(run, url, "select id, n_bytes from documents", "--text-column", "message")
    assert rows and rows[0]["id"] == "test.jsonl.zst:0" and rows[0]["n_bytes"] > 0


def test_url_only_profile_fetches_no_text_and_plan_matches(home, run, server, corpus_dir):
    from inspectors.core import storage

    url = server.file_url("parquet/c4-0000.parquet")
    code, out, err = run("plan", url, "--inspectors", "web_domain", "--format", "json")
    assert code == 0, err
    planned = json.loads(out)
    assert planned["shards"][0]["columns"] == ["id", "url"]
    storage.reset_transfer_stats()
    server.log.reset()
    assert run("profile", url, "--inspectors", "web_domain", "--workers", "1")[0] == 0
    sent = server.log.bytes_sent
    md = pq.ParquetFile(corpus_dir / "parquet" / "c4-0000.parquet").metadata
    text_chunks = []
    for rg in range(md.num_row_groups):
        for c in range(md.num_columns):
            column = md.row_group(rg).column(c)
            if column.path_in_schema in ("text", "pad"):
                first = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
                text_chunks.append((first, first + column.total_compressed_size))
    size = (corpus_dir / "parquet" / "c4-0000.parquet").stat().st_size
    for request in server.log.requests:
        if request["range"]:
            first, last = request["range"].split("=")[1].split("-")
            start = int(first) if first else size - int(last)
            end = int(last) + 1 if first and last else size
            for a, b in text_chunks:
                assert end <= a or start >= b or start >= size - 64 * 1024, ("text bytes fetched", request)
    assert sent < size / 4
    assert abs(sent - planned["fetch_bytes"]) <= 0.1 * planned["fetch_bytes"]
    assert planned["requests"] == len(server.log.requests)


def test_plan_matches_transfer_for_text_and_jsonl(home, run, server):
    from inspectors.core import storage

    for source, extra in [(server.file_url("parquet/c4-0000.parquet"), ()),
                          (server.file_url("c4.json.gz"), ()),
                          (server.file_url("parquet/c4-0001.parquet"), ("--rows-per-shard", "150"))]:
        storage.reset_transfer_stats()
        code, out, err = run("plan", source, "--inspectors", "length", "--format", "json", *extra)
        assert code == 0, err
        planned = json.loads(out)["fetch_bytes"]
        storage.reset_transfer_stats()
        server.log.reset()
        assert run("profile", source, "--inspectors", "length", "--workers", "1", *extra)[0] == 0
        assert abs(server.log.bytes_sent - planned) <= 0.1 * planned, (source, server.log.bytes_sent, planned)
    code, out, _ = run("plan", server.file_url("c4.json.gz"), "--inspectors", "length")
    assert code == 0 and "c4.json.gz" in out and "total: fetch" in out and "requests" in out


def test_jsonl_row_limit_stops_early(home, run, server, corpus_dir):
    url = server.file_url("c4.json.gz")
    assert run("profile", url, "--rows-per-shard", "5", "--inspectors", "length", "--workers", "1")[0] == 0
    assert server.log.bytes_sent < (corpus_dir / "c4.json.gz").stat().st_size / 2
    assert _sql(run, url, "select count(*) n from documents") == [{"n": 5}]


def test_url_list_and_catalogue_name(home, run, server, corpus_dir, monkeypatch):
    from inspectors.core.sources import resolve

    corpus = resolve(server.file_url("urls.txt"))
    assert [s.name for s in corpus.shards] == ["c4-0000.parquet", "c4-0001.parquet"]
    assert all(s.uri.startswith(server.url) for s in corpus.shards)
    local = resolve(str(corpus_dir / "urls.txt"))
    assert [s.name for s in local.shards] == ["c4-0000.parquet", "c4-0001.parquet"]

    class Entry:
        name, version, format, compression = "mini", "v1", "jsonl", "gz"
        shard_spec = {"hf": "datasets/org/dolma-mini", "revision": "main", "patterns": ["*.jsonl.gz"]}
        columns = {"url": "metadata.url"}

        def hf_uri(self):
            return "hf://datasets/org/dolma-mini"

    class Catalogue:
        def corpus(self, name):
            if name not in ("mini", "mini:v1"):
                raise KeyError(name)
            return Entry()

    fake = types.ModuleType("inspectors.core.catalogue")
    fake.load_catalogue = Catalogue
    monkeypatch.setitem(sys.modules, "inspectors.core.catalogue", fake)
    corpus = resolve("mini:v1")
    assert corpus.name == "mini" and corpus.version == "v1" and len(corpus.shards) == 2
    assert corpus.revision == "0123456789abcdef0123456789abcdef01234567"
    assert corpus.overrides["url"] == "metadata.url"
    Entry.shard_spec = {"urls": [server.file_url("c4.json.gz")]}
    assert [s.name for s in resolve("mini").shards] == ["c4.json.gz"]
    code, _, err = run("profile", "nonesuch:v9")
    assert code == 2 and "catalogue" in err


def test_hf_query_matches_local(home, run, server, corpus_dir, tmp_path):
    query = tmp_path / "hosts.sql"
    query.write_text(
        "-- ---\n-- title: Hosts\n-- description: documents per registered domain\n-- version: 1\n"
        "-- kind: report\n-- requires: [web_domain]\n-- ---\n"
        "SELECT registered_domain, count(*) AS documents FROM documents GROUP BY 1 ORDER BY 2 DESC, 1\n"
    )
    hf = "hf://datasets/org/dolma-mini/*.jsonl.gz"
    local = corpus_dir / "dolma"
    results = []
    for source in (hf, local):
        code, out, err = run("query", "run", str(query), "--corpus", source, "--format", "json", "--workers", "1")
        assert code == 0, err
        results.append(json.loads(out))
    assert results[0] == results[1] and sum(r["documents"] for r in results[0]) == 20
    assert server.log.count("GET", "/api/datasets/org/dolma-mini/tree") >= 1
    assert server.log.count("HEAD", "/datasets/org/dolma-mini/resolve/main/") == 2
    # Parquet through the hub, at a pinned revision, equals the local file
    pinned = "hf://datasets/org/c4-mini@0123456789abcdef0123456789abcdef01234567/c4-0000.parquet"
    assert run("profile", pinned, "--inspectors", "web_domain,length", "--workers", "1")[0] == 0
    assert run("profile", corpus_dir / "parquet" / "c4-0000.parquet", "--inspectors", "web_domain,length")[0] == 0
    assert _sql(run, pinned, STATS_SQL) == _sql(run, corpus_dir / "parquet" / "c4-0000.parquet", STATS_SQL)


def test_retryable_faults_are_retried(home, run, server):
    url = server.file_url("parquet/c4-0001.parquet")
    server.fault("c4-0001.parquet", "503", "429")
    assert run("profile", url, "--inspectors", "web_domain", "--workers", "1")[0] == 0
    assert [r["status"] for r in server.log.requests[:3]] == [503, 429, 200]
    # a connection dropped mid-stream resumes where it stopped; a slow answer times out and is retried
    url = server.file_url("c4.json.gz")
    server.faults["c4.json.gz"] = ["sleep:1.5", "drop"]
    assert run("profile", url, "--inspectors", "length", "--workers", "1")[0] == 0
    assert _sql(run, url, "select count(*) n from documents") == [{"n": 1000}]


def test_persistent_faults_are_reported_with_url(home, run, server):
    url = server.file_url("parquet/c4-0000.parquet")
    server.fault("c4-0000.parquet", *["502"] * 10)
    code, _, err = run("profile", url, "--workers", "1")
    assert code != 0 and url in err and "4 attempts" in err and "502" in err
    server.faults.clear()


def test_not_found_and_denied_fail_at_once(home, run, server):
    missing = server.file_url("parquet/nope.parquet")
    code, _, err = run("profile", missing)
    assert code == 2 and "404" in err and "revision" in err and "nope.parquet" in err
    # No backoff retries on a 404 (they would be 1 + CORPUSCOPE_HTTP_RETRIES requests); urllib3 may repeat
    # the HEAD once when the server has closed a kept-alive connection.
    assert server.log.count(path_contains="nope.parquet") <= 2
    code, _, err = run("profile", "hf://datasets/org/dolma-mini@no-such-branch/*.jsonl.gz")
    assert code == 2 and "revision" in err
    code, _, err = run("profile", "hf://datasets/org/gated/c4-0000.parquet")
    assert code == 2 and ("gated" in err or "token" in err.lower())
    code, _, err = run("profile", "hf://datasets/org/missing-repo/*.parquet")
    assert code == 2 and "repository not found" in err


def test_corrupt_remote_shard_fails_alone(home, run, server):
    urls = server.url + "/files/bad/list.txt"
    (server.root / "bad" / "list.txt").write_text("a-good.parquet\nb-corrupt.parquet\n")
    code, out, err = run("profile", urls, "--inspectors", "web_domain", "--workers", "1")
    assert code == 2 and "b-corrupt.parquet" in err and "1 profiled" in out and "1 failed" in out
