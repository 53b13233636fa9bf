"""CLI errors a new user (a Vietnamese legal assistant's builder, README only) hit: each is one line
naming the culprit with the right exit code, checked through the real ``corpuscope`` command."""

from __future__ import annotations

import pytest

from conftest import SAMPLE


def test_app_port_out_of_range_is_a_usage_error_not_a_traceback(cli):
    """``corpuscope app --port 99999`` used to reach Streamlit's socket bind and die with an OverflowError
    traceback (exit 1); the flag's range is checked by click, exit 2, naming --port."""
    code, _, err = cli("app", "--port", "99999")
    assert code == 2
    assert "--port" in err and "Traceback" not in err


def test_output_piped_into_head_is_not_reported_as_an_error(cli, home):
    """``corpuscope docs … | head`` printed "Error: Broken pipe" and exited 2 (bad input) once ``head``
    stopped reading; a closed pipe is no one's error: nothing on stderr, exit 141 as a shell reports it."""
    import os
    import subprocess
    import sys

    assert cli("profile", SAMPLE)[0] == 0
    command = [sys.executable, "-c", "from inspectors.cli import main; main()",
               "docs", str(SAMPLE), "--limit", "1000"]  # 600 KB in many writes: most come after the close
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    proc.stdout.read(100)
    proc.stdout.close()  # as `head -c 100` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Error" not in err and "Traceback" not in err, err


def _query_file(path, kind: str, sql: str):
    path.write_text(f"-- ---\n-- title: typo\n-- version: 1\n-- kind: {kind}\n-- requires: [language]\n"
                    f"-- dimensions: [language]\n-- ---\n{sql}\n", encoding="utf-8")
    return path


def test_a_saved_querys_sql_error_names_its_file(cli, home, tmp_path):
    """A column typo in one's own query file said only "SQL error: Binder Error: …" (which of my files?);
    the error now leads with the file, for slices and reports alike, still one line and exit 2."""
    slice_file = _query_file(tmp_path / "my_slice.sql", "slice", "SELECT * FROM documents WHERE langage = 'vi'")
    report_file = _query_file(tmp_path / "my_report.sql", "report",
                              "SELECT language, count(*) AS n FROM documents GROUP BY langage")
    for path in (slice_file, report_file):
        code, _, err = cli("query", "run", path, "--corpus", SAMPLE)
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "langage" in lines[0], err


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_plan_names_the_shard_it_could_not_plan_and_exits_as_the_run_would(cli, home, tmp_path):
    """``plan`` said only "1 shard(s) could not be planned" on stderr (the culprit was in the table on
    stdout) and exited 2 even for an unreachable host, which every other command reports as exit 1. The
    error line now names the first shard and why, and the exit code is the one the run would give."""
    url = f"http://127.0.0.1:{_closed_port()}/shard-0000.jsonl.gz"
    code, _, err = cli("plan", url)
    assert code == 1, err
    assert len(err.strip().splitlines()) == 1 and url in err and "cannot reach" in err, err
    corrupt = tmp_path / "corpus"
    corrupt.mkdir()
    (corrupt / "a.parquet").write_bytes((SAMPLE / "flat" / "demo-0000.parquet").read_bytes()[:3000])
    code, _, err = cli("plan", corrupt)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "a.parquet" in err, err


@pytest.mark.parametrize("args, flag", [
    (("profile", SAMPLE, "--workers", "0"), "--workers"),
    (("profile", SAMPLE, "--workers", "-1"), "--workers"),
    (("query", "run", "language_share", "--corpus", SAMPLE, "--evidence", "-1"), "--evidence"),
    (("exposure", "run", "language_share", "--stream", "amber:x", "--up-to-step", "1", "--block-steps", "-1"),
     "--block-steps"),
    (("exposure", "run", "language_share", "--stream", "amber:x", "--up-to-step", "1", "--curve", "-1"), "--curve"),
    (("exposure", "show", "pythia:x", "--batch", "0"), "--batch"),
    (("exposure", "show", "pythia:x", "--window", "-5"), "--window"),
    (("exposure", "show", "olmo:x.yaml", "--world-size", "0"), "--world-size"),
    (("contamination", "scan", "bench.jsonl", "--corpus", SAMPLE, "--show", "-1"), "--show"),
])
def test_out_of_range_numbers_are_refused_naming_the_flag(cli, home, args, flag):
    """These were taken silently (``--workers 0`` meant all cores, ``-1`` one; ``--evidence -1`` none) or
    failed far from the cause (``--block-steps -1``: "none of the corpus's shards is profiled yet");
    each is now a usage error naming its flag, exit 2, before anything is read."""
    code, _, err = cli(*args)
    assert code == 2 and f"Invalid value for '{flag}'" in err, err


