"""language_v2: the script + fastText + CLD2 cascade; codes, script, und reasons, shares, floors."""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import shared
from inspectors.builtin import language_v2 as v2
from inspectors.core.registry import latest, registered


def _run(texts):
    return registered()["language_v2"]().inspect(pa.record_batch({"text": pa.array(texts, pa.string())}))


def test_both_versions_registered_and_v2_is_latest():
    keys = registered()
    assert "language_v1" in keys and "language_v2" in keys
    assert latest()["language"] is keys["language_v2"]
    schema = keys["language_v2"].output_schema
    assert schema.field("language_score").type == pa.float32()
    assert schema.field("language_script").type == pa.string()
    assert schema.field("languages").type == v2.LANGUAGES_TYPE
    assert keys["language_v1"].output_schema.names == ["language", "language_score", "language_reason"]


def test_closed_label_set_and_data_files():
    labels = registered()["language_v2"].labels["language"]
    assert labels[-1] == "und" and len(labels) == len(set(labels)) > 200
    for code in ("vi", "id", "ms", "sr", "hr", "bs", "nb", "nn", "zu", "xh", "sn", "tn", "st", "yo", "sat"):
        assert code in labels, code
    assert "msa" not in labels and "hbs" not in labels and "no" not in labels and "sh" not in labels
    assert all(len(code) in (2, 3) for code in labels)
    assert all(path.is_file() for path in registered()["language_v2"].data_files)


@pytest.mark.parametrize("text,reason", [
    (None, "null"), ("", "empty"), ("   \n", "empty"), ("1234 5678 !!", "no letters"),
    ("ab", "too short"), ("\x00\x01\x02\x03\x04abc" * 3, "binary"),
])
def test_und_with_reason(text, reason):
    out = _run([text])
    assert out["language"].to_pylist() == ["und"]
    assert out["language_reason"].to_pylist() == [reason]
    assert out["language_score"].to_pylist() == [0.0]


def test_scripts_and_codes():
    texts = [
        "Ово је реченица на српском језику која је довољно дуга за препознавање.",
        "这个国家的经济发展很快，我们都很高兴看到这样的变化。",
        "這個國家的經濟發展很快，我們都很高興看到這樣的變化。",
        "これは日本語の文章です。今日はとても良い天気ですね。",
        "Đây là một câu tiếng Việt khá dài để kiểm tra bộ nhận dạng ngôn ngữ.",
        "ᱥᱟᱱᱛᱟᱲᱤ ᱯᱟᱹᱨᱥᱤ ᱫᱚ ᱚᱞ ᱪᱤᱠᱤ ᱟᱹᱠᱷᱚᱨ ᱛᱮ ᱚᱞ ᱟᱠᱟᱱᱟ᱾",
    ]
    out = _run(texts)
    assert out["language"].to_pylist() == ["sr", "zh", "zh", "ja", "vi", "sat"]
    assert out["language_script"].to_pylist() == ["Cyrl", "Hans", "Hant", "Jpan", "Latn", "Olck"]
    assert all(0.0 < s <= 1.0 for s in out["language_score"].to_pylist())


def test_merged_codes_are_resolved():
    assert v2.normalize_code("msa") == ("ms", "id")
    assert v2.normalize_code("hbs") == ("hr", "sr", "bs")
    assert v2.normalize_code("no") == ("nb",)
    assert v2.normalize_code("als", "fasttext") == ("gsw",)
    assert v2.normalize_code("zh-Hant", "cld2") == ("zh",)
    assert v2.normalize_code("xx-Olck", "cld2") == ("und",)
    assert v2.normalize_code("zul") == ("zu",)


def test_mixed_document_gets_shares():
    english = "This is an English paragraph about the weather and the city council meeting. " * 12
    french = "Ceci est un paragraphe en français sur la météo et la réunion du conseil municipal. " * 12
    out = _run([english + french])
    shares = out["languages"].to_pylist()[0]
    codes = {item["code"] for item in shares}
    assert {"en", "fr"} <= codes, shares
    assert abs(sum(item["share"] for item in shares) - 1.0) < 0.02
    single = _run([english])["languages"].to_pylist()[0]
    assert single == [{"code": "en", "share": 1.0}]



