"""Web-domain inspector: URL host, registered domain and public suffix, offline.

Uses tldextract's bundled Public Suffix List snapshot with ``suffix_list_urls=()`` and no cache
directory, so it never touches the network or the home folder.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import pyarrow as pa

from inspectors.core.registry import Inspector, column_values, register


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


# Scheme and authority ("https://user@host:80"): everything the host depends on. URLs are mostly
# unique but hosts repeat, so the parse is cached on this prefix, not on the whole URL.
_AUTHORITY = re.compile(r"[^/?#]*://[^/?#]*|[^/?#]*")


def split_authority(url: str) -> tuple[str, str]:
    """``(scheme://authority, rest)`` of ``url``, with ``http://`` assumed when it has no scheme."""
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "http://" + candidate
    end = _AUTHORITY.match(candidate).end()
    return candidate[:end], candidate[end:]


def split_url(url: str | None) -> tuple[str | None, str | None, str | None]:
    """``(host, registered_domain, suffix)`` of ``url``, lower-cased; ``None`` parts when absent."""
    if not url:
        return None, None, None
    return _host_parts(split_authority(url)[0])


@lru_cache(maxsize=65536)
def _host_parts(authority: str) -> tuple[str | None, str | None, str | None]:
    try:
        host = urlsplit(authority).hostname
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
    labels = {"host": None, "registered_domain": None, "suffix": None}

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        urls = column_values(batch, "url") or [None] * batch.num_rows
        hosts, domains, suffixes = zip(*(split_url(u) for u in urls)) if urls else ((), (), ())
        return {
            "host": pa.array(hosts, pa.string()),
            "registered_domain": pa.array(domains, pa.string()),
            "suffix": pa.array(suffixes, pa.string()),
        }
