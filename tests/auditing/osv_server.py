"""A local OSV-protocol service on loopback that serves fixture advisories.

It answers the three OSV API calls the audit uses or may use: ``POST /v1/query`` (one package version),
``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``. An advisory affects a version when the version is
in its ``affected[].versions`` list, as OSV's own enumerated versions work.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def advisory(
    advisory_id: str,
    name: str,
    versions: Sequence[str],
    *,
    severity: str | None = None,
    cvss: str | None = None,
    aliases: Sequence[str] = (),
    fixed: str | None = None,
    summary: str = "a fixture advisory",
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": advisory_id,
        "modified": "2026-01-01T00:00:00Z",
        "aliases": list(aliases),
        "summary": summary,
        "details": summary,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "versions": list(versions),
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, *([{"fixed": fixed}] if fixed else [])]}
                ],
            }
        ],
    }
    if severity is not None:
        record["database_specific"] = {"severity": severity}
    if cvss is not None:
        record["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    return record


def _affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    return any(
        a["package"]["name"].lower() == name.lower() and version in a.get("versions", ()) for a in record["affected"]
    )


@contextmanager
def osv_service(records: Sequence[dict[str, Any]]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``records``; yield the base URL and the log of requests (``"POST /v1/query name==version"``)."""
    log: list[str] = []
    by_id = {r["id"]: r for r in records}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            if self.path == "/v1/query":
                name, version = query["package"]["name"], query["version"]
                log.append(f"POST /v1/query {name}=={version}")
                self._send(200, {"vulns": [r for r in records if _affects(r, name, version)]})
            elif self.path == "/v1/querybatch":
                results = []
                for item in query["queries"]:
                    hits = [r for r in records if _affects(r, item["package"]["name"], item["version"])]
                    results.append({"vulns": [{"id": r["id"], "modified": r["modified"]} for r in hits]})
                log.append(f"POST /v1/querybatch {len(results)}")
                self._send(200, {"results": results})
            else:
                self._send(404, {"message": "not found"})

        def do_GET(self) -> None:
            log.append(f"GET {self.path}")
            prefix = "/v1/vulns/"
            record = by_id.get(self.path[len(prefix) :]) if self.path.startswith(prefix) else None
            self._send(200, record) if record else self._send(404, {"message": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
