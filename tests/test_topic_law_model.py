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


def test_short_pages_citations_and_first_person_questions_are_not_asked():
    # Asked only at law_model_long_words words or more: a shorter page is decided by the rules alone.
    blurb = ("Detective Anna Holt returns in the fourth book of the series. The prosecutor wants a quick arrest and "
             "the jury of public opinion has already decided, but Anna is not so sure. A gripping thriller.")
    assert "model:law_logodds" not in rules_of(classify(blurb)[2], "topic")
    ruling = ("The appellate court reversed the trial court's judgment. The plaintiff had sued the defendant for "
              "breach of contract, and the jury returned a verdict for the plaintiff. See 876 F.3d 1306. ") * 60
    topic, _, evidence, *_ = classify(ruling)
    assert topic == "law" and "model:law_logodds" not in rules_of(evidence, "topic")  # a citation: not asked
    story = "It was a long and difficult month for all of us, and nobody had much time to talk about it. " * 60
    question = (f"My landlord kept my whole deposit after I moved out. {story}"
                "Can I sue him over it, or do I need a lawyer first? I live in Ohio.")
    assert "model:law_logodds" not in rules_of(classify(question)[2], "topic")


def test_a_long_page_is_asked_whatever_its_law_terms_and_kept_or_vetoed_by_its_score():
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
    # this page stays law; a stricter cut (above its score) vetoes it.
    assert topic == "law" and score >= th["law_model_long_score"]
    saved = th["law_model_long_score"]
    th["law_model_long_score"] = score + 0.01
    try:
        topic, _, evidence, *_ = classify(page)
        assert topic != "law" and "law_uncorroborated" in rules_of(evidence, "topic")
    finally:
        th["law_model_long_score"] = saved


def test_a_licence_footer_is_no_law():
    footer = ("Back to Browse > Art & Architecture > Architectural features. English description: the fortress. "
              "View: S M L. Download this image. This site is maintained by the college, 2019. All images found on "
              "this site are licensed under a Creative Commons 3.0 US License. If you use images from this site, "
              "please cite us as your source. Map data copyright OpenStreetMap contributors.")
    assert classify(footer)[0] != "law"
    assert classify(footer.replace("a Creative Commons 3.0 US License", "the terms of our license"))[0] == "law"
