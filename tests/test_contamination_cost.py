"""The cost of a contamination scan: `plan --contamination` and `contamination --dry-run`."""

from __future__ import annotations

import json

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE

from inspectors.contamination.cost import BENCHMARK_RATE, TB


def _json(stdout: str) -> dict:
    return json.loads(stdout[stdout.index("{"):])


def _utf8(folder) -> tuple[int, int]:
    tables = [pq.read_table(p, columns=["text"]) for p in sorted(folder.glob("*.parquet"))]
    return (sum(pc.sum(pc.binary_length(t.column("text"))).as_py() for t in tables), sum(t.num_rows for t in tables))


def test_plan_estimates_core_hours_and_a_terabyte(cli, home):
    code, stdout, _ = cli("plan", SAMPLE / "flat", "--contamination", "--workers", "2", "--format", "json")
    assert code == 0
    cost = _json(stdout)["contamination"]
    text, rows = _utf8(SAMPLE / "flat")
    # footers: the text, its 4-byte lengths and page headers with their statistics (6% over here)
    assert text <= cost["text_bytes_read"] <= 1.1 * text + 4 * rows + 4096
    assert cost["rate_bytes_per_core_second"] == BENCHMARK_RATE and "RESULTS.md" in cost["rate_source"]
    assert cost["core_hours"] == pytest.approx(cost["text_bytes_read"] / BENCHMARK_RATE / 3600)
    assert cost["wall_hours"] == pytest.approx(cost["core_hours"] / 2)
    assert cost["core_hours_per_tb"] == pytest.approx(TB / BENCHMARK_RATE / 3600)
    code, stdout, _ = cli("plan", SAMPLE / "flat", "--contamination")
    assert code == 0 and "1 TB of text: " in stdout and "core-hours" in stdout


def test_dry_run_uses_the_rate_this_machine_measured(cli, home, tmp_path):
    bench = tmp_path / "items.jsonl"
    bench.write_text(json.dumps({"id": "1", "question": "a question about rivers and lamps and stones", "answer": ""}) + "\n")
    record = tmp_path / "record.json"
    assert cli("contamination", bench, "--corpus", SAMPLE / "flat", "--workers", "1", "--out", record)[0] == 0
    scanned = json.loads(record.read_text())
    code, stdout, _ = cli("contamination", bench, "--corpus", SAMPLE / "flat", "--dry-run", "--format", "json")
    assert code == 0
    cost = _json(stdout)
    assert cost["rate_source"].startswith("measured on this machine (1 scan")
    assert cost["rate_bytes_per_core_second"] == pytest.approx(
        scanned["corpus"]["bytes"] / scanned["timing"]["scan_cpu_seconds"])
    # a shard sample reads part and scales to the whole corpus
    code, stdout, _ = cli("contamination", bench, "--corpus", SAMPLE / "flat", "--sample-shards", "1", "--dry-run",
                          "--format", "json")
    sampled = _json(stdout)
    assert sampled["shards_read"] == 1 and sampled["text_bytes_corpus"] == pytest.approx(3 * sampled["text_bytes_read"])
    code, stdout, _ = cli("contamination", bench, "--corpus", SAMPLE / "flat", "--sample-shards", "1", "--dry-run")
    assert "whole corpus: about" in stdout and "1 TB of text" in stdout
