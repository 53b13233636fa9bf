"""topic_v2: topic and format from rules held as data, one Hyperscan pass over each document.

Same taxonomy as topic_v1 (``inspectors/data/topic_v2/taxonomy.yaml``). Every lexicon term, function
word, structural rule, host, source, threshold and the ordered decision cascade live in
``inspectors/data/topic_v2/``; they are validated on load (errors name file and key). Per document the
window (first 8 KB and 4 KB from the middle) is scanned once for all patterns; the features below
are computed from the matches, the format cascade and then the topic cascade of ``decision.yaml``
are tried in order, and the lexicon scores decide what no step decided.

Outputs: ``topic``, ``format``; ``evidence``, a list of ``{for, rule, weight, offset}`` (the step that
decided each label first, then the rules, terms or features behind it with their weight and the
character offset of their first match); ``topic_runner_up``/``format_runner_up``, the best other
label by score, and ``topic_margin``/``format_margin``, the chosen label's score minus the
runner-up's in points per 1000 words (negative when a rule overrode the words).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

import pyarrow as pa

from inspectors.builtin import topic_rules
from inspectors.builtin.topic import _as_text
from inspectors.builtin.topic_rules import KIND_STOP, KIND_TERM, tables
from inspectors.builtin.web_domain import split_authority
from inspectors.core.registry import Inspector, column_values, register

HEAD_CHARS, MID_CHARS, WINDOW_LIMIT = 8192, 4096, 12288

# Features the decision table may name (decision.yaml); each is computed in ``_features``.
FEATURES = {
    "legal_score": "points of the legal-structure rules that fired (rules.yaml, group legal)",
    "law_density": "law lexicon points (with citations) per 1000 words",
    "clauses": "numbered plus lettered lines",
    "code_lines": "lines that look like code",
    "code_share": "code lines per line",
    "n_words": "words in the window",
    "source_fixed_format": "a source rule with fixed: true gives a format",
    "source_fixed_topic": "a source rule with fixed: true gives a topic",
    "source_format": "a source rule gives a format",
    "source_topic": "a source rule gives a topic",
    "host_format": "a host rule gives a format",
    "host_topic": "a host rule gives a topic",
    "host_format_legal_document": "the host rule's format is legal_document",
    "path_format": "a URL path rule gives a format",
    "path_format_notice_or_faq": "the URL path rule's format is legal_notices or faq",
    "dateline": "the text opens with a news dateline",
    "format_legal_document": "the format decided is legal_document",
}
THRESHOLDS_USED = (
    "min_topic_score", "min_topic_density", "short_text_words", "min_format_score", "format_cue_density",
    "law_share", "law_share_min_words", "citation_weight", "citation_cap", "mixed_english_share",
    "mixed_english_weight", "legal_cue_min", "legal_cue_density", "legal_cue_law_min", "legal_structure_cue_min",
    "legal_structure_cue_density", "notice_share", "notice_min", "notice_density", "listicle_per_line",
    "listicle_lines_cap", "listicle_title", "faq_per_question", "faq_questions_cap", "listing_min_lines",
    "listing_words_per_line", "listing_per_line", "path_topic_prior", "suffix_prior", "suffix_prior_share",
    "first_person_blog", "law_min_terms", "law_words_per_term", "law_min_strong_terms", "law_strong_weight",
    "law_strong_words", "law_min_density", "legal_cue_structure_min", "legal_cue_structure_words", "law_min_terms_short",
)  # fmt: skip
LINE_RULES_USED = ("code", "numbered", "lettered", "citations", "question", "cjk")

EVIDENCE_TYPE = pa.list_(pa.struct([
    ("for", pa.string()), ("rule", pa.string()), ("weight", pa.float64()), ("offset", pa.int64()),
]))  # fmt: skip
OUTPUT_SCHEMA = pa.schema([
    ("topic", pa.string()), ("format", pa.string()), ("evidence", EVIDENCE_TYPE),
    ("topic_runner_up", pa.string()), ("topic_margin", pa.float32()),
    ("format_runner_up", pa.string()), ("format_margin", pa.float32()),
])  # fmt: skip

_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _window(text: str) -> tuple[str, int]:
    """The window read and the document offset where its second part starts (-1: one part)."""
    cut = -1
    if len(text) > WINDOW_LIMIT:
        mid = len(text) // 2
        cut = mid - MID_CHARS // 2
        text = text[:HEAD_CHARS] + "\n" + text[cut : mid + MID_CHARS // 2]
    return text, cut


# Dashes, quotes, ellipses and bullets (U+2010-U+203F, three UTF-8 bytes each) become spaces too:
# one regular-expression pass over the bytes, and only on text that is not ASCII.
_MARKS = re.compile(rb"\xe2\x80[\x90-\xbf]")


def _analyse(raw: bytes, ascii_only: bool, t):
    """Term counts and first ends, stopword and first-person counts, and rule counts of one window.

    Two views of the window, each scanned once by one Hyperscan database holding all its patterns:
    the words view (ASCII lower-cased, punctuation as spaces, same byte layout as the window) for
    every lexicon term and function word, and the raw window for every structural rule."""
    words = b" " + raw + b" "
    if not ascii_only:
        words = _MARKS.sub(b"   ", words)
    words = words.translate(topic_rules.NORMALISE)
    word_db, rule_db = topic_rules.databases()
    counts: dict[int, int] = {}
    firsts: dict[int, int] = {}

    def on_word(pid, start, end, flags, context):
        if pid in counts:
            counts[pid] += 1
        else:
            counts[pid] = 1
            firsts[pid] = end

    word_db.scan(words, match_event_handler=on_word)
    n_rules = len(t.rules)
    rule_count = [0] * n_rules
    rule_end = [-2] * n_rules

    def on_rule(rid, start, end, flags, context):
        # Hyperscan reports every end of every match: ends next to one another are one match.
        if end > rule_end[rid] + 1:
            rule_count[rid] += 1
        rule_end[rid] = end

    rule_db.scan(raw, match_event_handler=on_rule)
    meta = t.meta
    cols: dict[int, float] = {}
    term_hits: dict[int, list] = {}  # pattern id -> [count, byte offset of the first match in `raw`]
    stop = [0] * len(t.langs)
    first_person = 0
    for pid, count in counts.items():
        kind, payload, n_term = meta[pid]
        if kind == KIND_TERM:
            term_hits[pid] = [count, firsts[pid] - n_term - 2]
            for col, weight in payload:
                cols[col] = cols.get(col, 0.0) + weight * count
        elif kind == KIND_STOP:
            stop[payload] += 1
        else:
            first_person += count
    return cols, term_hits, stop, first_person, rule_count


def _offset(raw: bytes, byte_offset: int, cut: int) -> int:
    """Character offset in the document of a byte offset in the window."""
    chars = len(raw[: max(byte_offset, 0)].decode("utf-8", "ignore"))
    if cut >= 0 and chars > HEAD_CHARS:
        return cut + chars - HEAD_CHARS - 1
    return chars


_PATH = re.compile(r"[^?#]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


@lru_cache(maxsize=65536)
def _url_rules(url: str | None):
    """(host rule, host evidence, path rule, path evidence, suffix rule, suffix evidence)."""
    if not url:
        return {}, None, {}, None, {}, None
    authority, rest = split_authority(url)
    try:
        if _SCHEME.match(authority):
            host = (urlsplit(authority).hostname or "").rstrip(".").lower()
            path = _PATH.match(rest).group(0).replace("\t", "").replace("\r", "").replace("\n", "")
        else:
            parts = urlsplit(authority + rest)
            host, path = (parts.hostname or "").rstrip(".").lower(), parts.path
    except ValueError:
        return {}, None, {}, None, {}, None
    t = tables()
    path_rule, path_ev = {}, None
    low = path.lower()
    if t.any_path is not None and t.any_path.search(low):
        for pattern, rule in t.paths:
            found = pattern.search(low)
            if found:
                path_rule, path_ev = rule, f"url_path:{found.group(0)}"
                break
    labels = host.split(".") if host else []
    host_rule, host_ev, suffix_rule, suffix_ev = {}, None, {}, None
    for i in range(len(labels)):
        name = ".".join(labels[i:])
        if name in t.hosts and not host_rule:
            host_rule, host_ev = t.hosts[name], f"host:{name}"
        if name in t.suffixes and not suffix_rule and i > 0:
            suffix_rule, suffix_ev = t.suffixes[name], f"suffix:.{name}"
    return host_rule, host_ev, path_rule, path_ev, suffix_rule, suffix_ev


@lru_cache(maxsize=4096)
def _source_rule(source: str | None):
    if not source:
        return {}, None
    key = re.sub(r"[^0-9a-z]", "", source.lower())
    rules = tables().sources
    best = max((k for k in rules if key == k or key.startswith(k)), key=len, default=None)
    return (rules[best], f"source:{source}") if best else ({}, None)


def _entry(label, rule, weight=None, offset=None) -> dict:
    return {"for": label, "rule": rule, "weight": None if weight is None else float(weight), "offset": offset}


def _runner_up(scores: list[float], chosen: int | None, names, denom: float):
    """(best other label, chosen score minus its score per 1000 words)."""
    best, best_score = None, 0.0
    for i, s in enumerate(scores):
        if i != chosen and s > best_score:
            best, best_score = i, s
    mine = scores[chosen] if chosen is not None else 0.0
    return (names[best] if best is not None else None), (mine - best_score) / denom * 1000


def classify_one(text: str, url: str | None, source: str | None) -> tuple:
    """(topic, format, evidence, topic_runner_up, topic_margin, format_runner_up, format_margin)."""
    t = tables()
    th = t.thresholds
    window, cut = _window(text)
    data = window.encode("utf-8")
    ascii_only = window.isascii()
    if not ascii_only and (b"\xcc" in data or b"\xcd" in data) and not unicodedata.is_normalized("NFC", window):
        # Combining marks (U+0300-U+036F: decomposed Vietnamese tones): compose, as the terms are.
        window = unicodedata.normalize("NFC", window)
        data = window.encode("utf-8")
    cols, term_hits, stop, first_person, rule_count = _analyse(data, ascii_only, t)
    # Words: spaces and line breaks (plus one), counted without splitting: a list of every word
    # costs more than the whole scan.
    newlines = data.count(b"\n") + 1
    n_words = float(data.count(b" ") + newlines) if data.strip() else 0.0
    rule = t.rule_index
    if rule_count[rule["cjk"]]:
        n_chars = len(window)
        cjk_chars = len(_CJK_CHAR.findall(window))
        if n_words < 0.1 * n_chars + 3:
            n_words += cjk_chars / 1.5
        head = window[:2000]
        cjk_led = len(_CJK_CHAR.findall(head)) > 0.2 * min(n_chars, 2000)
    else:
        cjk_led = False
    if n_words == 0:
        e = [_entry("topic", "binary_or_no_words"), _entry("format", "binary_or_no_words")]
        return t.unknown, t.unknown, e, None, None, None, None
    n_langs, n_topics = len(t.langs), len(t.topics)
    en = t.langs.index("en")
    # The language whose lexicon counts: most different function words; else most lexicon points.
    if cjk_led:
        lang = t.langs.index("ja" if _KANA.search(window[:2000]) else "zh")
    else:
        # Ties (short texts share a word or two with several languages) go to the most lexicon points.
        lexical = [0.0] * n_langs
        for col, w in cols.items():
            if col < t.format_base:
                lexical[col % n_langs] += w
        most = max(stop)
        lang = max(range(n_langs), key=lambda i: (stop[i] == most, lexical[i], i == en))
        if most == 0 and lexical[lang] == 0:
            lang = en
    topic_scores = [cols.get(i * n_langs + lang, 0.0) for i in range(n_topics)]
    mixed = lang != en and stop[en] >= th["mixed_english_share"] * max(stop[lang], 1)
    if mixed:
        for i in range(n_topics):  # code-mixed text: English terms count less
            topic_scores[i] += th["mixed_english_weight"] * cols.get(i * n_langs + en, 0.0)
    law = t.topics.index("law")
    citations = rule_count[rule["citations"]]
    topic_scores[law] += th["citation_weight"] * min(citations, th["citation_cap"])
    fmt_scores = [cols.get(t.format_base + i, 0.0) for i in range(len(t.formats))]

    denom = max(n_words, 50.0)
    legal_score, legal_fired = 0.0, []
    for i, r in enumerate(t.rules):
        if r.group == "legal" and rule_count[i] >= r.min:
            points = r.points + (1 if rule_count[i] >= 4 * r.min else 0)
            legal_score += points
            legal_fired.append((r.name, points, i))
    code_lines = rule_count[rule["code"]]
    src_rule, src_ev = _source_rule(source)
    host_rule, host_ev, path_rule, path_ev, suffix_rule, suffix_ev = _url_rules(url)
    opening_re, opening_chars = t.openings["dateline"]
    feats = {
        "legal_score": legal_score,
        "law_density": topic_scores[law] / denom * 1000,
        "clauses": rule_count[rule["numbered"]] + rule_count[rule["lettered"]],
        "code_lines": code_lines,
        "code_share": code_lines / newlines,
        "n_words": n_words,
        "source_fixed_format": bool(src_rule.get("format") and src_rule.get("fixed")),
        "source_fixed_topic": bool(src_rule.get("topic") and src_rule.get("fixed")),
        "source_format": bool(src_rule.get("format")),
        "source_topic": bool(src_rule.get("topic")),
        "host_format": bool(host_rule.get("format")),
        "host_topic": bool(host_rule.get("topic")),
        "host_format_legal_document": host_rule.get("format") == "legal_document",
        "path_format": bool(path_rule.get("format")),
        "path_format_notice_or_faq": path_rule.get("format") in ("legal_notices", "faq"),
        "dateline": bool(opening_re.match(window[:opening_chars])),
        "format_legal_document": False,
    }
    meta_of = {"@source": (src_rule, src_ev), "@host": (host_rule, host_ev), "@path": (path_rule, path_ev)}
    evidence: list[dict] = []

    def step_evidence(label, step, value):
        evidence.append(_entry(label, f"step:{step.name}"))
        if step.evidence == "legal_rules":
            for name, points, i in legal_fired:
                evidence.append(_entry(label, name, points, _rule_offset(t, i, window, cut)))
        elif step.evidence == "metadata":
            evidence.append(_entry(label, meta_of[value][1] if value in meta_of else value))
        else:
            for name in step.names:
                evidence.append(_entry(label, f"feature:{name}", float(feats[name])))

    def resolve(value, label):
        return meta_of[value][0].get(label) if value in meta_of else value

    fmt = topic = None
    for step in t.format_cascade:
        if step.when(feats):
            fmt = resolve(step.format, "format")
            step_evidence("format", step, step.format)
            if step.topic:
                topic = resolve(step.topic, "topic")
                step_evidence("topic", step, step.topic)
            break
    term_names = t.term_names
    if fmt is None:
        fmt = _format_by_cues(t, th, window, fmt_scores, rule_count, rule, newlines, n_words, denom,
                              legal_score, feats, topic_scores, law, first_person, term_hits, data, cut, evidence)
    f_index = t.formats.index(fmt) if fmt in t.formats else None
    format_runner, format_margin = _runner_up(fmt_scores, f_index, t.formats, denom)

    feats["format_legal_document"] = fmt == "legal_document"
    if topic is None:
        for step in t.topic_cascade:
            if step.when(feats):
                topic = resolve(step.topic, "topic")
                step_evidence("topic", step, step.topic)
                break
    scores = list(topic_scores)
    if topic is None:
        best_text = max(scores)
        priors = []
        if path_rule.get("topic"):
            scores[t.topics.index(path_rule["topic"])] += th["path_topic_prior"]
            priors.append((path_ev, th["path_topic_prior"]))
        if suffix_rule.get("topic") and best_text > 0:
            add = th["suffix_prior"] + th["suffix_prior_share"] * best_text
            scores[t.topics.index(suffix_rule["topic"])] += add
            priors.append((suffix_ev, add))
        law_ok = scores[law] > 0 and _law_corroborated(t, th, term_hits, law * n_langs + lang,
                                                      law * n_langs + en if mixed else -1, citations, n_words,
                                                      feats["law_density"])
        if not law_ok and scores[law] > 0:
            # One or two legal words ("lease", "verdict", "contract") do not make a page about law.
            evidence.append(_entry("topic", "law_uncorroborated", scores[law]))
            scores[law] = 0.0
        best = scores.index(max(scores))
        if best != law and law_ok and scores[law] >= th["law_share"] * scores[best]:
            best = law  # law is cross-cutting: a strong legal share wins over the subject it is about
        density = scores[best] / denom * 1000
        least = min(th["min_topic_score"], max(0.3, n_words / th["short_text_words"]))
        if scores[best] >= least and density >= th["min_topic_density"]:
            topic = t.topics[best]
            evidence.append(_entry("topic", "step:lexicon", density))
            _top_terms(t, "topic", best * n_langs + lang, term_hits, data, cut, evidence, extra=best * n_langs + en)
            if citations and best == law:
                evidence.append(_entry("topic", "citations", th["citation_weight"] * min(citations, th["citation_cap"]),
                                       _rule_offset(t, rule["citations"], window, cut)))
            for name, weight in priors:
                evidence.append(_entry("topic", name, weight))
        else:
            topic = t.unknown
            evidence.append(_entry("topic", f"no_signal:best={t.topics[best]}", scores[best]))
    t_index = t.topics.index(topic) if topic in t.topics else None
    topic_runner, topic_margin = _runner_up(scores, t_index, t.topics, denom)
    return topic, fmt, evidence, topic_runner, topic_margin, format_runner, format_margin


def _law_corroborated(t, th, term_hits, col, en_col, citations, n_words, density) -> bool:
    """Whether law lexicon points come from enough different terms, enough of them strong, densely.

    A text of n words needs min(law_min_terms, max(law_min_terms_short, n / law_words_per_term))
    different law terms, law_min_strong_terms (none below law_strong_words words) of weight
    law_strong_weight or more,
    and law_min_density points per 1000 words; each citation counts as a strong term."""
    distinct = strong = 0
    for pid in term_hits:
        for c, w in t.meta[pid][1]:
            if c == col or c == en_col:
                distinct += 1
                strong += w >= th["law_strong_weight"]
                break
    cited = min(citations, th["citation_cap"])
    distinct, strong = distinct + cited, strong + cited
    need_terms = min(th["law_min_terms"], max(th["law_min_terms_short"], n_words / th["law_words_per_term"]))
    need_strong = th["law_min_strong_terms"] if n_words >= th["law_strong_words"] else 0
    return distinct >= need_terms and strong >= need_strong and density >= th["law_min_density"]


def _rule_offset(t, i: int, window: str, cut: int) -> int | None:
    """Document offset of rule ``i``'s first match (Python ``re`` on the window, for evidence only)."""
    found = t.rule_res[i].search(window)
    if found is None:
        return None
    start = found.start()
    return cut + start - HEAD_CHARS - 1 if cut >= 0 and start > HEAD_CHARS else start