def test_batch_stages_match_one_text_at_a_time(monkeypatch):
    # detect() runs each model over the whole batch in turn: a text's result must not depend on
    # its neighbours, their order, or another text's model failing.
    english = "This is an English paragraph about the weather and the city council meeting. " * 12
    french = "Ceci est un paragraphe en français sur la météo et la réunion du conseil municipal. " * 12
    texts = [english + french, None, "ab", "Αυτή είναι μια ελληνική πρόταση για τον καιρό. " * 3,
             english, "Dobar dan, kako ste danas? Vrijeme je lijepo i sunčano.", french, "", english[:250],
             "Ceci est une phrase en français sur la météo de demain."]
    alone = [v2.detect_one(t) for t in texts]
    assert v2.detect(texts) == alone
    assert v2.detect(texts[::-1]) == alone[::-1]
    ft, cld2 = v2._models()

    def failing(text):
        if text.startswith("Ceci"):
            raise RuntimeError("model error")
        return ft(text)

    monkeypatch.setattr(v2, "_models", lambda: (failing, cld2))
    failed = v2.detect(texts)
    others = [i for i in range(len(texts)) if i not in (6, 9)]
    assert [failed[i] for i in others] == [alone[i] for i in others]
    assert failed[6] == v2.detect_one(french) and failed[9] == v2.detect_one(texts[9])
    assert failed[6][0] == failed[9][0] == "fr"  # the vote without fastText, as before

def _longtail(name: str, per_lang: int):
    table = pq.read_table(shared("langid_ud_masakhane", f"{name}.parquet"), columns=["lang", "text"])
    seen: dict[str, int] = defaultdict(int)
    texts, langs = [], []
    for lang, text in zip(table.column("lang").to_pylist(), table.column("text").to_pylist()):
        if seen[lang] < per_lang:
            seen[lang] += 1
            texts.append(text)
            langs.append(v2.normalize_code(lang)[0])
    return texts, langs


def _scores(texts, langs):
    got = _run(texts)["language"].to_pylist()
    hits, total = defaultdict(int), defaultdict(int)
    for code, want in zip(got, langs):
        hits[want] += code == want
        total[want] += 1
    acc = {lang: hits[lang] / total[lang] for lang in total}
    claimed = [a for a in acc.values() if a > 0]
    return acc, sum(acc.values()) / len(acc), len(claimed), sum(claimed) / len(claimed)


