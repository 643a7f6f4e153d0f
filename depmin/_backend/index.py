"""Is a distribution on an index? One bounded PEP 691 query per name and index, cached on disk.

``depmin lock`` asks this for every guessed distribution before resolving, so a name that does not
exist fails at once, as itself, instead of as a resolver conflict minutes later. The query is
``GET <index>/<name>/`` with the PEP 691 JSON ``Accept`` header (an HTML index answers too); 200 means
the name exists, 404 (or 410) that it does not; anything else (no network, a timeout, a server
error) is "unknown" and the caller skips the check with a note. A name found is cached for good
(names are not taken back), a missing one for an hour (it may be published meanwhile). The cache
holds index URLs with their credentials redacted.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from depmin import _files
from depmin._backend.downloads import _request
from depmin._secrets import redact_url

__all__ = ["DEFAULT_INDEX", "IndexNames"]

# The resolvers' default too: depmin runs them without UV_/PIP_ index settings.
DEFAULT_INDEX = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
MISSING_TTL = 3600.0  # seconds a "not on the index" answer is trusted
CACHE_NAME = "index-names.json"
_CACHE_SCHEMA = "depmin.index-names/1"


class IndexNames:
    """Answers :meth:`exists` for distribution names; thread-safe, one query per (index, name) per run.

    ``cache_dir`` (None: no disk cache) holds ``index-names.json``; :meth:`save` writes it back.
    ``unreachable`` collects one line per index that could not be asked.
    """

    def __init__(self, cache_dir: Path | None, *, timeout: float = 10.0) -> None:
        self.path = cache_dir / CACHE_NAME if cache_dir is not None else None
        self.timeout = timeout
        self.unreachable: dict[str, str] = {}  # redacted index URL -> why
        self._guard = threading.Lock()
        self._memo: dict[tuple[str, str], bool | None] = {}
        self._disk = self._load()
        self._dirty = False

    def exists(self, name: str, indexes: Iterable[str]) -> bool | None:
        """True when one of ``indexes`` lists ``name``, False when every one says it has no such
        project, None when one could not be asked (and none had it)."""
        unknown = False
        for index in indexes:
            found = self._ask(index, name)
            if found:
                return True
            unknown = unknown or found is None
        return None if unknown else False

    def _ask(self, index: str, name: str) -> bool | None:
        key = (redact_url(index.rstrip("/")), name)
        with self._guard:
            if key in self._memo:
                return self._memo[key]
            cached = self._disk.get(f"{key[0]} {name}")
        if isinstance(cached, dict):
            seen, when = cached.get("exists"), cached.get("time")
            if seen is True or (seen is False and isinstance(when, float) and time.time() - when < MISSING_TTL):
                with self._guard:
                    self._memo[key] = seen
                return seen
        with self._guard:
            if key[0] in self.unreachable:  # asked once already: the others would wait as long
                return None
        found = self._query(index, name)
        with self._guard:
            self._memo[key] = found
            if found is not None:
                self._disk[f"{key[0]} {name}"] = {"exists": found, "time": time.time()}
                self._dirty = True
        return found

    def _query(self, index: str, name: str) -> bool | None:
        url = f"{index.rstrip('/')}/{name}/"
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme.lower() not in ("http", "https"):
            return None  # file:// indexes are for the resolver (offline); nothing to ask
        request = _request(parsed, ())
        request.add_header("Accept", ACCEPT)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code in (404, 410):
                return False
            why = f"HTTP {exc.code} {exc.reason}"
        except (OSError, ValueError, http.client.HTTPException) as exc:
            why = redact_url(str(getattr(exc, "reason", None) or exc))
        with self._guard:
            self.unreachable.setdefault(redact_url(index.rstrip("/")), why)
        return None

    def files(self, name: str, indexes: Iterable[str]) -> list[tuple[str, str, str, int | None]] | None:
        """The files of project ``name`` on the first of ``indexes`` that has it, as (filename, URL,
        sha256, size); files without a sha256 are left out. None when no index could list it."""
        for index in indexes:
            if not index.lower().startswith(("http://", "https://")):
                continue
            url = f"{index.rstrip('/')}/{name}/"
            request = _request(urllib.parse.urlparse(url), ())
            request.add_header("Accept", ACCEPT)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    kind = response.headers.get("Content-Type", "")
                    body = response.read(_MAX_PAGE)
                    base = response.geturl()
            except urllib.error.HTTPError as exc:
                exc.close()
                continue
            except (OSError, ValueError, http.client.HTTPException):
                continue
            return _listing(body, kind, base or url)
        return None

    def _load(self) -> dict[str, object]:
        if self.path is None:
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        names = document.get("names") if isinstance(document, dict) else None
        if not isinstance(names, dict) or document.get("schema") != _CACHE_SCHEMA:
            return {}
        return dict(names)

    def save(self) -> None:
        """Write the answers back to the cache (best effort: a cache that cannot be written is skipped)."""
        if self.path is None or not self._dirty:
            return
        text = json.dumps({"schema": _CACHE_SCHEMA, "names": self._disk}, indent=0, sort_keys=True) + "\n"
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _files.write_atomic(self.path, text)


_MAX_PAGE = 32 << 20  # a project page larger than this is cut (PyPI's largest are a few MB)
_HREF = re.compile(r"""<a\s[^>]*href=["']([^"']+)["']""", re.IGNORECASE)


def _listing(body: bytes, kind: str, base: str) -> list[tuple[str, str, str, int | None]]:
    """A PEP 691 JSON page, or a PEP 503 HTML page (``#sha256=`` fragments), as file tuples."""
    found: list[tuple[str, str, str, int | None]] = []
    if "json" in kind:
        try:
            document = json.loads(body)
        except ValueError:
            return []
        for item in document.get("files", []) if isinstance(document, dict) else []:
            if not isinstance(item, dict):
                continue
            digest = (item.get("hashes") or {}).get("sha256")
            filename, href, size = item.get("filename"), item.get("url"), item.get("size")
            if isinstance(filename, str) and isinstance(href, str) and isinstance(digest, str):
                found.append(
                    (filename, urllib.parse.urljoin(base, href), digest, size if isinstance(size, int) else None)
                )
        return found
    for href in _HREF.findall(body.decode("utf-8", "replace")):
        link, _, fragment = html.unescape(href).partition("#")
        if fragment.startswith("sha256="):
            filename = urllib.parse.unquote(link.rsplit("/", 1)[-1])
            found.append((filename, urllib.parse.urljoin(base, link), fragment.removeprefix("sha256="), None))
    return found
