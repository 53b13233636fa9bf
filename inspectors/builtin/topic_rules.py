"""Data of topic_v2: load and validate ``inspectors/data/topic_v2/*.yaml`` and compile one matcher.

Every lexicon term (any number of words), function word and structural rule becomes one pattern of a
single Hyperscan database, so a document's window is scanned once for all of them. Errors in the data
name the file and the key. Nothing here decides a label; ``topic_v2`` reads the matches.
"""

from __future__ import annotations

import operator
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from inspectors.builtin.topic import _tone_regex as tone_regex  # noqa: F401 - shared with v1
from inspectors.builtin.topic import tone_variants  # noqa: F401
from inspectors.core.errors import BadInput

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "topic_v2"
FILES = ("taxonomy.yaml", "lexicons.yaml", "rules.yaml", "decision.yaml", "hosts.yaml", "sources.yaml")
CJK_LANGS = ("zh", "ja")
KIND_TERM, KIND_STOP, KIND_FIRST_PERSON = 0, 1, 2

# Separators allowed between the words of a term: whitespace and ASCII punctuation.
_SEP = r"[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]+"


class DataError(BadInput):
    """A topic_v2 data file is malformed; the message names the file and the key."""


def _fail(file: str, key: str, message: str):
    raise DataError(f"topic_v2 data {file}: {key}: {message}")


def _load(name: str):
    path = DATA_DIR / name
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as error:
        _fail(name, "(file)", str(error))
    if not isinstance(data, dict):
        _fail(name, "(file)", "must be a mapping")
    return data


@dataclass
class Rule:
    """One pattern rule of ``rules.yaml``: its regex, the feature group it counts for, the matches it
    needs (``min``) and the points it adds."""

    name: str
    group: str
    regex: str
    caseless: bool
    min: int
    points: float


@dataclass
class Step:
    """One named step of the decision cascade (``decision.yaml``): when its condition holds, it sets the
    format and/or topic and names itself in the evidence."""

    name: str
    when: object  # compiled condition: callable(features) -> boolean mask over the batch
    names: tuple[str, ...]  # features named in `when`, for evidence
    format: str | None
    topic: str | None
    evidence: str


@dataclass
class Tables:
    """Everything topic_v2 needs, validated and compiled once per process."""

    topics: tuple[str, ...]
    formats: tuple[str, ...]
    unknown: str
    langs: tuple[str, ...]
    thresholds: dict[str, float]
    rules: list[Rule]
    rule_index: dict[str, int]
    openings: dict[str, tuple[re.Pattern, int]]
    format_cascade: list[Step]
    topic_cascade: list[Step]
    hosts: dict[str, dict]
    suffixes: dict[str, dict]
    paths: list[tuple[re.Pattern, dict]]
    any_path: re.Pattern | None
    sources: dict[str, dict]
    # the one-pass matcher: pattern id -> (kind, payload, byte length of a term)
    patterns: list[bytes] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    meta: list[tuple] = field(default_factory=list)
    term_names: list[str] = field(default_factory=list)
    rule_patterns: list[bytes] = field(default_factory=list)  # matched on the raw window
    rule_flags: list[int] = field(default_factory=list)
    rule_res: list[re.Pattern] = field(default_factory=list)  # the same rules in Python, for offsets
    term_cols: list[dict] = field(default_factory=list)  # pattern id -> {column: weight} ({} for a stopword)
    first_person_base: int = 0  # pattern ids from here on are first-person words (meta: kind, language, byte length)
    legal_rules: tuple[int, ...] = ()  # indices of the rules of group legal
    # The lexicon as arrays, for the batch decision: pattern id -> its (column, weight) pairs in CSR form,
    # the language of a function word (-1: a term), and per language whether a law term is listed / strong
    # (the ``_mixed`` pair: for code-mixed text, where an English law term counts too).
    w_indptr: object = None
    w_cols: object = None
    w_weights: object = None
    stop_lang: object = None
    first_person_lang: object = None  # pattern id -> language of a first-person word (-1: none)
    term_bytes: object = None  # pattern id -> byte length of the term without its spaces
    law_listed: object = None
    law_strong: object = None
    law_listed_mixed: object = None
    law_strong_mixed: object = None
    law_art: object = None  # a law term of art (weight >= law_art_weight): decides a sentence alone
    law_art_mixed: object = None

    def topic_col(self, topic: int, lang: int) -> int:
        return topic * len(self.langs) + lang

    format_base: int = 0  # first column of the format cues (after topics x languages)


