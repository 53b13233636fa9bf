"""Byte access to shards wherever they live: local paths, ``http(s)://`` URLs and ``hf://`` paths.

Remote shards are read through ``RangeFile``, a seekable file object over HTTP range requests
(``requests``), chosen over fsspec's HTTP and Hugging Face file systems by measurement
(``benchmarks/RESULTS.md``): their read-ahead block caches fetch whole 5 MB blocks around every
column chunk, where pyarrow already asks for exactly the bytes it needs. Two access patterns:

* **random** (Parquet): every read is one exact range request, nothing is read ahead; the file's tail
  (the footer) is kept in memory per process, so the column-mapping probe and the data read share one
  footer fetch. A ``url``-only read transfers the footer plus the ``url`` column chunks, nothing else.
* **sequential** (JSONL, ``.gz``, ``.zst``): bounded streaming range requests whose size doubles from
  64 KiB to 16 MiB, so a row-limited read stops within one chunk of where it stopped needing bytes;
  a connection dropped mid-stream resumes from the byte it stopped at.

``hf://datasets/ORG/NAME[@REV]/path`` resolves to the hub's ``/resolve/`` route on ``HF_ENDPOINT``
(default ``https://huggingface.co``), with the user's token; the redirect to the content host is
followed once per shard and the range requests go to its target.

Faults: timeouts, dropped connections, HTTP 429 and 5xx are retried with exponential backoff
(``CORPUSCOPE_HTTP_RETRIES``, ``CORPUSCOPE_HTTP_BACKOFF`` seconds, ``CORPUSCOPE_HTTP_TIMEOUT``
seconds), then reported with the URL as ``RuntimeFailure``; 401, 403 and 404 fail at once as
``BadInput`` saying what to check. Every transfer is counted (``transfer_stats``) and its throughput
is remembered per host under the cache root, for ``corpuscope plan``'s time estimates.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, unquote, urljoin, urlsplit

from inspectors.core.errors import BadInput, RuntimeFailure

FOOTER_READ = 64 * 1024  # pyarrow's speculative footer read size
STREAM_FIRST = 64 * 1024
STREAM_MAX = 16 * 1024 * 1024
STAT_TTL = 600.0
DEFAULT_ENDPOINT = "https://huggingface.co"
RETRY_STATUS = {429, 500, 502, 503, 504}


# --------------------------------------------------------------------------------------------- URIs


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://")


def is_remote(uri) -> bool:
    """True for URIs with a scheme other than ``file://`` (``s3://…``, ``hf://…``, ``memory://…``); a local
    path that merely contains ``://`` is not one."""
    match = _SCHEME.match(str(uri))
    return bool(match) and match.group(1).lower() != "file"


def local_path(uri: str) -> str:
    """Filesystem path of a local URI (strips ``file://``)."""
    return uri[len("file://") :] if uri.startswith("file://") else uri


@dataclass(frozen=True)
class HfPath:
    """A parsed ``hf://`` path: repository type and id, revision (``None``: main) and path inside."""

    repo_type: str  # "dataset" | "model" | "space"
    repo_id: str
    revision: str | None
    path: str

    @property
    def root(self) -> str:
        """``hf://`` URI of the repository at the revision, without a path."""
        rev = f"@{quote(self.revision, safe='')}" if self.revision else ""
        prefix = "" if self.repo_type == "model" else f"{self.repo_type}s/"
        return f"hf://{prefix}{self.repo_id}{rev}"

    def resolve_url(self, endpoint: str | None = None) -> str:
        """The hub's ``/resolve/`` URL of this file."""
        endpoint = (endpoint or hf_endpoint()).rstrip("/")
        prefix = "" if self.repo_type == "model" else f"{self.repo_type}s/"
        rev = quote(self.revision or "main", safe="")
        return f"{endpoint}/{prefix}{self.repo_id}/resolve/{rev}/{quote(self.path)}"


