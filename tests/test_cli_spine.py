"""The walking skeleton through the real command: profile, sql, saved queries, bad input."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq

from conftest import SAMPLE, shared, write_lm_eval_results


def test_profile_then_sql_on_sample_corpus(home, cli):
    code, out, err = cli("profile", SAMPLE)
    assert code == 0, err
    assert "6 of 6 shards: 6 profiled" in out
    code, out, _ = cli("profile", SAMPLE)
    assert "6 cached" in out
    code, out, err = cli("sql", SAMPLE, "select count(*) as n, count(distinct shard) as s from documents", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == [{"n": 720, "s": 6}]


def test_dolma_layout_reads_nested_url_and_source(home, cli):
    folder = shared("dolma_test_fixtures", "multiple_files")
    assert cli("profile", folder)[0] == 0
    code, out, err = cli("sql", folder, "select count(*) n, count(url) urls, count(distinct host) hosts, min(source) src from documents", "--format", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    assert row["n"] == 20 and row["urls"] == 20 and row["hosts"] > 10 and row["src"] == "common-crawl"


def test_zstd_and_text_column_override(home, cli):
    shard = shared("dolma_test_fixtures", "formats", "test.jsonl.zst")
    code, _, err = cli("profile", shard)
    assert code == 2 and "no text column" in err and "test.jsonl.zst" in err and "--text-column" in err
    assert cli("profile", shard, "--text-column", "message")[0] == 0
    code, out, _ = cli("sql", shard, "select id, n_bytes > 0 as has_text from documents", "--text-column", "message", "--format", "json")
    assert json.loads(out) == [{"id": "test.jsonl.zst:0", "has_text": True}]


def test_c4_sample_hosts(home, cli):
    folder = shared("c4_sample_wimbd")
    assert cli("profile", folder)[0] == 0
    code, out, _ = cli("sql", folder, "select count(*) n, count(registered_domain) d from documents", "--format", "json")
    assert json.loads(out) == [{"n": 1000, "d": 1000}]


def test_sql_is_read_only_and_sandboxed(home, cli):
    assert cli("profile", SAMPLE)[0] == 0
    for statement, expected in [
        ("select * from read_csv('/etc/passwd')", "refused"),
        ("create table x as select 1", "only read-only SELECT"),
        ("copy (select 1) to '/tmp/x.csv'", "only read-only SELECT"),
        ("select nonexistent from documents", "SQL error"),
    ]:
        code, _, err = cli("sql", SAMPLE, statement)
        assert code == 2, (statement, err)
        assert expected in err, (statement, err)


def test_missing_source_and_unprofiled_corpus(home, cli, tmp_path):
    code, _, err = cli("profile", tmp_path / "nope")
    assert code == 2 and "nope does not exist" in err
    code, _, err = cli("sql", SAMPLE, "select 1")
    assert code == 2 and "corpuscope profile" in err


def test_corrupt_shard_fails_alone_and_others_stay_cached(home, cli, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    good = pq.read_table(SAMPLE / "flat" / "demo-0000.parquet")
    pq.write_table(good, folder / "a-good.parquet")
    (folder / "b-corrupt.parquet").write_bytes(b"PAR1 this is not parquet")
    with gzip.open(folder / "c-badline.jsonl.gz", "wt") as handle:
        handle.write('{"text": "fine"}\n{not json\n')
    code, out, err = cli("profile", folder, "--workers", "1")
    assert code == 2
    assert "b-corrupt.parquet" in err and "c-badline.jsonl.gz" in err and "line 2" in err
    assert "1 profiled" in out and "2 failed" in out
    code, out, _ = cli("profile", folder / "a-good.parquet")
    assert "1 cached" in out


def test_no_shards_in_folder(home, cli, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = cli("profile", tmp_path)
    assert code == 2 and "no Parquet or JSONL" in err


def test_every_command_has_help(cli):
    from inspectors.cli import main

    def walk(group, prefix):
        for name, command in group.commands.items():
            assert command.help, f"{prefix}{name} has no help"
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")

    walk(main, "")


def test_out_path_is_checked_before_the_run_and_its_folder_made(home, cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = cli("query", "run", "vietnamese_share", "--corpus", SAMPLE, "--out", blocker / "r.json")
    assert code == 2 and "a-file is a file, not a folder" in err and "Traceback" not in err
    assert not (home / "attributes").exists()  # failed before profiling anything
    code, _, _ = cli("query", "run", "vietnamese_share", "--corpus", SAMPLE, "--out", tmp_path / "new" / "r.json")
    assert code == 0 and json.loads((tmp_path / "new" / "r.json").read_text())["query"]["name"] == "vietnamese_share"


def test_an_unwritable_output_is_one_line_naming_it(home, cli, tmp_path):
    finding = tmp_path / "vi.json"
    assert cli("query", "run", "language_share", "--corpus", SAMPLE, "--param", "language=vi", "--out", finding)[0] == 0
    results = write_lm_eval_results(tmp_path / "results.json", "xnli_vi", 0.4, 0.01, "EleutherAI/pythia-160m")
    (tmp_path / "a-file").write_text("x")
    code, _, err = cli("attach", results, "--finding", finding, "--model-corpus", "EleutherAI/pythia-160m=demo",
                       "-o", tmp_path / "a-file" / "out.json")
    assert code == 2 and "a-file" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
