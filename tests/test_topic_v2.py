"""topic_v2: contract, data validation, the one-pass matcher and accuracy floors on real data."""

from __future__ import annotations

import gzip
import json
import re
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("hyperscan", reason="topic_v2 needs the topic-v2 extra (pip install hyperscan)")

from conftest import shared
from inspectors.builtin import topic_rules, topic_v2
from inspectors.builtin.topic_v2 import FORMATS, TOPICS, classify, classify_many
from inspectors.core.registry import registered


def run(texts, urls=None, sources=None) -> dict[str, list]:
    n = len(texts)
    batch = pa.RecordBatch.from_pydict({
        "text": pa.array(texts, pa.string()),
        "url": pa.array(urls or [None] * n, pa.string()),
        "source": pa.array(sources or [None] * n, pa.string()),
    })  # fmt: skip
    out = registered()["topic_v2"]().inspect(batch)
    assert list(out) == topic_v2.OUTPUT_SCHEMA.names
    for field in topic_v2.OUTPUT_SCHEMA:
        assert out[field.name].type == field.type and len(out[field.name]) == n
    return {k: v.to_pylist() for k, v in out.items()}


def rate(results, ok) -> float:
    return sum(ok(r[0], r[1]) for r in results) / len(results)


def rules_of(evidence, label):
    return [e["rule"] for e in evidence if e["for"] == label]


# ------------------------------------------------------------------------------- contract


def test_registered_beside_v1_with_its_data_files():
    reg = registered()
    assert "topic_v1" in reg and reg["topic_v2"].version == 2 and reg["topic_v2"].name == "topic"
    cls = reg["topic_v2"]
    assert cls.inputs == ("text", "url", "source")
    assert set(cls.labels["topic"]) == set(TOPICS) | {"unknown"} and "legal_document" in cls.labels["format"]
    assert len(TOPICS) == 24 and len(FORMATS) == 26
    names = {p.name for p in cls.data_files}
    assert names == set(topic_rules.FILES) | {"law_logodds.tsv"} and all(p.exists() for p in cls.data_files)
    assert all(p.parent.name == "topic_v2" for p in cls.data_files)
    assert re.fullmatch(r"topic_v2@[0-9a-f]{12}", cls.identity())


def test_nulls_empty_and_missing_columns():
    out = run([None, "", "  \n", "The court sentenced the defendant after the jury trial.", "Bake the cake."])
    assert out["topic"][:3] == [None, None, None] and out["format"][:3] == [None, None, None]
    assert rules_of(out["evidence"][0], "topic") == ["no_text"] and rules_of(out["evidence"][1], "topic") == ["empty_text"]
    assert out["topic"][3] == "law"
    batch = pa.RecordBatch.from_pydict({"text": ["The plaintiff sued the defendant in district court."]})
    assert registered()["topic_v2"]().inspect(batch)["topic"].to_pylist() == ["law"]
    empty = run([])
    assert all(v == [] for v in empty.values())


def test_binary_and_huge_documents():
    out = run(["\x00\ufffd" * 5000, "The court heard the plaintiff; the judge ruled for the defendant. " * 20_000])
    assert out["topic"][0] == "unknown" and out["topic"][1] == "law"


def test_evidence_names_the_step_and_offsets_point_at_the_match():
    text = "Recipe. Preheat the oven, then bake the bread with flour, butter and yeast for 40 minutes."
    topic, fmt, evidence, runner, margin, _, _ = classify(text)
    assert topic == "food_dining"
    topic_rules_ = [e for e in evidence if e["for"] == "topic"]
    assert topic_rules_[0]["rule"] == "step:lexicon"
    for e in topic_rules_[1:]:
        term = e["rule"].removeprefix("term:").rsplit("(", 1)[0]
        assert text.lower()[e["offset"] : e["offset"] + len(term)] == term, e
    assert margin > 0 and (runner is None or runner in TOPICS)
    assert str(evidence).startswith("[{'for': ")  # other code renders the column with str()


def test_legal_rules_in_evidence_with_offsets():
    text = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nSố: 15/2020/NĐ-CP\n"
            "NGHỊ ĐỊNH\nCăn cứ Luật Tổ chức Chính phủ;\n"
            + "".join(f"Điều {i}. Quy định về xử phạt vi phạm hành chính theo luật này.\n" for i in range(1, 8)))
    topic, fmt, evidence, *_ = classify(text)
    assert (topic, fmt) == ("law", "legal_document")
    legal = [e for e in evidence if e["for"] == "format"]
    assert legal[0]["rule"] == "step:legal_structure"
    fired = {e["rule"]: e for e in legal[1:]}
    assert {"vi:national_header", "vi:doc_number", "vi:dieu_structure", "vi:can_cu"} <= set(fired)
    assert text[fired["vi:dieu_structure"]["offset"] :].startswith("Điều 1.")