def test_sql_over_a_partly_profiled_corpus_says_what_it_left_out(cli, home, tmp_path):
    """After ``profile --sample-shards 1`` (or a run that failed a shard), ``sql`` counted the profiled
    shards only and said nothing, a silently low count; it now warns on stderr how many shards the view
    holds, and says nothing once every shard is profiled."""
    import shutil

    corpus = tmp_path / "two"
    shutil.copytree(SAMPLE / "flat", corpus, ignore=shutil.ignore_patterns("demo-0002.parquet"))
    code, _, err = cli("profile", corpus, "--sample-shards", "1")
    assert code == 0 and "warning" not in err.lower(), err
    code, out, err = cli("sql", corpus, "select count(*) AS n from documents")
    assert code == 0 and "1 of 2 shards are profiled" in err, err
    assert cli("profile", corpus)[0] == 0
    code, out, err = cli("sql", corpus, "select count(*) AS n from documents")
    assert code == 0 and err == "", err


def test_readme_lists_every_command_that_takes_inspector_module():
    """The CLI reference's "--inspector-module works on …" sentence left out ``docs``, which takes it (a
    user browsing their own inspector's column would not know to load it there)."""
    import re

    import click

    from conftest import REPO
    from inspectors.cli import main

    def leaves(cmd, path=()):
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from leaves(sub, path + (name,))
        else:
            yield " ".join(path), cmd

    takes = {path for path, cmd in leaves(main) if any("--inspector-module" in p.opts for p in cmd.params)}
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    sentence = re.search(r"`--inspector-module FILE` \(repeatable\) works on (.+?)\.", readme).group(1)
    listed = set()
    for name in re.findall(r"`([^`]+)`", sentence):
        head, _, subs = name.rpartition(" ")
        listed |= {f"{head} {s}" for s in subs.split("|")} if head else {name}
    assert listed == takes


