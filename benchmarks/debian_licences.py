"""Which Debian packages' text may train a model shipped in an Apache-2.0 package.

A package qualifies only when its ``/usr/share/doc/<package>/copyright`` is machine-readable (DEP-5)
and every licence named in its ``License:`` fields is in ``PERMISSIVE``. The rule is deliberately
package-wide and strict: a copyright file that names any copyleft licence (GPL, LGPL, AGPL, MPL, EPL,
CDDL...), even for files other than the translations, or that cannot be parsed, leaves the package out.
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path("/usr/share/doc")
DEP5 = "copyright-format"  # the Format: URL of a machine-readable copyright file
# DEP-5 short names, lowercased. The last group are names a package defines in its own copyright
# file; each was read and is a permissive notice (use, copy, modify, distribute, keep the notice).
PERMISSIVE = {
    "expat", "mit", "x11", "bsd-2-clause", "bsd-3-clause", "isc", "apache-2.0", "postgresql",
    "zlib", "public-domain", "cc0-1.0", "unicode", "unicode-dfs-2016", "psf-2.0", "bsl-1.0",
    # postgresql-15's own names: pg_dump's "use in any way", the Unicode table's "use freely",
    # Henry Spencer's regex licence, Tcl's BSD-style licence, two HPND-style notices (the
    # double-metaphone one also offers Perl's terms, an alternative, not a condition).
    "custom-pg_dump", "custom-unicode", "custom-regex", "tcl", "nagaysau-ishii", "double-metaphone",
}
_SPLIT = re.compile(r"\s+(?:and/or|and|or)\s+|\s*,\s*", re.I)


def licences(package: str) -> set[str] | None:
    """Every licence short name in ``package``'s DEP-5 copyright file, lowercased; None if there is
    no such file or it is not DEP-5."""
    path = DOC / package.split(":")[0] / "copyright"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if DEP5 not in text.split("\n", 1)[0]:
        return None
    names = set()
    for value in re.findall(r"^License:[ \t]*(.*)$", text, re.M):
        names.update(part.strip().lower() for part in _SPLIT.split(value.strip()) if part.strip())
    return names or None


def verdict(package: str) -> tuple[bool, str]:
    """(kept, reason): kept when every licence of the package is permissive; the reason names the
    licences (kept) or the first offending ones (left out)."""
    names = licences(package)
    if names is None:
        return False, "no machine-readable copyright file"
    bad = sorted(names - PERMISSIVE)
    if bad:
        return False, "not in the allow-list: " + ", ".join(bad[:4]) + (" ..." if len(bad) > 4 else "")
    return True, " + ".join(sorted(names))
