"""Downloads for ``depmin wheelhouse``: a file copied or fetched, its sha256 checked before it appears."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from depmin._backend.resolvers import OFFLINE_HINT
from depmin.errors import ToolError

__all__ = ["fetch"]


def fetch(url: str, target: Path, sha256: str, *, timeout: float = 300.0) -> int:
    """Copy or download ``url`` to ``target``, checking its sha256 before the file appears.

    ``url`` is an ``https://`` URL, a ``file://`` URL or a local path. Returns the size in bytes.
    Raises :class:`ToolError` on a network failure or a hash mismatch (the target is not written).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as sink, _open(url, timeout) as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise ToolError(
                f"{url}: sha256 {digest.hexdigest()} does not match the lock's {sha256}; "
                "the index serves another file: re-lock, or check the index"
            )
        Path(temporary).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
    return size


def _open(url: str, timeout: float) -> BinaryIO:
    parsed = urllib.parse.urlparse(url)
    try:
        if parsed.scheme in ("http", "https"):
            response: BinaryIO = urllib.request.urlopen(url, timeout=timeout)
            return response
        path = urllib.request.url2pathname(parsed.path) if parsed.scheme == "file" else url
        return Path(path).open("rb")
    except (OSError, urllib.error.URLError) as exc:
        raise ToolError(f"cannot fetch {url} ({getattr(exc, 'reason', exc)}); {OFFLINE_HINT}") from None
