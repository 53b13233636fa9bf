"""``--engine ray`` on a local Ray instance (2 CPUs): same attribute shards and query results as the
local engine, resume, lost workers retried, a shard that keeps killing its worker reported by name,
attribute shards on fsspec paths, and the install hint when Ray is absent."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, shared
from inspectors.core import store
from inspectors.core.profile import profile_shard
from inspectors.core.sources import resolve

FIXTURES = [SAMPLE, shared("dolma_test_fixtures", "multiple_files"), shared("c4_sample_wimbd")]


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray instance for the module: 2 CPUs, no dashboard, session files under $RAY_TMPDIR."""
    ray = pytest.importorskip("ray")
    from inspectors.core.executors.ray import prepare_local_instance

    prepare_local_instance()
    temp = os.environ["RAY_TMPDIR"]  # conftest: a per-session temp folder, never the home directory
    Path(temp).mkdir(parents=True, exist_ok=True)
    ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=temp,
             logging_level="warning", log_to_driver=False)
    # The task functions below live in this test module, which Ray workers cannot import by name.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.shutdown()


def _attribute_files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*.parquet")) if not p.name.startswith(".tmp-")}


def _same_attribute_shards(a: Path, b: Path) -> int:
    files_a, files_b = _attribute_files(a), _attribute_files(b)
    assert files_a and files_a.keys() == files_b.keys()
    for name in files_a:
        ta, tb = pq.read_table(files_a[name]), pq.read_table(files_b[name])
        assert ta.schema.metadata == tb.schema.metadata, name  # fingerprint, mapping, inspector versions
        assert ta.equals(tb), name
    return len(files_a)


def _runnable_reports() -> list[str]:
    """Every saved report query."""
    from inspectors.core import queries

    return [q.name for q in queries.list_queries() if q.kind == "report"]


def _answers(cli, folder) -> list:
    out = []
    for sql in ("select * from documents order by shard, row",
                "select registered_domain, count(*) n, sum(n_bytes) b from documents group by 1 order by 2 desc, 1"):
        code, text, err = cli("sql", folder, sql, "--format", "json")
        assert code == 0, err
        out.append(json.loads(text))
    for query in _runnable_reports():
        code, text, err = cli("query", "run", query, "--corpus", folder, "--format", "json")
        assert code == 0, err
        out.append(json.loads(text))
    return out


def test_ray_engine_matches_local_engine(ray_session, cli, tmp_path, monkeypatch):
    for i, folder in enumerate(FIXTURES):
        homes = {engine: tmp_path / f"{i}-{engine}" for engine in ("local", "ray")}
        answers = {}
        for engine, home in homes.items():
            monkeypatch.setenv("CORPUSCOPE_HOME", str(home))
            code, out, err = cli("profile", folder, "--engine", engine, "--workers", "2")
            assert code == 0, err
            assert "0 failed" in out and "0 cached" in out, out
            answers[engine] = _answers(cli, folder)
        assert _same_attribute_shards(homes["local"] / "attributes", homes["ray"] / "attributes") >= 1
        assert answers["ray"] == answers["local"], folder


def test_scans_run_on_ray_with_the_same_numbers(ray_session, cli, home, monkeypatch):
    """A shard sample and a stratified scan give the local engine's finding on Ray."""
    runs = {}
    for engine in ("local", "ray"):
        monkeypatch.setenv("CORPUSCOPE_HOME", str(home / engine))
        for plan in (("--sample-shards", "4", "--seed", "2"), ("--stratified", "--per-stratum", "30")):
            code, out, err = cli("query", "run", "vietnamese_legal_documents", "--corpus", SAMPLE, *plan,
                                 "--engine", engine, "--format", "json")
            assert code == 0, err
            finding = json.loads(out)
            runs[(engine, plan[0])] = {k: finding[k] for k in ("documents", "bytes", "tokens", "shards", "evidence")}
    for plan in ("--sample-shards", "--stratified"):
        assert runs[("ray", plan)] == runs[("local", plan)]


def test_ray_engine_resumes(ray_session, cli, home):
    assert cli("profile", SAMPLE, "--engine", "ray")[0] == 0
    victim = sorted((home / "attributes").rglob("*.parquet"))[0]
    victim.unlink()  # as if the run had been interrupted before this shard finished
    code, out, err = cli("profile", SAMPLE, "--engine", "ray")
    assert code == 0, err
    assert "1 profiled, 0 updated, 5 cached, 0 failed; 720 documents" in out
    assert victim.exists()


def _die_once(shard, marker_dir: str, **kwargs):
    """Kill this worker process on the first attempt at one shard; behave on the retry."""
    marker = Path(marker_dir) / f"{shard.name}.attempts"
    attempts = int(marker.read_text()) if marker.exists() else 0
    marker.write_text(str(attempts + 1))
    if shard.name == "demo-0001.parquet" and attempts == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return profile_shard(shard, **kwargs)