def _top_terms(t, label, col, term_hits, data, cut, evidence, extra=None, limit=3):
    """The terms that gave column ``col`` most points, with their first offsets."""
    found = []
    for pid, (count, first) in term_hits.items():
        for c, w in t.meta[pid][1]:
            if c == col or (extra is not None and c == extra):
                found.append((count * w, first, pid))
    found.sort(key=lambda x: (-x[0], x[1]))
    for weight, first, pid in found[:limit]:
        evidence.append(_entry(label, f"term:{t.term_names[pid]}", weight, _offset(data, first, cut)))


def _format_by_cues(t, th, window, fmt_scores, rule_count, rule, newlines, n_words, denom, legal_score, feats,
                    topic_scores, law, first_person, term_hits, data, cut, evidence) -> str:
    """Format from word cues and line counts, when no cascade step decided (thresholds in decision.yaml)."""
    F = t.formats.index
    listicle, faq, listing, legal, notice = F("listicle"), F("faq"), F("content_listing"), F("legal_document"), F("legal_notices")
    numbered = rule_count[rule["numbered"]]
    title_re, title_chars = t.openings["title_listicle"]
    fmt_scores[listicle] += th["listicle_per_line"] * min(numbered, th["listicle_lines_cap"]) + (
        th["listicle_title"] if title_re.match(window[:title_chars]) else 0)
    fmt_scores[faq] += th["faq_per_question"] * min(rule_count[rule["question"]], th["faq_questions_cap"])
    if newlines >= th["listing_min_lines"] and n_words < th["listing_words_per_line"] * newlines:
        fmt_scores[listing] += th["listing_per_line"] * newlines  # many short lines: menus, link lists
    if legal_score >= th["legal_structure_cue_min"] and feats["law_density"] >= th["legal_structure_cue_density"]:
        fmt_scores[legal] += 2 * legal_score
    law_score = topic_scores[law]
    if (fmt_scores[legal] < max(th["legal_cue_min"], th["legal_cue_density"] * denom) or law_score < th["legal_cue_law_min"]
            or (legal_score < th["legal_cue_structure_min"] and n_words >= th["legal_cue_structure_words"])
            or (n_words > th["law_share_min_words"] and law_score < th["law_share"] * max(topic_scores))):
        fmt_scores[legal] = 0.0  # drafting words alone ("shall", "the parties") are common on the web
    elif fmt_scores[notice] >= th["notice_share"] * fmt_scores[legal]:
        fmt_scores[notice] += fmt_scores[legal]  # terms of use are drafted like contracts but are notices
        fmt_scores[legal] = 0.0
    if fmt_scores[notice] < max(th["notice_min"], th["notice_density"] * denom):
        fmt_scores[notice] = 0.0
    best = fmt_scores.index(max(fmt_scores))
    if fmt_scores[best] >= max(th["min_format_score"], th["format_cue_density"] * denom):
        evidence.append(_entry("format", "step:cues", fmt_scores[best]))
        _top_terms(t, "format", t.format_base + best, term_hits, data, cut, evidence)
        return t.formats[best]
    rate = first_person / denom
    if rate > th["first_person_blog"]:
        evidence.append(_entry("format", "step:first_person", rate * 1000))
        return "personal_blog"
    evidence.append(_entry("format", "step:third_person", rate * 1000))
    return "knowledge_article"


