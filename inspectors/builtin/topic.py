"""Topic and format inspector: multilingual, explainable rules over source, URL and text.

Taxonomy: WebOrganizer's 24 topics and 24 formats (Wettig et al. 2025, "Organize the Web") as
snake_case ids, widened for legal text: topic ``law`` (legislation, courts, litigation, legal advice,
crime and justice) replaces "Crime & Law"; format ``legal_document`` (statutes, decrees, circulars,
regulations, judgments, contracts) is added; "News Article" is ``news``.

Signals, strongest first: source metadata (``source:FreeLaw``), URL host and path
(``host:thuvienphapluat.vn``), structural patterns per language (``vi:doc_number+dieu_structure``),
code structure, news datelines, and keyword lexicons in 13 languages
(``lexicon:law(en)=7.1/1000w``). Rules and word lists live in ``inspectors/data/topic/``.

Output per document: ``topic`` and ``format`` ids, ``unknown`` when the text carries no usable
signal, null when there is no text at all; ``evidence`` names the rule, host or feature that decided
each (``topic<-...; format<-...``). Long documents are read through a bounded window (first 8 KB and
4 KB from the middle). Lexicon matching runs vectorised over the whole batch with Arrow kernels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from inspectors.builtin.web_domain import split_authority
from inspectors.core.registry import Inspector, column_values, register

TOPICS = (
    "adult", "art_design", "software_development", "law", "education_jobs", "hardware",
    "entertainment", "social_life", "fashion_beauty", "finance_business", "food_dining", "games",
    "health", "history", "home_hobbies", "industrial", "literature", "politics", "religion",
    "science_tech", "software", "sports_fitness", "transportation", "travel",
)  # fmt: skip
FORMATS = (
    "academic_writing", "content_listing", "creative_writing", "customer_support",
    "comment_section", "faq", "truncated", "knowledge_article", "legal_notices", "listicle",
    "news", "nonfiction_writing", "about_org", "news_org", "about_personal", "personal_blog",
    "product_page", "qa_forum", "spam_ads", "structured_data", "documentation",
    "audio_transcript", "tutorial", "user_review", "legal_document", "source_code",
)  # fmt: skip
UNKNOWN = "unknown"

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "topic"
HEAD_CHARS, MID_CHARS, WINDOW_LIMIT = 8192, 4096, 12288
CJK_LANGS = ("zh", "ja")

# Decision thresholds (weighted lexicon hits). A topic needs both an absolute amount of evidence
# and a density, so one stray word in a long page decides nothing.
MIN_TOPIC_SCORE, MIN_TOPIC_DENSITY = 1.5, 3.0
MIN_FORMAT_SCORE = 2.5
LEGAL_STRUCT_MIN = 3
CITATION_WEIGHT = 2.0  # lexicon points per statute or case citation (at most 5 counted)
CLAUSE_LAW_DENSITY = 20  # law-lexicon hits per 1000 words for enumerated clauses to be a legal text
LAW_SHARE = 0.5

_TONE_PAIRS = [("oà", "òa"), ("oá", "óa"), ("oả", "ỏa"), ("oã", "õa"), ("oạ", "ọa"),
               ("oè", "òe"), ("oé", "óe"), ("oẻ", "ỏe"), ("oẽ", "õe"), ("oẹ", "ọe"),
               ("uỳ", "ùy"), ("uý", "úy"), ("uỷ", "ủy"), ("uỹ", "ũy"), ("uỵ", "ụy")]  # fmt: skip


def tone_variants(term: str) -> set[str]:
    """``term`` (NFC) in both Vietnamese tone placements: ``hoà``/``hòa``, ``thuỷ``/``thủy``."""
    out = {unicodedata.normalize("NFC", term)}
    for old, new in _TONE_PAIRS:
        out |= {v.replace(old, new) for v in out} | {v.replace(new, old) for v in out}
    return out


def _tone_regex(pattern: str) -> str:
    """A regex source where each Vietnamese tone-placement pair accepts either spelling."""
    pairs = {a: b for old, new in _TONE_PAIRS for a, b in ((old, new), (new, old))}
    alternation = re.compile("|".join(pairs))
    return alternation.sub(lambda m: f"(?:{m.group(0)}|{pairs[m.group(0)]})", pattern)


def _parse(term) -> tuple[str, float]:
    text, _, weight = str(term).rpartition("*") if "*" in str(term) else (str(term), "", "1")
    return text.strip().lower(), float(weight)


@dataclass
class _Tables:
    """Compiled lexicons and rules, built once per process."""

    langs: tuple[str, ...]
    n_cols: int
    uni: pa.Array            # unigram terms and bigram heads, for ``index_in``
    uni_ptr: np.ndarray      # CSR: features of unigram i are cols[ptr[i]:ptr[i+1]]
    uni_cols: np.ndarray
    uni_wts: np.ndarray
    is_head: np.ndarray      # unigram i starts some bigram term
    bi_codes: np.ndarray     # sorted ``head_id * len(uni) + tail_id`` of each two-word term
    bi_ptr: np.ndarray
    bi_cols: np.ndarray
    bi_wts: np.ndarray
    cjk_re: re.Pattern | None
    cjk_feats: dict[str, list[tuple[int, float]]]
    hosts: dict[str, dict]
    suffixes: dict[str, dict]
    paths: list[tuple[re.Pattern, dict]]
    any_path: re.Pattern
    sources: dict[str, dict]


def topic_col(topic: str, lang: str, langs: tuple[str, ...]) -> int:
    """Feature column of a topic's lexicon hits in one language."""
    return TOPICS.index(topic) * len(langs) + langs.index(lang)


