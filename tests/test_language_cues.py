"""language_cues: orthographic cues that move a big neighbour's answer to the long-tail language."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest

from conftest import shared
from inspectors.builtin import language_cues as cues
from inspectors.builtin import language_v2 as v2


@pytest.mark.parametrize("guard,text,want", [
    # Written for this test from each language's orthography (not taken from any data set).
    ("pl", "Ślōnskŏ gŏdka je piyknŏ, a ôna mŏ swōj włŏsny alfabet i ślabikŏrz.", "szl"),
    ("en", "Wetin dey happen? Una sabi say di pikin wey dey for house don go market, abeg.", "pcm"),
    ("hy", "Ան կը խօսի հայերէն, եւ մենք պիտի երթանք դպրոց մը, ուր կը սորվինք միութիւն։", "hyw"),
    ("mn", "Һайн байна. Буряад хэлэн дээрэ һургуули, һонин, һарын һүүлээр ерэхэ.", "bxr"),
    ("ru", "Эрзянь кель ды литература. Ули ламо ломань, конат аволь эрзят, ды сынь марто ды минь.", "myv"),
    ("lij", "Mi no sacciu chi dici, ma iddu sunnu cchiù granni e havi dû figghi nta la casa di chidda.", "scn"),
    ("pov", "Kel mininu sa ta kume, el é txeu sabi, dja el sta ku nos sima irmon, pamodi?", "kea"),
    ("hi", "हम घर मा अहै, जउन बात कउनो ओका कहिस ऊ घर मा रहिन।", "awa"),
    # The neighbours' own text stays: Polish, English, Eastern Armenian, Russian, Hindi, Bengali,
    # Corsican, Guinea-Bissau Kriol.
    ("co", "U paese hè bellu è a ghjente ci vole più tempu cù a famiglia chì ama a so terra.", "co"),
    ("pov", "Asembleia nota kuma tudu jinti ten diritu, pabia i ka pudi mudadu suma ki kusa.", "pov"),
    ("pl", "Język polski należy do grupy języków zachodniosłowiańskich i ma długą historię.", "pl"),
    ("en", "The council said they were done with the plan, and the children went to the market.", "en"),
    ("hy", "Նա խոսում է հայերեն, և մենք պետք է գնանք դպրոց, որտեղ սովորում ենք միություն։", "hy"),
    ("ru", "Русский язык и литература: в этом городе он жил для того, что это было как и все.", "ru"),
    ("hi", "भारत एक विशाल देश है और यहाँ की संस्कृति बहुत पुरानी है। लोग कई भाषाएँ बोलते हैं।", "hi"),
    ("bn", "বাংলা ভাষা এবং সাহিত্য অনেক পুরনো, এই দেশের মানুষ কিন্তু তার জন্য গর্ব করে।", "bn"),
    # Sentences written for this test: one letter or one decisive word, before punctuation too.
    ("mn", "Манай һургуулиин багш нар ирлээ.", "bxr"),
    ("ny", "Ŵanthu wose ŵakubabika ŵaufulu.", "tum"),
    ("es", "La llingua asturiana ye bien guapa.", "ast"),
    ("hi", "ऊ काल्हु बजार गइल।", "bho"),
    # Awadhi's future in -िहै, Magahi's honorific past in -लथिन, Chhattisgarhi's मोला / जाबो
    ("hi", "ऊ लोग काल्हि बजार जइहैं और सामान लइहैं।", "awa"),
    ("hi", "गुरुजी काल्ह गाँव से शहर गेलथिन।", "mag"),
    ("hi", "मोला काली बजार जाना हे, ओकर संग जाबो।", "hne"),
    # Balinese, Papiamento, Tshiluba, Banjar and Tumbuka read as their neighbours
    ("jv", "Tiang lunga ka peken miwah meli be, sane mael pisan.", "ban"),
    ("kea", "E hende ta hopi kontentu awor, pasobra tur kos ta bon.", "pap"),
    ("kmb", "Bantu ba tshisamba tshietu badi ne tshintu tshia bungi.", "lua"),
    ("id", "Ulun kada tahu, pian handak ka pasar haja kah?", "bjn"),
    ("ny", "Vinthu vyose ivi vili vyakuzirwa.", "tum"),
    ("jv", "Aku lan kowe arep lunga menyang pasar ing dina iki.", "jv"),
    # Fon's ɖ, Latgalian's y beside a Latvian diacritic, Sardinian's articles; the neighbours stay
    ("dyu", "Mɛ e ɖò gbɛ̀ ɔ mɛ lɛ ɖó acɛ bǐ.", "fon"),
    ("lv", "Latgalīšu volūda ir vysu cylvāku volūda.", "ltg"),
    ("lij", "Sos omines e sas feminas sunt totu lìberos.", "sc"),
    ("dyu", "N bɛ taa sugu la ka dumuni san.", "dyu"),
    # Komi's ӧ and і, Venetian xe, Waray han / ngan, Latgalian's function words, Sicilian gghi
    ("ru", "Коми войтыр олӧ Коми Республикаын.", "kv"),
    ("it", "El mondo xe grando e la zente ghe vive ben.", "vec"),
    ("ceb", "An mga tawo han baryo ngan an ira mga anak.", "war"),
    ("lv", "Jis soka, kai itū dorbu vajag padarīt.", "ltg"),
    ("lij", "U figghiu di me frati travagghia a Palermu.", "scn"),
    ("ru", "Русский язык и литература в этом городе.", "ru"),
    ("lv", "Viņš saka, ka šo darbu vajag padarīt.", "lv"),
    ("lv", "Latviešu valoda ir skaista, un party bija jautra.", "lv"),
    # Swiss German read as German, Low German read as West Frisian; the neighbours stay
    ("de", "Das isch nöd so eifach, mir händ öppis anders gmacht.", "gsw"),
    ("fy", "Dat is nich so eenfach, wi hebbt dat för di makt.", "nds"),
    ("fy", "Wi hebbt de Fööt in't Water.", "nds"),
    ("de", "Das ist nicht so einfach, wir haben etwas anderes gemacht.", "de"),
    ("fy", "Dat is net sa maklik, wy hawwe it foar dy dien.", "fy"),
    ("nl", "Dat is nich so eenfach, wi hebbt dat för di makt.", "nds"),
    ("nl", "Dat is niet zo eenvoudig, wij hebben dat voor jou gedaan.", "nl"),
    ("en", "My pesin neva reach house since morning.", "pcm"),
    ("kea", "Nos tin un kas aki, kaminda e muchanan ta hasi nan tarea.", "pap"),
    # a Hindi imperative ending in -बो is not Chhattisgarhi's future
    ("hi", "कपड़े को पानी में डुबो दो और फिर सुखा दो।", "hi"),
    # one shared word is no evidence; a Hindi or Spanish sentence stays
    ("hi", "वह कल बाजार गया था।", "hi"),
    ("es", "La lengua española es muy bonita y antigua.", "es"),
    # a name in Polish text that writes ô is not Silesian
    ("pl", "Wczoraj prezydent Côte d'Ivoire spotkał się z ministrem w Warszawie.", "pl"),
    ("pl", "Dzisiej mŏmy piykny dziyń.", "szl"),
    # session 12, round 2: Tamasheq's ă, Meitei's -শিং / -খিবা, Buryat's converb -жэ, Kirundi's -ronka,
    # Asturian's -áu, Awadhi's रहै, Chhattisgarhi's नइ; the neighbours' own sentences stay
    ("kab", "Tămeṭṭ-nnet tăkka ăɣrem.", "taq"),
    ("kab", "Tameṭṭut-nni teddi ɣer taddart.", "kab"),
    ("bn", "মীওইশিং লাইরিক পাখিবা।", "mni"),
    ("mn", "Тэрэ гэжэ хэлэбэ.", "bxr"),
    ("mn", "Тэр ингэж хэлжээ.", "mn"),
    ("rw", "Umuntu wese afise uburenganzira bwo kuronka akazi.", "rn"),
    ("rw", "Umuntu wese afite uburenganzira bwo kubona akazi.", "rw"),
    ("es", "El neñu ta cansáu.", "ast"),
    ("es", "El niño está cansado.", "es"),
    ("hi", "ऊ घर मा रहै।", "awa"),
    ("hi", "वो नइ आही।", "hne"),
    # read as a neighbour outside the evaluation set: Ghomala' as Lamnso, Nuer as Idoma, Dyula as
    # Antillean Creole, Kamba as Kikuyu; the neighbours' own sentences stay
    ("lns", "Mbʉ́ɔ yɛ pʉ́ tsɔ.", "bbj"),
    ("lns", "Wìr dzə e kiŋèn.", "lns"),
    ("idu", "Kä ŋäth ë ciaŋ.", "nus"),
    ("idu", "Ɔcɛ dodu ɛgɛ duu.", "idu"),
    ("gcf", "Mɔgɔ bɛɛ bɛ yen.", "dyu"),
    ("gcf", "Sé on bèl jounen.", "gcf"),
    ("ki", "Syĩndũ syonthe ni sya vala.", "kam"),
    ("ki", "Mũndũ nĩ mwega mũno.", "ki"),
])
def test_cue_moves_only_the_language_it_names(guard, text, want):
    assert cues.apply(guard, text) == want


def test_letter_cue_scales_with_length():
    # one Buryat һ among 120 Mongolian words is a foreign name, not Buryat
    text = "Монгол улсын нийслэл Улаанбаатар хот " * 24 + " һ"
    assert cues.apply("mn", text) == "mn"
    assert cues.apply("mn", text.replace("хот", "һот")) == "bxr"


def test_cue_decides_a_low_confidence_neighbour(monkeypatch):
    # the models' unsure top answer is the guard: the cue's language is reported, at the floor score
    monkeypatch.setattr(v2.cues, "apply", lambda code, text: "bxr" if code == "mn" else code)
    monkeypatch.setattr(v2, "_vote", lambda text, ft, cld2, votes, weight: votes.update({"mn": 0.5, "ru": 0.45}))
    monkeypatch.setattr(v2, "_third", lambda text, votes, top: False)
    monkeypatch.setattr(v2.udhr, "predict", lambda text, k=2: [])
    code, score, reason, *_ = v2.detect_one("Манай һургуулиин багш нар ирлээ.")
    assert (code, score, reason) == ("bxr", v2.MIN_SCORE, None)


def test_every_cue_target_is_in_the_label_set():
    # ``corpuscope inspectors list`` must show every code the cascade can emit
    assert {cue.to for group in cues.CUES.values() for cue in group} <= set(v2.LABELS)


def test_unguarded_code_is_returned_unchanged():
    assert cues.apply("de", "Wetin dey happen? Una sabi say di pikin wey dey for house.") == "de"


def test_gate_is_required():
    # marks that hit often but none of the gate words: the cue is not counted
    cue = cues.CUES["en"][0]
    text = "di im don dem sey di im don dem sey di im don dem sey"
    assert not any(need in f" {text} " for need in cue.needs)
    assert cues.apply("en", text) == "en"


def _c4(n):
    with gzip.open(shared("c4_sample_wimbd", "c4-sample.00000-of-00001.json.gz"), "rt") as f:
        return [json.loads(line)["text"] for _, line in zip(range(n), f)]


def test_no_cue_fires_on_big_language_text(monkeypatch):
    # English web text and XQuAD paragraphs (12 languages): the cascade's answer is the same with
    # and without the cues on every one (benchmarks/bench_language_cues.py: 0 of 5,5xx texts).
    table = pq.read_table(shared("langid_xquad_paragraphs", "xquad_paragraphs.parquet"), columns=["text"])
    texts = _c4(400) + table.column("text").to_pylist()[::4]
    with_cues = [r[0] for r in v2.detect(texts)]
    monkeypatch.setattr(cues, "apply", lambda code, text: code)
    without = [r[0] for r in v2.detect(texts)]
    changed = [(a, b) for a, b in zip(without, with_cues) if a != b]
    assert not changed, changed
