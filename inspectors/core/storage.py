"""Byte access to shards wherever they live: local paths directly, anything else through fsspec.

fsspec gives ``http(s)://`` (range requests) and ``hf://`` (huggingface_hub's HfFileSystem) with
the same file-object interface, so Parquet readers fetch only the column chunks they ask for.
"""

from __future__ import annotations

import os
from typing import BinaryIO

from inspectors.core.errors import BadInput


def is_remote(uri: str) -> bool:
    """True for URIs with a scheme other than ``file://``."""
    return "://" in uri and not uri.startswith("file://")


def local_path(uri: str) -> str:
    """Filesystem path of a local URI (strips ``file://``)."""
    return uri[len("file://") :] if uri.startswith("file://") else uri


def open_binary(uri: str) -> BinaryIO:
    """Open ``uri`` for reading bytes; a missing local file is the user's error."""
    if not is_remote(uri):
        path = local_path(uri)
        if not os.path.exists(path):
            raise BadInput(f"{uri} does not exist")
        return open(path, "rb")
    import fsspec

    return fsspec.open(uri, "rb").open()


def stat(uri: str) -> dict:
    """``{"size", "version"}`` of ``uri``; version is mtime locally, ETag or revision remotely."""
    if not is_remote(uri):
        info = os.stat(local_path(uri))
        return {"size": info.st_size, "version": info.st_mtime_ns}
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    info = fs.info(path)
    version = info.get("ETag") or info.get("etag") or info.get("last_commit") or info.get("blob_id")
    return {"size": info.get("size"), "version": str(version) if version else None}
