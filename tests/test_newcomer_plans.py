"""Issue 15 item 10: plans that add up — cached shards counted, local bytes shown as read not fetched,
no footer counted twice over HTTP."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SAMPLE
from test_remote import corpus_dir, fast_faults, server  # noqa: F401  (fixtures: the HTTP test server)


def test_http_plan_never_exceeds_the_file_and_matches_the_transfer(home, cli, server, corpus_dir):  # noqa: F811
    from inspectors.core import registry, storage

    every = ",".join(sorted(registry.latest()))
    for name in ("parquet/c4-0000.parquet", "parquet/c4-0001.parquet"):
        url = server.file_url(name)
        size = (corpus_dir / name).stat().st_size
        code, out, err = cli("plan", url, "--inspectors", every, "--format", "json")
        assert code == 0, err
        planned = json.loads(out)
        storage.reset_transfer_stats()
        server.log.reset()
        assert cli("profile", url, "--inspectors", every, "--workers", "1")[0] == 0
        assert planned["fetch_bytes"] <= size, (name, planned["fetch_bytes"], size)
        assert abs(server.log.bytes_sent - planned["fetch_bytes"]) <= 0.1 * planned["fetch_bytes"]
        # No byte is fetched twice: a column range running into the held footer fetches only its head.
        assert server.log.bytes_sent <= size, (name, server.log.bytes_sent, size)



def test_local_plan_after_profiling_counts_cached_and_agrees_on_bytes(tmp_path, monkeypatch, home, cli):
    """Right after profiling a local corpus the Corpora page says "Cached already: 6 of 6"; local shards
    fetch 0 bytes in the table as in the total, and their in-place reads are shown as such."""
    from streamlit.testing.v1 import AppTest

    from conftest import REPO

    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path / "queries"))
    monkeypatch.delenv("CORPUSCOPE_APP_CORPUS", raising=False)
    app = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    app.run()  # the Overview profiles the demo corpus
    assert not app.exception
    app.switch_page("pages/corpora.py").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    captions = [c.value for c in app.caption]
    assert "Cached already: 6 of 6" in captions, captions
    metric = next(m for m in app.metric if m.label == "Bytes to fetch")
    assert metric.value == "0 B"
    table = next(d.value for d in app.dataframe if "fetch bytes" in d.value.columns)
    assert (table["fetch bytes"] == 0).all() and (table["status"] == "cached").all()
    # Before profiling, a copy of the corpus is "local", with the bytes it reads in place.
    folder = tmp_path / "copy"
    shutil.copytree(SAMPLE / "flat", folder)
    code, out, err = cli("plan", folder)
    assert code == 0, err
    assert "cached already: 0 of 3" in out and "local: reads" in out and "total: fetch 0 B" in out
    assert cli("profile", folder, "--workers", "1")[0] == 0
    code, out, _ = cli("plan", folder)
    assert "cached already: 3 of 3" in out


def test_zero_and_misplaced_plan_flags_are_refused_not_ignored(home, cli):
    from inspectors.core.errors import BadInput
    from inspectors.core.plan import Plan

    for flags in ({"sample_shards": 0}, {"rows_per_shard": 0}, {"stratified": True, "per_stratum": 0},
                  {"stratified": True, "rows_per_shard": 5}, {"per_stratum": 10}):
        with pytest.raises(BadInput):
            Plan.from_options(**flags)
    assert Plan.from_options(stratified=True).per_stratum == 200
    code, _, err = cli("query", "run", "vietnamese_share", "--corpus", SAMPLE, "--sample-shards", "0")
    assert code == 2 and "--sample-shards must be at least 1" in err


def test_plan_exits_2_when_a_shard_cannot_be_planned(home, cli, tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE, folder)
    broken = sorted(folder.rglob("*.parquet"))[0]
    broken.write_bytes(broken.read_bytes()[:200])
    code, _, err = cli("plan", folder)
    assert code == 2 and "1 shard(s) could not be planned" in err
