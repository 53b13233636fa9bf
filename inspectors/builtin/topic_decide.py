"""The decision of topic_v2 over a whole batch: decision.yaml's cascades evaluated as vector masks.

``topic_v2`` measures each document once (one scan per view) into a row of numbers; here those rows
become numpy columns, every step of the format cascade and then of the topic cascade is one mask
over the batch (first step that holds wins, in file order), and the format cues, the lexicon topic,
the law corroboration and the runner-ups are array arithmetic. Only the evidence of the step that
decided each label is written per document, straight into Arrow buffers.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from inspectors.builtin.topic_law_model import law_scores
from inspectors.builtin.topic_v2 import EVIDENCE_TYPE, HEAD_CHARS, OUTPUT_SCHEMA, VALUES, Measured, _offset

UNKNOWN = -2  # label index of the taxonomy's unknown label (-1: not decided yet)
TERMS_PER_LABEL = 3  # terms quoted in the evidence of a lexicon-decided label


def _mask(value, n: int) -> np.ndarray:
    """A condition's result as a boolean mask of ``n`` rows (a constant condition broadcasts)."""
    return np.broadcast_to(np.asarray(value, bool), (n,))


def _columns(t, m: Measured) -> dict[str, np.ndarray]:
    """The measured batch as arrays: every lexicon column's points, the language, the topic and
    format cue scores, law corroboration counts, line counts and legal-structure points per document."""
    th, rule = t.thresholds, t.rule_index
    k, n_langs, n_topics = len(m.values), len(t.langs), len(t.topics)
    en, law = t.langs.index("en"), t.topics.index("law")
    rows = np.arange(k)
    V = np.array(m.values, float).reshape(k, len(VALUES))
    v = {name: V[:, i] for i, name in enumerate(VALUES)}
    R = np.array(m.rule_count, np.int64).reshape(k, len(t.rules))
    doc, pid = m.hit_doc, m.hit_pid
    count = np.array(m.hit_count, np.float64)
    # Each match spread over its pattern's (column, weight) pairs, summed per document and column.
    lengths = t.w_indptr[pid + 1] - t.w_indptr[pid]
    first = np.repeat(t.w_indptr[pid] - (np.cumsum(lengths) - lengths), lengths)
    pair = first + np.arange(first.size)
    n_cols = t.format_base + len(t.formats)
    scores = np.bincount(np.repeat(doc, lengths) * n_cols + t.w_cols[pair], weights=np.repeat(count, lengths)
                         * t.w_weights[pair], minlength=k * n_cols).astype(np.float64).reshape(k, n_cols)
    stop_lang = t.stop_lang[pid]
    on = stop_lang >= 0
    stop = np.bincount(doc[on] * n_langs + stop_lang[on], minlength=k * n_langs).reshape(k, n_langs)
    by_topic = scores[:, : t.format_base].reshape(k, n_topics, n_langs)
    # The language whose lexicon counts: most different function words; ties (short texts share a
    # word or two with several languages) go to the most lexicon points, then English, then the first.
    lexical = by_topic.sum(axis=1)
    most = stop.max(axis=1, initial=0)
    tied = stop == most[:, None]
    candidates = tied & (lexical == np.where(tied, lexical, -np.inf).max(axis=1, initial=-np.inf)[:, None])
    lang = np.where(candidates[:, en], en, candidates.argmax(axis=1))
    lang[(most == 0) & (lexical[rows, lang] == 0)] = en
    cjk = v["cjk_lang"].astype(np.int64)
    lang = np.where(cjk >= 0, cjk, lang)
    topic_scores = by_topic[rows, :, lang].copy()
    mixed = (lang != en) & (stop[:, en] >= th["mixed_english_share"] * np.maximum(stop[rows, lang], 1))
    topic_scores += np.where(mixed[:, None], th["mixed_english_weight"] * by_topic[:, :, en], 0.0)  # English counts less
    citations = (R[:, rule["citations"]] + R[:, rule["reporters"]]).astype(float)
    topic_scores[:, law] += th["citation_weight"] * np.minimum(citations, th["citation_cap"])
    # Drafting language (numbered provisions, "shall" with an obligation, defined terms) is a law cue
    # of its own, independent of the law lexicon's words.
    drafting = (R[:, rule["drafting"]] + R[:, rule["defined_terms"]]).astype(float)
    topic_scores[:, law] += th["drafting_weight"] * np.minimum(drafting, th["drafting_cap"])
    # Law corroboration: how many different law terms matched, and how many of them are strong.
    hit_lang, hit_mixed = lang[doc], mixed[doc]
    listed = np.where(hit_mixed, t.law_listed_mixed[pid, hit_lang], t.law_listed[pid, hit_lang])
    strong = np.where(hit_mixed, t.law_strong_mixed[pid, hit_lang], t.law_strong[pid, hit_lang])
    art = np.where(hit_mixed, t.law_art_mixed[pid, hit_lang], t.law_art[pid, hit_lang])
    legal = np.array(t.legal_rules, np.int64)
    need = np.array([t.rules[i].min for i in legal], np.int64)
    counts = R[:, legal]
    points = np.where(counts >= need, np.array([t.rules[i].points for i in legal]) + (counts >= 4 * need), 0.0)
    v.update({
        "_pairs": (np.repeat(doc, lengths), t.w_cols[pair], np.repeat(count, lengths) * t.w_weights[pair],
                   np.repeat(pid, lengths), np.repeat(m.hit_end - t.term_bytes[pid] - 2, lengths)),
        "_topic_scores": topic_scores, "_format_scores": scores[:, t.format_base :], "_lang": lang,
        "_legal_points": points, "legal_score": points.sum(axis=1), "citations": citations,
        "drafting": drafting,
        "law_terms": np.bincount(doc, weights=listed, minlength=k), "law_strong_terms": np.bincount(doc, weights=strong, minlength=k),
        "law_art_terms": np.bincount(doc, weights=art, minlength=k),
        "code_lines": R[:, rule["code"]].astype(float), "numbered": R[:, rule["numbered"]].astype(float),
        "clauses": (R[:, rule["numbered"]] + R[:, rule["lettered"]]).astype(float),
        "question": R[:, rule["question"]].astype(float), "asks": R[:, rule["asks"]].astype(float),
    })  # fmt: skip
    return v


