"""The demo corpus is what sample_data/build.py makes: same shards, same rows."""

from __future__ import annotations

import gzip
import importlib.util
import sys

import pyarrow.parquet as pq

from conftest import REPO, SAMPLE


def test_build_script_reproduces_the_committed_demo(tmp_path):
    sys.path.insert(0, str(REPO / "sample_data"))
    try:
        spec = importlib.util.spec_from_file_location("demo_build", REPO / "sample_data" / "build.py")
        build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(build)
        written = build.build(tmp_path)
    finally:
        sys.path.remove(str(REPO / "sample_data"))
    assert sorted(p.relative_to(tmp_path) for p in written) == sorted(
        p.relative_to(SAMPLE) for p in SAMPLE.rglob("*") if p.is_file())
    for path in written:
        committed = SAMPLE / path.relative_to(tmp_path)
        if path.suffix == ".parquet":
            assert pq.read_table(path).equals(pq.read_table(committed)), path
        else:
            assert gzip.decompress(path.read_bytes()) == gzip.decompress(committed.read_bytes()), path