def test_longtail_documents_floor():
    # 20 pseudo-documents per language (of up to 60); measured on all in benchmarks/RESULTS.md.
    acc, macro, emitted, claimed = _scores(*_longtail("documents", 20))
    # Measured on this subsample: macro 0.934, 195 languages emitted, 0.957 over them (session 12, round 2;
    # session 12: 0.922, 191, 0.965;
    # session 11, the UDHR model retrained with permissive gettext and CLDR text: 0.914, 191, 0.957;
    # session 9: 0.909, 191, 0.952;
    # session 8: 0.905, 191, 0.948; session 7: 0.901, 191, 0.944); session 6,
    # before the scn/kea/awa cues: 0.889, 189, 0.940; before any cue: 0.805, 173, 0.931; before the
    # UDHR model: 0.705, 146, 0.966).
    assert macro >= 0.87, macro
    assert emitted >= 184, emitted
    assert claimed >= 0.90, claimed
    assert acc["vi"] >= 0.99 and acc["sn"] >= 0.9 and acc["zu"] >= 0.8 and acc["id"] >= 0.9
    # languages only the UDHR model can name
    assert acc["fur"] >= 0.8 and acc["ee"] >= 0.8 and acc["fon"] >= 0.8 and acc["lus"] >= 0.8
    # languages only a cue names (each was 0 before them): measured 1.00, and rn 0.85 (session 9: pcm
    # 0.85 -> 1.00, myv 0.90 -> 1.00, ast 0.90 -> 0.95, bho 0.85 -> 0.95 with more words per cue)
    assert all(acc[code] >= 0.8 for code in ("szl", "hyw", "bxr", "crh", "mni", "tpi", "pcm", "myv")), acc
    assert acc["rn"] >= 0.65 and acc["ast"] >= 0.8 and acc["bho"] >= 0.8, acc
    # session 7's cues (each 0.00-0.12 before): measured awa 1.00, scn 0.95, kea 0.75
    assert acc["awa"] >= 0.8 and acc["scn"] >= 0.7 and acc["kea"] >= 0.55, acc
    # Limburgish read as Dutch with low confidence: its words decide (session 8: 0.50 -> 1.00)
    assert acc["li"] >= 0.8, acc
    # the retrained UDHR model (session 11): measured Kongo 0.30 -> 0.90 (Kanuri 0.50 -> 0.45: no floor)
    assert acc["kg"] >= 0.7, acc
    # session 12's cues: measured Balinese 0.65 -> 0.85, Low German 0.55 -> 1.00, Chhattisgarhi 0.75 -> 0.90
    assert acc["ban"] >= 0.75 and acc["nds"] >= 0.8 and acc["hne"] >= 0.8, acc
    # session 12, round 2: Ghomala' (read as Lamnso) and Kamba (read as Kikuyu) by their letters:
    # measured 0.00 -> 1.00 and 0.00 -> 0.95
    assert acc["bbj"] >= 0.8 and acc["kam"] >= 0.7, acc


def test_longtail_sentences_floor():
    acc, macro, emitted, claimed = _scores(*_longtail("sentences", 40))
    # Measured on this subsample: macro 0.843, 197 languages emitted, 0.865 over them (session 12, round 2;
    # session 12: 0.835, 193, 0.874;
    # session 11: 0.825, 193, 0.863;
    # session 9: 0.811, 193, 0.849; session 8: 0.804, 193, 0.842; main 68c2079: 0.788, 192, 0.829;
    # before the cues: 0.760, 180, 0.853;
    # before the UDHR model: 0.676, 156, 0.876).
    assert macro >= 0.80, macro
    assert emitted >= 184, emitted
    assert claimed >= 0.80, claimed
    assert acc["vi"] >= 0.99
    # the retrained UDHR model (session 11): measured Kongo 0.07 -> 0.68, Kimbundu 0.35 -> 0.50,
    # Friulian 0.70 -> 0.95, Kabuverdianu 0.17 -> 0.65
    assert acc["kg"] >= 0.45 and acc["kmb"] >= 0.35 and acc["fur"] >= 0.8 and acc["kea"] >= 0.4, acc
    assert acc["szl"] >= 0.75 and acc["tpi"] >= 0.6 and acc["crh"] >= 0.6  # cues: measured 0.93, 0.82, 0.72
    # one letter or decisive word decides a sentence (session 8): measured bxr 0.80 (0.33 before),
    # tum 0.53 (0.25), taq 0.62 (0.35), mni 0.47 (0.28)
    assert acc["bxr"] >= 0.6 and acc["tum"] >= 0.4 and acc["taq"] >= 0.45 and acc["mni"] >= 0.35, acc
    # one word of any cue per 20 words decides (session 9): measured myv 0.50 (0.20 before), hyw 0.68
    # (0.47), ast 0.53 (0.42), pcm 0.62 (0.47), kea 0.25 (0.07)
    assert acc["myv"] >= 0.35 and acc["hyw"] >= 0.5 and acc["ast"] >= 0.4 and acc["pcm"] >= 0.45, acc
    # session 12 (a language only fastText names wins by score; Swiss and Low German, Balinese cues):
    # measured gsw 0.07 -> 0.50, nds 0.15 -> 0.50, ban 0.42 -> 0.70
    assert acc["gsw"] >= 0.3 and acc["nds"] >= 0.35 and acc["ban"] >= 0.55, acc
    # session 12, round 2 (letters and spellings): measured bbj 0.00 -> 0.80, kam 0.00 -> 0.25, nus 0.00
    # -> 0.25, taq 0.68 -> 0.80, mni 0.55 -> 0.65
    assert acc["bbj"] >= 0.6 and acc["kam"] >= 0.15 and acc["nus"] >= 0.15, acc
    assert acc["taq"] >= 0.7 and acc["mni"] >= 0.6, acc


