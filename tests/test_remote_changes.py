"""A remote shard that changes while it is read fails with a clear error instead of mixing versions."""

from __future__ import annotations

import os
import time

import pytest

from http_server import TestServer
from inspectors.core import storage
from inspectors.core.errors import RuntimeFailure


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("CORPUSCOPE_HTTP_RETRIES", "1")
    storage._INFOS.clear()
    storage._TAILS.clear()
    yield
    storage._INFOS.clear()
    storage._TAILS.clear()


def _rewrite(path, data: bytes) -> None:
    before = path.stat().st_mtime_ns
    path.write_bytes(data)
    if path.stat().st_mtime_ns == before:  # same-size rewrites must still get a new ETag
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


@pytest.mark.parametrize("new_size", ["same", "larger", "smaller"])
def test_a_shard_rewritten_mid_read_fails_naming_it(tmp_path, new_size):
    shard = tmp_path / "s.parquet"
    shard.write_bytes(bytes(range(256)) * 64)
    with TestServer(tmp_path) as server:
        url = server.file_url("s.parquet")
        handle = storage.open_binary(url, sequential=False)
        assert handle.read(100) == bytes(range(100))
        data = {"same": b"x" * (256 * 64), "larger": b"y" * (256 * 80), "smaller": b"z" * 200}[new_size]
        time.sleep(0.01)
        _rewrite(shard, data)
        handle.seek(1000)
        with pytest.raises(RuntimeFailure, match=r"shard .*s\.parquet changed while it was read .*; re-run"):
            handle.read(100)
        # The next run sees the new version from the start and reads it normally.
        again = storage.open_binary(url, sequential=False)
        assert again.size == len(data) and again.read(10) == data[:10]


def test_an_unchanged_shard_reads_on(tmp_path):
    shard = tmp_path / "s.parquet"
    shard.write_bytes(bytes(range(256)) * 64)
    with TestServer(tmp_path) as server:
        handle = storage.open_binary(server.file_url("s.parquet"), sequential=False)
        parts = [handle.read(500) for _ in range(5)]
        assert b"".join(parts) == (bytes(range(256)) * 64)[:2500]