@lru_cache(maxsize=1)
def tables() -> _Tables:
    """Load and compile the data files under ``inspectors/data/topic``."""
    lex = _load_yaml("lexicons.yaml")
    langs = tuple(sorted({lang for t in lex["topics"].values() for lang in t}
                         | {lang for f in lex["formats"].values() for lang in f}))
    fmt_base = len(TOPICS) * len(langs)
    sw_base = fmt_base + len(FORMATS)
    fp_col = sw_base + len(langs)
    feats: dict[str, list[tuple[int, float]]] = {}
    cjk: dict[str, list[tuple[int, float]]] = {}

    def add(term: str, col: int, weight: float, lang: str) -> None:
        # A term listed twice for one column (e.g. in both tone placements) still counts once.
        target = cjk if lang in CJK_LANGS else feats
        variants = tone_variants(term) if lang == "vi" else {term}
        variants |= {v.replace(" ", "-") for v in variants if " " in v}  # "non exclusive" -> "non-exclusive"
        for variant in variants:
            entries = target.setdefault(variant, [])
            if all(c != col for c, _ in entries):
                entries.append((col, weight))

    for topic, by_lang in lex["topics"].items():
        for lang, terms in by_lang.items():
            for raw in terms:
                term, w = _parse(raw)
                add(term, topic_col(topic, lang, langs), w, lang)
    for fmt, by_lang in lex["formats"].items():
        for lang, terms in by_lang.items():
            for raw in terms:
                term, w = _parse(raw)
                add(term, fmt_base + FORMATS.index(fmt), w, lang)
    for lang, terms in lex["stopwords"].items():
        for raw in terms:
            add(str(raw).lower(), sw_base + langs.index(lang), 1.0, lang)
    for lang, terms in lex["first_person"].items():
        for raw in terms:
            add(str(raw).lower(), fp_col, 1.0, lang)

    unis = {t: f for t, f in feats.items() if " " not in t}
    # Text is matched word by word, so only two-word phrases can match; both words get a word id
    # and a phrase is looked up by its pair of ids.
    bis = {tuple(t.split(" ")): f for t, f in feats.items() if t.count(" ") == 1}
    uni_terms = sorted(set(unis) | {w for pair in bis for w in pair})
    word_id = {w: i for i, w in enumerate(uni_terms)}
    bi_pairs = sorted(bis, key=lambda pair: word_id[pair[0]] * len(uni_terms) + word_id[pair[1]])
    uni_ptr, uni_cols, uni_wts = _csr([unis.get(t, []) for t in uni_terms])
    bi_ptr, bi_cols, bi_wts = _csr([bis[pair] for pair in bi_pairs])
    cjk_re = None
    if cjk:
        cjk_re = re.compile("|".join(re.escape(t) for t in sorted(cjk, key=len, reverse=True)))

    host_data = _load_yaml("hosts.yaml")
    hosts = dict(host_data["hosts"])
    for host in host_data.get("us_courts", []):
        hosts.setdefault(host, {"topic": "law"})
    paths = [(re.compile(p.pop("pattern")), p) for p in (dict(x) for x in host_data["paths"])]
    sources = _load_yaml("sources.yaml")
    for rule in list(hosts.values()) + list(host_data["suffixes"].values()) + list(sources.values()):
        assert rule.get("topic") in (None, *TOPICS) and rule.get("format") in (None, *FORMATS), rule
    return _Tables(
        langs=langs, n_cols=fp_col + 1,
        uni=pa.array(uni_terms, pa.string()), uni_ptr=uni_ptr, uni_cols=uni_cols, uni_wts=uni_wts,
        is_head=np.isin(np.arange(len(uni_terms)), [word_id[pair[0]] for pair in bis]),
        bi_codes=np.array([word_id[a] * len(uni_terms) + word_id[b] for a, b in bi_pairs], dtype=np.int64),
        bi_ptr=bi_ptr, bi_cols=bi_cols, bi_wts=bi_wts,
        cjk_re=cjk_re, cjk_feats=cjk, hosts=hosts, suffixes=host_data["suffixes"],
        paths=paths, any_path=re.compile("|".join(f"(?:{p.pattern})" for p, _ in paths)), sources=sources,
    )  # fmt: skip