def test_xquad_floor():
    table = pq.read_table(shared("langid_xquad_paragraphs", "xquad_paragraphs.parquet"))
    acc, macro, emitted, _ = _scores(table.column("text").to_pylist(), table.column("lang").to_pylist())
    assert emitted == 12 and all(a >= 0.98 for a in acc.values()), acc
    assert acc["vi"] >= 0.99


def test_cli_lists_label_sets(cli):
    code, out, _ = cli("inspectors", "list")
    assert code == 0 and f"labels: language ({len(v2.LABELS)} values)" in out
    code, out, _ = cli("inspectors", "list", "--format", "json")
    rows = {row["inspector"]: row for row in json.loads(out)}
    assert rows["language_v2"]["labels"]["language"] == list(v2.LABELS)
    assert rows["language_v1"]["labels"] == {"language": None}
    assert {"inspector", "name", "version", "in_force", "inputs", "outputs", "description",
            "origin"} <= set(rows["language_v2"])


def test_udhr_model_is_a_data_file_and_its_labels_are_emitted():
    inspector = registered()["language_v2"]
    assert v2.udhr.MODEL in inspector.data_files and v2.udhr.MODEL.stat().st_size < 5_000_000
    labels = inspector.labels["language"]
    # long-tail languages only the UDHR model knows, and the macrolanguage members it merges
    for code in ("fur", "fon", "ee", "bm", "kbp", "lus", "shn", "umb", "tpi", "kg", "kmb", "dik"):
        assert code in labels and code in v2.UDHR_ONLY, code
    assert "sc" in labels and not {"kng", "src", "quz", "zlm", "fuf"} & set(labels)
    assert v2.udhr.predict("") == [] and v2.udhr.predict("1234 !!") == []
    code, prob = v2.udhr.predict("Đây là một câu tiếng Việt khá dài để kiểm tra bộ nhận dạng ngôn ngữ.")[0]
    assert code == "vi" and 0.0 < prob <= 1.0


def test_udhr_normalize_keeps_letters_and_marks_only():
    assert v2.udhr.normalize("Article 1. – ALL human beings…") == "article all human beings"
    assert v2.udhr.normalize("मनुष्य, (१) जन्म") == "मनुष्य जन्म"  # vowel signs stay, digits go
    assert v2.udhr.normalize("Ọmọ\u0301 l'ẹ̀tọ́") == unicodedata.normalize("NFC", "ọmọ\u0301 l'ẹ̀tọ́")


@pytest.mark.parametrize("cascade,ranked,want", [
    ("it", [("fur", 0.8), ("it", 0.15)], None),        # the cascade's answer is in the top two
    ("it", [("fur", 0.95), ("it", 0.04)], ("fur", 0.95)),  # ... unless the model is very sure
    ("it", [("fur", 0.9), ("lij", 0.05)], ("fur", 0.9)),  # a UDHR-only language, confident
    ("it", [("fur", 0.4), ("lij", 0.3)], None),        # below UDHR_OVERRIDE
    ("pt", [("es", 0.9), ("gl", 0.05)], None),         # Spanish: other models know it, theirs stands
    ("und", [("es", 0.6), ("gl", 0.2)], ("es", 0.6)),  # und takes any answer from UDHR_UND up
    ("und", [("fur", 0.3), ("it", 0.2)], None),
    ("bxr", [("ykg", 0.9), ("sah", 0.05)], None),     # a cue's language the model cannot name stands
])
def test_long_tail_override_rule(monkeypatch, cascade, ranked, want):
    monkeypatch.setattr(v2.udhr, "predict", lambda text, k=2: ranked)
    assert v2._long_tail(cascade, "some text", "Latn") == want
    assert v2._long_tail(cascade, "some text", "Hans") is None  # Han text never asks


