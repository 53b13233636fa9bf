"""Query parameters set to a label value its inspector can never emit.

A slice asking for ``language = $language`` with ``xx-nonsense`` counts 0%, which reads as "none" when it
means "cannot tell" (issue 13). The closed value sets come from the inspectors' own ``labels``
(``registry.label_owners``), so this module names no built-in.
"""

from __future__ import annotations

import re

from inspectors.core import registry

# A parameter compared with a column: ``column = $p``, ``$p = column`` or ``list_contains($p, column)``.
_COLUMN_FIRST = re.compile(r"\b(\w+)\s*=\s*\$(\w+)\b")
_PARAM_FIRST = re.compile(r"\$(\w+)\s*=\s*(\w+)\b")
_LIST = re.compile(r"\blist_contains\s*\(\s*\$(\w+)\s*,\s*(\w+)\s*\)", re.IGNORECASE)


def compared_columns(sql: str) -> dict[str, set[str]]:
    """``{parameter: columns it is compared with for equality}`` in ``sql``."""
    out: dict[str, set[str]] = {}
    for column, param in _COLUMN_FIRST.findall(sql):
        out.setdefault(param, set()).add(column)
    for pattern in (_PARAM_FIRST, _LIST):
        for param, column in pattern.findall(sql):
            out.setdefault(param, set()).add(column)
    return out


def unknown_label_notes(query, values: dict, where: str) -> list[str]:
    """One warning for each value in ``values`` (bound parameters of ``query``) that is compared with a
    closed label column and lies outside what the column's inspector can emit; ``where`` tells the
    caller's user where that inspector's values are listed."""
    owners = registry.label_owners()
    notes = []
    for param, columns in sorted(compared_columns(query.sql).items()):
        given = values.get(param)
        for column in sorted(columns):
            inspector, known = owners.get(column, (None, None))
            if known is None:
                continue
            for value in given if isinstance(given, (list, tuple)) else [given]:
                if value is not None and str(value) not in known:
                    notes.append(f"{column} {str(value)!r} (parameter {param}) is not a value {inspector} can emit, "
                                 f"so 0% there means it cannot tell, not that there is none; {where} "
                                 f"lists the {len(known)} it can emit.")
    return notes