def _csr(rows: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    cols = np.array([c for r in rows for c, _ in r], dtype=np.int64)
    wts = np.array([w for r in rows for _, w in r], dtype=np.float64)
    return ptr, cols, wts


# ---------------------------------------------------------------- structural patterns (lower-cased)

_ROMAN = r"[ivxlc]+"
_LEGAL_GATE = re.compile(_tone_regex(
    r"(?m)^[ \t]*(?:điều|article|artículo|articolo|artigo|art\.|статья|section|sec\.|§|artikel|المادة|مادة)"
    r"[ \t]*\(?\d|cộng hòa xã hội|\b\d{1,4}/\d{4}/[a-zđ]|\b\d+ (?:ill|f|u\. ?s|s\. ?ct|n\.e|n\.w|s\.w|s\.e"
    r"|p|a|so|cal|n\.y|l\. ?ed)\.|whereas|witness whereof|hereinafter|be it enacted|第[〇零一二三四五六七八九十百千0-9]+条"
    r"|判决书|本院认为|判決|bản án|nhân danh|bên a\b|im namen des volkes|ley \d+/\d{4}|décret n|loi n[°o]"
    r"|real decreto|федеральный закон|именем|lei n[°ºo]|decreto legislativo|delivered the opinion"
    r"|plaintiff|appellant|petitioner|licensee|the parties|\bsections? \d+[.(]|\(the [\"“]|\bclause \d"
))
_LEGAL_RULES: list[tuple[str, re.Pattern, int, int]] = [
    # (evidence name, pattern, minimum count, points)
    ("vi:national_header", re.compile(_tone_regex(
        r"(?m)^[ \t]*cộng hòa xã hội chủ nghĩa việt nam[ \t]*$|việt nam\s*[-–]?\s*độc lập\s*[-–]\s*tự do")), 1, 2),
    ("vi:doc_number", re.compile(r"\b\d{1,4}/\d{4}/[a-zđ]{1,6}\d{0,2}(?:-[a-zđ0-9]{1,10})*|\bsố:?\s*\d{1,4}[-/][a-zđ]{1,5}"), 1, 2),
    ("vi:can_cu", re.compile(r"(?m)^[ \t]*căn cứ"), 1, 1),
    ("vi:dieu_structure", re.compile(r"(?m)^[ \t]*điều \d+[a-zđ]?[.:]"), 3, 2),
    ("vi:chuong", re.compile(rf"(?m)^[ \t]*(?:chương|mục|phần thứ) (?:{_ROMAN}|\d+|[a-zđ]+)"), 1, 1),
    ("vi:judgment", re.compile(_tone_regex(r"bản án số|nhân danh nước cộng hòa|xét thấy|tòa án nhân dân|hội đồng xét xử")), 2, 2),
    ("vi:contract", re.compile(r"(?m)^[ \t]*bên [ab]\b|hợp đồng số|các bên thỏa thuận|các bên thoả thuận"), 2, 2),
    ("vi:issuer", re.compile(r"(?m)^[ \t]*(?:luật|bộ luật|nghị định|thông tư|quyết định|nghị quyết|pháp lệnh|chỉ thị|sắc lệnh)\s*(?:số)?\s*:?\s*\d"), 1, 1),
    ("article_structure", re.compile(
        r"(?m)^[ \t]*(?:article|artículo|articolo|artigo|art\.|статья|section|sec\.|§|artikel|المادة|مادة)"
        r"[ \t]*\(?\d+|^[ \t]*第[〇零一二三四五六七八九十百千0-9]+条"), 3, 2),
    ("case_citation", re.compile(
        r"\b\d{1,4} (?:u\. ?s\.|s\. ?ct\.|l\. ?ed\.(?: ?2d)?|f\.(?: ?2d| ?3d| ?4th| ?supp\.(?: ?2d| ?3d)?)?|"
        r"ill\.(?: ?app\.)?(?: ?2d| ?3d)?|n\.e\.(?: ?2d| ?3d)?|n\.w\.(?: ?2d)?|s\.w\.(?: ?2d| ?3d)?|s\.e\.(?: ?2d)?|"
        r"p\.(?: ?2d| ?3d)?|a\.(?: ?2d| ?3d)?|so\.(?: ?2d| ?3d)?|cal\.(?: ?app\.)?(?: ?\dth| ?2d| ?3d)?|n\.y\.(?: ?2d| ?3d)?)"
        r" \d{1,5}\b"), 2, 2),
    ("en:court_opinion", re.compile(
        r"delivered the opinion|opinion of the court|it is so ordered|plaintiffs?-appellants?|defendants?-appellees?|"
        r"petitioners?-appellants?|respondents?-appellees?|\baffirmed\b|reversed and remanded|\bdissenting\b|\bconcurring\b|"
        r"trial court|we affirm|we reverse|appellate court|circuit court|district court|supreme court"), 3, 2),
    ("en:section_refs", re.compile(
        r"\bsections? \d+(?:\.\d+)+|\bsections? \d+\([a-z0-9]+\)|\barticle [ivx]+\b|\(the [\"“][a-z]|"
        r"\bparagraph \([a-z0-9]+\)|\bclause \d+(?:\.\d+)*"), 2, 2),
    ("en:statute", re.compile(r"be it enacted|u\.s\.c\.|public law \d|\bsubsection \(|\bparagraph \(\d|as amended by"), 2, 2),
    ("en:contract", re.compile(
        r"(?m)^[ \t]*whereas\b|now,? therefore|in witness whereof|hereinafter|this agreement|\bthe parties\b|"
        r"\bparty shall\b|\bhereto\b|\bhereunder\b|\bindemnif|governing law"), 3, 2),
    ("xx:legal_heading", re.compile(
        r"第[〇零一二三四五六七八九十百千0-9]+条|判决书|本院认为|判決|主文|im namen des volkes|ley \d+/\d{4}|décret n[°o]|"
        r"loi n[°o]|real decreto|федеральный закон|именем российской федерации|lei n[°ºo]|decreto legislativo|"
        r"cour de cassation|fallamos|tribunal supremo|bundesgerichtshof|gesetz über|verordnung über|considérant que|"
        r"vistos los|sentenza n|acórdão|постановил|решил:|قانون رقم|الجريدة الرسمية"), 2, 2),
]  # fmt: skip


def _legal_groups() -> list[tuple[str, list[tuple[str, re.Pattern, int, int]]]]:
    """The legal rules in groups, each with the union of its patterns as a gate.

    Vietnamese rules other than document numbers all need a Vietnamese letter, so they share a
    gate on those letters; the rest are gated by their own union."""
    vi_letter = "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]"
    vi_worded = [r for r in _LEGAL_RULES if r[0].startswith("vi:") and r[0] != "vi:doc_number"]
    rest = [r for r in _LEGAL_RULES if r not in vi_worded]
    assert all(re.search(vi_letter, r[1].pattern) for r in vi_worded)
    return [(vi_letter, vi_worded), ("|".join(f"(?:{r[1].pattern})" for r in rest), rest)]


_LEGAL_GROUPS = _legal_groups()

_CODE_LINE = (
    r"(?m)(?:[;{}][ \t]*$|^[ \t]*(?:def |class |import |from \S+ import|#include|public |private |"
    r"function |return\b|var |const |let |if ?\(|for ?\(|while ?\(|</?(?:div|span|p|a|li|td)\b|@\w+\(|"
    r"\w+\s*=\s*\w+\(|//|/\*|\*/))"
)
_NUMBERED_LINE = r"(?m)^[ \t]*(?:\d{1,2}[.)]|#\d{1,2})[ \t]+\S"
# Statute and case citations, and the opening of a bill's long title ("To amend title 38 ...").
_CITATION = (r"§+\s*\d|\b\d+\s+U\.S\.C\.|\bC\.F\.R\.|\bF\.\s?(?:2d|3d|4th|Supp\.)|\bS\.\s?Ct\.\b"
             r"|^\s*(?:A bill |An act )?[Tt]o (?:amend|authorize|provide for|establish|require|direct|prohibit|"
             r"designate|approve|repeal)\b")
# Lettered or roman clauses, "a) …", "(b) …", "đ) …", "(iv) …": how statutes and contracts enumerate.
_LETTERED_LINE = r"(?m)^[ \t]*\(?(?:[a-zđ]|[ivx]{1,4})\)[ \t]+\S"
_QUESTION_LINE = r"(?m)\?[ \t]*$"
_LINE_RULES = {"code": _CODE_LINE, "numbered": _NUMBERED_LINE, "lettered": _LETTERED_LINE, "citations": _CITATION}
_ANY_LINE_RULE = "|".join(f"(?:{pattern})" for pattern in _LINE_RULES.values())  # flags stay in their group
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z.\- ]{1,30}(?:, [A-Z][A-Za-z. ]{1,20})?\s*\((?:AP|Reuters|AFP|UPI|CNN|dpa|EFE|ANSA|Xinhua|"
    r"TASS|RIA Novosti|Bloomberg)\)\s*[-—–:]"
    r"|[A-Z]{3,}(?: [A-Z]{3,})?(?:, [A-Z][a-z.]+)?\s*[-—–]{1,2}\s+[A-Z]"
    r"|(?:[^\W\d][^\n()]{1,30})?\((?:Dân trí|PLO|VTC News|VOV|TTXVN|NLĐO|TTO|Thanh Niên|VnExpress|Zing|Tiền Phong|"
    r"VietnamPlus|ANTĐ|Người Lao Động|CAND|GDVN|Infonet|Kinhtedothi|VOVgiaothong|Chinhphu\.vn|QĐND|SGGP|HNM)\)\s*[-–—:]"
    r"|(?:TTO|PLO|NLĐO|VTV\.vn|Zing)\s*[-–—]"
    r"|\S{2,20}(?:\s\S{2,10})?\s*(?:\d{1,2}月\d{1,2}日)?电\s*[（(]?记者)"
)
_TITLE_LISTICLE = re.compile(r"^\W*(?:top )?\d{1,2} (?:best|ways|things|reasons|tips|places|of the|ideas|must)", re.IGNORECASE)


# ------------------------------------------------------------------------------------ the function


def _window(text: str) -> str:
    if len(text) > WINDOW_LIMIT:
        mid = len(text) // 2
        text = text[:HEAD_CHARS] + "\n" + text[mid - MID_CHARS // 2 : mid + MID_CHARS // 2]
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _as_text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


_PATH = re.compile(r"[^?#]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def _url_rules(url: str | None) -> tuple[dict, str | None, dict, str | None, dict, str | None]:
    """(host rule, host evidence, path rule, path evidence, suffix rule, suffix evidence) of ``url``."""
    if not url:
        return {}, None, {}, None, {}, None
    authority, rest = split_authority(url)
    try:
        if _SCHEME.match(authority):
            host = _hostname(authority)
            # The path ends at the query or fragment; urlsplit would also drop tabs and newlines.
            path = _PATH.match(rest).group(0)
            if "\t" in path or "\r" in path or "\n" in path:
                path = path.replace("\t", "").replace("\r", "").replace("\n", "")
        else:  # not "scheme://": rare, and urlsplit decides what is host and what is path
            parts = urlsplit(authority + rest)
            host, path = (parts.hostname or "").rstrip(".").lower(), parts.path
    except ValueError:  # e.g. unbalanced IPv6 brackets: no rule applies
        return {}, None, {}, None, {}, None
    path_rule, path_ev = _path_rule(path.lower())
    host_rule, host_ev, suffix_rule, suffix_ev = _host_rules(host)
    return host_rule, host_ev, path_rule, path_ev, suffix_rule, suffix_ev


@lru_cache(maxsize=65536)
def _hostname(authority: str) -> str:
    """Lower-cased host of ``scheme://authority`` ("" if none); raises ``ValueError`` as urlsplit does."""
    return (urlsplit(authority).hostname or "").rstrip(".").lower()


MAX_HOST_CHARS = 253  # DNS's limit on a host name; longer "hosts" are cut to their trailing labels


def _host_rules(host: str) -> tuple[dict, str | None, dict, str | None]:
    """(host rule, host evidence, suffix rule, suffix evidence) of a lower-cased host name.

    Linear in the host's length: only the trailing names with at most as many labels as the longest
    table key are looked up, and a host past DNS's 253 characters is cut to the labels that fit.
    """
    if len(host) > MAX_HOST_CHARS:
        host = host[-MAX_HOST_CHARS - 1:].partition(".")[2]  # drop the label cut in two
    return _host_rules_of(host)


@lru_cache(maxsize=65536)
def _host_rules_of(host: str) -> tuple[dict, str | None, dict, str | None]:
    t = tables()
    labels = host.split(".") if host else []
    host_rule, host_ev, suffix_rule, suffix_ev = {}, None, {}, None
    for i in range(max(0, len(labels) - _key_labels(t)), len(labels)):
        name = ".".join(labels[i:])
        if name in t.hosts and not host_rule:
            host_rule, host_ev = t.hosts[name], f"host:{name}"
        if name in t.suffixes and not suffix_rule and i > 0:
            suffix_rule, suffix_ev = t.suffixes[name], f"suffix:.{name}"
    return host_rule, host_ev, suffix_rule, suffix_ev


_KEY_LABELS: dict[int, int] = {}


def _key_labels(t) -> int:
    """Most labels in any host or suffix key of the tables ``t`` (computed once per tables object)."""
    if id(t) not in _KEY_LABELS:
        _KEY_LABELS.clear()
        _KEY_LABELS[id(t)] = max((k.count(".") + 1 for k in (*t.hosts, *t.suffixes)), default=0)
    return _KEY_LABELS[id(t)]


def _path_rule(path: str) -> tuple[dict, str | None]:
    """The first path rule (in file order) that ``path`` matches, and its evidence."""
    t = tables()
    if not t.any_path.search(path):  # most paths match no rule: one search instead of one per rule
        return {}, None
    for pattern, rule in t.paths:
        found = pattern.search(path)
        if found:
            return rule, f"url_path:{found.group(0)}"
    return {}, None


def _load_yaml(name: str):
    # libyaml's C loader reads the lexicons ~10x faster than the pure-Python one (a per-process cost).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((DATA_DIR / name).read_text(encoding="utf-8"), Loader=loader)


@lru_cache(maxsize=4096)
def _source_rule(source: str | None) -> tuple[dict, str | None]:
    return source_rule(tables().sources, source)


def source_rule(rules: dict, source: str | None) -> tuple[dict, str | None]:
    """The rule of ``rules`` (source-name prefix -> labels) for a document's ``source`` (a Dolma or Pile
    source or subset name, matched on its letters and digits, longest prefix first) and its evidence."""
    if not source:
        return {}, None
    key = re.sub(r"[^0-9a-z]", "", source.lower())
    best = max((k for k in rules if key == k or key.startswith(k)), key=len, default=None)
    return (rules[best], f"source:{source}") if best else ({}, None)


def _features(windows: list[str | None]) -> tuple[np.ndarray, np.ndarray, dict, np.ndarray]:
    """Lexicon features (docs x columns), token counts, line/legal-structure counts per doc, and
    whether CJK characters make up over a fifth of each opening."""
    t = tables()
    n = len(windows)
    feats = np.zeros((n, t.n_cols))
    arr = pa.array([w or "" for w in windows], pa.string())
    low = pc.utf8_lower(arr)
    # Split on whitespace and trim punctuation off each word: 2-3x faster than a regex replace.
    # Inner punctuation stays ("e-mail"), so hyphenated forms of phrases are in the lexicon too.
    low = pc.replace_substring(pc.replace_substring(low, "'s ", " "), "’s ", " ")
    words = pc.utf8_split_whitespace(low)
    n_tokens = pc.list_value_length(words).to_numpy(zero_copy_only=False).astype(np.float64)
    flat = pc.utf8_trim(pc.list_flatten(words), _PUNCT_CHARS)
    if len(flat):
        parent = pc.list_parent_indices(words).to_numpy()
        ids = pc.index_in(flat, value_set=t.uni).fill_null(-1).to_numpy()
        pos = np.flatnonzero(ids >= 0)
        term = ids[pos]
        cells, weights = _cells(parent[pos], term, t.uni_ptr, t.uni_cols, t.uni_wts, t.n_cols)
        feats += np.bincount(cells, weights=weights, minlength=feats.size).reshape(feats.shape)
        heads = pos[t.is_head[term] & (pos + 1 < len(flat))]
        heads = heads[(parent[heads] == parent[heads + 1]) & (ids[heads + 1] >= 0)]
        if len(heads):
            codes = ids[heads].astype(np.int64) * len(t.uni) + ids[heads + 1]
            bid = np.minimum(np.searchsorted(t.bi_codes, codes), len(t.bi_codes) - 1)
            ok = t.bi_codes[bid] == codes
            cells, weights = _cells(parent[heads[ok]], bid[ok], t.bi_ptr, t.bi_cols, t.bi_wts, t.n_cols)
            # Phrase weights are added to the word sums, not summed with them: the same floats as always.
            feats += np.bincount(cells, weights=weights, minlength=feats.size).reshape(feats.shape)
    lines = {name: np.zeros(n, dtype=np.int64) for name in _LINE_RULES}
    # Most prose has none of these: one pass over the union finds the documents worth counting in.
    maybe = np.nonzero(pc.match_substring_regex(arr, _ANY_LINE_RULE).to_numpy(zero_copy_only=False))[0]
    if len(maybe):
        subset = _rows(arr, maybe)
        for name, pattern in _LINE_RULES.items():
            lines[name][maybe] = pc.count_substring_regex(subset, pattern).to_numpy(zero_copy_only=False)
    lines["question"] = pc.count_substring_regex(arr, _QUESTION_LINE).to_numpy(zero_copy_only=False)
    lines["newlines"] = np.array([w.count("\n") if w else 0 for w in windows], dtype=np.int64)
    legal = np.zeros(n, dtype=np.int64)
    legal_fired: dict[int, list[str]] = {}
    gated = np.nonzero(pc.match_substring_regex(low, _LEGAL_GATE.pattern).to_numpy(zero_copy_only=False))[0]
    gated_text = _rows(low, gated)
    for group_gate, rules in _LEGAL_GROUPS:
        # A rule can only count where its group's union matches: one pass spares the others.
        if not len(gated):
            break
        inside = np.nonzero(pc.match_substring_regex(gated_text, group_gate).to_numpy(zero_copy_only=False))[0]
        if not len(inside):
            continue
        docs, subset = gated[inside], _rows(gated_text, inside)
        for name, pattern, minimum, points in rules:
            counts = pc.count_substring_regex(subset, pattern.pattern).to_numpy(zero_copy_only=False)
            for j in np.nonzero(counts >= minimum)[0]:
                legal[docs[j]] += points + (1 if counts[j] >= 4 * minimum else 0)
                legal_fired.setdefault(int(docs[j]), []).append(name)
    order = {rule[0]: i for i, rule in enumerate(_LEGAL_RULES)}
    legal_fired = {doc: sorted(names, key=order.get) for doc, names in legal_fired.items()}
    lines["legal"] = legal
    lines["legal_fired"] = legal_fired
    # CJK text has few spaces, hence few "words" per character: only those documents are searched.
    n_chars = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
    for i in np.nonzero(n_tokens < 0.1 * n_chars + 3)[0]:
        text = windows[i]
        if not text or not _CJK_CHAR.search(text):
            continue
        for m in t.cjk_re.findall(text):
            for col, w in t.cjk_feats[m]:
                feats[i, col] += w
        n_tokens[i] += len(_CJK_CHAR.findall(text)) / 1.5
    cjk_led = _cjk_head_counts(arr, windows, n_chars) > 0.2 * np.minimum(n_chars, 2000)
    return feats, n_tokens, lines, cjk_led


def _cjk_head_counts(arr: pa.Array, windows: list[str | None], n_chars: np.ndarray) -> np.ndarray:
    """Characters matching ``_CJK_CHAR`` among the first 2000 of each window, where that can
    exceed a fifth of them; 0 elsewhere. Counted over the whole batch in a few numpy passes."""
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0] : offsets[-1]] if len(arr) else np.zeros(0, np.uint8)
    # All of _CJK_CHAR's ranges are three-byte UTF-8: decode only the three-byte sequences.
    lead = np.flatnonzero((data[:-2] & 0xF0) == 0xE0) if len(data) > 2 else np.zeros(0, np.int64)
    cp = ((data[lead].astype(np.int32) & 0x0F) << 12) | ((data[lead + 1].astype(np.int32) & 0x3F) << 6) | (data[lead + 2] & 0x3F)
    hit = lead[((cp >= 0x3040) & (cp <= 0x30FF)) | ((cp >= 0x3400) & (cp <= 0x9FFF)) | ((cp >= 0xF900) & (cp <= 0xFAFF))]
    whole = np.bincount(np.searchsorted(offsets - offsets[0], hit, side="right") - 1, minlength=len(arr))[: len(arr)]
    # The opening holds no more than the whole text: count it exactly only where the whole could pass.
    head = np.zeros(len(arr), np.int64)
    for i in np.nonzero(whole > 0.2 * np.minimum(n_chars, 2000))[0]:
        head[i] = len(_CJK_CHAR.findall(windows[i][:2000]))
    return head


_PUNCT_CHARS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»“”‘’„…–—•·°©®™§¶¡¿、。，！？：；（）「」『』【】《》"
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _rows(arr: pa.Array, index: np.ndarray) -> pa.Array:
    """Rows ``index`` (ascending) of ``arr``; ``arr`` itself when that is all of them (no copy)."""
    return arr if len(index) == len(arr) else arr.take(pa.array(index))


def _cells(docs, term, ptr, cols, wts, n_cols) -> tuple[np.ndarray, np.ndarray]:
    """Flat feature-matrix cells and weights of matched terms (CSR ``ptr``/``cols``/``wts``) in ``docs``."""
    starts, ends = ptr[term], ptr[term + 1]
    counts = ends - starts
    rows = np.repeat(docs, counts)
    offs = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    return rows * n_cols + cols[offs], wts[offs]


_KANA = re.compile(r"[\u3040-\u30ff]")
_LAW = TOPICS.index("law")
_F_LISTICLE, _F_FAQ, _F_LISTING = FORMATS.index("listicle"), FORMATS.index("faq"), FORMATS.index("content_listing")
_F_LEGAL, _F_NOTICE = FORMATS.index("legal_document"), FORMATS.index("legal_notices")


def _scores(feats: np.ndarray, lines: dict, cjk_led: np.ndarray, windows: list, t: _Tables):
    """Per document, over the whole batch: the language whose lexicon counts (index into
    ``t.langs``), the topic scores in that language and the format scores."""
    n, n_langs = len(feats), len(t.langs)
    fmt_base = len(TOPICS) * n_langs
    stop_base = fmt_base + len(FORMATS)
    by_lang = feats[:, :fmt_base].reshape(n, len(TOPICS), n_langs)
    stop = feats[:, stop_base : stop_base + n_langs]
    en_i = t.langs.index("en")
    # Most function-word hits decide; without any (short texts), most lexicon hits; else English.
    lexical = by_lang.sum(axis=1)
    fallback = np.where(lexical.max(axis=1) > 0, np.argmax(lexical, axis=1), en_i)
    lang_i = np.where(stop.max(axis=1) <= 0, fallback, np.argmax(stop, axis=1))
    # zh/ja by script when CJK dominates the opening.
    for i in np.nonzero(cjk_led)[0]:
        lang_i[i] = t.langs.index("ja" if _KANA.search(windows[i][:2000]) else "zh")
    rows = np.arange(n)
    topic_scores = by_lang[rows, :, lang_i]
    mixed = (lang_i != en_i) & (stop[:, en_i] >= 0.3 * np.maximum(stop[rows, lang_i], 1))
    topic_scores[mixed] += 0.5 * by_lang[mixed, :, en_i]  # code-mixed text: English terms count half
    # Citations of statutes ("§ 875(c)", "42 U.S.C.", "Art. 5 BGB", "Điều 5 Luật") are law in any language.
    topic_scores[:, _LAW] += CITATION_WEIGHT * np.minimum(lines["citations"], 5)
    return lang_i, topic_scores, feats[:, fmt_base : fmt_base + len(FORMATS)]


def _argmax(values: list[float]) -> int:
    return values.index(max(values))


def _decide(text, lang, topic_scores, fmt_scores, first_person, n_tok, line, url, source) -> tuple[str, str, str]:
    """``(topic, format, evidence)`` of one document from its scores, structure counts and metadata."""
    denom = max(n_tok, 50.0)
    src_rule, src_ev = _source_rule(source)
    host_rule, host_ev, path_rule, path_ev, suffix_rule, suffix_ev = _url_rules(url)
    topic = fmt = None
    topic_ev = fmt_ev = None

    # Format: structure first, then metadata, then word cues.
    legal_score, legal_fired = line["legal"], line["legal_fired"]
    law_density = topic_scores[_LAW] / denom * 1000
    code_lines, newlines = line["code"], line["newlines"] + 1
    clauses = int(line["numbered"] + line["lettered"])
    if src_rule.get("format") and src_rule.get("fixed"):
        fmt, fmt_ev = src_rule["format"], src_ev
    elif legal_score >= LEGAL_STRUCT_MIN and (law_density >= 8 or (legal_score >= 5 and law_density >= 2)):
        fmt, fmt_ev = "legal_document", "+".join(legal_fired)
    elif law_density >= CLAUSE_LAW_DENSITY and clauses >= 3:
        # A piece from the middle of a statute or contract has no header, but it still enumerates
        # clauses in dense legal vocabulary (and its ";"-ended clauses must not read as code).
        fmt, fmt_ev = "legal_document", f"clauses={clauses}+law_density={law_density:.0f}/1000w"
    elif code_lines >= 5 and code_lines >= 0.3 * newlines:
        # Mostly code is a source file; code among prose is documentation or a tutorial.
        fmt = "source_code" if code_lines >= 0.5 * newlines else "documentation"
        fmt_ev = f"code_lines={int(code_lines)}/{int(newlines)}"
        topic, topic_ev = "software_development", fmt_ev
    elif path_rule.get("format") and path_rule["format"] in ("legal_notices", "faq"):
        fmt, fmt_ev = path_rule["format"], path_ev
    elif host_rule.get("format") and not (host_rule["format"] == "legal_document" and law_density < 8):
        fmt, fmt_ev = host_rule["format"], host_ev
    elif src_rule.get("format"):
        fmt, fmt_ev = src_rule["format"], src_ev
    elif path_rule.get("format"):
        fmt, fmt_ev = path_rule["format"], path_ev
    elif _DATELINE.match(text[:300]):
        fmt, fmt_ev = "news", "dateline"
    if fmt is None:
        fmt_scores = list(fmt_scores)
        fmt_scores[_F_LISTICLE] += 1.0 * min(line["numbered"], 10) + (4 if _TITLE_LISTICLE.match(text[:120]) else 0)
        fmt_scores[_F_FAQ] += 0.7 * min(line["question"], 12)
        if newlines >= 15 and n_tok < 5 * newlines:  # many lines of a few words: menus, link lists
            fmt_scores[_F_LISTING] += 0.2 * newlines
        if legal_score >= 2 and law_density >= 15:
            fmt_scores[_F_LEGAL] += 2 * legal_score
        law_score = topic_scores[_LAW]
        if (fmt_scores[_F_LEGAL] < max(2.5, 0.015 * denom) or law_score < 1.0
                or (n_tok > 80 and law_score < LAW_SHARE * max(topic_scores))):
            # Drafting words alone ("shall", "the parties") are common on the web; ask for density.
            fmt_scores[_F_LEGAL] = 0.0
        elif fmt_scores[_F_NOTICE] >= 0.3 * fmt_scores[_F_LEGAL]:
            # Terms of use and privacy policies are drafted like contracts but talk about the site.
            fmt_scores[_F_NOTICE] += fmt_scores[_F_LEGAL]
            fmt_scores[_F_LEGAL] = 0.0
        if fmt_scores[_F_NOTICE] < max(MIN_FORMAT_SCORE, 0.012 * denom):
            fmt_scores[_F_NOTICE] = 0.0  # policy words ("information", "consent") occur on most sites
        best = _argmax(fmt_scores)
        need = max(MIN_FORMAT_SCORE, 0.004 * denom)
        if fmt_scores[best] >= need:
            fmt, fmt_ev = FORMATS[best], f"cues:{FORMATS[best]}={fmt_scores[best]:.1f}"
        elif first_person / denom > 0.025:
            fmt, fmt_ev = "personal_blog", f"default:first_person={first_person / denom * 1000:.0f}/1000w"
        else:
            fmt, fmt_ev = "knowledge_article", "default:third_person"

    # Topic: fixed metadata, legal structure, host, then lexicon with weak URL priors.
    if topic is None:
        if src_rule.get("topic") and src_rule.get("fixed"):
            topic, topic_ev = src_rule["topic"], src_ev
        elif fmt == "legal_document":
            topic, topic_ev = "law", f"format:{fmt_ev}"
        elif host_rule.get("topic"):
            topic, topic_ev = host_rule["topic"], host_ev
        elif src_rule.get("topic"):
            topic, topic_ev = src_rule["topic"], src_ev
    if topic is None:
        scores = list(topic_scores)
        best_text = max(scores)
        priors = []
        if path_rule.get("topic"):
            scores[TOPICS.index(path_rule["topic"])] += 3.0
            priors.append(path_ev)
        if suffix_rule.get("topic") and best_text > 0:
            scores[TOPICS.index(suffix_rule["topic"])] += 1.0 + 0.1 * best_text
            priors.append(suffix_ev)
        best = _argmax(scores)
        if best != _LAW and scores[_LAW] >= LAW_SHARE * scores[best]:
            # Our `law` is cross-cutting (legal advice on a mortgage, a contract about insurance):
            # a strong legal share wins over the subject matter it is about.
            best = _LAW
        density = scores[best] / denom * 1000
        # A one-sentence text cannot hold 1.5 points of evidence; ask for less, in proportion to its length.
        least = min(MIN_TOPIC_SCORE, max(0.3, n_tok / 20))
        if scores[best] >= least and density >= MIN_TOPIC_DENSITY:
            topic = TOPICS[best]
            topic_ev = f"lexicon:{topic}({lang})={density:.1f}/1000w"
            if priors:
                topic_ev += "+" + "+".join(p for p in priors if p)
        else:
            topic, topic_ev = UNKNOWN, f"no_signal:best={TOPICS[best]}({scores[best]:.1f})"
    return topic, fmt, f"topic<-{topic_ev}; format<-{fmt_ev}"


def classify_many(texts, urls=None, sources=None) -> list[tuple[str | None, str | None, str]]:
    """``(topic, format, evidence)`` for each document; the lists are aligned, any item may be None."""
    t = tables()
    n = len(texts)
    urls = urls if urls is not None else [None] * n
    sources = sources if sources is not None else [None] * n
    windows: list[str | None] = []
    for value in texts:
        text = _as_text(value)
        windows.append(_window(text) if text and text.strip() else None)
    feats, n_tokens, lines, cjk_led = _features(windows)
    lang_i, topic_scores, fmt_scores = _scores(feats, lines, cjk_led, windows, t)
    # Python floats and ints from here: per-document numpy scalars cost more than the arithmetic.
    topic_rows, fmt_rows = topic_scores.tolist(), fmt_scores.tolist()
    first_person, tokens, langs = feats[:, -1].tolist(), n_tokens.tolist(), lang_i.tolist()
    columns = {k: v.tolist() for k, v in lines.items() if k != "legal_fired"}
    fired = lines["legal_fired"]
    out = []
    for i, text in enumerate(windows):
        if text is None:
            why = "no_text" if texts[i] is None else "empty_text"
            out.append((None, None, f"topic<-{why}; format<-{why}"))
            continue
        junk = text.count("\ufffd") + text.count("\x00")
        if junk > 0.05 * len(text) or tokens[i] == 0:
            out.append((UNKNOWN, UNKNOWN, "topic<-binary_or_no_words; format<-binary_or_no_words"))
            continue
        line = {k: v[i] for k, v in columns.items()}
        line["legal_fired"] = fired.get(i, [])
        out.append(_decide(text, t.langs[langs[i]], topic_rows[i], fmt_rows[i], first_person[i], tokens[i],
                           line, _as_text(urls[i]), _as_text(sources[i])))
    return out


def classify(text: str | None, url: str | None = None, source: str | None = None) -> tuple[str | None, str | None, str]:
    """``(topic, format, evidence)`` of one document; see the module docstring for the ids."""
    return classify_many([text], [url], [source])[0]


@register
class TopicInspector(Inspector):
    """WebOrganizer-style ``topic`` and ``format`` of each document, with the deciding ``evidence``."""

    name = "topic"
    version = 1
    inputs = ("text", "url", "source")
    output_schema = pa.schema([("topic", pa.string()), ("format", pa.string()), ("evidence", pa.string())])
    labels = {"topic": TOPICS + (UNKNOWN,), "format": FORMATS + (UNKNOWN,)}
    evidence_columns = ("evidence",)
    data_files = tuple(DATA_DIR / name for name in ("lexicons.yaml", "hosts.yaml", "sources.yaml"))

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """Classify every row of ``batch``; missing or null input columns count as null."""
        texts = column_values(batch, "text")
        if texts is None:
            texts = [None] * batch.num_rows
        results = classify_many(texts, column_values(batch, "url"), column_values(batch, "source"))
        topics, formats, evidence = zip(*results) if results else ((), (), ())
        return {
            "topic": pa.array(topics, pa.string()),
            "format": pa.array(formats, pa.string()),
            "evidence": pa.array(evidence, pa.string()),
        }
