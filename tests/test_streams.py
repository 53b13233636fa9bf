"""Stream readers against files built from the published layouts, with planted ground truth."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from test_streams_build import amber_tokenizer, build_amber, build_olmo, build_pythia, neox, olmo_truth

from inspectors.core.errors import BadInput
from inspectors.streams.base import Cluster, rows_table
from inspectors.streams.amber import AmberStream
from inspectors.streams.olmo import OlmoStream
from inspectors.streams.pythia import PythiaStream


def _olmo(tmp_path, **kw):
    built = build_olmo(tmp_path / "olmo", **kw)
    return built, OlmoStream(str(built["config"]))


def test_olmo_counts_offsets_and_order_follow_the_spec(tmp_path):
    built, stream = _olmo(tmp_path)
    a, b = (tmp_path / "olmo" / "a.npy").stat().st_size, (tmp_path / "olmo" / "b.npy").stat().st_size
    counts = [a // (2 * 64), b // (2 * 64), a // (2 * 64)]  # the duplicated path counts twice
    assert stream.counts.tolist() == counts and stream.N == sum(counts)
    assert stream.offsets.tolist() == [0, counts[0], counts[0] + counts[1], sum(counts)]
    order = np.arange(stream.N, dtype=np.uint32)
    np.random.Generator(np.random.PCG64(6198)).shuffle(order)
    assert np.array_equal(stream.order(0), order)
    steps, epochs, instances = stream.positions(Cluster(1, 2))
    assert steps.tolist() == [1] * 4 + [2] * 4 and instances.tolist() == order[:8].tolist()


def test_olmo_rows_are_the_instances_bytes(tmp_path):
    built, stream = _olmo(tmp_path)
    rows = stream.rows(Cluster(1, 3))
    assert sum(rows["tokens_seen"]) == 3 * 4 * 64  # every token of every instance, once
    raw = np.fromfile(tmp_path / "olmo" / "a.npy", "<u2")
    tok = neox()
    first = rows["instance"][0]
    k, j = stream.locate(first)
    ids = raw[j * 64:(j + 1) * 64] if k != 1 else np.fromfile(tmp_path / "olmo" / "b.npy", "<u2")[j * 64:(j + 1) * 64]
    segs = [i for i, inst in enumerate(rows["instance"]) if inst == first]
    assert sum(rows["tokens_seen"][i] for i in segs) == 64
    text = "".join(rows["text"][i] for i in segs)
    assert text == tok.decode([t for t in ids.tolist() if t != 50279], skip_special_tokens=False)
    assert all(rows["url"][i].startswith("s3://ai2-llm/documents/") for i in segs)


def test_olmo_planted_slice_second_epoch_and_duplicates(tmp_path):
    built, stream = _olmo(tmp_path)
    K = stream.steps_per_epoch + 3  # into the second epoch
    rows = rows_table(stream.rows(Cluster(1, K))).to_pylist()
    truth = olmo_truth(built, tmp_path / "olmo", K)
    planted = [r for r in rows if r["source"] == "vi_law"]
    assert sum(r["tokens_seen"] for r in planted) == truth["matched"]
    by_step = {}
    for r in planted:
        by_step[r["step"]] = by_step.get(r["step"], 0) + r["tokens_seen"]
    assert by_step == truth["by_step"]
    assert {r["epoch"] for r in rows} == {0, 1}
    # a.npy is listed twice and the run enters a second epoch: one document, several exposures
    exposures = {}
    for r in planted:
        exposures.setdefault(r["doc_key"], set()).add(r["exposure_key"])
    assert max(len(v) for v in exposures.values()) >= 3
    assert len(exposures) == 6


def test_olmo_uint32_and_eos_without_provenance(tmp_path):
    built = build_olmo(tmp_path / "o32", dtype="uint32")
    assert (tmp_path / "o32" / "a.npy").stat().st_size % 4 == 0
    for p in (tmp_path / "o32").glob("*.csv.gz"):
        p.unlink()
    stream = OlmoStream(str(built["config"]), tokenizer="gpt-neox-20b")
    stream.eos = 50279  # the fixture used NeoX ids in a uint32 file
    rows = stream.rows(Cluster(1, 1))
    assert sum(rows["tokens_seen"]) == 4 * 64 and rows["source"][0] is None


def test_pythia_items_steps_and_planted_windows(tmp_path):
    built = build_pythia(tmp_path / "pythia")
    stream = PythiaStream(str(built["prefix"]) + ".idx", batch=8, window=512)
    assert (stream.N, stream.seq_len, stream.steps_per_epoch) == (48, 2049, 6)
    items = stream.read_items(8, 16)
    assert all(np.array_equal(x, built["sequences"][8 + i]) for i, x in enumerate(items))
    rows = stream.rows(Cluster(2, 2))
    assert set(rows["step"]) == {2} and sum(rows["tokens_seen"]) == 8 * 2049
    assert rows["instance"][0] == 8 and [o for o in rows["offset"][:5]] == [0, 512, 1024, 1536, 2048]
    planted = [t for t, i in zip(rows["text"], rows["instance"]) if i in built["planted"]]
    assert planted and all(any(ch in t for ch in "ạảấầậắằặẹẻẽếềểệịọỏốồổộớờởợụủứừửự") for t in planted[:3])
    with pytest.raises(BadInput, match="steps"):
        stream.items(Cluster(6, 7))


def test_pythia_rejects_a_non_megatron_index(tmp_path):
    (tmp_path / "x.idx").write_bytes(b"NOTANIDX" + bytes(40))
    (tmp_path / "x.bin").write_bytes(b"")
    with pytest.raises(BadInput, match="Megatron"):
        PythiaStream(str(tmp_path / "x"))


def test_amber_documents_split_at_eos_per_chunk(tmp_path):
    built = build_amber(tmp_path / "amber")
    stream = AmberStream(str(built["base"]), tokenizer=amber_tokenizer(tmp_path))
    assert stream.chunks == 4 and stream.total_steps == 3
    rows = stream.rows(Cluster(0, 1))
    assert set(rows["step"]) == {0, 1}
    seen = {}
    for step, source, n in zip(rows["step"], rows["source"], rows["tokens_seen"]):
        seen[(step, source)] = seen.get((step, source), 0) + n
    assert seen == {k: v for k, v in built["truth"].items() if k[0] <= 1}
    # 64-id documents + </s>: a line's pieces are 65 tokens but at the line's edges
    assert 65 in rows["tokens_seen"]
    # a document that runs on into the next line keeps its key
    keys = rows["doc_key"]
    assert len(set(keys)) < len(keys)


def test_amber_without_a_llama_tokenizer_says_what_to_do(tmp_path, monkeypatch):
    built = build_amber(tmp_path / "amber", chunks=1, lines_per_chunk=1)
    monkeypatch.delenv("CORPUSCOPE_TOKENIZER_DIR", raising=False)
    with pytest.raises(BadInput, match="llama.json"):
        AmberStream(str(built["base"])).rows(Cluster(0, 0))


def test_prefilter_is_sound_on_real_vietnamese_and_rare_on_english(tmp_path):
    from inspectors.streams.prefilter import candidate_windows, vietnamese_table

    from test_streams_build import english, vietnamese_law

    tok = neox()
    table = vietnamese_table("gpt-neox-20b")
    letters = set("ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
    vi = [t for t in vietnamese_law(30)]
    for text in vi:  # every window with a Vietnamese letter is a candidate (no false negatives)
        ids = np.array(tok.encode(text, add_special_tokens=False).ids, dtype=np.uint16)
        hits = candidate_windows(ids, 32, table)
        for w, hit in enumerate(hits):
            piece = tok.decode(ids[w * 32:(w + 1) * 32].tolist())
            if letters & set(piece.lower()):
                assert hit, piece
    en = np.array(tok.encode("\n".join(english(200)), add_special_tokens=False).ids, dtype=np.uint16)
    assert candidate_windows(en, 512, table).mean() < 0.2


def test_olmo_world_size_trims_or_pads_the_order(tmp_path):
    import yaml

    built, stream = _olmo(tmp_path)
    config = yaml.safe_load(built["config"].read_text())
    W = 8
    trimmed = OlmoStream(str(built["config"]), config=config, world_size=W)
    assert trimmed.T == stream.N // W * W and len(trimmed.order(0)) == trimmed.T
    config["data"]["drop_last"] = False
    padded = OlmoStream(str(built["config"]), config=config, world_size=W)
    order = padded.order(0)
    assert padded.T == -(-stream.N // W) * W and len(order) == padded.T
    assert order[stream.N:].tolist() == order[: padded.T - stream.N].tolist()  # padding repeats the start
    assert trimmed.config_hash != padded.config_hash


def test_olmo_partial_last_instance_when_asked(tmp_path):
    import yaml

    built, stream = _olmo(tmp_path)
    config = yaml.safe_load(built["config"].read_text())
    config["corpuscope"] = {"partial_last_instance": True}
    size = (tmp_path / "olmo" / "b.npy").stat().st_size
    rounded = OlmoStream(str(built["config"]), config=config)
    assert rounded.counts[1] == -(-size // 128) and stream.counts[1] == size // 128
    last = int(rounded.offsets[2] - 1)  # b.npy's short last instance
    steps, _, instances = rounded.positions(Cluster(1, rounded.steps_per_epoch))
    step = int(steps[list(instances).index(last)])
    rows = rounded.rows(Cluster(step, step))
    assert sum(n for n, i in zip(rows["tokens_seen"], rows["instance"]) if i == last) == (size % 128) // 2


def test_olmo_decodes_with_the_tokenizer_its_config_names(tmp_path):
    import yaml

    built = build_olmo(tmp_path / "olmo")
    config = yaml.safe_load(built["config"].read_text())
    config["tokenizer"] = {"identifier": "tokenizers/allenai_gpt-neox-olmo-dolma-v1_5.json"}  # as OLMo 1.7's
    built["config"].write_text(yaml.safe_dump(config))
    assert OlmoStream(str(built["config"])).tokenizer == "olmo1"
    config["tokenizer"] = {"identifier": "someone/unknown-tokenizer"}
    built["config"].write_text(yaml.safe_dump(config))
    assert OlmoStream(str(built["config"])).tokenizer == "gpt-neox-20b"  # by dtype, as before


def test_prefilter_reads_sentencepiece_pieces_and_byte_fallback():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel

    from inspectors.streams.prefilter import MARKERS, SPLIT_LEADS, token_bytes

    vocab = {"<unk>": 0, "<0xE1>": 1, "<0xBB>": 2, "\u2581Vi\u1ec7t": 3, "\u2581the": 4, "<0x0A>": 5}
    pieces = token_bytes(Tokenizer(WordLevel(vocab, unk_token="<unk>")))
    assert pieces[1] == b"\xe1" and pieces[2] == b"\xbb" and pieces[5] == b"\n"
    assert pieces[3] == " Việt".encode() and pieces[4] == b" the"
    assert pieces[1].endswith(SPLIT_LEADS) and any(m in pieces[3] for m in MARKERS)


def test_pythia_pieces_at_reads_the_same_windows(tmp_path):
    built = build_pythia(tmp_path / "pythia", steps=3, B=4)
    stream = PythiaStream(str(built["prefix"]), batch=4, window=300)
    cluster = Cluster(2, 3)
    every = stream.pieces(cluster)
    rows = [0, 6, 7, 13, len(every) - 1]
    for got, want in zip(stream.pieces_at(cluster, rows), [every[r] for r in rows]):
        assert np.array_equal(got.pop("ids"), want.pop("ids")) and got == want
    ids, lengths, seen, starts = stream.token_pieces(cluster)
    assert lengths.tolist() == [len(p["ids"]) for p in stream.pieces(cluster)] and seen.sum() == 2 * 4 * 2049