def test_python_dash_m_runs_the_cli():
    """``python -m inspectors.cli …`` said "'inspectors.cli' is a package and cannot be directly executed";
    it now runs the same command as the ``corpuscope`` script, errors and exit codes included."""
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run([sys.executable, "-m", "inspectors.cli", "corpus", "show", "no-such-corpus"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("Error: unknown corpus 'no-such-corpus'"), done.stderr
    ok = subprocess.run([sys.executable, "-m", "inspectors.cli", "--help"], cwd=REPO, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("Usage: corpuscope"), ok.stdout


def test_docs_help_quotes_its_comparison_example(cli):
    """``docs --help`` showed ``--where n_bytes>=1000`` unquoted: typed as shown, the shell sends the output
    to a file named ``=1000`` and corpuscope sees ``--where n_bytes``. The example is quoted now."""
    import re

    code, out, _ = cli("docs", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "'n_bytes>=1000'" in flat
    assert not re.search(r"(?<!')n_bytes>=1000(?!')", flat)


def test_past_the_end_of_an_amber_stream_names_its_last_step(cli, home, tmp_path):
    """Amber's chunks count from 0: a stream of 4 chunks takes ``--up-to-step 3``, yet past it the error
    said "has 3 steps"; it names the last step now (right for streams counting from 1 too)."""
    from test_streams_build import amber_tokenizer, build_amber

    built = build_amber(tmp_path / "amber")
    tokenizer = amber_tokenizer(tmp_path)
    code, _, err = cli("exposure", "run", "language_share", "--stream", f"amber:{built['base']}",
                       "--tokenizer", tokenizer, "--up-to-step", "9")
    assert code == 2 and "ends at step 3; --up-to-step 9 is past its end" in err, err


def test_corpus_show_of_your_own_entry_has_no_empty_sources_heading(cli, home):
    """``corpus show`` of an entry made with ``corpus add`` ended in a bare "sources:" line with nothing
    under it; the heading is printed only when there are sources (the catalogue's entries keep it)."""
    assert cli("corpus", "add", "mine", "--shards", SAMPLE / "flat", "--description", "my shards")[0] == 0
    code, out, _ = cli("corpus", "show", "mine")
    assert code == 0 and "my shards" in out and "sources:" not in out
    code, out, _ = cli("corpus", "show", "dolma")
    assert code == 0 and "sources:" in out


@pytest.mark.skipif(not __import__("os").path.isdir("/proc"), reason="needs /proc (a folder no file can be made in)")
def test_tokenizer_fetch_to_an_unwritable_out_is_one_line(cli, home, tmp_path):
    """``exposure tokenizer fetch llama --out /proc/llama.json`` died with a 34-line traceback ending in
    tokenizers' bare "Exception: No such file or directory"; it is now one line naming the file, exit 2."""
    from test_llama_vocab import tarball

    source = tarball(tmp_path / "llt.tgz")
    code, _, err = cli("exposure", "tokenizer", "fetch", "llama", "--from", source, "--out", "/proc/llama.json")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "/proc/llama.json" in err and "Traceback" not in err, err


def test_an_attribute_root_that_cannot_be_made_fails_once_before_any_shard(cli, home, tmp_path, monkeypatch):
    """With ``CORPUSCOPE_ATTRIBUTES`` (or ``CORPUSCOPE_HOME``) under a file, every shard failed with the
    same "FileNotFoundError …" line, exit 1; the root is now made up front: one line naming it, exit 2."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CORPUSCOPE_ATTRIBUTES", str(blocker / "attributes"))
    code, _, err = cli("profile", SAMPLE)
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(blocker / "attributes") in errors[0] and "CORPUSCOPE_ATTRIBUTES" in errors[0], err


def test_a_ray_address_that_takes_no_connection_fails_at_once(cli, home):
    """``--engine ray --ray-address 127.0.0.1:<closed port>`` waited minutes in ``ray.init`` for a GCS,
    printing Ray's connection warnings; it now fails in seconds with one line naming the address, exit 2,
    before any shard (an unreachable ray:// address too)."""
    import time

    pytest.importorskip("ray")
    for address in (f"127.0.0.1:{_closed_port()}", f"ray://127.0.0.1:{_closed_port()}"):
        start = time.monotonic()
        code, _, err = cli("profile", SAMPLE, "--engine", "ray", "--ray-address", address)
        assert time.monotonic() - start < 30
        assert code == 2 and f"cannot start or reach Ray at {address}" in err, err


def test_profile_names_ten_failed_shards_and_counts_the_rest(cli, home, tmp_path):
    """A wrong ``--text-column`` fails every shard alike, and ``profile`` printed one "Error:" line per
    shard (thousands for a real corpus); it names the first ten and counts the rest, still exit 2."""
    import shutil

    corpus = tmp_path / "many"
    corpus.mkdir()
    for i in range(13):
        shutil.copy(SAMPLE / "flat" / "demo-0000.parquet", corpus / f"part-{i:02d}.parquet")
    code, _, err = cli("profile", corpus, "--text-column", "body")
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert code == 2 and len(errors) == 11, err
    assert all("column 'body' for text does not exist" in line for line in errors[:10])
    assert "and 3 more failed shards" in errors[10]


def test_sql_and_docs_before_profiling_name_the_corpus_to_profile(cli, home):
    """``sql``/``docs`` on an unprofiled corpus said "none of the corpus's shards is profiled yet; run
    `corpuscope profile SOURCE`"; they name the corpus and give the command to paste."""
    for args in (("sql", SAMPLE, "select 1"), ("docs", SAMPLE)):
        code, _, err = cli(*args)
        assert code == 2 and f"none of the 6 shard(s) of {SAMPLE} is profiled yet" in err, err
        assert f"`corpuscope profile {SAMPLE}`" in err, err


def test_app_with_a_corpus_that_does_not_exist_fails_before_starting(cli, home, monkeypatch):
    """``corpuscope app --corpus nosuchcorpus`` (or a mistyped path) started the server and left the
    error to the page; the name is checked first (offline: listing or catalogue), one line, exit 2.
    Catalogue names and URLs still start the app without touching the network."""
    import os

    started = []

    def start(*args, **kwargs):  # in place of becoming (or running) the Streamlit server
        started.append(args)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execve", start)
    monkeypatch.setattr("subprocess.call", start)
    for corpus in ("nosuchcorpus", "/no/such/folder"):
        code, _, err = cli("app", "--corpus", corpus)
        assert code == 2 and corpus in err and not started, err
    for corpus in ("dolma:v1.7", "http://127.0.0.1:1/x.parquet", str(SAMPLE)):
        cli("app", "--corpus", corpus)
    assert len(started) == 3