def hf_endpoint() -> str:
    """The hub to talk to: ``$HF_ENDPOINT`` read at call time, else huggingface.co."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def parse_hf(uri: str) -> HfPath:
    """Split ``hf://datasets/ORG/NAME[@REV][/path]``; a bad shape is the user's error."""
    rest = uri[len("hf://") :].strip("/")
    parts = rest.split("/")
    kinds = {"datasets": "dataset", "spaces": "space", "models": "model"}
    repo_type = kinds.get(parts[0])
    if repo_type:
        parts = parts[1:]
    else:
        repo_type = "model"
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise BadInput(f"{uri}: an hf:// path looks like hf://datasets/ORG/NAME[@REVISION]/path-or-glob")
    name, revision = parts[1], None
    if "@" in name:
        name, revision = name.split("@", 1)
        revision = unquote(revision) or None
    return HfPath(repo_type, f"{parts[0]}/{name}", revision, "/".join(parts[2:]))


def hf_headers(token: str | None = None) -> dict[str, str]:
    """Request headers for the hub: the user's token (``HF_TOKEN`` or a saved login) and user agent."""
    try:
        from huggingface_hub.utils import build_hf_headers

        return dict(build_hf_headers(token=token, library_name="corpuscope"))
    except Exception:  # no token configured, or an old huggingface_hub
        token = token or os.environ.get("HF_TOKEN")
        return {"authorization": f"Bearer {token}"} if token else {}


# ------------------------------------------------------------------------------------ transfers


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def retries() -> int:
    """Attempts after the first for a retryable fault (``CORPUSCOPE_HTTP_RETRIES``, default 5)."""
    return int(_env_float("CORPUSCOPE_HTTP_RETRIES", 5))


def _backoff(attempt: int, retry_after: str | None = None) -> float:
    base = _env_float("CORPUSCOPE_HTTP_BACKOFF", 0.5)
    delay = min(30.0, base * (2**attempt))
    if retry_after:
        try:
            delay = max(delay, min(30.0, float(retry_after)))
        except ValueError:
            pass
    return delay


def _timeout() -> tuple[float, float]:
    read = _env_float("CORPUSCOPE_HTTP_TIMEOUT", 30.0)
    return (min(10.0, read), read)


_local = threading.local()
_lock = threading.Lock()
_STATS: dict[str, dict[str, float]] = {}


def _session():
    session = getattr(_local, "session", None)
    if session is None or getattr(_local, "pid", None) != os.getpid():
        import requests

        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session, _local.pid = session, os.getpid()
    return session


def _count(url: str, nbytes: int, seconds: float, requests_: int = 1) -> None:
    host = urlsplit(url).netloc
    _local.bytes = getattr(_local, "bytes", 0) + nbytes
    _local.requests = getattr(_local, "requests", 0) + requests_
    with _lock:
        entry = _STATS.setdefault(host, {"requests": 0, "bytes": 0, "seconds": 0.0})
        entry["requests"] += requests_
        entry["bytes"] += nbytes
        entry["seconds"] += seconds


def transfer_stats() -> dict[str, float]:
    """Requests, body bytes and seconds transferred by this process since the last reset."""
    with _lock:
        total = {"requests": 0, "bytes": 0, "seconds": 0.0}
        for entry in _STATS.values():
            for key in total:
                total[key] += entry[key]
        return total


def thread_transfer() -> tuple[int, int]:
    """``(bytes, requests)`` transferred by the calling thread so far (for per-shard accounting)."""
    return getattr(_local, "bytes", 0), getattr(_local, "requests", 0)


def reset_transfer_stats() -> None:
    """Zero the counters of ``transfer_stats`` (and forget cached footers and stats)."""
    with _lock:
        _STATS.clear()
    _TAILS.clear()
    _INFOS.clear()


def throughput_file() -> str:
    """Where measured per-host throughput is kept: ``$CORPUSCOPE_HOME/throughput.json``."""
    from inspectors.core import paths

    return str(paths.home() / "throughput.json")