def _label_ok(file, key, rule, topics, formats):
    if not isinstance(rule, dict):
        _fail(file, key, "must be a mapping with topic and/or format")
    for k in rule:
        if k not in ("topic", "format", "fixed", "pattern"):
            _fail(file, key, f"unknown field {k!r}")
    if rule.get("topic") is not None and rule["topic"] not in topics:
        _fail(file, f"{key}.topic", f"{rule['topic']!r} is not a topic of taxonomy.yaml")
    if rule.get("format") is not None and rule["format"] not in formats:
        _fail(file, f"{key}.format", f"{rule['format']!r} is not a format of taxonomy.yaml")


def _parse_term(file, key, raw) -> tuple[str, float]:
    text = str(raw)
    weight = 1.0
    if "*" in text:
        text, _, w = text.rpartition("*")
        try:
            weight = float(w)
        except ValueError:
            _fail(file, key, f"term {raw!r}: weight {w!r} is not a number")
    text = " ".join(text.strip().lower().split())
    if not text:
        _fail(file, key, f"term {raw!r} is empty")
    return text, weight


_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?$")


def _compile_condition(file, key, cond, features, thresholds, depth=0):
    """A ``when`` item as (callable(features) -> boolean mask, feature names).

    Features are numpy arrays over a batch (one value per document), so a step is evaluated for
    every document of the batch at once; plain numbers work too (a batch of one)."""
    if isinstance(cond, list):
        parts = [_compile_condition(file, f"{key}[{i}]", c, features, thresholds, depth + 1) for i, c in enumerate(cond)]
        fns = [p[0] for p in parts]
        names = tuple(n for p in parts for n in p[1])
        # The top level and every second level: all must hold; the levels between: any.
        combine = np.logical_and if depth % 2 == 0 else np.logical_or
        neutral = depth % 2 == 0

        def joined(f, fns=fns, combine=combine, neutral=neutral):
            mask = np.asarray(neutral)
            for fn in fns:
                mask = combine(mask, fn(f))
            return mask

        return joined, names
    if not isinstance(cond, str):
        _fail(file, key, f"condition {cond!r} must be a string or a list")
    words = cond.split()
    if len(words) in (1, 2) and (len(words) == 1 or words[0] == "not"):
        name = words[-1]
        if name not in features:
            _fail(file, key, f"unknown feature {name!r} (known: {', '.join(sorted(features))})")
        if len(words) == 2:
            return (lambda f, n=name: ~np.asarray(f[n], bool)), (name,)
        return (lambda f, n=name: np.asarray(f[n], bool)), (name,)
    if len(words) not in (3, 5) or words[1] not in _OPS:
        _fail(file, key, f"condition {cond!r} is not 'A OP B', 'A OP K * B', 'feature' or 'not feature'")
    lhs, op = words[0], _OPS[words[1]]
    if lhs not in features:
        _fail(file, key, f"unknown feature {lhs!r} in {cond!r}")

    def operand(word):
        if _NUMBER.match(word):
            return float(word), None
        if word in thresholds:
            return float(thresholds[word]), None
        if word in features:
            return None, word
        _fail(file, key, f"{word!r} in {cond!r} is not a number, threshold or feature")

    if len(words) == 3:
        value, feat = operand(words[2])
        if feat is None:
            return (lambda f, a=lhs, v=value: op(f[a], v)), (lhs,)
        return (lambda f, a=lhs, b=feat: op(f[a], f[b])), (lhs, feat)
    if words[3] != "*":
        _fail(file, key, f"condition {cond!r}: expected 'K * feature'")
    k, _ = operand(words[2])
    _, feat = operand(words[4])
    if k is None or feat is None:
        _fail(file, key, f"condition {cond!r}: expected a number or threshold times a feature")
    return (lambda f, a=lhs, k=k, b=feat: op(f[a], k * f[b])), (lhs, feat)