def _always_die(shard, **kwargs):
    """A shard whose worker dies on every attempt (think: an inspector that segfaults on it)."""
    if shard.name == "demo-0002.parquet":
        os.kill(os.getpid(), signal.SIGKILL)
    return profile_shard(shard, **kwargs)


def _kwargs(root) -> dict:
    from inspectors.core import registry

    keys = [cls.key() for cls in registry.resolve(None)]
    return dict(inspector_keys=keys, overrides={}, limit=None, root=str(root))


def _flat_shards():
    return resolve(str(SAMPLE / "flat")).shards


def test_lost_worker_is_retried(ray_session, tmp_path):
    from inspectors.core.executors.ray import run_ray

    shards = _flat_shards()
    markers = tmp_path / "markers"
    markers.mkdir()
    kwargs = {**_kwargs(tmp_path / "attrs"), "marker_dir": str(markers)}
    results = list(run_ray(_die_once, shards, kwargs, None, None, max_retries=2))
    assert sorted(r.status for r in results) == ["profiled"] * len(shards), results
    assert (markers / "demo-0001.parquet.attempts").read_text() == "2"  # killed once, retried once
    assert (markers / "demo-0000.parquet.attempts").read_text() == "1"


def test_shard_that_keeps_failing_is_named_and_others_finish(ray_session, tmp_path):
    from inspectors.core.executors.ray import run_ray

    shards = _flat_shards()
    root = tmp_path / "attrs"
    results = {r.shard.rsplit("/", 1)[-1]: r for r in run_ray(_always_die, shards, _kwargs(root), None, None, max_retries=1)}
    bad = results.pop("demo-0002.parquet")
    assert bad.status == "failed" and bad.exit_code == 1
    assert "demo-0002.parquet" in bad.error and "worker lost on 2 attempt(s)" in bad.error, bad.error
    assert {r.status for r in results.values()} == {"profiled"} and len(results) == len(shards) - 1
    # re-running resumes: the finished shards are cached, only the bad one is attempted again
    again = list(run_ray(profile_shard, shards, _kwargs(root), None, None))
    assert sorted(r.status for r in again) == ["cached"] * (len(shards) - 1) + ["profiled"]


def test_ray_writes_attribute_shards_through_fsspec(ray_session, cli, tmp_path, monkeypatch):
    """``CORPUSCOPE_ATTRIBUTES`` as an fsspec URI (``local://`` takes the remote code path across processes)."""
    monkeypatch.setenv("CORPUSCOPE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORPUSCOPE_ATTRIBUTES", f"local://{tmp_path / 'remote'}")
    code, out, err = cli("profile", SAMPLE, "--engine", "ray")
    assert code == 0 and "6 profiled" in out, err
    assert cli("profile", SAMPLE, "--engine", "ray")[1].count("6 cached") == 1
    monkeypatch.delenv("CORPUSCOPE_ATTRIBUTES")
    assert cli("profile", SAMPLE, "--engine", "local", "--workers", "2")[0] == 0
    assert _same_attribute_shards(tmp_path / "home" / "attributes", tmp_path / "remote") == 6


def test_store_on_memory_filesystem(cli, tmp_path, monkeypatch):
    """The store's fsspec path (memory:// is per process, so the local engine runs inline)."""
    import fsspec

    monkeypatch.setenv("CORPUSCOPE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORPUSCOPE_ATTRIBUTES", "memory://corpuscope-test/attributes")
    assert store.attribute_root() == "memory://corpuscope-test/attributes"
    shard = _flat_shards()[0]
    path = store.attribute_path(shard)
    assert isinstance(path, str) and path.startswith("memory://corpuscope-test/attributes/")
    # a root that went through pathlib.Path (as profile_shard's ``root`` does) still names the URI
    assert store.attribute_path(shard, Path(store.attribute_root())) == path
    code, out, err = cli("profile", SAMPLE, "--workers", "1")
    assert code == 0 and "6 profiled" in out, err
    assert "6 cached" in cli("profile", SAMPLE, "--workers", "1")[1]
    fs = fsspec.filesystem("memory")
    names = [p for p in fs.find("/corpuscope-test/attributes") if p.endswith(".parquet")]
    assert len(names) == 6 and not any("/.tmp-" in p for p in names)
    info = store.read_info(path)
    assert info is not None and info.complete and info.rows == store.read_table(path).num_rows
    assert store.read_info("memory://corpuscope-test/attributes/nope.parquet") is None
    fs.rm("/corpuscope-test", recursive=True)


def test_without_ray_engine_ray_says_how_to_install(cli, home, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    code, out, err = cli("profile", SAMPLE, "--engine", "ray")
    assert code == 2
    assert 'pip install "ray[default]>=2.9"' in err
    assert not (home / "attributes").exists()
    code, _, err = cli("profile", SAMPLE, "--ray-address", "auto")
    assert code == 2 and "--engine ray" in err
