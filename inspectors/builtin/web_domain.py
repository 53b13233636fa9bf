"""Web-domain inspector: URL host, registered domain and public suffix, offline.

Uses tldextract's bundled Public Suffix List snapshot with ``suffix_list_urls=()`` and no cache
directory, so it never touches the network or the home folder.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import pyarrow as pa

from inspectors.core.registry import Inspector, register


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=65536)
def split_url(url: str | None) -> tuple[str | None, str | None, str | None]:
    """``(host, registered_domain, suffix)`` of ``url``, lower-cased; ``None`` parts when absent."""
    if not url:
        return None, None, None
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "http://" + candidate
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return None, None, None
    if not host:
        return None, None, None
    host = host.rstrip(".").lower()
    parts = _extractor()(host)
    registered = parts.top_domain_under_public_suffix or None
    return host, registered, parts.suffix or None


@register
class WebDomainInspector(Inspector):
    """``host``, ``registered_domain`` (eTLD+1) and ``suffix`` (public suffix) of ``url``."""

    name = "web_domain"
    version = 1
    inputs = ("url",)
    output_schema = pa.schema(
        [("host", pa.string()), ("registered_domain", pa.string()), ("suffix", pa.string())]
    )

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        urls = batch.column(batch.schema.get_field_index("url")).to_pylist()
        hosts, domains, suffixes = zip(*(split_url(u) for u in urls)) if urls else ((), (), ())
        return {
            "host": pa.array(hosts, pa.string()),
            "registered_domain": pa.array(domains, pa.string()),
            "suffix": pa.array(suffixes, pa.string()),
        }
