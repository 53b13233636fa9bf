"""Scripts written without spaces between words (Thai, Lao, Khmer, Myanmar, CJK): character tokens.

Word n-grams fail there: a Thai "word" between spaces is a whole phrase, so a passage cut inside
phrases shares no token with the corpus. Planted passages come from real Thai XQuAD paragraphs.
"""

from __future__ import annotations

import json
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import shared

from inspectors.contamination.bench import load_bench
from inspectors.contamination.run import run_contamination
from inspectors.contamination.text import character_tokens, tokenize
from inspectors.core.run import RunOptions, resolve_corpus


def tokens_of(text: str) -> list[str]:
    tk = tokenize([text])
    return [tk.token(i) for i in range(len(tk.hashes))]


@pytest.mark.parametrize("text", ["สวัสดีครับ", "ພາສາລາວ", "ភាសាខ្មែរ", "မြန်မာဘာသာ", "北京大学"])
def test_one_token_per_character_with_its_marks(text):
    tokens = tokens_of(text)
    assert "".join(tokens) == text and len(tokens) > 2
    for token in tokens:  # a base character, then only combining marks
        assert not unicodedata.category(token[0]).startswith("M")
        assert all(unicodedata.category(c).startswith("M") for c in token[1:]), token
    assert character_tokens(tokenize([text])).all()


def test_spaced_scripts_keep_word_tokens_beside_thai():
    assert tokens_of("Luật Đất đai ภาษาไทย 2013") == ["luật", "đất", "đai", "ภ", "า", "ษ", "า", "ไ", "ท", "ย", "2013"]
    assert not character_tokens(tokenize(["Luật Đất đai"])).any()


@pytest.fixture
def thai(tmp_path, home):
    rows = [r for r in pq.read_table(shared("langid_xquad_paragraphs", "xquad_paragraphs.parquet")).to_pylist()
            if r["lang"] == "th"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pq.write_table(pa.table({"id": [r["paragraph_id"] for r in rows[:200]], "text": [r["text"] for r in rows[:200]]}),
                   corpus / "th.parquet")
    items = [{"id": f"in-{k}", "question": r["text"][37:197], "answer": ""} for k, r in enumerate(rows[:10])]
    items += [{"id": f"out-{k}", "question": r["text"][37:197], "answer": ""} for k, r in enumerate(rows[200:240])]
    bench = tmp_path / "thai.jsonl"
    bench.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return corpus, bench


def test_thai_passages_cut_inside_phrases_are_found(thai):
    corpus, bench = thai
    record = run_contamination(load_bench(bench), resolve_corpus(str(corpus)), options=RunOptions(workers=1))
    planted = [r for r in record["items"] if r["id"].startswith("in-")]
    unplanted = [r for r in record["items"] if r["id"].startswith("out-")]
    for r in planted:  # 160 characters of a paragraph the corpus holds, cut mid-phrase at both ends
        assert r["question"]["n_ngrams"] > 60  # character n-grams, not a handful of phrase "words"
        assert r["question"]["frac_matched"] >= 0.9 and r["verdicts"] == {m: "dirty" for m in r["verdicts"]}
    # other paragraphs of the same articles share names and short phrases, never a 50-character run
    assert sum(r["verdicts"]["gpt3"] == "dirty" for r in unplanted) <= 1
    assert all(r["verdicts"]["palm"] != "dirty" and r["question"]["frac_matched"] < 0.5 for r in unplanted)
    assert "50-character run" in record["methods"]["gpt3"]
