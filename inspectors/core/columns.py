"""Column mapping: where each standard document field lives in a corpus's native schema.

Standard fields are ``id``, ``text``, ``url`` and ``source``; a mapping value is a dotted path into
nested records (``metadata.url``, ``meta.pile_set_name``). Layouts of the common open corpora are
recognised from the schema; ``--text-column`` and friends override.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Candidate paths per field, most specific first. Dolma keeps the URL in metadata, the Pile the subset
# name in meta, C4/FineWeb/CulturaX use flat columns.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "raw_content", "document", "body"),
    "url": ("url", "metadata.url", "meta.url", "metadata.warc_url", "warc_url", "source_url"),
    "id": ("id", "doc_id", "document_id", "metadata.id", "meta.id"),
    "source": (
        "meta.pile_set_name",
        "meta.redpajama_set_name",
        "source",
        "metadata.source",
        "meta.source",
        "subset",
    ),
}


@dataclass(frozen=True)
class ColumnMap:
    """Dotted paths of the standard fields; a missing optional field maps to ``None``."""

    text: str | None
    url: str | None = None
    id: str | None = None
    source: str | None = None
    layout: str = field(default="custom", compare=False)

    def path(self, name: str) -> str | None:
        """Dotted path of standard field ``name`` or ``None``."""
        return getattr(self, name)

    def to_dict(self) -> dict[str, str | None]:
        """Plain mapping, for provenance and cache keys."""
        return {"text": self.text, "url": self.url, "id": self.id, "source": self.source}


def detect(paths: set[str], overrides: dict[str, str | None] | None = None) -> ColumnMap:
    """Pick each field's path from the dotted ``paths`` present in a shard, then apply overrides.

    Overrides are taken as given (checked later against the shard, with an error naming it).
    """
    chosen = {}
    for name, candidates in CANDIDATES.items():
        chosen[name] = next((c for c in candidates if c in paths), None)
    for name, value in (overrides or {}).items():
        if value:
            chosen[name] = value
    return ColumnMap(layout=_layout_name(chosen, paths), **chosen)


def _layout_name(chosen: dict[str, str | None], paths: set[str]) -> str:
    if chosen["url"] == "metadata.url" or "added" in paths and "metadata" in paths:
        return "dolma"
    if chosen["source"] == "meta.pile_set_name":
        return "pile"
    if "timestamp" in paths and chosen["url"] == "url" and "id" not in paths:
        return "c4"
    return "flat"


def flatten_paths(schema_fields: dict) -> set[str]:
    """Dotted paths of every field and nested field in a JSON-like ``{name: value}`` record."""
    out: set[str] = set()

    def walk(prefix: str, value) -> None:
        out.add(prefix)
        if isinstance(value, dict):
            for key, child in value.items():
                walk(f"{prefix}.{key}", child)

    for key, value in schema_fields.items():
        walk(key, value)
    return out