def _steps(file, key, raw, features, thresholds, topics, formats) -> list[Step]:
    if not isinstance(raw, list):
        _fail(file, key, "must be a list of steps")
    steps, seen = [], set()
    for i, step in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(step, dict) or "name" not in step or "when" not in step:
            _fail(file, where, "a step needs name and when")
        extra = set(step) - {"name", "when", "format", "topic", "evidence"}
        if extra:
            _fail(file, where, f"unknown fields {sorted(extra)}")
        if step["name"] in seen:
            _fail(file, where, f"step name {step['name']!r} is used twice")
        seen.add(step["name"])
        when = step["when"] if isinstance(step["when"], list) else [step["when"]]
        fn, names = _compile_condition(file, f"{where}.when", when, features, thresholds)
        for label, allowed in (("format", formats), ("topic", topics)):
            value = step.get(label)
            if value is not None and value not in allowed and value not in ("@source", "@host", "@path"):
                _fail(file, f"{where}.{label}", f"{value!r} is neither a {label} nor @source/@host/@path")
        if step.get("evidence", "features") not in ("legal_rules", "features", "metadata"):
            _fail(file, f"{where}.evidence", "must be legal_rules, features or metadata")
        steps.append(Step(step["name"], fn, tuple(dict.fromkeys(names)), step.get("format"), step.get("topic"),
                          step.get("evidence", "features")))
    return steps


@lru_cache(maxsize=1)
def tables() -> Tables:
    """Load, validate and compile the data files (once per process)."""
    from inspectors.builtin import topic_v2  # the feature names live beside the code computing them

    tax = _load("taxonomy.yaml")
    for k in ("topics", "formats", "unknown"):
        if k not in tax:
            _fail("taxonomy.yaml", k, "missing")
    topics, formats = tuple(tax["topics"]), tuple(tax["formats"])
    for k, values in (("topics", topics), ("formats", formats)):
        if len(set(values)) != len(values) or not all(re.fullmatch(r"[a-z_]+", str(v)) for v in values):
            _fail("taxonomy.yaml", k, "ids must be unique snake_case")
    for need in ("law", "software_development"):
        if need not in topics:
            _fail("taxonomy.yaml", "topics", f"{need!r} is required by the code")
    for need in ("legal_document", "legal_notices", "listicle", "faq", "content_listing", "news",
                 "personal_blog", "knowledge_article", "source_code", "documentation"):
        if need not in formats:
            _fail("taxonomy.yaml", "formats", f"{need!r} is required by the code")

    dec = _load("decision.yaml")
    thresholds = dec.get("thresholds")
    if not isinstance(thresholds, dict):
        _fail("decision.yaml", "thresholds", "must be a mapping of name to number")
    for k, v in thresholds.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            _fail("decision.yaml", f"thresholds.{k}", f"{v!r} is not a number")
    missing = set(topic_v2.THRESHOLDS_USED) - set(thresholds)
    if missing:
        _fail("decision.yaml", "thresholds", f"missing {sorted(missing)}")
    features = topic_v2.FEATURES
    format_cascade = _steps("decision.yaml", "format_cascade", dec.get("format_cascade"), features, thresholds, topics, formats)
    topic_cascade = _steps("decision.yaml", "topic_cascade", dec.get("topic_cascade"), features, thresholds, topics, formats)

    lex = _load("lexicons.yaml")
    for k in ("topics", "formats", "stopwords", "first_person"):
        if not isinstance(lex.get(k), dict):
            _fail("lexicons.yaml", k, "missing or not a mapping")
    for k in lex["topics"]:
        if k not in topics:
            _fail("lexicons.yaml", f"topics.{k}", "not a topic of taxonomy.yaml")
    for k in lex["formats"]:
        if k not in formats:
            _fail("lexicons.yaml", f"formats.{k}", "not a format of taxonomy.yaml")
    langs = tuple(sorted({lang for t in lex["topics"].values() for lang in t}
                         | {lang for f in lex["formats"].values() for lang in f} | set(lex["stopwords"])))
    if "en" not in langs:
        _fail("lexicons.yaml", "stopwords", "English ('en') is required as the default language")

    rules_data = _load("rules.yaml")
    rules, rule_index, rule_res = [], {}, []
    for i, raw in enumerate(rules_data.get("rules") or []):
        where = f"rules[{i}]"
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("regex"):
            _fail("rules.yaml", where, "a rule needs name and regex")
        extra = set(raw) - {"name", "group", "regex", "caseless", "tone", "min", "points"}
        if extra:
            _fail("rules.yaml", f"{where} ({raw['name']})", f"unknown fields {sorted(extra)}")
        if raw["name"] in rule_index:
            _fail("rules.yaml", f"{where} ({raw['name']})", "name used twice")
        if raw.get("group") not in ("legal", "line"):
            _fail("rules.yaml", f"{where} ({raw['name']}).group", "must be legal or line")
        minimum, points = raw.get("min", 1), raw.get("points", 0)
        if not isinstance(minimum, int) or minimum < 1:
            _fail("rules.yaml", f"{where} ({raw['name']}).min", "must be a positive integer")
        if not isinstance(points, (int, float)):
            _fail("rules.yaml", f"{where} ({raw['name']}).points", "must be a number")
        regex = tone_regex(raw["regex"]) if raw.get("tone") else raw["regex"]
        try:
            re.compile(regex)
        except re.error as error:
            _fail("rules.yaml", f"{where} ({raw['name']}).regex", str(error))
        rule_index[raw["name"]] = len(rules)
        rule_res.append(re.compile(regex, re.IGNORECASE if raw.get("caseless", True) else 0))
        rules.append(Rule(raw["name"], raw["group"], regex, raw.get("caseless", True), minimum, float(points)))
    for need in topic_v2.LINE_RULES_USED:
        if need not in rule_index or rules[rule_index[need]].group != "line":
            _fail("rules.yaml", "rules", f"line rule {need!r} is required by the code")
    openings = {}
    for k in ("dateline", "title_listicle"):
        raw = (rules_data.get("openings") or {}).get(k)
        if not isinstance(raw, dict) or "regex" not in raw:
            _fail("rules.yaml", f"openings.{k}", "missing or without regex")
        try:
            openings[k] = (re.compile(raw["regex"], re.IGNORECASE if raw.get("caseless") else 0), int(raw.get("chars", 300)))
        except re.error as error:
            _fail("rules.yaml", f"openings.{k}.regex", str(error))

    host_data = _load("hosts.yaml")
    hosts = dict(host_data.get("hosts") or {})
    for host in host_data.get("us_courts") or []:
        hosts.setdefault(str(host), {"topic": "law"})
    for name, rule in hosts.items():
        _label_ok("hosts.yaml", f"hosts.{name}", rule, topics, formats)
    suffixes = dict(host_data.get("suffixes") or {})
    for name, rule in suffixes.items():
        _label_ok("hosts.yaml", f"suffixes.{name}", rule, topics, formats)
    paths = []
    for i, raw in enumerate(host_data.get("paths") or []):
        _label_ok("hosts.yaml", f"paths[{i}]", raw, topics, formats)
        try:
            paths.append((re.compile(raw["pattern"]), {k: v for k, v in raw.items() if k != "pattern"}))
        except (KeyError, re.error) as error:
            _fail("hosts.yaml", f"paths[{i}].pattern", str(error))
    sources = _load("sources.yaml")
    for name, rule in sources.items():
        _label_ok("sources.yaml", str(name), rule, topics, formats)

    t = Tables(topics, formats, str(tax["unknown"]), langs, {k: float(v) for k, v in thresholds.items()},
               rules, rule_index, openings, format_cascade, topic_cascade, hosts, suffixes, paths,
               re.compile("|".join(f"(?:{p.pattern})" for p, _ in paths)) if paths else None, sources)
    t.rule_res = rule_res
    t.legal_rules = tuple(i for i, r in enumerate(rules) if r.group == "legal")
    t.format_base = len(topics) * len(langs)
    _build_patterns(t, lex)
    return t