def _features(t, v: dict, topic_scores: np.ndarray) -> dict[str, np.ndarray]:
    """The features decision.yaml names (``topic_v2.FEATURES``), one array each."""
    F = t.formats.index
    law = t.topics.index("law")
    denom = np.maximum(v["n_words"], 50.0)
    fixed = v["source_fixed"] > 0
    return {
        "legal_score": v["legal_score"],
        "law_density": topic_scores[:, law] / denom * 1000,
        "clauses": v["clauses"],
        "code_lines": v["code_lines"],
        "code_share": v["code_lines"] / v["newlines"],
        "n_words": v["n_words"],
        "source_fixed_format": (v["source_format"] >= 0) & fixed,
        "source_fixed_topic": (v["source_topic"] >= 0) & fixed,
        "source_format": v["source_format"] >= 0,
        "source_topic": v["source_topic"] >= 0,
        "host_format": v["host_format"] >= 0,
        "host_topic": v["host_topic"] >= 0,
        "host_format_legal_document": v["host_format"] == F("legal_document"),
        "path_format": v["path_format"] >= 0,
        "path_format_notice_or_faq": np.isin(v["path_format"], (F("legal_notices"), F("faq"))),
        "dateline": v["dateline"] > 0,
        "format_legal_document": np.zeros(len(denom), bool),
    }