def test_multi_word_terms_of_any_length_count():
    t = topic_rules.tables()
    long_terms = [n for n in t.term_names if n.count(" ") >= 2]
    assert long_terms, "the lexicon has terms of three or more words"
    # A three-word Vietnamese term decides on its own (v1 dropped such terms).
    assert any(n.startswith("huấn luyện viên") for n in long_terms)
    topic, _, evidence, *_ = classify("Huấn luyện viên đội tuyển nói về trận đấu.")
    assert "term:huấn luyện viên(vi)" in rules_of(evidence, "topic")


def test_a_few_legal_words_do_not_make_law():
    page = ("Lease for $78 a month! Apply now. Store, charge, secure and transport up to 42 tablets. " * 3
            + "The cart has shelves, locking doors, cable management and wheels for classrooms. " * 6)
    topic, _, evidence, *_ = classify(page)
    assert topic != "law" and "law_uncorroborated" in rules_of(evidence, "topic")
    news = ("A Jackson County judge found the former manager guilty of second degree murder after a bench trial. "
            "Prosecutors said the defendant set the fire; her attorney said she would appeal the verdict. "
            "Sentencing is set for May, when she faces life in prison.")
    assert classify(news)[:2] == ("law", "knowledge_article") or classify(news)[0] == "law"


def test_a_legal_advice_question_is_law_and_a_sports_court_is_not():
    story = "It was a long and difficult month for all of us, and nobody had much time to talk about it. " * 9
    question = (f"My landlord kept my whole deposit after I moved out. {story}"
                "Can I sue him over it, or do I need a lawyer first? I live in Ohio.")
    topic, _, evidence, *_ = classify(question)
    assert topic == "law" and "law_uncorroborated" not in rules_of(evidence, "topic")
    # the same words without the question: three law terms in 200 words do not make law
    topic, _, evidence, *_ = classify(question.replace("?", "."))
    assert topic != "law" and "law_uncorroborated" in rules_of(evidence, "topic")
    bocce = ("The bocce court behind the library is busy again this summer. Teams meet on the bocce court every "
             "Tuesday, and the new tennis court next to it opens in June. Who will win the league this year? ") * 3
    assert classify(bocce)[0] != "law"


def test_drafting_language_is_a_law_cue_of_its_own():
    clause = "Subject to Section 5.5, the Distributor shall pay the fees set out in Schedule 2 within thirty days."
    topic, _, evidence, *_ = classify(clause)
    assert topic == "law"
    plain = "The distributor will pay the fees set out in the table within thirty days."
    assert classify(plain)[0] != "law"
    # a capitalised party with its obligation, and a defined term in quotes
    assert classify('The Receiving Party agrees to keep the list (the "Materials") in a locked room.')[0] == "law"


def test_weak_law_terms_do_not_corroborate():
    # "rights" (0.3) adds points but is not a second law term: one strong word in a sentence is no law
    assert classify("The players walked onto the court and argued over their rights to the ball.")[0] != "law"
    assert classify("The players walked onto the court and argued over the lawsuit about the ball.")[0] == "law"
    # one term of art decides a sentence; one strong but common word ("court") does not
    assert classify("The statute of limitations ran out in March.")[0] == "law"
    assert classify("The new court opened in March.")[0] != "law"


def test_reporter_citations_in_any_case():
    for text in ("As the court held, 876 F.3d at 1306; see also 444 U.S. 37, 42.",
                 "as the court held, 876 f.3d at 1306; see also 444 u.s. 37, 42."):
        topic, _, evidence, *_ = classify(text)
        assert topic == "law" and "citations" in rules_of(evidence, "topic")


def test_one_policy_sentence_is_a_legal_notice():
    assert classify("We do not obtain your age range and gender.")[1] == "legal_notices"
    assert classify("We went to the beach and ate ice cream all afternoon.")[1] != "legal_notices"


def test_bill_summaries_are_legal_documents():
    bill = ("To amend title XVIII of the Social Security Act to require the Secretary of Health and Human Services "
            "to negotiate prices of prescription drugs, and for other purposes. This bill requires the Centers for "
            "Medicare & Medicaid Services to negotiate prices of covered drugs. The Secretary shall publish the "
            "prices each year, and the drug manufacturer must pay a penalty for each violation.")
    assert classify(bill)[:2] == ("law", "legal_document")