def measured_throughput(host: str | None = None) -> dict | None:
    """Remembered ``{"bytes_per_s", "latency_s", "samples"}`` for ``host`` (or the best known), or None."""
    try:
        with open(throughput_file(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if host and host in data:
        return data[host]
    return None


def remember_throughput(host: str, nbytes: int, seconds: float, requests_: int) -> None:
    """Fold one transfer's bytes, time and request count into the per-host record (moving average)."""
    if requests_ <= 0 or seconds <= 0:
        return
    path = throughput_file()
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        data = {}
    # Per request: latency ≈ time of small requests; rate from bytes over time beyond latency.
    old = data.get(host) or {}
    latency = seconds / requests_ if nbytes < 64 * 1024 * requests_ else None
    rate = nbytes / seconds if nbytes >= 256 * 1024 else None
    new = dict(old)
    weight = 0.3 if old else 1.0
    if latency is not None:
        new["latency_s"] = latency if "latency_s" not in old else (1 - weight) * old["latency_s"] + weight * latency
    if rate is not None:
        new["bytes_per_s"] = rate if "bytes_per_s" not in old else (1 - weight) * old["bytes_per_s"] + weight * rate
    new["samples"] = int(old.get("samples", 0)) + 1
    data[host] = new
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-throughput-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        pass


def _fail_fast(url: str, status: int, what: str) -> BadInput:
    if status in (401, 403):
        return BadInput(
            f"{url}: HTTP {status} ({what}): access denied. Check your token (HF_TOKEN or `hf auth login`), "
            "that it may read this repository, and for a gated dataset that you accepted its terms on its page"
        )
    if status == 404:
        return BadInput(
            f"{url}: HTTP 404 ({what}): not found. Check the path, the repository name and the revision "
            "(hf://datasets/ORG/NAME@REVISION/path); a private or gated dataset also answers 404 without a token"
        )
    error = BadInput(f"{url}: HTTP {status} ({what})")
    error.status = status  # a range read tells a shard that shrank (416) from other refusals
    return error


def deadline(nbytes: int | None = None) -> float:
    """Seconds one request may take in all, ``nbytes`` of body included (not only per socket read).

    ``2 × CORPUSCOPE_HTTP_TIMEOUT`` plus the body at ``CORPUSCOPE_HTTP_MIN_RATE`` bytes/s (default
    32 KiB/s), at most ``CORPUSCOPE_HTTP_DEADLINE`` seconds (default 300): a server trickling bytes
    just fast enough to dodge the socket timeout is cut off and retried.
    """
    rate = max(1.0, _env_float("CORPUSCOPE_HTTP_MIN_RATE", 32 * 1024))
    return min(_env_float("CORPUSCOPE_HTTP_DEADLINE", 300.0), 2 * _timeout()[1] + (nbytes or 0) / rate)


class TooSlow(OSError):
    """A request (or a streamed chunk) ran past its ``deadline``."""


def _range_size(headers: dict) -> int | None:
    value = headers.get("Range", "")
    if value.startswith("bytes=") and "-" in value:
        first, _, last = value[len("bytes="):].partition("-")
        if first.isdigit() and last.isdigit():
            return int(last) - int(first) + 1
    return None


def _read_body(response, started: float, limit: float) -> None:
    """Read ``response``'s body into it (as ``requests`` would), within ``limit`` seconds of ``started``."""
    chunks = []
    raw = response.raw
    while True:
        chunk = raw.read1(1024 * 1024, decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        if time.monotonic() - started > limit:
            response.close()
            raise TooSlow(f"slower than the deadline of {limit:.0f} s")
    expected = response.headers.get("Content-Length")
    body = b"".join(chunks)
    if expected and expected.isdigit() and len(body) < int(expected):
        raise TooSlow(f"short body: {len(body)} of {expected} bytes") from None
    response._content = body
    response._content_consumed = True


_UNREACHABLE = ("NameResolutionError", "Failed to resolve", "Name or service not known", "nodename nor servname",
                "Temporary failure in name resolution", "Connection refused", "[Errno 111]", "Network is unreachable",
                "No route to host")


def unreachable(error: Exception) -> bool:
    """True when ``error`` says the host cannot be reached at all (DNS, refused, no route): no retry helps."""
    import requests

    if isinstance(error, requests.Timeout):
        return False
    return any(marker in str(error) for marker in _UNREACHABLE)


def request(method: str, url: str, headers: dict | None = None, stream: bool = False,
            allow_redirects: bool = True, what: str = "request"):
    """One HTTP request with retries on timeouts, dropped connections, short bodies, 429 and 5xx.

    Returns the response (2xx or 3xx when ``allow_redirects`` is false); unless ``stream``, its body is
    read within ``deadline()``. 401/403/404 and other 4xx raise ``BadInput`` at once; a host that
    cannot be reached (DNS, connection refused) raises ``RuntimeFailure`` at once; persistent faults
    raise ``RuntimeFailure`` naming ``url``.
    """
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error

    headers = {"Accept-Encoding": "identity", **(headers or {})}
    attempts = retries() + 1
    last = ""
    limit = deadline(_range_size(headers))
    for attempt in range(attempts):
        retry_after = None
        started = time.monotonic()
        try:
            response = _session().request(method, url, headers=headers, stream=True,
                                          allow_redirects=allow_redirects, timeout=_timeout())
            status = response.status_code
            if status < 400 and not stream and method != "HEAD":
                _read_body(response, started, limit)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                Urllib3Error, TooSlow) as error:
            if unreachable(error):
                host = urlsplit(url).hostname or url
                raise RuntimeFailure(f"{url}: cannot reach {host} (no network?): {type(error).__name__}") from None
            last = f"{type(error).__name__}: {error}"
        else:
            if status < 400:
                return response
            response.close()
            if status not in RETRY_STATUS:
                raise _fail_fast(url, status, what)
            last = f"HTTP {status}"
            retry_after = response.headers.get("Retry-After")
        if attempt + 1 < attempts:
            time.sleep(_backoff(attempt, retry_after))
    raise RuntimeFailure(f"{url}: {what} failed after {attempts} attempts ({last[:300]}); the server or network "
                         "is failing, try again later or raise CORPUSCOPE_HTTP_RETRIES / CORPUSCOPE_HTTP_TIMEOUT")


# ------------------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class RemoteInfo:
    """What a HEAD tells about a remote file: where to fetch bytes, size, ETag, hub commit."""

    uri: str
    url: str  # where range requests go (the redirect target for hub files)
    headers: tuple[tuple[str, str], ...]
    size: int | None
    etag: str | None
    commit: str | None
    fetched: float


_INFOS: dict[str, RemoteInfo] = {}


def remote_info(uri: str, refresh: bool = False) -> RemoteInfo:
    """Size, ETag and data URL of a remote ``uri`` (cached per process for ``STAT_TTL`` seconds)."""
    cached = _INFOS.get(uri)
    if cached and not refresh and time.time() - cached.fetched < STAT_TTL:
        return cached
    if uri.startswith("hf://"):
        try:
            info = _hf_info(uri)
        except BadInput as error:
            raise BadInput(f"{uri}: {error}") from None
    elif uri.startswith(("http://", "https://")):
        info = _http_info(uri)
    else:
        raise BadInput(f"{uri}: unsupported URI scheme (use a local path, http(s):// or hf://)")
    _INFOS[uri] = info
    return info


def _etag(headers) -> str | None:
    value = headers.get("X-Linked-Etag") or headers.get("ETag") or headers.get("Last-Modified")
    return value.strip('"').removeprefix('W/"') if value else None


def _http_info(uri: str) -> RemoteInfo:
    start = time.perf_counter()
    response = request("HEAD", uri, what="HEAD")
    _count(uri, 0, time.perf_counter() - start)
    size = response.headers.get("Content-Length")
    if response.status_code != 200 or size is None:
        # Some servers refuse HEAD sizes; one byte of GET carries the total in Content-Range.
        response = request("GET", uri, headers={"Range": "bytes=0-0"}, what="size probe")
        total = response.headers.get("Content-Range", "").rsplit("/", 1)[-1]
        size = total if total.isdigit() else response.headers.get("Content-Length")
        _count(uri, len(response.content), 0.0)
    return RemoteInfo(uri, response.url or uri, (), int(size) if size is not None else None,
                      _etag(response.headers), None, time.time())


def _hf_info(uri: str) -> RemoteInfo:
    hf = parse_hf(uri)
    if not hf.path:
        raise BadInput(f"{uri}: names a repository, not a file")
    url = hf.resolve_url()
    headers = hf_headers()
    start = time.perf_counter()
    # Follow same-host redirects (renamed repos) with the token; stop at the content host's.
    for _ in range(5):
        response = request("HEAD", url, headers=headers, allow_redirects=False, what="hub file metadata")
        location = response.headers.get("Location")
        if 300 <= response.status_code < 400 and location:
            target = urljoin(url, location)
            if urlsplit(target).netloc == urlsplit(url).netloc and "/resolve/" in urlsplit(target).path:
                url = target
                continue
            break
        break
    _count(url, 0, time.perf_counter() - start)
    size = response.headers.get("X-Linked-Size") or response.headers.get("Content-Length")
    commit = response.headers.get("X-Repo-Commit")
    location = response.headers.get("Location")
    if 300 <= response.status_code < 400 and location:
        data_url = urljoin(url, location)
        same_host = urlsplit(data_url).netloc == urlsplit(url).netloc
        data_headers = headers if same_host else {k: v for k, v in headers.items() if k.lower() != "authorization"}
    else:
        data_url, data_headers = url, headers
    return RemoteInfo(uri, data_url, tuple(data_headers.items()), int(size) if size else None,
                      _etag(response.headers), commit, time.time())


def stat(uri: str) -> dict:
    """``{"size", "version"}`` of ``uri``; version is mtime locally, the ETag remotely.

    Remote results also carry ``commit`` (the hub revision the file was read at, if any).
    """
    if not is_remote(uri):
        info = os.stat(local_path(uri))
        return {"size": info.st_size, "version": info.st_mtime_ns}
    info = remote_info(uri)
    return {"size": info.size, "version": info.etag, "commit": info.commit}


# ---------------------------------------------------------------------------------- file object

_TAILS: OrderedDict[tuple, tuple[int, bytes]] = OrderedDict()
_TAIL_ENTRIES = 64


def _tail_get(key, start: int, end: int) -> bytes | None:
    hit = _TAILS.get(key)
    if hit and hit[0] <= start and end <= hit[0] + len(hit[1]):
        _TAILS.move_to_end(key)
        return hit[1][start - hit[0] : end - hit[0]]
    return None


def _tail_put(key, start: int, data: bytes) -> None:
    hit = _TAILS.get(key)
    if hit and hit[0] <= start:
        return
    _TAILS[key] = (start, data)
    while len(_TAILS) > _TAIL_ENTRIES:
        _TAILS.popitem(last=False)


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over HTTP range requests (see the module docstring)."""

    def __init__(self, uri: str, sequential: bool = False):
        super().__init__()
        self._stream = None
        self.requests = 0
        self.uri = uri
        self.sequential = sequential
        self.info = remote_info(uri)
        if self.info.size is None:
            raise RuntimeFailure(f"{uri}: the server does not report the file's size; cannot range-read it")
        self.size = self.info.size
        self.pos = 0
        self._stream = None
        self._stream_pos = 0
        self._stream_end = 0
        self._stream_deadline = 0.0
        self._slow = 0
        self._chunk = STREAM_FIRST
        self._whole: bytes | None = None  # a server without range support sent everything once
        self._refreshed = False
        self.requests = 0
        self.bytes = 0
        self.seconds = 0.0
        self._key = (uri, self.info.etag, self.size)

    # io protocol
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self.pos = offset
        elif whence == 1:
            self.pos += offset
        elif whence == 2:
            self.pos = self.size + offset
        else:
            raise ValueError(f"bad whence {whence}")
        if self.pos < 0:
            raise ValueError("negative seek position")
        return self.pos

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return self.read(-1)

    def read(self, n: int = -1) -> bytes:
        if self.closed:
            raise ValueError("read of closed file")
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        if self._whole is not None:
            data = self._whole[self.pos : self.pos + n]
        elif self.sequential:
            data = self._read_stream(n)
        else:
            data = self._read_range(self.pos, self.pos + n)
        self.pos += len(data)
        return data

    def close(self) -> None:
        if not self.closed:
            self._close_stream()
            if self.requests:
                remember_throughput(urlsplit(self.info.url).netloc, self.bytes, self.seconds, self.requests)
        super().close()

    # random access: one exact range request per read, footer kept per process
    def _read_range(self, start: int, end: int) -> bytes:
        cached = _tail_get(self._key, start, end)
        if cached is not None:
            return cached
        hit = _TAILS.get(self._key)
        if hit and start < hit[0] < end <= hit[0] + len(hit[1]):
            # A column range that runs into the footer already held: fetch only the part before it.
            return self._fetch(start, hit[0]) + hit[1][: end - hit[0]]
        data = self._fetch(start, end)
        if end == self.size:
            _tail_put(self._key, start, data)
        return data

    def _fetch(self, start: int, end: int) -> bytes:
        import requests

        last = ""
        attempts = retries() + 1
        for attempt in range(attempts):
            t0 = time.perf_counter()
            response = self._get(start, end - 1, stream=False)
            try:
                data = response.content
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
                data, last = None, f"connection dropped: {type(error).__name__}"
            elapsed = time.perf_counter() - t0
            if data is not None:
                self._note(len(data), elapsed)
                if response.status_code == 200 and len(data) == self.size:
                    self._whole = data
                    return data[start:end]
                if len(data) == end - start:
                    return data
                last = f"got {len(data)} of {end - start} bytes"
            if attempt + 1 < attempts:
                time.sleep(_backoff(attempt))
        raise RuntimeFailure(f"{self.info.url}: reading bytes {start}-{end - 1} failed after {attempts} attempts ({last})")

    def _get(self, first: int, last: int | None, stream: bool):
        headers = dict(self.info.headers)
        headers["Range"] = f"bytes={first}-{'' if last is None else last}"
        try:
            response = request("GET", self.info.url, headers=headers, stream=stream, what="range read")
        except BadInput as error:
            if getattr(error, "status", None) == 416:  # the range no longer exists: the file shrank
                raise self._changed("its size changed") from None
            # A signed content-host URL expires; ask the hub for a fresh one once.
            if self._refreshed or not self.uri.startswith("hf://"):
                raise
            self._refreshed = True
            self.info = remote_info(self.uri, refresh=True)
            return self._get(first, last, stream)
        self._check_same(response)
        return response

    def _check_same(self, response) -> None:
        """Fail when ``response`` comes from another version of the file than the read began with, so
        two versions are never mixed into one result or cached under the first one's fingerprint."""
        total = response.headers.get("Content-Range", "").rsplit("/", 1)[-1]
        if response.status_code == 206 and total.isdigit() and int(total) != self.size:
            response.close()
            raise self._changed(f"its size went from {self.size} to {total} bytes")
        # The hub's content host answers with its own validators; its size is what can be compared.
        if self.uri.startswith("hf://"):
            return
        etag = _etag(response.headers)
        if etag and self.info.etag and etag != self.info.etag:
            response.close()
            raise self._changed("its ETag/Last-Modified changed")

    def _changed(self, why: str) -> RuntimeFailure:
        _INFOS.pop(self.uri, None)  # the next run stats it afresh
        return RuntimeFailure(f"shard {self.uri} changed while it was read ({why}); re-run")

    def _note(self, nbytes: int, seconds: float) -> None:
        self.requests += 1
        self.bytes += nbytes
        self.seconds += seconds
        _count(self.info.url, nbytes, seconds)

    # sequential: bounded streaming chunks of growing size, resumed after a dropped connection
    def _read_stream(self, n: int) -> bytes:
        import requests
        from urllib3.exceptions import HTTPError as Urllib3Error

        out = bytearray()
        failures = 0
        while len(out) < n:
            if self._stream is None or self._stream_pos != self.pos + len(out) or self._stream_pos >= self._stream_end:
                self._open_stream(self.pos + len(out))
            want = min(n - len(out), self._stream_end - self._stream_pos, 1024 * 1024)
            t0 = time.perf_counter()
            try:
                if time.monotonic() > self._stream_deadline:
                    raise TooSlow("slower than its deadline")
                piece = self._stream.raw.read1(want, decode_content=False)
            except TooSlow:
                # progress too slow to finish the chunk in time: resume it, but not for ever
                self._slow += 1
                self._close_stream()
                if self._slow > retries():
                    raise RuntimeFailure(f"{self.info.url}: the server sent bytes too slowly {self._slow} times "
                                         f"(under CORPUSCOPE_HTTP_MIN_RATE past the request deadline)") from None
                continue
            except (requests.RequestException, Urllib3Error, OSError) as error:
                piece, reason = b"", f"{type(error).__name__}"
            else:
                reason = "connection closed early"
            elapsed = time.perf_counter() - t0
            if piece:
                self._stream_pos += len(piece)
                out += piece
                self.bytes += len(piece)
                self.seconds += elapsed
                _count(self.info.url, len(piece), elapsed, 0)
                failures = 0
                continue
            self._close_stream()
            failures += 1
            if failures > retries():
                raise RuntimeFailure(f"{self.info.url}: stream broke at byte {self.pos + len(out)} "
                                     f"{failures} times ({reason})")
            time.sleep(_backoff(failures - 1))
        return bytes(out)

    def _open_stream(self, start: int) -> None:
        self._close_stream()
        if self._stream_end and start == self._stream_end:
            self._chunk = min(STREAM_MAX, self._chunk * 2)
        end = min(self.size, start + self._chunk)
        t0 = time.perf_counter()
        self._stream_deadline = time.monotonic() + deadline(end - start)
        response = self._get(start, end - 1, stream=True)
        self.requests += 1
        self.seconds += time.perf_counter() - t0
        _count(self.info.url, 0, time.perf_counter() - t0)
        if response.status_code == 200:  # no range support: the body is the whole file; keep it
            self._whole = response.content
            response.close()
            self._stream = _MemoryResponse(self._whole[start:])
            self._stream_pos, self._stream_end = start, self.size
            return
        self._stream, self._stream_pos, self._stream_end = response, start, end

    def _close_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:
                pass
            self._stream = None


class _MemoryResponse:
    def __init__(self, data: bytes):
        self.raw = _MemoryRaw(data)

    def close(self) -> None:
        pass


class _MemoryRaw(io.BytesIO):
    def read(self, n=-1, decode_content=False):  # noqa: ARG002 (mirrors urllib3)
        return super().read(n)

    def read1(self, n=-1, decode_content=False):  # noqa: ARG002 (mirrors urllib3)
        return super().read1(n)


# ------------------------------------------------------------------------------------- entry points


def _sequential(uri: str) -> bool:
    lower = uri.lower().split("?", 1)[0]
    return not lower.endswith((".parquet", ".pq"))


def open_binary(uri: str, sequential: bool | None = None) -> BinaryIO:
    """Open ``uri`` for reading bytes; a missing local file is the user's error.

    Remote files are range-read; ``sequential`` (default: true unless the name ends in ``.parquet``)
    selects streaming read-ahead over exact ranges.
    """
    if not is_remote(uri):
        path = local_path(uri)
        if not os.path.exists(path):
            raise BadInput(f"{uri} does not exist")
        return open(path, "rb")
    return RangeFile(uri, _sequential(uri) if sequential is None else sequential)


def read_bytes(uri: str) -> bytes:
    """The whole content of a (small) file: a URL list, a catalogue file."""
    with open_binary(uri, sequential=True) as handle:
        return handle.read()