def _cascade(steps, feats, labels, meta: dict, chosen: np.ndarray, which: np.ndarray, n: int, key: str):
    """Run ``steps`` over the rows not decided yet: ``chosen`` gets the label index, ``which`` the step."""
    open_ = chosen == -1
    for i, step in enumerate(steps):
        value = getattr(step, key)
        if value is None:
            continue
        hit = _mask(step.when(feats), n) & open_
        if not hit.any():
            continue
        chosen[hit] = meta[value][hit] if value in meta else labels.index(value)
        which[hit] = i
        open_ &= ~hit


def _format_cues(t, th, v, feats, scores):
    """Format cue scores (lexicon and line counts) and the best format by cues, per row.

    Returns (scores after the cue rules, best index, whether the best is strong enough)."""
    F = t.formats.index
    listicle, faq, listing, legal, notice = F("listicle"), F("faq"), F("content_listing"), F("legal_document"), F("legal_notices")
    rows = np.arange(len(scores))
    s = scores.copy()
    n_words, newlines, denom = v["n_words"], v["newlines"], np.maximum(v["n_words"], 50.0)
    s[:, listicle] += th["listicle_per_line"] * np.minimum(v["numbered"], th["listicle_lines_cap"]) + \
        th["listicle_title"] * (v["title_listicle"] > 0)
    s[:, faq] += th["faq_per_question"] * np.minimum(v["question"], th["faq_questions_cap"])
    many = (newlines >= th["listing_min_lines"]) & (n_words < th["listing_words_per_line"] * newlines)
    s[:, listing] += np.where(many, th["listing_per_line"] * newlines, 0.0)  # menus, link lists
    legal_score = v["legal_score"]
    structure = (legal_score >= th["legal_structure_cue_min"]) & (feats["law_density"] >= th["legal_structure_cue_density"])
    s[:, legal] += np.where(structure, 2 * legal_score, 0.0)
    topic_scores = v["_topic_scores"]
    law_score = topic_scores[:, t.topics.index("law")]
    # Drafting words alone ("shall", "the parties") are common on the web.
    weak = ((s[:, legal] < np.maximum(th["legal_cue_min"], th["legal_cue_density"] * denom))
            | (law_score < th["legal_cue_law_min"])
            | ((legal_score < th["legal_cue_structure_min"]) & (n_words >= th["legal_cue_structure_words"]))
            | ((n_words > th["law_share_min_words"]) & (law_score < th["law_share"] * topic_scores.max(axis=1))))
    terms_of_use = ~weak & (s[:, notice] >= th["notice_share"] * s[:, legal])  # drafted like contracts, yet notices
    s[:, notice] += np.where(terms_of_use, s[:, legal], 0.0)
    s[weak | terms_of_use, legal] = 0.0
    # A sentence of a policy ("We do not obtain your age") has room for one or two policy phrases:
    # very short texts need fewer notice points, as they need fewer topic points.
    notice_floor = np.minimum(th["notice_min"], np.maximum(th["notice_short_min"], n_words / th["short_text_words"]))
    s[s[:, notice] < np.maximum(notice_floor, th["notice_density"] * denom), notice] = 0.0
    best = s.argmax(axis=1)
    floor = np.maximum(th["min_format_score"], th["format_cue_density"] * denom)
    strong = s[rows, best] >= np.where(best == notice, np.minimum(floor, notice_floor), floor)
    return s, best, strong


def _law_model(t, th, v, law_ok, cited, asking, windows):
    """(vetoed, mean law log-odds or NaN where not asked) per row. A long English page (an archive of
    posts, a history, a list of search results: law_model_long_words words or more) can gather many law
    terms in passing; with no citation and no drafting cue it stays law only if its words lean to law on
    average (``topic_law_model``, counted from text that is no evaluation set). First-person questions
    are not asked: the model's training text holds no legal-advice requests."""
    score = np.full(len(law_ok), np.nan)
    asked = np.flatnonzero(law_ok & (v["_lang"] == t.langs.index("en")) & (v["n_words"] >= th["law_model_long_words"])
                           & (cited == 0) & ~asking)  # fmt: skip
    if len(asked):
        score[asked] = law_scores([windows[r] for r in asked.tolist()])
    return score < th["law_model_long_score"], score