def test_a_batch_decides_as_each_document_alone():
    # The decision runs over the whole batch as arrays: no document may change another's label.
    texts = ["The COURT ruled.", None, "", "def main():\n    return 1;\n" * 6, "Điều 1. Phạm vi\nĐiều 2. Đối tượng\nĐiều 3.",
             "Our chef serves fresh pasta, pizza and wine in the restaurant's new dining room. " * 4,
             "\ufffd" * 50, "我们的餐厅提供新鲜的面条和米饭。"]
    urls = [None, None, None, None, None, "https://example.com/menu", None, None]
    together = classify_many(texts, urls)
    assert together == [classify(text, url) for text, url in zip(texts, urls)]


def test_batch_words_views_and_first_person_counts_keep_their_definitions():
    # Views are built for the whole batch and first-person words counted from match reports; both
    # must equal the definitions: str.lower one character for one (İ, final sigma), dashes and quotes
    # as spaces, and bytes.count of each first-person word on the view (overlaps count once).
    texts = ["İstanbul'da ΟΔΟΣ “quoted” — I I I think i i me, my MY mine!", "I, i. i i i i i", "Tôi và tôi tôi TÔI",
             "我我私僕 私", "plain ascii I me my we our", "Ünïcode ÀÉ wE OUR i…i"]
    m = topic_v2.measure_many(texts)
    t = topic_rules.tables()
    words = {}
    for pid in range(t.first_person_base, len(t.patterns)):
        words.setdefault(t.meta[pid][1], []).append(t.patterns[pid].replace(b"\\", b""))
    for r, text in enumerate(texts):
        window = topic_v2._window(text)[0]
        low = window.lower()
        if len(low) != len(window):
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in window)
        view = re.sub(rb"\xe2\x80[\x90-\xbf]", b"   ", b" " + low.encode() + b" ").translate(topic_rules.NORMALISE)
        assert m.contexts[r][2] == view
        for lang, ws in words.items():
            assert m.first_person[r, lang] == sum(view.count(w) for w in ws), (text, t.langs[lang])


def test_words_match_at_boundaries_only_and_in_any_case():
    assert classify("The COURT ruled.")[0] == "law"
    # "court" inside "courtyard", "sue" inside "issue": no law
    assert classify("The courtyard garden has an issue with tissue paper in the pursuit of flowers.")[0] != "law"


def test_one_scan_per_view_covers_every_pattern():
    t = topic_rules.tables()
    words_db, rules_db = topic_rules.databases()
    assert len(t.patterns) == len(t.meta) == len(t.term_names) > 3000
    assert len(t.rule_patterns) == len(t.rules)
    assert words_db is topic_rules.databases()[0]  # compiled once per thread


def test_compiled_databases_are_kept_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("CORPUSCOPE_HOME", str(tmp_path))
    monkeypatch.setattr(topic_rules, "_compiled", {})
    t = topic_rules.tables()
    db = topic_rules._compile(t, "rules", t.rule_patterns, t.rule_flags, [r.name for r in t.rules], "rules.yaml")
    cached = topic_rules._cache_path("rules", t.rule_patterns, t.rule_flags)
    assert cached.is_file() and cached.parent == tmp_path / "topic_v2"
    monkeypatch.setattr(topic_rules, "_compiled", {})
    import hyperscan

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled again instead of loading the cached database")

    monkeypatch.setattr(hyperscan, "Database", no_compile)
    again = topic_rules._compile(t, "rules", t.rule_patterns, t.rule_flags, [r.name for r in t.rules], "rules.yaml")
    text = "Điều 1. Phạm vi\nĐiều 2. Đối tượng\n".encode()
    found, found_again = [], []
    db.scan(text, match_event_handler=lambda i, s, e, f, c: found.append((i, e)))
    again.scan(text, match_event_handler=lambda i, s, e, f, c: found_again.append((i, e)))
    assert found and found == found_again


def test_source_host_and_path_rules():
    out = run(["Some text about the weather today."] * 3,
              urls=[None, "https://thuvienphapluat.vn/van-ban/abc", "https://example.com/privacy-policy"],
              sources=["FreeLaw", None, None])
    assert out["topic"][0] == "law" and out["format"][0] == "legal_document"
    assert "source:FreeLaw" in rules_of(out["evidence"][0], "format")
    assert out["topic"][1] == "law"
    assert out["format"][2] == "legal_notices"


