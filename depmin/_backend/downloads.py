"""Downloads for ``depmin wheelhouse``: a file copied or fetched, its sha256 checked before it appears.

Locks hold URLs with their credentials redacted (``https://***@host/…``, or none at all); a private
index is reached with the credentials of the agents.toml URL for the same host, sent as an HTTP
Basic ``Authorization`` header that is never forwarded on a redirect. Every message shows URLs
redacted.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from depmin import _files
from depmin._backend.resolvers import OFFLINE_HINT
from depmin._secrets import redact_url
from depmin.errors import ConfigError, Problem, ToolError

__all__ = ["fetch"]

_CHUNK = 1 << 20


def fetch(url: str, target: Path, sha256: str, *, timeout: float = 300.0, credentials: Iterable[str] = ()) -> int:
    """Copy or download ``url`` to ``target``, checking its sha256 before the file appears.

    ``url`` is an ``http(s)://`` URL, a ``file://`` URL or a local path; ``credentials`` are URLs
    with a ``user:password@`` part (agents.toml's indexes), the one whose host is ``url``'s is
    used. Returns the size in bytes. Raises :class:`ToolError` on a network failure or a hash
    mismatch, :class:`ConfigError` when ``target`` cannot be written; the target is not written.
    """
    try:
        handle, temporary = _files.make_temporary(target)
    except OSError as exc:
        raise _unwritable(target, exc) from None
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as sink, _open(url, timeout, tuple(credentials)) as source:
            while chunk := _read(source, url):
                digest.update(chunk)
                try:
                    sink.write(chunk)
                except OSError as exc:
                    raise _unwritable(target, exc) from None
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise ToolError(
                f"{redact_url(url)}: sha256 {digest.hexdigest()} does not match the lock's {sha256}; "
                "the index serves another file: re-lock, or check the index"
            )
        try:
            temporary.replace(target)
        except OSError as exc:
            raise _unwritable(target, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return size


def _unwritable(target: Path, exc: OSError) -> ConfigError:
    return ConfigError([Problem(str(target), f"cannot write it ({exc.strerror or exc}); check the directory")])


def _read(source: BinaryIO, url: str) -> bytes:
    try:
        return source.read(_CHUNK)
    except (OSError, http.client.HTTPException) as exc:
        raise ToolError(f"cannot fetch {redact_url(url)} ({redact_url(str(exc))}); {OFFLINE_HINT}") from None


def _open(url: str, timeout: float, credentials: tuple[str, ...]) -> BinaryIO:
    parsed = urllib.parse.urlparse(url)
    scheme = parsed.scheme.lower()
    shown = redact_url(url)
    try:
        if scheme in ("http", "https"):
            response: BinaryIO = urllib.request.urlopen(_request(parsed, credentials), timeout=timeout)
            return response
        if scheme == "file":
            return Path(urllib.request.url2pathname(parsed.path)).open("rb")
        if len(scheme) <= 1:  # a local path (a Windows drive letter parses as a scheme)
            return Path(url).open("rb")
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response's socket
        raise ToolError(f"cannot fetch {shown} (HTTP {exc.code} {exc.reason}); {OFFLINE_HINT}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a bad port, InvalidURL
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise ToolError(f"cannot fetch {shown} ({redact_url(str(reason))}); {OFFLINE_HINT}") from None
    raise ToolError(f"cannot fetch {shown}: depmin fetches only http, https and file URLs; re-lock to fix the lock")


def _request(parsed: urllib.parse.ParseResult, credentials: tuple[str, ...]) -> urllib.request.Request:
    """The request without userinfo in its URL; the matching credentials go in a header that a
    redirect to another host does not carry (``add_unredirected_header``)."""
    host = parsed.hostname or ""
    netloc = host if parsed.port is None else f"{host}:{parsed.port}"
    if ":" in host:  # an IPv6 literal
        netloc = f"[{host}]" if parsed.port is None else f"[{host}]:{parsed.port}"
    request = urllib.request.Request(parsed._replace(netloc=netloc).geturl())
    userinfo = _userinfo(parsed, credentials)
    if userinfo is not None:
        token = base64.b64encode(userinfo.encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")
    return request


def _userinfo(parsed: urllib.parse.ParseResult, credentials: tuple[str, ...]) -> str | None:
    """``user:password`` for the URL: its own (unless redacted), else that of the first credential
    URL with the same scheme, host and port."""
    own = _pair(parsed)
    if own is not None and own != "***:":
        return own
    where = (parsed.scheme.lower(), parsed.hostname, parsed.port)
    for candidate in credentials:
        other = urllib.parse.urlparse(candidate)
        found = _pair(other) if (other.scheme.lower(), other.hostname, other.port) == where else None
        if found is not None and found != "***:":
            return found
    return None


def _pair(parsed: urllib.parse.ParseResult) -> str | None:
    if parsed.username is None:
        return None
    user = urllib.parse.unquote(parsed.username)
    return f"{user}:{urllib.parse.unquote(parsed.password or '')}"