def _lexicon_topic(t, th, v, feats, topic_scores, first_person, windows):
    """Topic by lexicon scores with URL priors, law corroboration, the word model's veto and law share,
    per row.

    Returns (scores after priors, best index, whether it clears the floors, law uncorroborated, its score,
    the word model's law score where it was asked)."""
    law = t.topics.index("law")
    rows = np.arange(len(topic_scores))
    s = topic_scores.copy()
    best_text = s.max(axis=1)
    path, suffix = v["path_topic"].astype(int), v["suffix_topic"].astype(int)
    on = path >= 0
    s[rows[on], path[on]] += th["path_topic_prior"]
    on = (suffix >= 0) & (best_text > 0)
    s[rows[on], suffix[on]] += th["suffix_prior"] + th["suffix_prior_share"] * best_text[on]
    # A lexicon-decided law needs enough different law terms, strong ones in long texts, densely;
    # each citation counts as a strong term. One or two legal words ("lease", "verdict") are no law.
    n_words = v["n_words"]
    # Citations and drafting cues corroborate as strong terms (drafting cues at most drafting_terms).
    cited = np.minimum(v["citations"], th["citation_cap"]) + np.minimum(v["drafting"], th["drafting_terms"])
    need_terms = np.minimum(th["law_min_terms"], np.maximum(th["law_min_terms_short"], n_words / th["law_words_per_term"]))
    need_strong = np.where(n_words >= th["law_strong_words"], th["law_min_strong_terms"], 0)
    dense = (s[:, law] > 0) & (feats["law_density"] >= th["law_min_density"])
    law_ok = dense & (v["law_terms"] + cited >= need_terms) & (v["law_strong_terms"] + cited >= need_strong)
    # A sentence (fewer than law_words_per_term words) has room for one law term: a term of art
    # ("plaintiff", "statute of limitations") or a citation decides it; "court" (a tennis court) does not.
    law_ok |= dense & (n_words < th["law_words_per_term"]) & (v["law_art_terms"] + cited >= 1)
    # Someone asking about their own legal trouble names few legal terms ("my landlord", "sue"): a
    # first-person text with a question needs fewer, as long as one is strong.
    first_person_question = (v["asks"] > 0) & (first_person > 0)
    asking = dense & ~law_ok & first_person_question & (v["law_strong_terms"] + cited >= th["law_question_strong"]) \
        & (v["law_terms"] + cited >= th["law_question_terms"])
    law_ok |= asking
    vetoed, model_score = _law_model(t, th, v, law_ok, cited, first_person_question, windows)
    law_ok &= ~vetoed
    uncorroborated = ~law_ok & (s[:, law] > 0)
    dropped = s[:, law].copy()
    s[uncorroborated, law] = 0.0
    best = s.argmax(axis=1)
    # Law is cross-cutting: a strong legal share wins over the subject it is about.
    best[(best != law) & law_ok & (s[:, law] >= th["law_share"] * s[rows, best])] = law
    top = s[rows, best]
    least = np.minimum(th["min_topic_score"], np.maximum(0.3, n_words / th["short_text_words"]))
    enough = (top >= least) & (top / np.maximum(n_words, 50.0) * 1000 >= th["min_topic_density"])
    return s, best, enough, uncorroborated, dropped, model_score


def _first_person_count(m: Measured, rows: np.ndarray, lang: np.ndarray) -> np.ndarray:
    """First-person words of the document's language on ``rows`` (0 elsewhere)."""
    return np.where(rows, m.first_person[np.arange(len(rows)), lang], 0.0) if len(rows) else np.zeros(0)