# ------------------------------------------------------------------------------- data validation


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of the data folder that a test may break; tables are rebuilt from it."""
    folder = tmp_path / "topic_v2"
    shutil.copytree(topic_rules.DATA_DIR, folder)
    monkeypatch.setattr(topic_rules, "DATA_DIR", folder)
    topic_rules.tables.cache_clear()
    yield folder
    topic_rules.tables.cache_clear()


@pytest.mark.parametrize("file, old, new, message", [
    ("decision.yaml", "'law_density >= 20'", "'law_densty >= 20'", r"decision.yaml: format_cascade\[2\]\.when\[0\]: unknown feature 'law_densty'"),
    ("decision.yaml", "  min_topic_score: 1.5", "  min_topic_score: lots", r"decision.yaml: thresholds.min_topic_score"),
    ("decision.yaml", "    format: source_code\n", "    format: source_kode\n", r"decision.yaml: format_cascade\[3\]\.format"),
    ("rules.yaml", "    min: 3\n    points: 2\n  - name: vi:chuong", "    min: 0\n    points: 2\n  - name: vi:chuong", r"rules.yaml: rules\[3\] \(vi:dieu_structure\)\.min"),
    ("rules.yaml", "  - name: vi:can_cu", "  - name: vi:doc_number", r"rules.yaml: rules\[2\] \(vi:doc_number\): name used twice"),
    ("lexicons.yaml", "law*0.5, laws*0.5", "law*half, laws*0.5", r"lexicons.yaml: topics.law.en: term 'law\*half'"),
    ("hosts.yaml", "vbpl.vn: {topic: law, format: legal_document}", "vbpl.vn: {topic: lawz}", r"hosts.yaml: hosts.vbpl.vn.topic"),
    ("sources.yaml", "arxiv: {topic: science_tech", "arxiv: {topic: science", r"sources.yaml: arxiv.topic"),
])  # fmt: skip
def test_bad_data_names_file_and_key(data_copy, file, old, new, message):
    path = data_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(topic_rules.DataError, match=message):
        topic_rules.tables()


def test_cascade_order_is_the_file_order(data_copy):
    t = topic_rules.tables()
    assert [s.name for s in t.format_cascade][:3] == ["source_fixed", "legal_structure", "legal_clauses"]
    assert [s.name for s in t.topic_cascade][0] == "source_fixed"


# ------------------------------------------------------------------------------- real data


def test_vietnamese_statutes_and_wikipedia():
    laws = pq.read_table(shared("vi_legal_vlc2021", "vlc2021_laws.parquet"), columns=["text"]).column(0).to_pylist()
    out = classify_many(laws)
    assert rate(out, lambda t, f: t == "law") >= 0.97 and rate(out, lambda t, f: f == "legal_document") >= 0.97
    wiki = pq.read_table(shared("vi_wikipedia_dev", "viwiki_dev_500.parquet"), columns=["text"]).column("text").to_pylist()
    out = classify_many(wiki)
    assert rate(out, lambda t, f: f == "legal_document") <= 0.02
    assert rate(out, lambda t, f: t == "law") <= 0.06  # measured 0.030


def test_statute_pieces_stay_legal_documents():
    laws = pq.read_table(shared("vi_legal_vlc2021", "vlc2021_laws.parquet"), columns=["text"]).column(0).to_pylist()
    pieces = [law[i : i + 4096] for law in laws[:20] for i in range(4096, len(law), 4096)][:400]
    assert rate(classify_many(pieces), lambda t, f: f == "legal_document") >= 0.85


def test_cap_opinions():
    rows = [json.loads(line) for line in shared("en_legal_cap_illinois_sample", "sample_dataset.jsonl").open()]
    out = classify_many([re.sub(r"<[^>]+>", " ", row["casebody"]["data"]) for row in rows])
    assert [(r[0], r[1]) for r in out] == [("law", "legal_document")] * 10


def test_legalbench_floor():
    texts = pq.read_table(shared("en_legal_legalbench_train", "legalbench_train_rows.parquet"), columns=["text"])
    out = classify_many(texts.column("text").to_pylist())
    # measured 0.883 (v1: 0.850; held-out tasks 0.859, v1 0.872): drafting cues and terms of art (see benchmarks/RESULTS.md, session 8)
    assert rate(out, lambda t, f: t == "law" or f in ("legal_document", "legal_notices")) >= 0.84


def test_c4_law_and_legal_document_shares():
    path = next(shared("c4_sample_wimbd").glob("*.json.gz"))
    rows = [json.loads(line) for line in gzip.open(path, "rt")]
    out = run([r["text"] for r in rows], [r["url"] for r in rows])
    assert sum(f == "legal_document" for f in out["format"]) / len(rows) <= 0.02
    assert sum(t == "law" for t in out["topic"]) / len(rows) <= 0.05  # measured 0.034 (v1: 0.082)
