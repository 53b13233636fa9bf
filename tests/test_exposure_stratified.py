"""Stratified exposure runs (the token-id prefilter stratifies, only the sample is decoded) and step
blocks read on the run's engine: the local process pool and Ray."""

from __future__ import annotations

import json
import os

import pyarrow.parquet as pq
import pytest

from test_exposure import PLANTED
from test_streams_build import build_olmo, build_pythia, olmo_truth

from inspectors.core.plan import Plan
from inspectors.core.queries import find
from inspectors.core.run import RunOptions, run_exposure
from inspectors.streams import base, exposure, open_stream, stream_corpus


@pytest.fixture
def planted_query(tmp_path):
    path = tmp_path / "planted.sql"
    path.write_text(PLANTED)
    return find(str(path))


def _pythia(tmp_path, window=256):
    built = build_pythia(tmp_path / "pythia", steps=6, B=8, planted_steps=(2, 5))
    return built, open_stream(f"pythia:{built['prefix']}", batch=8, window=window)


def _count_decoded(monkeypatch) -> list[int]:
    """Patch the decoder to count the pieces it decodes (the run is inline: workers=1)."""
    decoded, real = [], base.decoder

    def counting(name):
        inner = real(name)

        def decode(batch):
            decoded.append(len(batch))
            return inner(batch)

        return decode

    monkeypatch.setattr(base, "decoder", counting)
    return decoded


def test_stratified_run_decodes_only_its_sample_and_writes_no_block(tmp_path, home, monkeypatch):
    built, stream = _pythia(tmp_path)
    q = find("vietnamese_share")
    full = run_exposure(q, stream, 6, plan=Plan(), options=RunOptions(workers=1), block_steps=1)
    truth = full.estimates["tokens_seen"]
    for f in (home / "streams" / stream.config_hash).glob("*.parquet"):
        f.unlink()  # the full pass's blocks: the stratified run must not need them
    decoded = _count_decoded(monkeypatch)
    plan = Plan("stratified", per_stratum=12, seed=4)
    f = run_exposure(q, stream, 6, plan=plan, options=RunOptions(workers=1), block_steps=1, curve=3)
    assert not list((home / "streams" / stream.config_hash).glob("*.parquet"))
    strata = {s["name"]: s for s in f.extra["strata"]}
    assert set(strata) == {"candidate", "rest"}
    assert sum(decoded) == sum(s["sampled"] for s in strata.values()) == 24
    # pass 1 counted every window and every token exactly
    assert sum(s["documents"] for s in strata.values()) == 6 * 8 * 9  # 2,049 tokens in windows of 256: 9 each
    seen = f.estimates["tokens_seen"]
    assert seen["total"] == truth["total"] == 6 * 8 * 2049
    assert seen["method"] == "stratified-gamma" and seen["ci95"][0] <= truth["share"] <= seen["ci95"][1]
    # every planted window is a candidate (the prefilter is sound on real statutes)
    assert strata["candidate"]["documents"] >= 2 * 9
    assert f.extra["curve"][-1]["tokens_seen"]["share"] == pytest.approx(seen["share"])
    assert f.extra["unique_documents"]["scope"] == "in the sample"


def test_a_census_of_every_stratum_equals_the_full_pass(tmp_path, home, planted_query):
    built = build_olmo(tmp_path / "olmo")
    stream = open_stream(f"olmo:{built['config']}")
    K = stream.steps_per_epoch + 2  # a second epoch
    full = run_exposure(planted_query, stream, K, plan=Plan(), options=RunOptions(workers=1), block_steps=2, curve=4)
    plan = Plan("stratified", per_stratum=10**6, seed=0)
    f = run_exposure(planted_query, stream, K, plan=plan, options=RunOptions(workers=1), block_steps=2, curve=4)
    truth = olmo_truth(built, tmp_path / "olmo", K)
    for unit in ("tokens_seen", "exposures", "documents"):
        assert f.estimates[unit]["method"] == "exact", unit
        assert f.estimates[unit]["matched"] == full.estimates[unit]["matched"], unit
        assert f.estimates[unit]["total"] == full.estimates[unit]["total"], unit
    assert f.estimates["tokens_seen"]["matched"] == truth["matched"]
    by_step = [(p["step"], p["tokens_seen"]["matched"]) for p in f.extra["curve"]]
    assert by_step == [(p["step"], p["tokens_seen"]["matched"]) for p in full.extra["curve"]]


def test_stratified_blocks_sample_is_two_stage(tmp_path, home):
    built, stream = _pythia(tmp_path)
    plan = Plan("stratified", sample_shards=4, per_stratum=20, seed=2)
    f = run_exposure(find("vietnamese_share"), stream, 6, plan=plan, options=RunOptions(workers=1), block_steps=1)
    assert f.shards["read"] == 4 and f.estimates["tokens_seen"]["method"] in ("two-stage-gamma", "upper-bound")