def _runner_up(scores: np.ndarray, chosen: np.ndarray, denom: np.ndarray):
    """(best other label index or -1, chosen score minus its score per 1000 words) per row."""
    rows = np.arange(len(scores))
    others = scores.copy()
    mine = np.where(chosen >= 0, scores[rows, np.maximum(chosen, 0)], 0.0)
    others[rows[chosen >= 0], chosen[chosen >= 0]] = 0.0
    best = others.argmax(axis=1) if scores.shape[1] else np.zeros(len(rows), int)
    best_score = others[rows, best] if scores.shape[1] else np.zeros(len(rows))
    return np.where(best_score > 0, best, -1), (mine - best_score) / denom * 1000


def _rule_offset(t, i: int, window: str, cut: int) -> int | None:
    """Document offset of rule ``i``'s first match (Python ``re`` on the window, for evidence only)."""
    found = t.rule_res[i].search(window)
    if found is None:
        return None
    start = found.start()
    return cut + start - HEAD_CHARS - 1 if cut >= 0 and start > HEAD_CHARS else start


class _Evidence:
    """Evidence entries of the batch, appended row by row into flat columns of one list<struct>."""

    def __init__(self):
        self.label, self.rule, self.weight, self.offset, self.starts = [], [], [], [], [0]

    def add(self, label, rule, weight=None, offset=None):
        self.label.append(label)
        self.rule.append(rule)
        self.weight.append(None if weight is None else float(weight))
        self.offset.append(offset)

    def end_row(self):
        self.starts.append(len(self.rule))

    def array(self) -> pa.Array:
        struct = pa.StructArray.from_arrays(
            [pa.array(self.label, pa.string()), pa.array(self.rule, pa.string()),
             pa.array(self.weight, pa.float64()), pa.array(self.offset, pa.int64())],
            fields=list(EVIDENCE_TYPE.value_type))  # fmt: skip
        return pa.ListArray.from_arrays(pa.array(self.starts, pa.int32()), struct, type=EVIDENCE_TYPE)


def _top_terms(t, pairs, want: list[np.ndarray]) -> dict[int, list[tuple]]:
    """Row -> up to TERMS_PER_LABEL (points, first byte offset, pattern id) of the terms that gave the
    row's wanted column (``want``: one column per row and alternative, -1 for none) most points."""
    doc, col, score, pid, first = pairs
    hit = np.zeros(len(doc), bool)
    for w in want:
        hit |= (col == w[doc]) & (w[doc] >= 0)
    doc, score, pid, first = doc[hit], score[hit], pid[hit], first[hit]
    # A term listed for both wanted columns counts once.
    _, keep = np.unique(doc * len(t.term_cols) + pid, return_index=True)
    doc, score, pid, first = doc[keep], score[keep], pid[keep], first[keep]
    order = np.lexsort((first, -score, doc))
    doc, score, pid, first = doc[order], score[order], pid[order], first[order]
    rank = np.arange(len(doc)) - np.searchsorted(doc, doc)
    out: dict[int, list[tuple]] = {}
    for d, s_, p_, f_ in zip(*(a[rank < TERMS_PER_LABEL].tolist() for a in (doc, score, pid, first))):
        out.setdefault(d, []).append((s_, f_, p_))
    return out


def _quote_terms(t, ev, label, found, ctx):
    for weight, first, pid in found:
        ev.add(label, f"term:{t.term_names[pid]}", weight, _offset(ctx[2], first, ctx[4], ctx[0]))


def _step_evidence(t, ev, label, step, value, feats, r, ctx, legal_points):
    ev.add(label, f"step:{step.name}")
    if step.evidence == "legal_rules":
        for j, points in enumerate(legal_points[r].tolist()):
            if points:
                i = t.legal_rules[j]
                ev.add(label, t.rules[i].name, points, _rule_offset(t, i, ctx[3], ctx[4]))
    elif step.evidence == "metadata":
        ev.add(label, ctx[5].get(value) or value)
    else:
        for name in step.names:
            ev.add(label, f"feature:{name}", float(feats[name][r]))