@pytest.mark.parametrize("cascade,score,ranked,want", [
    ("es", 0.7, [("ast", 0.95), ("es", 0.04)], ("ast", 0.95)),  # an unsure neighbour of a cue language
    ("mai", 0.6, [("bho", 0.92), ("mai", 0.05)], ("bho", 0.92)),
    ("es", 0.85, [("ast", 0.95), ("es", 0.04)], None),          # the cascade is sure enough
    ("es", 0.7, [("ast", 0.85), ("es", 0.1)], None),            # the model is not sure enough
    ("es", 0.7, [("gl", 0.95), ("es", 0.04)], None),            # Galician is no cue language of Spanish
    ("en", 0.6, [("pcm", 0.99), ("en", 0.01)], None),           # English web text reads as Pidgin to it
])
def test_long_tail_names_a_cue_language_for_its_unsure_neighbour(monkeypatch, cascade, score, ranked, want):
    monkeypatch.setattr(v2.udhr, "predict", lambda text, k=2: ranked)
    assert v2._long_tail(cascade, "some text", "Latn", score) == want
    assert v2._long_tail(cascade, "some text", "Latn") is None  # the quick path passes no score


@pytest.mark.parametrize("code,votes,want", [
    ("es", {"es": 1.4, "ast": 0.3}, "ast"),   # only fastText knows Asturian: 0.3 of its weight
    ("es", {"es": 1.6, "ast": 0.1}, None),    # below NEIGHBOUR_VOTE
    ("es", {"es": 1.4, "gl": 0.6}, None),     # Galician is no cue language of Spanish
    ("fa", {"fa": 1.3, "azb": 0.25, "ast": 0.3}, "azb"),
    ("en", {"en": 1.2, "pcm": 0.5}, None),    # not for English (see NEIGHBOUR_UNSURE)
])
def test_an_unsure_neighbour_gives_way_to_its_cue_language_in_the_vote(code, votes, want):
    consulted = {"fasttext": 1.0, "cld2": 1.0, "py3langid": 1.0}
    assert v2._cue_language(code, votes, consulted) == want


@pytest.mark.parametrize("votes,score,asked,want", [
    ({"de": 1.4, "nds": 0.6}, 0.55, ("fasttext", "cld2"), ("nds", 0.6)),  # only fastText names Low German
    ({"de": 1.4, "nds": 0.45}, 0.64, ("fasttext", "cld2"), ("de", 0.64)),  # below MIN_SCORE
    ({"de": 1.8, "nds": 0.6}, 0.82, ("fasttext", "cld2"), ("de", 0.82)),   # the winner's score is higher
    ({"it": 1.3, "lij": 0.9}, 0.59, ("fasttext", "cld2", "py3langid"), ("it", 0.59)),  # py3langid's alone
])
def test_an_unsure_winner_gives_way_to_a_language_only_fasttext_names(votes, score, asked, want):
    consulted = {name: (1.0 if name in asked else 0.0) for name in ("fasttext", "cld2", "py3langid")}
    assert v2._own_best(next(iter(votes)), score, votes, consulted) == want