def classify_many(texts, urls=None, sources=None) -> list[tuple]:
    """One result tuple (see ``classify_one``) per document; null text gives null labels."""
    n = len(texts)
    urls = urls if urls is not None else [None] * n
    sources = sources if sources is not None else [None] * n
    t = tables()
    out = []
    for i, value in enumerate(texts):
        text = _as_text(value)
        if not text or not text.strip():
            why = "no_text" if value is None else "empty_text"
            out.append((None, None, [_entry("topic", why), _entry("format", why)], None, None, None, None))
            continue
        head = text[:WINDOW_LIMIT]
        if ("\ufffd" in head or "\x00" in head) and head.count("\ufffd") + head.count("\x00") > 0.05 * len(head):
            e = [_entry("topic", "binary_or_no_words"), _entry("format", "binary_or_no_words")]
            out.append((t.unknown, t.unknown, e, None, None, None, None))
            continue
        out.append(classify_one(text, _as_text(urls[i]), _as_text(sources[i])))
    return out


def classify(text, url=None, source=None) -> tuple:
    """Result tuple of one document (see ``classify_one``)."""
    return classify_many([text], [url], [source])[0]


def _data_files():
    return tuple(topic_rules.DATA_DIR / name for name in topic_rules.FILES)


def _taxonomy():
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    tax = yaml.load((topic_rules.DATA_DIR / "taxonomy.yaml").read_text(encoding="utf-8"), Loader=loader)
    return tuple(tax["topics"]), tuple(tax["formats"]), str(tax["unknown"])


TOPICS, FORMATS, UNKNOWN = _taxonomy()


@register
class TopicInspectorV2(Inspector):
    """``topic`` and ``format`` of each document from data-held rules, with structured ``evidence``."""

    name = "topic"
    version = 2
    default = False  # opt in with --inspectors topic_v2: LegalBench 0.796 vs v1's 0.850, no faster yet
    inputs = ("text", "url", "source")
    output_schema = OUTPUT_SCHEMA
    # The runner-ups are not labels of the document (no breakdown report, no slice field): evidence.
    labels = {"topic": TOPICS + (UNKNOWN,), "format": FORMATS + (UNKNOWN,)}
    evidence_columns = ("evidence",)
    data_files = _data_files()

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """Classify every row of ``batch``; missing or null input columns count as null."""
        texts = column_values(batch, "text")
        if texts is None:
            texts = [None] * batch.num_rows
        results = classify_many(texts, column_values(batch, "url"), column_values(batch, "source"))
        columns = list(zip(*results)) if results else [()] * 7
        return {
            field.name: pa.array(list(values), field.type)
            for field, values in zip(OUTPUT_SCHEMA, columns)
        }