def decide(t, m: Measured) -> dict[str, pa.Array]:
    """Labels, evidence, runner-ups and margins of a measured batch (``topic_v2.OUTPUT_SCHEMA``)."""
    th = t.thresholds
    k = len(m.values)
    n_langs, law = len(t.langs), t.topics.index("law")
    v = _columns(t, m)
    T, Fs = v["_topic_scores"], v["_format_scores"]
    feats = _features(t, v, T)
    denom = np.maximum(v["n_words"], 50.0)
    meta_f = {"@source": v["source_format"].astype(int), "@host": v["host_format"].astype(int),
              "@path": v["path_format"].astype(int)}
    meta_t = {"@source": v["source_topic"].astype(int), "@host": v["host_topic"].astype(int),
              "@path": v["path_topic"].astype(int)}

    fmt, fmt_step = np.full(k, -1), np.full(k, -1)
    topic, topic_fstep, topic_step = np.full(k, -1), np.full(k, -1), np.full(k, -1)
    _cascade(t.format_cascade, feats, t.formats, meta_f, fmt, fmt_step, k, "format")
    # A format step may set the topic too (source code is software development).
    for i, step in enumerate(t.format_cascade):
        if step.topic:
            on = fmt_step == i
            topic[on] = meta_t[step.topic][on] if step.topic in meta_t else t.topics.index(step.topic)
            topic_fstep[on & (topic >= 0)] = i
    cue_scores, cue_best, cue_strong = _format_cues(t, th, v, feats, Fs)
    by_cues = fmt == -1
    fmt[by_cues & cue_strong] = cue_best[by_cues & cue_strong]
    first_rate = _first_person_count(m, by_cues & ~cue_strong, v["_lang"]) / denom
    blog = by_cues & ~cue_strong & (first_rate > th["first_person_blog"])
    fmt[blog] = t.formats.index("personal_blog")
    fmt[by_cues & ~cue_strong & ~blog] = t.formats.index("knowledge_article")
    feats["format_legal_document"] = fmt == t.formats.index("legal_document")
    _cascade(t.topic_cascade, feats, t.topics, meta_t, topic, topic_step, k, "topic")
    lex_scores, lex_best, lex_enough, uncorroborated, dropped, law_model = _lexicon_topic(
        t, th, v, feats, T, _first_person_count(m, v["asks"] > 0, v["_lang"]), [ctx[3] for ctx in m.contexts])
    by_lexicon = topic == -1
    topic[by_lexicon] = np.where(lex_enough[by_lexicon], lex_best[by_lexicon], UNKNOWN)
    topic_runner, topic_margin = _runner_up(np.where(by_lexicon[:, None], lex_scores, T), topic, denom)
    format_runner, format_margin = _runner_up(np.where(by_cues[:, None], cue_scores, Fs), fmt, denom)

    lang_a = v["_lang"]
    lexicon_topic = np.where(by_lexicon & (topic >= 0), topic, -1)
    topic_terms = _top_terms(t, v["_pairs"], [np.where(lexicon_topic >= 0, lexicon_topic * n_langs + lang_a, -1),
                                              np.where(lexicon_topic >= 0, lexicon_topic * n_langs + t.langs.index("en"), -1)])
    format_terms = _top_terms(t, v["_pairs"], [np.where(by_cues & cue_strong, t.format_base + cue_best, -1)])
    ev = _Evidence()
    out_topic, out_format, t_run, t_mar, f_run, f_mar = [], [], [], [], [], []
    topics, formats = t.topics, t.formats
    # Python lists: indexing them per row costs a fraction of indexing numpy arrays.
    (fmt_l, fmt_step_l, topic_l, topic_fstep_l, topic_step_l, by_cues_l, cue_best_l, cue_l, rate_l,
     unc_l, dropped_l, lex_best_l, cites_l, tr_l, tm_l, fr_l, fm_l) = (
        a.tolist() for a in (fmt, fmt_step, topic, topic_fstep, topic_step, by_cues, cue_best,
                             cue_scores[np.arange(k), cue_best], first_rate, uncorroborated, dropped,
                             lex_best, v["citations"], topic_runner, topic_margin, format_runner, format_margin))
    lex_top = lex_scores[np.arange(k), lex_best].tolist()
    law_model_l = law_model.tolist()
    strong_l = cue_strong.tolist()
    path_l, suffix_l = v["path_topic"].tolist(), v["suffix_topic"].tolist()
    best_text_l = T.max(axis=1).tolist() if k else []
    denom_l = denom.tolist()
    row = 0
    for kind in m.kinds:
        if kind is not None:
            ev.add("topic", kind)
            ev.add("format", kind)
            ev.end_row()
            label = t.unknown if kind == "binary_or_no_words" else None
            out_topic.append(label)
            out_format.append(label)
            t_run.append(None), t_mar.append(None), f_run.append(None), f_mar.append(None)
            continue
        r, ctx = row, m.contexts[row]
        row += 1
        if not by_cues_l[r]:
            step = t.format_cascade[fmt_step_l[r]]
            _step_evidence(t, ev, "format", step, step.format, feats, r, ctx, v["_legal_points"])
        elif strong_l[r]:
            ev.add("format", "step:cues", cue_l[r])
            _quote_terms(t, ev, "format", format_terms.get(r, ()), ctx)
        elif rate_l[r] > th["first_person_blog"]:
            ev.add("format", "step:first_person", rate_l[r] * 1000)
        else:
            ev.add("format", "step:third_person", rate_l[r] * 1000)
        if topic_fstep_l[r] >= 0:
            step = t.format_cascade[topic_fstep_l[r]]
            _step_evidence(t, ev, "topic", step, step.topic, feats, r, ctx, v["_legal_points"])
        elif topic_step_l[r] >= 0:
            step = t.topic_cascade[topic_step_l[r]]
            _step_evidence(t, ev, "topic", step, step.topic, feats, r, ctx, v["_legal_points"])
        else:
            if unc_l[r]:
                ev.add("topic", "law_uncorroborated", dropped_l[r])
            if law_model_l[r] == law_model_l[r]:  # not NaN: the word model was asked
                ev.add("topic", "model:law_logodds", law_model_l[r])
            best = lex_best_l[r]
            if topic_l[r] >= 0:
                ev.add("topic", "step:lexicon", lex_top[r] / denom_l[r] * 1000)
                _quote_terms(t, ev, "topic", topic_terms.get(r, ()), ctx)
                if cites_l[r] and best == law:
                    ev.add("topic", "citations", th["citation_weight"] * min(cites_l[r], th["citation_cap"]),
                           _rule_offset(t, t.rule_index["citations"], ctx[3], ctx[4]))
                if path_l[r] >= 0:
                    ev.add("topic", ctx[5]["@path"], th["path_topic_prior"])
                if suffix_l[r] >= 0 and best_text_l[r] > 0:
                    ev.add("topic", ctx[5]["@suffix"], th["suffix_prior"] + th["suffix_prior_share"] * best_text_l[r])
            else:
                ev.add("topic", f"no_signal:best={topics[best]}", lex_top[r])
        ev.end_row()
        out_topic.append(topics[topic_l[r]] if topic_l[r] >= 0 else t.unknown)
        out_format.append(formats[fmt_l[r]])
        t_run.append(topics[tr_l[r]] if tr_l[r] >= 0 else None)
        t_mar.append(tm_l[r])
        f_run.append(formats[fr_l[r]] if fr_l[r] >= 0 else None)
        f_mar.append(fm_l[r])
    columns = (out_topic, out_format, None, t_run, t_mar, f_run, f_mar)
    return {
        field.name: ev.array() if values is None else pa.array(values, field.type)
        for field, values in zip(OUTPUT_SCHEMA, columns)
    }
