"""`corpuscope contamination --corpus STREAM --up-to-step K`: per item the first step the model saw it.

The stream is the synthetic Pythia run of tests/test_streams_build.py (real English web text and
Vietnamese statutes in Megatron files; English wraps around, so a passage recurs at several steps).
Ground truth comes from the decoded sequences themselves, not from the scan.
"""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE
from test_streams_build import build_pythia, neox


@pytest.fixture(scope="module")
def pythia(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pythia")
    built = build_pythia(folder / "run")
    tok = neox()
    texts = [" ".join(tok.decode(s.tolist()).split()) for s in built["sequences"]]
    B = built["B"]
    items = {"vi2": built["planted"][0], "vi5": built["planted"][1], "en3": 2 * B + 3}
    passages = {k: " ".join(texts[i].split()[50:110]) for k, i in items.items()}
    passages["none"] = "Zebras compose symphonies on the moon while quasars knit purple socks for the winter parade"
    truth = {k: sorted({i // B + 1 for i, t in enumerate(texts) if p in t}) for k, p in passages.items()}
    bench = folder / "items.jsonl"
    bench.write_text("".join(json.dumps({"id": k, "question": p, "answer": ""}, ensure_ascii=False) + "\n"
                             for k, p in passages.items()), encoding="utf-8")
    return {"spec": f"pythia:{built['prefix']}.idx", "bench": bench, "truth": truth}


@pytest.mark.parametrize("k", [4, 6])
def test_first_step_seen_up_to_a_checkpoint(cli, home, tmp_path, pythia, k):
    assert pythia["truth"]["vi5"] == [5] and len(pythia["truth"]["en3"]) >= 2  # the fixture is what we think
    out = tmp_path / "record.json"
    code, stdout, stderr = cli("contamination", pythia["bench"], "--corpus", pythia["spec"], "--batch", "8",
                               "--up-to-step", k, "--block-steps", "1", "--workers", "1", "--out", out)
    assert code == 0, stderr
    assert f"up to step {k}" in stdout and "gpt3_dirty_step" in stdout
    record = json.loads(out.read_text())
    assert record["stream"]["up_to_step"] == k and record["corpus"]["shards_read"] == k
    for item in record["items"]:
        seen = [s for s in pythia["truth"][item["id"]] if s <= k]
        expected = seen[0] if seen else None
        assert item["first_dirty_step"]["gpt3"] == expected, item["id"]
        assert item["first_dirty_step"]["palm"] == expected, item["id"]
        assert item["verdicts"]["gpt3"] == ("dirty" if seen else "not found")
        if seen:
            assert item["first_seen_step"] <= expected
            long_docs = {d["step"] for d in item["question"]["documents"] if d["longest_match_tokens"] >= 13}
            assert long_docs == set(seen), item["id"]


def test_a_stream_needs_a_checkpoint_and_a_checkpoint_needs_a_stream(cli, home, pythia):
    code, _, stderr = cli("contamination", pythia["bench"], "--corpus", pythia["spec"])
    assert code == 2 and "--up-to-step" in stderr and stderr.count("\n") == 1
    code, _, stderr = cli("contamination", pythia["bench"], "--corpus", SAMPLE / "flat", "--up-to-step", "3")
    assert code == 2 and "training stream" in stderr and stderr.count("\n") == 1
    code, _, stderr = cli("contamination", pythia["bench"], "--corpus", pythia["spec"], "--batch", "8",
                          "--up-to-step", "99")
    assert code == 2 and "99" in stderr
