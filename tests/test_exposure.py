"""``exposure``: saved slices on training streams, in tokens seen, with the stream in the finding."""

from __future__ import annotations

import json

import pytest

from test_streams_build import amber_tokenizer, build_amber, build_olmo, build_pythia, olmo_truth

from inspectors.core.findings import Finding
from inspectors.core.plan import Plan
from inspectors.core.queries import find
from inspectors.core.run import RunOptions
from inspectors.streams import exposure, open_stream, stream_corpus

PLANTED = """-- ---
-- title: Planted law
-- description: rows whose source is vi_law (the planted slice)
-- version: 1
-- kind: slice
-- requires: [length, tokens]
-- ---
SELECT * FROM documents WHERE source = 'vi_law'
"""


@pytest.fixture
def planted_query(tmp_path):
    path = tmp_path / "planted.sql"
    path.write_text(PLANTED)
    return find(str(path))


def test_olmo_full_pass_counts_the_planted_tokens_exactly(tmp_path, home, planted_query):
    built = build_olmo(tmp_path / "olmo")
    stream = open_stream(f"olmo:{built['config']}")
    K = stream.steps_per_epoch + 2  # a second epoch
    sc = stream_corpus(stream, K, block_steps=2)
    finding = exposure.run(planted_query, sc, plan=Plan(), options=RunOptions(workers=1), curve=4)
    truth = olmo_truth(built, tmp_path / "olmo", K)
    seen = finding.estimates["tokens_seen"]
    assert seen["matched"] == truth["matched"] and seen["total"] == truth["total"] == K * 4 * 64
    assert seen["method"] == "exact"
    assert finding.extra["unique_documents"]["matched"] == 6
    assert finding.estimates["exposures"]["matched"] > 6  # up-sampled copies and the second epoch
    # the curve: cumulative share at block ends, from the one pass
    curve = finding.extra["curve"]
    assert curve[-1]["step"] == K and curve[-1]["tokens_seen"]["matched"] == truth["matched"]
    first = curve[0]["step"]
    assert curve[0]["tokens_seen"]["matched"] == sum(v for s, v in truth["by_step"].items() if s <= first)
    # the stream's identity is recorded
    s = finding.extra["stream"]
    assert s["config_hash"] == stream.config_hash and s["seed"] == 6198 and s["up_to_step"] == K
    assert finding.corpus["version"] == stream.config_hash and "seed 6198" in finding.corpus["revision"]
    # and survives the file form
    again = Finding.from_json(finding.to_json())
    assert again.estimates["tokens_seen"]["matched"] == truth["matched"]
    assert "steps 1-" in again.corpus["revision"]