def _build_patterns(t: Tables, lex: dict) -> None:
    """One pattern per distinct term spelling (features merged), stopword and rule."""
    hs = _hyperscan()

    base = hs.HS_FLAG_UTF8
    t.rule_patterns, t.rule_flags = [], []
    terms: dict[tuple[str, bool], dict[int, float]] = {}  # (spelling, is_cjk) -> {column: weight}
    names: dict[tuple[str, bool], str] = {}

    def add(spelling: str, lang: str, col: int, weight: float, display: str) -> None:
        variants = tone_variants(spelling) if lang == "vi" else {spelling}
        for v in variants:
            key = (v, lang in CJK_LANGS)
            cols = terms.setdefault(key, {})
            cols.setdefault(col, weight)  # a term listed twice for one column counts once
            names.setdefault(key, display)

    for section, index, col_of in (
        ("topics", t.topics, lambda i, lang: t.topic_col(i, t.langs.index(lang))),
        ("formats", t.formats, lambda i, lang: t.format_base + i),
    ):
        for label, by_lang in lex[section].items():
            if not isinstance(by_lang, dict):
                _fail("lexicons.yaml", f"{section}.{label}", "must map languages to term lists")
            for lang, raw_terms in by_lang.items():
                if not isinstance(raw_terms, list):
                    _fail("lexicons.yaml", f"{section}.{label}.{lang}", "must be a list of terms")
                for raw in raw_terms:
                    term, weight = _parse_term("lexicons.yaml", f"{section}.{label}.{lang}", raw)
                    add(term, lang, col_of(index.index(label), lang), weight, f"{term}({lang})")
    for key, ((spelling, cjk), cols) in enumerate(sorted(terms.items())):
        pattern = _term_regex(spelling, cjk)
        t.patterns.append(pattern)
        t.flags.append(base)
        t.meta.append((KIND_TERM, tuple(cols.items()), len(pattern.strip(b" ")) if not cjk else len(pattern) - 1))
        t.term_cols.append(dict(cols))
        t.term_names.append(names[(spelling, cjk)])
    for lang, raw_terms in lex["stopwords"].items():
        for raw in raw_terms:
            spelling = " ".join(str(raw).lower().split())
            t.patterns.append(_term_regex(spelling, lang in CJK_LANGS))
            # Function words count once per document (how many different ones occur): it picks the
            # language as well as a count would, with a match report per word instead of per token.
            t.flags.append(base | hs.HS_FLAG_SINGLEMATCH)
            t.meta.append((KIND_STOP, t.langs.index(lang), 0))
            t.term_cols.append({})
            t.term_names.append(f"{spelling}({lang})")
    # First-person words of every language are patterns of the same database (reported at every
    # match, counted for the chosen language only): a match report costs less than counting them
    # on the view afterwards.
    by_lang = {lang: words for lang, words in lex["first_person"].items()}
    for lang in by_lang:
        if lang not in t.langs:
            _fail("lexicons.yaml", f"first_person.{lang}", "no stopwords or lexicon for this language")
    t.first_person_base = len(t.patterns)
    for lang in t.langs:
        for w in by_lang.get(lang) or ():
            spelling = " ".join(str(w).lower().split())
            pattern = _term_regex(spelling, lang in CJK_LANGS)
            t.patterns.append(pattern)
            t.flags.append(base)
            t.meta.append((KIND_FIRST_PERSON, t.langs.index(lang), len(pattern.replace(b"\\", b""))))
            t.term_cols.append({})
            t.term_names.append(f"{spelling}({lang})")
    _lexicon_arrays(t)
    for rule in t.rules:
        t.rule_patterns.append(rule.regex.encode())
        t.rule_flags.append(base | (hs.HS_FLAG_CASELESS if rule.caseless else 0))