def test_cli_exposure_run_stratified(tmp_path, home, cli):
    built, _ = _pythia(tmp_path)
    code, out, err = cli("exposure", "run", "vietnamese_share", "--stream", f"pythia:{built['prefix']}",
                         "--batch", 8, "--window", 256, "--up-to-step", 6, "--block-steps", 1, "--stratified",
                         "--per-stratum", 10, "--workers", 1, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [s["name"] for s in data["strata"]] == ["candidate", "rest"]
    assert data["plan"]["strategy"] == "stratified" and data["tokens_seen"]["total"] == 6 * 8 * 2049
    code, _, err = cli("exposure", "run", "vietnamese_share", "--stream", f"pythia:{built['prefix']}",
                       "--batch", 8, "--up-to-step", 6, "--stratified", "--prefilter", "klingon")
    assert code == 2 and "--prefilter 'klingon'" in err


def _tables(home, stream) -> dict:
    folder = home / "streams" / stream.config_hash
    return {p.name: pq.read_table(p) for p in sorted(folder.glob("*.parquet"))}


def test_blocks_are_written_by_the_local_pool_as_inline(tmp_path, home, monkeypatch):
    built, stream = _pythia(tmp_path)
    stream_corpus(stream, 6, 1, options=RunOptions(workers=1))
    inline = _tables(home, stream)
    other = tmp_path / "home2"
    monkeypatch.setenv("CORPUSCOPE_HOME", str(other))
    seen = []
    stream_corpus(stream, 6, 1, options=RunOptions(workers=2, progress=seen.append))
    pooled = _tables(other, stream)
    assert len(inline) == 6 and inline.keys() == pooled.keys()
    assert all(inline[k].equals(pooled[k]) for k in inline)
    assert sorted(p.done for p in seen) == list(range(1, 7)) and {p.stage for p in seen} == {"read"}


def test_a_failing_block_is_named(tmp_path, home):
    built, stream = _pythia(tmp_path)
    os.truncate(str(built["prefix"]) + ".bin", 8 * 2049 * 2 * 3)  # the data now ends after step 3
    from inspectors.core.errors import CorpuscopeError

    with pytest.raises(CorpuscopeError, match="steps-00000004"):
        stream_corpus(stream, 6, 1, options=RunOptions(workers=2))


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    from inspectors.core.executors.ray import prepare_local_instance

    prepare_local_instance()
    temp = os.environ["RAY_TMPDIR"]  # conftest: a short per-session folder (AF_UNIX path limit)
    os.makedirs(temp, exist_ok=True)
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=temp, logging_level="warning",
                 log_to_driver=False)
    except Exception as error:  # a sandbox without shared memory or sockets
        pytest.skip(f"Ray cannot start here: {error}")
    yield ray
    ray.shutdown()


def test_ray_engine_gives_the_local_result(ray_session, tmp_path, home, monkeypatch):
    built, stream = _pythia(tmp_path)
    q = find("vietnamese_share")
    local = run_exposure(q, stream, 6, plan=Plan(), options=RunOptions(workers=2), block_steps=1)
    plan = Plan("stratified", per_stratum=15, seed=5)
    local_s = run_exposure(q, stream, 6, plan=plan, options=RunOptions(workers=2), block_steps=1)
    monkeypatch.setenv("CORPUSCOPE_HOME", str(tmp_path / "ray-home"))
    on_ray = run_exposure(q, stream, 6, plan=Plan(), options=RunOptions(engine="ray", workers=2), block_steps=1)
    ray_s = run_exposure(q, stream, 6, plan=plan, options=RunOptions(engine="ray", workers=2), block_steps=1)
    assert on_ray.estimates == local.estimates and ray_s.estimates == local_s.estimates
    assert len(list((tmp_path / "ray-home" / "streams" / stream.config_hash).glob("*.parquet"))) == 6


def test_a_failed_scan_names_the_first_failed_shard_in_shard_order():
    # Engines hand results back as they finish; the message must not depend on which finished first.
    from inspectors.core.errors import RuntimeFailure
    from inspectors.core.shards import Shard
    from inspectors.core.stratified import collect

    shards = [Shard(uri=f"/s/{i}.parquet", name=f"{i}.parquet", format="parquet") for i in range(3)]
    finished = [{"shard": "/s/2.parquet", "error": "2.parquet: broken", "exit_code": 1},
                {"shard": "/s/0.parquet", "passes": []},
                {"shard": "/s/1.parquet", "error": "1.parquet: broken", "exit_code": 1}]
    with pytest.raises(RuntimeFailure, match=r"^1\.parquet: broken \(and 1 more shards\)$"):
        collect(finished, shards)
