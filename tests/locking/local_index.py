"""A package index on loopback: a directory of real wheels served as a PEP 691 / PEP 503 simple index.

:func:`serve` writes the pages and files of ``wheels`` (:func:`tests.wheelhouse.write_simple_index`)
and serves them (a ``simple/<name>/`` page as JSON to a client that asks for
``application/vnd.pypi.simple.v1+json``, HTML otherwise) from ``http://127.0.0.1:<port>/`` in a thread,
and records every request (path and headers) in :attr:`Index.requests`. A project it does not
have answers 404, as PyPI does.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.wheelhouse import Wheel, write_simple_index

__all__ = ["Index", "serve"]

JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class Index:
    url: str  # http://127.0.0.1:<port>/simple
    root: Path
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def asked(self, prefix: str = "/simple/") -> list[str]:
        return [path for path, _ in self.requests if path.startswith(prefix)]


@contextlib.contextmanager
def serve(root: Path, wheels: Sequence[Wheel]) -> Iterator[Index]:
    """Serve ``wheels`` as a simple index on loopback while the context lasts."""
    write_simple_index(root, wheels)
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