def test_udhr_build_reads_a_package(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import build_language_udhr as build

    (tmp_path / "declaration").mkdir()
    (tmp_path / "index.js").write_text(
        "export const udhr = [\n  {\n    code: 'fur',\n    iso6393: 'fur',\n    name: 'Friulian',\n    stage: 4\n  },\n"
        "  {\n    code: 'kng',\n    iso6393: 'kng',\n    name: 'Koongo',\n    stage: 4\n  },\n"
        "  {\n    code: 'x1',\n    iso6393: 'und',\n    name: '(none)',\n    stage: 4\n  }\n]\n", encoding="utf-8")
    body = "".join(f"<p>Paragraf {i}: ducj i oms a nassin libars &amp; compagns.</p>" for i in range(60))
    for code in ("fur", "kng", "x1"):
        (tmp_path / "declaration" / f"{code}.html").write_text(
            f"<html><head><title>English title</title></head><body><h1>Title {code}</h1>{body}</body></html>",
            encoding="utf-8")
    train, held, sources = build.corpus(tmp_path)
    assert set(train) == {"fur", "kg"} and sources["kg"] == ["kng (kng, Koongo)"]
    assert len(held["fur"]) == 61 // build.HOLD_OUT and "english title" not in " ".join(train["fur"])
    assert all("&" not in b and "<" not in b for b in train["fur"])
    pieces = build.spans(" ".join(train["fur"]), 50, __import__("random").Random(1))
    assert len(pieces) == 50 and all(1 <= len(p) <= build.MAX_CHARS for p in pieces)


def test_single_script_fast_path_matches_the_count(monkeypatch):
    # script_of's two-regex path for one-script text must give what the per-character count gives
    import random

    rng = random.Random(8)
    pools = [(0x20, 0x7E), (0x400, 0x4FF), (0x600, 0x6FF), (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x4EFF),
             (0x2000, 0x206F), (0x0, 0x2FFFF)]
    texts = []
    for _ in range(3000):
        chosen = rng.sample(pools, rng.randint(1, 3))
        texts.append("".join(chr(rng.randint(*rng.choice(chosen))) for _ in range(rng.randint(1, 150))))
    texts += ["Привет, мир — это тест.", "这个国家的经济发展很快。", "這個國家的經濟發展很快。", "これは日本語です。", "Ελληνικά 123"]
    fast = [v2.script_of(t) for t in texts]
    monkeypatch.setattr(v2, "_single_script", lambda head: None)
    assert fast == [v2.script_of(t) for t in texts]


def _write_mo(path: Path, messages: dict[str, str]) -> None:
    """A little-endian GNU .mo catalogue (UTF-8 header first), as msgfmt writes it."""
    import struct

    pairs = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **messages}.items())
    ids, strs = [k.encode() for k, _ in pairs], [v.encode() for _, v in pairs]
    start = 7 * 4 + 16 * len(pairs)
    table, data = [], b""
    for blob in ids + strs:
        table.append((len(blob), start + len(data)))
        data += blob + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(pairs), 28, 28 + 8 * len(pairs), 0, 0)
    path.write_bytes(head + b"".join(struct.pack("<2I", *t) for t in table) + data)


