"""Short text per language from Unicode CLDR, as the ``babel`` wheel carries it (training text for
``build_language_udhr.py``).

Babel is BSD-3-Clause; its locale data is CLDR's, under the Unicode License (permissive). Read: the
names of languages, territories, scripts, variants and currencies, month and day names, unit names
and unit patterns ("{0} hours", number slot removed), of each base locale (``fr``, ``sr_Latn``; no
territory variants). Only the locale's own data is read, never inherited: babel merges parent
locales into shared dictionaries, so a locale's merged view can carry another locale's strings.
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator

KEYS = ("languages", "territories", "scripts", "variants", "currency_names", "months", "days",
        "unit_patterns", "unit_display_names", "measurement_systems")
MIN_STRINGS = 50  # fewer: a stub locale (a few names), too little to stand for its language


def _strings(node) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def locale_strings(identifier: str, normalize: Callable[[str], str]) -> set[str]:
    """The normalized strings of one locale's own CLDR data that read as text (>= 3 characters,
    mostly letters)."""
    from babel import localedata

    data = localedata.load(identifier, merge_inherited=False)
    out = set()
    for key in KEYS:
        for text in _strings(data.get(key, {})):
            text = " ".join(re.sub(r"\{\d\}", " ", text).split())
            if len(text) >= 3 and sum(c.isalpha() for c in text) > 0.6 * len(text):
                out.add(normalize(text))
    return out


def cldr_strings(codes: set[str], code_of: Callable[[str], str],
                 normalize: Callable[[str], str]) -> dict[str, list[str]]:
    """Reported code -> sorted CLDR strings, for the codes of ``codes`` with >= MIN_STRINGS of them.

    Strings equal to an English one (untranslated names) are dropped for every language but English.
    """
    from babel import localedata

    english = locale_strings("en", normalize)
    per: dict[str, set[str]] = defaultdict(set)
    for identifier in localedata.locale_identifiers():
        parts = identifier.split("_")
        if identifier == "root" or len(parts) > 2 or (len(parts) == 2 and len(parts[1]) != 4):
            continue  # territory variants repeat their base locale
        code = code_of(parts[0])
        if code in codes:
            per[code] |= locale_strings(identifier, normalize)
    out = {code: sorted(s if code == "en" else s - english) for code, s in per.items()}
    return {code: s for code, s in out.items() if len(s) >= MIN_STRINGS}


def lines(strings: list[str], n: int, lo: int, hi: int, rng: random.Random) -> list[str]:
    """``n`` training lines of random strings joined by spaces, log-uniform target lengths
    ``lo``-``hi`` characters (as the declaration's spans)."""
    out = []
    for _ in range(n):
        target = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        parts, size = [], 0
        while size < target:
            part = rng.choice(strings)
            parts.append(part)
            size += len(part) + 1
        out.append(" ".join(parts))
    return out