def test_sampled_blocks_give_an_interval_and_read_only_their_blocks(tmp_path, home, planted_query):
    built = build_olmo(tmp_path / "olmo")
    stream = open_stream(f"olmo:{built['config']}")
    K = stream.steps_per_epoch
    sc = stream_corpus(stream, K, block_steps=1, plan=Plan("shard_sample", sample_shards=K // 2, seed=3))
    written = list((home / "streams" / stream.config_hash).glob("*.parquet"))
    assert len(written) == K // 2  # only the drawn blocks were read and written
    finding = exposure.run(planted_query, sc, plan=Plan("shard_sample", sample_shards=K // 2, seed=3),
                           options=RunOptions(workers=1))
    seen = finding.estimates["tokens_seen"]
    assert seen["total"] == K * 4 * 64  # known from steps x tokens per step
    lo, hi = seen["ci95"]
    assert lo <= seen["share"] <= hi and finding.shards["read"] == K // 2


def test_a_saved_query_runs_on_a_pythia_stream(tmp_path, home):
    built = build_pythia(tmp_path / "pythia", steps=6, B=8, planted_steps=(2, 5))
    stream = open_stream(f"pythia:{built['prefix']}", batch=8)
    stream.window = 2049
    sc = stream_corpus(stream, 6, block_steps=1)
    finding = exposure.run(find("vietnamese_share"), sc, options=RunOptions(workers=1), curve=6)
    seen = finding.estimates["tokens_seen"]
    assert seen["matched"] == 2 * 2049 and seen["total"] == 6 * 8 * 2049  # the two planted sequences
    by_step = {p["step"]: p["tokens_seen"]["matched"] for p in finding.extra["curve"]}
    assert by_step == {1: 0, 2: 2049, 3: 2049, 4: 2049, 5: 2 * 2049, 6: 2 * 2049}
    assert finding.evidence and all("pythia" not in (e["url"] or "") for e in finding.evidence)


def test_amber_stream_by_source(tmp_path, home):
    built = build_amber(tmp_path / "amber")
    path = amber_tokenizer(tmp_path)
    q = tmp_path / "code.sql"
    q.write_text(PLANTED.replace("vi_law", "starcoderdata").replace("Planted law", "Code"))
    stream = open_stream(f"amber:{built['base']}", tokenizer=str(path))
    sc = stream_corpus(stream, 2, block_steps=1)
    finding = exposure.run(find(str(q)), sc, options=RunOptions(workers=1))
    truth = sum(v for (k, src), v in built["truth"].items() if k <= 2 and src == "starcoderdata")
    assert finding.estimates["tokens_seen"]["matched"] == truth
    assert finding.extra["stream"]["first_step"] == 0


def test_an_amber_folder_with_a_gap_counts_the_chunks_present_and_names_the_gap(tmp_path, home, cli):
    """Chunks were counted up to the highest number seen: without train_2.jsonl, `exposure show` said 4 chunks
    and listed the absent file, and a run failed on it or (sampled) scaled up over it; now the gap is named
    and read as nothing, so tokens seen are those of the files present."""
    built = build_amber(tmp_path / "amber")
    (tmp_path / "amber" / "train_2.jsonl").unlink()
    code, out, err = cli("exposure", "show", f"amber:{built['base']}")
    assert code == 0, err
    assert "chunks: 3\n" in out and "missing chunks: 2\n" in out and "train_2.jsonl" not in out, out
    target = tmp_path / "f.json"
    code, out, err = cli("exposure", "run", "language_share", "--stream", f"amber:{built['base']}",
                         "--tokenizer", amber_tokenizer(tmp_path), "--up-to-step", 3, "--block-steps", 1,
                         "--workers", 1, "--out", target)
    assert code == 0, err
    assert "missing steps: 2 (" in out, out
    finding = json.loads(target.read_text(encoding="utf-8"))
    assert finding["stream"]["missing_steps"] == [2]
    present = sum(v for (k, _), v in built["truth"].items() if k != 2)
    assert finding["tokens_seen"]["total"] == present
    (tmp_path / "empty").mkdir()
    code, _, err = cli("exposure", "show", f"amber:{tmp_path / 'empty'}")
    assert code == 2 and "no train_K.jsonl chunks" in err, err


def test_http_stream_reads_only_the_named_instances(tmp_path, home, planted_query):
    from http_server import TestServer

    from inspectors.core.storage import reset_transfer_stats

    built = build_pythia(tmp_path / "pythia", steps=6, B=8)
    with TestServer(tmp_path / "pythia") as srv:
        stream = open_stream(f"pythia:{srv.file_url('document.idx')}", batch=8)
        srv.log.reset()
        reset_transfer_stats()
        sc = stream_corpus(stream, 6, block_steps=1, plan=Plan("shard_sample", sample_shards=2, seed=1))
        named = 2 * 8 * 2049 * 2  # two blocks of 8 sequences of 2,049 uint16 tokens
        index = 2 * 8 * 12  # their sizes and pointers
        assert named <= srv.log.bytes_sent <= named + index + 64
        ranges = [r["range"] for r in srv.log.requests if r["method"] == "GET"]
        assert all(r and r.startswith("bytes=") for r in ranges)


def test_exposure_cli_run_and_show(tmp_path, home, cli, planted_query):
    built = build_olmo(tmp_path / "olmo")
    code, out, err = cli("exposure", "show", f"olmo:{built['config']}")
    assert code == 0, err
    assert "config hash" in out and "a.npy" in out and "tokens per step: 256" in out
    target = tmp_path / "f.json"
    code, out, err = cli("exposure", "run", str(planted_query.path), "--stream", f"olmo:{built['config']}",
                         "--up-to-step", 5, "--block-steps", 1, "--curve", 5, "--workers", 1, "--out", target)
    assert code == 0, err
    assert "tokens_seen" in out and "curve" in out
    data = json.loads(target.read_text())
    truth = olmo_truth(built, tmp_path / "olmo", 5)
    assert data["tokens_seen"]["matched"] == truth["matched"] and len(data["curve"]) == 5
    assert data["stream"]["up_to_step"] == 5


def test_exposure_show_catalogue_entries_offline(cli):
    code, out, err = cli("exposure", "list")
    assert code == 0 and "pythia-deduped" in out and "olmo-7b-0724" in out and "amber" in out


def test_the_catalogue_amber_stream_names_its_chunks_on_the_hub(cli, home):
    """Amber's chunks sit under an hf:// folder, and urljoin knows no hf:// scheme: ``exposure show amber``
    listed a bare ``train_0.jsonl`` (a path under the working directory), which a run would have read."""
    code, out, err = cli("exposure", "show", "amber")
    assert code == 0, err
    assert "  hf://datasets/LLM360/AmberDatasets/train/train_0.jsonl\n" in out, out


def test_olmo_over_http_reads_named_instances_and_provenance(tmp_path, home, planted_query):
    from http_server import TestServer

    built = build_olmo(tmp_path / "olmo")
    folder = tmp_path / "olmo"
    with TestServer(folder) as srv:
        stream = open_stream(f"olmo:{srv.file_url('config.yaml')}")
        assert stream.paths[0].startswith(srv.url) and stream.N == olmo_truth(built, folder, 1)["N"]
        srv.log.reset()
        sc = stream_corpus(stream, 6, block_steps=2, plan=Plan("shard_sample", sample_shards=1, seed=0))
        named = 2 * 4 * 64 * 2  # one block of 2 steps x 4 instances x 64 uint16 tokens
        side = sum(p.stat().st_size for p in folder.glob("*.csv.gz"))
        assert named <= srv.log.bytes_sent <= named + side
        finding = exposure.run(planted_query, sc, plan=Plan("shard_sample", sample_shards=1, seed=0),
                               options=RunOptions(workers=1))
    local = exposure.run(planted_query, stream_corpus(open_stream(f"olmo:{built['config']}"), 6, block_steps=2,
                                                      plan=Plan("shard_sample", sample_shards=1, seed=0)),
                         plan=Plan("shard_sample", sample_shards=1, seed=0), options=RunOptions(workers=1))
    assert finding.estimates["tokens_seen"]["matched"] == local.estimates["tokens_seen"]["matched"]


def test_amber_over_http_streams_only_the_chunks_up_to_k(tmp_path, home):
    from http_server import TestServer

    path = amber_tokenizer(tmp_path)
    built = build_amber(tmp_path / "amber")
    with TestServer(tmp_path / "amber") as srv:
        stream = open_stream(f"amber:{srv.url}/files", tokenizer=str(path))
        assert stream.total_steps == 359  # a URL has no listing: Amber's 360 chunks
        srv.log.reset()
        sc = stream_corpus(stream, 1, block_steps=1)
        assert srv.log.count("GET", "train_2") == 0
        assert srv.log.bytes_sent == sum((tmp_path / "amber" / f"train_{k}.jsonl").stat().st_size for k in (0, 1))
    import pyarrow.parquet as pq

    rows = sum(pq.read_metadata(s.uri).num_rows for s in sc.corpus.shards)
    assert rows > 0 and built["chunks"] == 4


def test_a_stream_finding_attaches_to_an_evaluation_with_its_checkpoint(tmp_path, home, cli):
    from test_streams_build import data

    built = build_pythia(tmp_path / "pythia", steps=2, B=4, planted_steps=(2,))
    finding = tmp_path / "f.json"
    code, _, err = cli("exposure", "run", "vietnamese_share", "--stream", f"pythia:{built['prefix']}", "--batch", 4,
                       "--up-to-step", 2, "--workers", 1, "--out", finding)
    assert code == 0, err
    results = data("lm_eval_results", "lm-evaluation-harness_v0.3_format_multilingual", "bloom", "bloom-1b1",
                   "bloom-1b1_xnli_0-shot.json")
    out = tmp_path / "annotated.json"
    code, _, err = cli("attach", results, "--finding", finding, "--model-corpus", "bigscience/bloom-1b1=document@step2",
                       "-o", out)
    assert code == 0, err
    text = out.read_text()
    assert '"tokens_seen"' in text and "steps 1-2" in text and "document@step2" in text