def _lexicon_arrays(t: Tables) -> None:
    """The lexicon as numpy arrays (see ``Tables``) for the batch decision of topic_v2."""
    n_langs, en = len(t.langs), t.langs.index("en")
    sizes = [len(cols) for cols in t.term_cols]
    t.w_indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    t.w_cols = np.array([c for cols in t.term_cols for c in cols], np.int64)
    t.w_weights = np.array([w for cols in t.term_cols for w in cols.values()], np.float64)
    t.term_bytes = np.array([n for _, _, n in t.meta], np.int64)
    t.stop_lang = np.array([payload if kind == KIND_STOP else -1 for kind, payload, _ in t.meta], np.int64)
    t.first_person_lang = np.array([payload if kind == KIND_FIRST_PERSON else -1 for kind, payload, _ in t.meta], np.int64)
    law, strong_weight = t.topics.index("law"), t.thresholds["law_strong_weight"]
    counted = t.thresholds["law_term_weight"]
    weight = np.full((len(t.term_cols), n_langs), np.nan)
    for pid, cols in enumerate(t.term_cols):
        for lang in range(n_langs):
            w = cols.get(t.topic_col(law, lang))
            if w is not None:
                weight[pid, lang] = w
    # A weak term ("rights", "claim", "license", "lease") adds points but corroborates nothing: a page
    # that mentions a few legal words is not about law. A negative term (tennis court) is none either.
    t.law_listed = np.nan_to_num(weight) >= counted
    t.law_strong = t.law_listed & (np.nan_to_num(weight) >= strong_weight)
    t.law_listed_mixed = t.law_listed | t.law_listed[:, [en]]
    t.law_strong_mixed = np.where(t.law_listed, t.law_strong, t.law_strong[:, [en]])
    t.law_art = t.law_listed & (np.nan_to_num(weight) >= t.thresholds["law_art_weight"])
    t.law_art_mixed = np.where(t.law_listed, t.law_art, t.law_art[:, [en]])