def test_udhr_build_reads_gettext_catalogues(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import build_language_udhr as build

    for locale in ("fur", "kg", "sr@latin", "pt_BR"):
        (tmp_path / locale / "LC_MESSAGES").mkdir(parents=True)
    _write_mo(tmp_path / "fur" / "LC_MESSAGES" / "demo.mo", {
        "Could not open the file %s": "Nol è stât pussibil vierzi il file %s",
        "Save the <b>document</b> now": "Salve cumò il <b>document</b>, par plasê",
        "Short": "Curt",  # under 20 characters
        "Left untranslated here": "Left untranslated here",
        "12345 67890 12345 67890": "12345 67890 12345 67890 1",  # no letters
    })
    _write_mo(tmp_path / "kg" / "LC_MESSAGES" / "demo.mo", {"Open a file": "Kuzibula fisye mosi ya mbote"})
    _write_mo(tmp_path / "sr@latin" / "LC_MESSAGES" / "demo.mo", {"Open a file": "Otvori datoteku sada molim"})
    (tmp_path / "pt_BR" / "LC_MESSAGES" / "broken.mo").write_bytes(b"not a catalogue")
    found = build.catalogues(tmp_path)
    assert [(code, mo.parent.parent.name) for code, mo in found] == [("fur", "fur"), ("kg", "kg"), ("pt", "pt_BR")]
    # placeholders and markup go; short, untranslated and letterless strings are dropped
    assert sorted(build.translations(found[0][1])) == [
        "Nol è stât pussibil vierzi il file", "Salve cumò il document , par plasê"]
    assert build.translations(found[2][1]) == []  # a malformed catalogue is skipped
    owners = {str(found[0][1]): "fur-l10n 1.0"}
    doc = tmp_path / "doc" / "fur-l10n"
    doc.mkdir(parents=True)
    monkeypatch.setattr(build.debian_licences, "DOC", tmp_path / "doc")
    train, held, used, left_out = build.gettext_corpus(tmp_path, {"fur", "pt"}, owners)
    # no DEP-5 copyright file, or no package at all (pt_BR's catalogue): left out
    assert (train, held, used) == ({}, {}, [])
    assert left_out == {"fur-l10n": "no machine-readable copyright file", "?": "no Debian package"}
    (doc / "copyright").write_text(DEP5_HEAD + "Files: *\nLicense: Expat\n\nFiles: po/*\nLicense: ISC or MIT\n")
    train, held, used, left_out = build.gettext_corpus(tmp_path, {"fur", "pt"}, owners)
    side = "held" if __import__("zlib").crc32(b"demo.mo") % build.GETTEXT_HOLD_OUT == 0 else "train"
    assert {"train": train, "held": held}[side] == {"fur": ["nol è stât pussibil vierzi il file",
                                                            "salve cumò il document par plasê"]}
    assert len(used) == 1 and used[0][0] == "fur" and len(used[0][2]) == 64
    assert used[0][3:] == ("fur-l10n 1.0", "expat + isc + mit") and left_out == {"?": "no Debian package"}


DEP5_HEAD = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"


@pytest.mark.parametrize("licences,kept", [
    (["Expat", "BSD-3-clause", "public-domain"], True),
    (["PostgreSQL and Custom-regex and Tcl", "Zlib"], True),
    (["Expat", "GPL-2+"], False),  # one copyleft licence anywhere in the file leaves the package out
    (["BSD-3-clause or GPL-2+"], False),  # every name must be permissive, even in a choice
    (["LGPL-2.1+ with OpenSSL exception"], False),
    (["MPL-2.0"], False),
    (["Some-Custom-Licence"], False),  # a name the allow-list does not know
])
def test_debian_licence_allow_list(tmp_path, monkeypatch, licences, kept):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import debian_licences

    monkeypatch.setattr(debian_licences, "DOC", tmp_path)
    (tmp_path / "pkg").mkdir()
    stanzas = "".join(f"Files: f{i}\nCopyright: someone\nLicense: {name}\n text\n\n" for i, name in enumerate(licences))
    (tmp_path / "pkg" / "copyright").write_text(DEP5_HEAD + stanzas)
    assert debian_licences.verdict("pkg:amd64")[0] is kept
    (tmp_path / "pkg" / "copyright").write_text("This package was debianized by someone.\nLicense: MIT\n")
    assert debian_licences.verdict("pkg")[0] is False  # not machine-readable


def test_cldr_lines_join_strings_to_span_lengths():
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import cldr_text

    strings = ["janvier", "mardi", "heures", "afrique du sud", "dollar des états unis"]
    got = cldr_text.lines(strings, 200, 15, 250, random.Random(1))
    assert len(got) == 200 and all(len(line) + 1 >= 15 for line in got)  # the +1: a space not written
    assert max(len(line) for line in got) <= 250 + max(map(len, strings)) + 1
    # only whole strings, joined by spaces
    assert all(set(" ".join(strings).split()) >= set(line.split()) for line in got)
    assert len({len(line) for line in got}) > 20  # the lengths vary


def test_cldr_strings_are_each_locales_own():
    pytest.importorskip("babel")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import cldr_text

    got = cldr_text.cldr_strings({"fr", "ckb"}, lambda c: c, str.lower)
    assert "janvier" in got["fr"] and "lundi" in got["fr"]
    assert not any(s.isascii() for s in got["ckb"])  # babel's merged view would leak other locales' words
