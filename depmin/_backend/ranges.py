"""A byte range of a locked file: an HTTP ``Range`` request, or a seek in a local file.

The layer planner reads a wheel's central directory from its tail (:mod:`depmin.locking.installed`)
instead of downloading it. A server that ignores ``Range`` (answers 200 with the whole file) is
refused rather than read to the end: the caller falls back to the wheel's download size.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from depmin._secrets import redact_url
from depmin.errors import ToolError

__all__ = ["read_range"]


def read_range(url: str, start: int, end: int, *, timeout: float = 20.0) -> bytes:
    """Bytes ``[start, end)`` of ``url`` (http, https or file); :class:`ToolError` when they cannot be had."""
    parsed = urllib.parse.urlparse(url)
    scheme = parsed.scheme.lower()
    shown = redact_url(url)
    try:
        if scheme == "file":
            with Path(urllib.request.url2pathname(parsed.path)).open("rb") as handle:
                handle.seek(start)
                return handle.read(end - start)
        if scheme in ("http", "https") and parsed.username is None:
            request = urllib.request.Request(url, headers={"Range": f"bytes={start}-{end - 1}"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status != 206:
                    raise ToolError(f"{shown}: the server does not answer byte ranges (HTTP {response.status})")
                data: bytes = response.read(end - start + 1)
                return data[: end - start]
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ToolError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise ToolError(f"cannot read {shown} ({redact_url(str(exc))})") from None
    raise ToolError(f"{shown}: depmin reads byte ranges only of http, https and file URLs without credentials")
