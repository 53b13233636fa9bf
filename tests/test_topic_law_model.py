"""The word model behind topic_v2's law veto (topic_law_model): words, the shipped weights, its use."""

from __future__ import annotations

import pytest

pytest.importorskip("hyperscan", reason="topic_v2 needs the topic-v2 extra (pip install hyperscan)")

from inspectors.builtin import topic_law_model, topic_rules
from inspectors.builtin.topic_law_model import MODEL_PATH, law_score, words
from inspectors.builtin.topic_v2 import classify


def rules_of(evidence, label):
    return [e["rule"] for e in evidence if e["for"] == label]


def test_words_are_distinct_lower_case_words_of_three_letters_or_more():
    assert words("The Court, the court! An ox's tax-free 12 items") == {"the", "court", "ox's", "tax", "free", "items"}
    assert words("court judge", max_chars=6) == {"court"}


def test_the_shipped_weights_are_small_and_separate_clear_cases():
    assert MODEL_PATH.stat().st_size < 1_000_000 and (MODEL_PATH.parent / "LAW_MODEL.md").exists()
    weights = topic_law_model.weights()
    assert len(weights) > 5000 and all(-4.0 <= w <= 4.0 for w in weights.values())
    law = law_score("A tenant sued her landlord for breach of the lease after he refused to return the deposit. "
                    "The trial court held that the landlord had waived the defence, and the appellate court affirmed.")
    cake = law_score("Whisk the eggs with the sugar until pale, fold in the flour and bake the cake for forty minutes.")
    assert law > 1.5 and cake < 0.5 and law_score("") == 0.0


BLURB = ("Detective Anna Holt returns in the fourth book of the series. When a body is found in the harbour of a "
         "small fishing town, Anna must face her past, her estranged sister and a storm that cuts the island off "
         "from the mainland. The prosecutor wants a quick arrest and the jury of public opinion has already "
         "decided, but Anna is not so sure. A gripping, atmospheric thriller about family secrets, grief and the "
         "sea, perfect for fans of slow-burning mysteries. Paperback, 384 pages, published by a small press in "
         "October; the author lives in Maine with her husband, two cats and far too many books about boats. "
         "Her first novel won a regional prize for crime fiction, and this one is already on the shortlist for two more.")


def test_a_page_that_only_mentions_law_is_vetoed_with_the_score_in_its_evidence():
    th = topic_rules.tables().thresholds
    topic, _, evidence, *_ = classify(BLURB)
    assert topic != "law" and "model:law_logodds" in rules_of(evidence, "topic")
    score = next(e["weight"] for e in evidence if e["rule"] == "model:law_logodds")
    assert score < th["law_model_min_score"]
    # Without the veto (no page is long enough to be asked) the rules alone call the same page law.
    saved = th["law_model_min_words"]
    th["law_model_min_words"] = 10**9
    try:
        assert classify(BLURB)[0] == "law"
    finally:
        th["law_model_min_words"] = saved


def test_pages_with_many_law_terms_citations_or_first_person_questions_are_not_asked():
    ruling = ("The appellate court reversed the trial court's judgment. The plaintiff had sued the defendant for "
              "breach of contract, and the jury returned a verdict for the plaintiff. On appeal the defendant argued "
              "that the statute of limitations barred the claim and that the judge erred in admitting the evidence. "
              "The court agreed, holding that the limitations period began when the breach occurred. ") * 2
    topic, _, evidence, *_ = classify(ruling)
    assert topic == "law" and "model:law_logodds" not in rules_of(evidence, "topic")
    story = "It was a long and difficult month for all of us, and nobody had much time to talk about it. " * 9
    question = (f"My landlord kept my whole deposit after I moved out. {story}"
                "Can I sue him over it, or do I need a lawyer first? I live in Ohio.")
    topic, _, evidence, *_ = classify(question)
    assert topic == "law" and "model:law_logodds" not in rules_of(evidence, "topic")


def test_a_long_page_is_asked_whatever_its_law_terms():
    th = topic_rules.tables().thresholds
    # An archive of a local blog: gardening, recipes and weather posts, and a police and court item in passing.
    posts = ("Our tomatoes finally ripened this week after the long wet spring, and the beans are climbing the fence. "
             "The soup recipe from the market stall uses leeks, potatoes, cream and a little nutmeg; it freezes well. "
             "Rain again on Sunday, so the fair moved into the school hall, with cakes, raffles and a brass band. ")
    news = ("Police arrested a man after a burglary at the hardware store; he was charged with theft, appeared in "
            "court on Monday and the judge granted bail before the trial, his lawyer said. ")
    page = (posts * 8 + news + posts * 8 + news) * 2
    assert th["law_model_long_words"] <= len(page.split())
    topic, _, evidence, *_ = classify(page)
    assert "model:law_logodds" in rules_of(evidence, "topic")
    score = next(e["weight"] for e in evidence if e["rule"] == "model:law_logodds")
    # Distinct words count once: the law words of the two news items are a fair share of them, so
    # this page stays law; a stricter cut (above its score) would veto it.
    assert topic == "law" and score >= th["law_model_long_score"]
    saved = th["law_model_long_score"]
    th["law_model_long_score"] = score + 0.01
    try:
        assert classify(page)[0] != "law"
    finally:
        th["law_model_long_score"] = saved


def test_a_licence_footer_is_no_law():
    footer = ("Back to Browse > Art & Architecture > Architectural features. English description: the fortress. "
              "View: S M L. Download this image. This site is maintained by the college, 2019. All images found on "
              "this site are licensed under a Creative Commons 3.0 US License. If you use images from this site, "
              "please cite us as your source. Map data copyright OpenStreetMap contributors.")
    assert classify(footer)[0] != "law"
    assert classify(footer.replace("a Creative Commons 3.0 US License", "the terms of our license"))[0] == "law"