# The words of a term are matched on a normalised view of the window: the window lower-cased
# (Python's str.lower, one character for one), every ASCII character that is not a letter or digit (and the general
# punctuation block U+2010-U+203F: dashes, quotes, ellipses) turned into spaces, with a space on each end;
# every pattern is then a case-sensitive literal, which Hyperscan scans far faster than caseless UTF-8. A term is then the literal " w1 w2 ... ": word boundaries are spaces,
# and the words of a phrase must be separated by one space or one punctuation mark ("non-exclusive"
# is "non exclusive"; "court, of" is not "court of"). zh/ja terms are plain substrings.
NORMALISE = bytes(b if (48 <= b <= 57 or 97 <= b <= 122 or b >= 128) else (b + 32 if 65 <= b <= 90 else 32)
                  for b in range(256))
PUNCTUATION = "‐‑‒–—―‖‗‘’‚‛“”„‟†‡•‣․‥…‧‰′″‹›※‼"  # U+2010-U+203F, as the matcher maps them


def _hyperscan():
    try:
        import hyperscan
    except ImportError as error:  # a declared dependency; say what to install rather than fail obscurely
        raise BadInput(f"inspector topic_v2 needs the hyperscan package: pip install \"corpuscope[topic-v2]\" (or pip install hyperscan): {error}") from None
    return hyperscan


def _term_regex(spelling: str, cjk: bool) -> bytes:
    if cjk:
        return re.escape(spelling).encode()
    view = spelling.translate({ord(c): " " for c in PUNCTUATION}).encode().translate(NORMALISE).decode()
    words = view.split()
    if not words:
        return re.escape(spelling).encode()
    return (" " + " ".join(re.escape(w) for w in words) + " ").encode()


_local = threading.local()


def databases():
    """(words database, rules database) of ``tables()`` for this thread (scratch space is per thread)."""
    dbs = getattr(_local, "dbs", None)
    if dbs is None:
        t = tables()
        dbs = _local.dbs = (_compile(t, "words", t.patterns, t.flags, t.term_names, "lexicons.yaml"),
                            _compile(t, "rules", t.rule_patterns, t.rule_flags, [r.name for r in t.rules], "rules.yaml"))
    return dbs


_compiled: dict[tuple, bytes] = {}
_compile_lock = threading.Lock()


def _compile(t: Tables, what, patterns, flags, names, file):
    """A Hyperscan database of ``patterns``: compiled once per process, and kept on disk under
    ``$CORPUSCOPE_HOME/topic_v2/`` (keyed by the patterns, flags, Hyperscan version and machine) so
    that worker processes and later runs load it instead of compiling it again (seconds)."""
    import hyperscan as hs

    with _compile_lock:
        blob = _compiled.get((id(t), what))
        if blob is None:
            cached = _cache_path(what, patterns, flags)
            try:
                blob = cached.read_bytes()
                hs.loadb(blob, mode=hs.HS_MODE_BLOCK)  # a stale or foreign file fails here
            except Exception:  # noqa: BLE001 - no cache or not usable: compile
                blob = None
            if blob is None:
                db = hs.Database(mode=hs.HS_MODE_BLOCK)
                try:
                    db.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns),
                               flags=flags)
                except hs.error:
                    _name_bad_pattern(patterns, flags, names, file)
                    raise
                blob = hs.dumpb(db)
                _write_cache(cached, blob)
            _compiled[(id(t), what)] = blob
    db = hs.loadb(blob, mode=hs.HS_MODE_BLOCK)
    db.scratch = hs.Scratch(db)
    return db


def _cache_path(what: str, patterns: list[bytes], flags: list[int]) -> Path:
    import hashlib
    import platform

    import hyperscan as hs

    from inspectors.core import paths

    digest = hashlib.sha256()
    digest.update(f"{getattr(hs, '__version__', '?')}|{platform.machine()}|{platform.system()}".encode())
    for pattern, flag in zip(patterns, flags):
        digest.update(pattern + b"\0" + str(flag).encode() + b"\0")
    return paths.home() / "topic_v2" / f"{what}-{digest.hexdigest()[:20]}.hsdb"


def _write_cache(path: Path, blob: bytes) -> None:
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    except OSError:  # a read-only home only costs the compile next time
        pass


def _name_bad_pattern(patterns, flags, names, file) -> None:
    import hyperscan as hs

    for pattern, flag, name in zip(patterns, flags, names):
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[pattern], ids=[0], elements=1, flags=[flag])
        except hs.error as error:
            _fail(file, name, f"Hyperscan cannot compile {pattern.decode()!r}: {error}")
