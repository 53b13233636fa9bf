"""Test servers on 127.0.0.1: a range-capable file server that counts the bytes it serves, with fault
injection, and a Hugging Face hub stand-in answering the routes ``huggingface_hub`` and corpuscope use.

Hub routes (the same ones the real hub answers, see ``huggingface_hub.hf_api``):
``GET /api/datasets/ORG/NAME[/revision/REV]`` (repo info), ``GET /api/datasets/ORG/NAME/tree/REV[/PATH]``
(listing, ``?recursive=``), ``POST /api/datasets/ORG/NAME/paths-info/REV`` (path info) and
``HEAD|GET /datasets/ORG/NAME/resolve/REV/PATH`` which, like the hub, answers ``302`` to a content URL
with ``X-Repo-Commit``, ``X-Linked-Etag`` and ``X-Linked-Size``; the content URL serves byte ranges.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit


@dataclass
class HubRepo:
    """A fixture dataset repository: ``files`` maps a path in the repo to a local file."""

    repo_id: str
    files: dict[str, Path]
    sha: str = "0123456789abcdef0123456789abcdef01234567"
    branches: tuple[str, ...] = ("main",)
    gated: bool = False


@dataclass
class Log:
    """What the server saw: every request and the body bytes it sent."""

    requests: list[dict] = field(default_factory=list)
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.bytes_sent = 0

    def count(self, method: str | None = None, path_contains: str = "") -> int:
        return sum(1 for r in self.requests if (method is None or r["method"] == method) and path_contains in r["path"])


class TestServer:
    """Serve ``root`` under ``/files/`` and the ``repos`` under the hub routes, on 127.0.0.1."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, root: Path | None = None, repos: list[HubRepo] | None = None, ranges: bool = True):
        self.root = Path(root) if root else None
        self.repos = {r.repo_id: r for r in repos or []}
        self.ranges = ranges
        self.log = Log()
        # path -> list of actions consumed one per request: "503", "429", "drop", "sleep:S", "401", ...
        self.faults: dict[str, list[str]] = {}
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def file_url(self, relative: str) -> str:
        return f"{self.url}/files/{quote(relative)}"

    def fault(self, path_contains: str, *actions: str) -> None:
        self.faults.setdefault(path_contains, []).extend(actions)

    def take_fault(self, path: str) -> str | None:
        for key, actions in self.faults.items():
            if key in path and actions:
                return actions.pop(0)
        return None

    def __enter__(self) -> "TestServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietServer(ThreadingHTTPServer):
    """A threading server that does not print a traceback when a client hangs up early."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
            super().handle_error(request, client_address)


def _blob_id(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_ref: TestServer

    def log_message(self, *args) -> None:  # quiet
        pass

    # plumbing
    def _record(self, status: int) -> None:
        with self.server_ref.log.lock:
            self.server_ref.log.requests.append(
                {"method": self.command, "path": self.path, "range": self.headers.get("Range"), "status": status}
            )

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False) -> None:
        self._record(status)
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
            with self.server_ref.log.lock:
                self.server_ref.log.bytes_sent += len(body)

    def _json(self, payload, status: int = 200, headers: dict | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})},
                   head=self.command == "HEAD")

    def _fault(self) -> bool:
        action = self.server_ref.take_fault(self.path)
        if action is None:
            return False
        if action.startswith("sleep:"):
            time.sleep(float(action.split(":", 1)[1]))
            return False
        if action == "drop":
            return False  # handled while sending the body
        self._send(int(action), b"fault", {"Retry-After": "0"})
        return True

    # routes
    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        path = urlsplit(self.path).path
        drop = self.command == "GET" and any(
            k in self.path and a and a[0] == "drop" for k, a in self.server_ref.faults.items())
        if drop:
            self.server_ref.take_fault(self.path)
        elif self._fault():
            return
        if path.startswith("/files/") and self.server_ref.root is not None:
            return self._serve_file(self.server_ref.root / unquote(path[len("/files/"):]), {}, drop)
        if path.startswith("/cdn/"):
            repo_id, rev, inner = unquote(path[len("/cdn/"):]).split("|", 2)
            repo = self.server_ref.repos.get(repo_id)
            if repo and inner in repo.files:
                return self._serve_file(repo.files[inner], {"ETag": f'"{_sha256(repo.files[inner])}"'}, drop)
            return self._send(404, b"no such blob")
        match = re.match(r"^/api/datasets/([^/]+/[^/]+)(?:/(revision|tree|paths-info)/([^/]+)(/.*)?)?$", path)
        if match:
            return self._api(match.group(1), match.group(2), unquote(match.group(3) or "main"),
                             unquote((match.group(4) or "").lstrip("/")))
        match = re.match(r"^/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
        if match:
            return self._resolve(match.group(1), unquote(match.group(2)), unquote(match.group(3)))
        self._send(404, b"not found")

    def _repo(self, repo_id: str, revision: str) -> HubRepo | None:
        repo = self.server_ref.repos.get(repo_id)
        if repo is None:
            self._json({"error": "Repository not found"}, 401, {"X-Error-Code": "RepoNotFound"})
            return None
        if repo.gated and not self.headers.get("Authorization"):
            self._json({"error": "Access to dataset is restricted"}, 403, {"X-Error-Code": "GatedRepo"})
            return None
        if revision not in repo.branches and revision != repo.sha:
            self._json({"error": f"Invalid rev id: {revision}"}, 404, {"X-Error-Code": "RevisionNotFound"})
            return None
        return repo

    def _entries(self, repo: HubRepo, prefix: str, recursive: bool) -> list[dict]:
        out, folders = [], set()
        for inner, local in sorted(repo.files.items()):
            if prefix and not inner.startswith(prefix + "/"):
                continue
            rest = inner[len(prefix) + 1:] if prefix else inner
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(([prefix] if prefix else []) + parts[:depth])
                if folder not in folders and (recursive or depth == 1):
                    folders.add(folder)
                    out.append({"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(), "path": folder})
            if recursive or len(parts) == 1:
                size = local.stat().st_size
                out.append({"type": "file", "oid": _blob_id(local), "size": size, "path": inner,
                            "lfs": {"oid": _sha256(local), "size": size, "pointerSize": 134}})
        return out

    def _api(self, repo_id: str, route: str | None, revision: str, inner: str) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        if route in (None, "revision"):
            return self._json({"id": repo_id, "sha": repo.sha, "private": False, "gated": repo.gated,
                               "siblings": [{"rfilename": p} for p in sorted(repo.files)]})
        if route == "tree":
            query = parse_qs(urlsplit(self.path).query)
            recursive = query.get("recursive", ["False"])[0].lower() == "true"
            if inner and inner not in repo.files and not any(p.startswith(inner + "/") for p in repo.files):
                return self._json({"error": "not found"}, 404, {"X-Error-Code": "EntryNotFound"})
            return self._json(self._entries(repo, inner, recursive))
        # paths-info
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        try:
            wanted = json.loads(body).get("paths", [])
        except ValueError:
            wanted = parse_qs(body).get("paths", [])
        everything = self._entries(repo, "", True)
        return self._json([e for e in everything if e["path"] in wanted])

    def _resolve(self, repo_id: str, revision: str, inner: str) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        if inner not in repo.files:
            return self._json({"error": "Entry not found"}, 404, {"X-Error-Code": "EntryNotFound"})
        local = repo.files[inner]
        headers = {
            "Location": f"/cdn/{quote(repo_id + '|' + revision + '|' + inner, safe='')}",
            "X-Repo-Commit": repo.sha,
            "X-Linked-Etag": f'"{_sha256(local)}"',
            "X-Linked-Size": str(local.stat().st_size),
            "ETag": f'"{_blob_id(local)}"',
        }
        self._send(302, b"", headers, head=True)

    def _serve_file(self, local: Path, extra: dict, drop: bool) -> None:
        if not local.is_file():
            return self._send(404, b"not found")
        size = local.stat().st_size
        start, end, status = 0, size - 1, 200
        header = self.headers.get("Range")
        if header and self.server_ref.ranges:
            match = re.match(r"bytes=(\d*)-(\d*)$", header.strip())
            if match:
                if match.group(1) == "":
                    start, end = max(0, size - int(match.group(2))), size - 1
                else:
                    start = int(match.group(1))
                    end = min(size - 1, int(match.group(2))) if match.group(2) else size - 1
                status = 206
                if start >= size:
                    return self._send(416, b"", {"Content-Range": f"bytes */{size}"})
        headers = {"Accept-Ranges": "bytes" if self.server_ref.ranges else "none",
                   "ETag": f'"{int(local.stat().st_mtime_ns)}-{size}"', **extra,
                   "Content-Length": str(end - start + 1)}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        head = self.command == "HEAD"
        self._record(status)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if head:
            return
        with open(local, "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            if drop:
                remaining = remaining // 2
            try:
                while remaining > 0:
                    block = handle.read(min(65536, remaining))
                    if not block:
                        break
                    self.wfile.write(block)
                    with self.server_ref.log.lock:
                        self.server_ref.log.bytes_sent += len(block)
                    remaining -= len(block)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return
        if drop:
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.shutdown(2)
            except OSError:
                pass


def dataset_repo(repo_id: str, folder: Path, **kwargs) -> HubRepo:
    """A ``HubRepo`` holding every file under ``folder`` at its relative path."""
    files = {str(p.relative_to(folder)).replace(os.sep, "/"): p for p in sorted(folder.rglob("*")) if p.is_file()}
    return HubRepo(repo_id, files, **kwargs)
