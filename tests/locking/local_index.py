"""A package index on loopback: a directory of real wheels served as a PEP 691 / PEP 503 simple index.

:func:`serve` builds ``simple/<name>/`` pages (JSON for a client that asks for
``application/vnd.pypi.simple.v1+json``, HTML otherwise) and ``files/`` for ``wheels``
(:func:`tests.wheelhouse.build_wheel`), serves them from ``http://127.0.0.1:<port>/`` in a thread,
and records every request (path and headers) in :attr:`Index.requests`. A project it does not
have answers 404, as PyPI does.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from tests.wheelhouse import Wheel, build_wheel

__all__ = ["Index", "serve"]

JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class Index:
    url: str  # http://127.0.0.1:<port>/simple
    root: Path
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def asked(self, prefix: str = "/simple/") -> list[str]:
        return [path for path, _ in self.requests if path.startswith(prefix)]


def _pages(root: Path, wheels: Sequence[Wheel]) -> None:
    projects: dict[str, list[Path]] = {}
    for wheel in wheels:
        projects.setdefault(canonicalize_name(wheel.name), []).append(build_wheel(root / "files", wheel))
    for name, paths in projects.items():
        page = root / "simple" / name
        page.mkdir(parents=True, exist_ok=True)
        files = []
        for path in sorted(paths):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            files.append({"filename": path.name, "url": f"../../files/{urllib.parse.quote(path.name)}",
                          "hashes": {"sha256": digest}})  # fmt: skip
        links = "".join(f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}">{f["filename"]}</a>' for f in files)
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>\n", encoding="utf-8")
        document = {"meta": {"api-version": "1.0"}, "name": name, "files": files}
        (page / "index.json").write_text(json.dumps(document), encoding="utf-8")


@contextlib.contextmanager
def serve(root: Path, wheels: Sequence[Wheel]) -> Iterator[Index]:
    """Serve ``wheels`` as a simple index on loopback while the context lasts."""
    _pages(root, wheels)
    index = Index(url="", root=root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def send_head(self):  # type: ignore[no-untyped-def]
            index.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            if self.path.startswith("/simple/") and self.path.endswith("/"):
                folder = root / self.path.strip("/")
                wants_json = JSON in self.headers.get("Accept", "")
                page = folder / ("index.json" if wants_json else "index.html")
                if not page.is_file():
                    self.send_error(404, "Not Found")
                    return None
                data = page.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", JSON if wants_json else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None
            return super().send_head()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    index.url = f"http://127.0.0.1:{server.server_address[1]}/simple"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
