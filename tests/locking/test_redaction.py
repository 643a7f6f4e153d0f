"""Credentials in index and find-links URLs reach the resolver and the index, never a lock or a message.

The resolver is :class:`EchoingUv`, the fake index of ``fake_uv`` quoting back every URL it was given
(with its token) in the places a real resolver's output may: ``# via`` lines, the listing's ``index``
and wheel URLs, direct URLs, error messages. Everything else is the real engine and the real writer;
downloads go to real local HTTP servers.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from depmin import _backend
from depmin._backend import Backend, Compile, UnsatisfiableError, resolvers
from depmin.errors import ConfigError, ToolError
from depmin.layout import Layout
from depmin.locking import LockInput, Target, fill_wheelhouse
from depmin.locking import files as _pylock
from tests.locking.driver import lock
from tests.locking.fake_uv import FakeUv, dist

SECRET = "s3cr3t-token"
INDEX = f"https://user:{SECRET}@pypi.example/simple"
LINKS = f"https://bot:{SECRET}@wheels.example/links"
PLATFORM = "x86_64-manylinux_2_28"
TARGET = Target(python="3.11", platform=PLATFORM, indexes=(INDEX,), find_links=(LINKS,))
PACKAGES = (dist("alpha==1.0", "beta>=1"), dist("beta==2.0"))


class EchoingUv(FakeUv):
    """The fake index, quoting every URL of the request (token included) in its output."""

    def compile(self, request: Compile) -> str:
        text = super().compile(request)
        urls = [*request.indexes, *request.find_links]
        if request.pylock:
            text = text.replace("https://files.example/", f"https://user:{SECRET}@files.example/")
            return text.replace("\nwheels = ", f'\nindex = "{request.indexes[0]}"\nwheels = ')
        echoed = "".join(f"    #   {url}\n" for url in urls)
        return re.sub(r"(    # via[^\n]*\n)", lambda m: m.group(1) + echoed, text)


def item(name: str, *requirements: str) -> LockInput:
    return LockInput(
        agent=name,
        family="cpu",
        target=TARGET,
        requirements=requirements,
        extra=frozenset(),
        checks=(),
        constraints=(),
    )


def every_text(root: Path) -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted(root.rglob("*")) if path.is_file())


def test_credentials_reach_the_resolver_but_no_lock(tmp_path: Path) -> None:
    backend = EchoingUv(PACKAGES)
    result = lock(tmp_path, backend, {"A": item("A", "alpha")}, write=True)
    assert [a.state for a in result.agents] == ["locked"]
    assert all(call.indexes == (INDEX,) and LINKS in call.find_links for call in backend.calls)
    written = every_text(tmp_path)
    assert SECRET not in written
    assert "# indexes: https://***@pypi.example/simple; find-links: https://***@wheels.example/links\n" in written
    assert "#   https://***@pypi.example/simple\n" in written  # the `# via` lines the resolver echoed
    assert 'index = "https://***@pypi.example/simple"' in written
    assert 'url = "https://***@files.example/alpha-1.0-py3-none-any.whl"' in written


def test_a_rotated_token_leaves_the_locks_current(tmp_path: Path) -> None:
    rotated = Target(python="3.11", platform=PLATFORM, indexes=(INDEX.replace(SECRET, "n3w"),), find_links=(LINKS,))
    first, second = item("A", "alpha"), replace(item("A", "alpha"), target=rotated)
    assert first.digest("uv 0.13.9") == second.digest("uv 0.13.9")
    moved = Target(python="3.11", platform=PLATFORM, indexes=(INDEX.replace("pypi", "other"),), find_links=(LINKS,))
    assert replace(first, target=moved).digest("uv 0.13.9") != first.digest("uv 0.13.9")
    lock(tmp_path, EchoingUv(PACKAGES), {"A": first}, write=True)
    again = lock(tmp_path, EchoingUv(PACKAGES), {"A": second}, write=True)
    assert [(a.state, a.reason) for a in again.agents] == [("fresh", "up to date")]


@pytest.mark.parametrize("failing", ["the union", "the file listing"])
def test_a_failing_resolver_quoting_the_urls_leaks_nothing(tmp_path: Path, failing: str) -> None:
    def unreachable(request: Compile) -> None:
        if failing == "the union" or request.pylock:
            raise ToolError(f"uv cannot reach the package index ({', '.join(request.indexes)}): dns error")

    with pytest.raises(ToolError) as caught:
        lock(tmp_path, EchoingUv(PACKAGES, on_call=unreachable), {"A": item("A", "alpha")}, write=True)
    assert SECRET not in str(caught.value) and "https://***@pypi.example/simple" in str(caught.value)


def test_the_lock_header_shows_urls_redacted() -> None:
    lines = _pylock.header("A", TARGET, "0" * 64, "uv 0.13.9", "fleet-wide")
    assert "indexes: https://***@pypi.example/simple; find-links: https://***@wheels.example/links" in lines
    assert not any(SECRET in line for line in lines)


def test_a_conflict_explained_with_the_urls_leaks_nothing(tmp_path: Path) -> None:
    def conflicting(request: Compile) -> None:
        if "delta" in request.requirements and "alpha" in request.requirements:
            reason = f"delta and alpha exclude each other on {request.indexes[0]}"
            raise UnsatisfiableError(f"uv: no solution: {reason}", reason)

    backend = EchoingUv((*PACKAGES, dist("delta==1.0")), on_call=conflicting)
    result = lock(tmp_path, backend, {"A": item("A", "alpha"), "B": item("B", "delta")}, write=True)
    shown = (
        [str(c) for c in result.conflicts]
        + [a.reason for a in result.agents]
        + [p for a in result.agents for p in a.problems]
    )
    assert result.conflicts and "on https://***@pypi.example/simple" in shown[0]
    assert not any(SECRET in line for line in shown)


def test_a_direct_url_the_resolver_returns_is_redacted_in_the_problem(tmp_path: Path) -> None:
    class DirectUv(EchoingUv):
        def compile(self, request: Compile) -> str:
            text = super().compile(request)
            if not request.hashes or request.pylock:
                return text
            return text.replace("beta==2.0", f"beta @ https://user:{SECRET}@files.example/beta-2.0-py3-none-any.whl")

    result = lock(tmp_path, DirectUv(PACKAGES), {"A": item("A", "alpha")}, write=True)
    (agent,) = result.agents
    assert agent.state == "failed" and "(https://***@files.example/beta-2.0-py3-none-any.whl)" in agent.reason
    assert not any(SECRET in problem for problem in agent.problems)


def test_resolver_errors_are_classified_then_redacted() -> None:
    request = Compile(requirements=("alpha",), python="3.11", platform="linux", indexes=(INDEX,))
    network = resolvers._failure("uv", request, f"error: Request failed for {INDEX}/alpha/\n  cause: dns error")
    assert "cannot reach the package index (https://***@pypi.example/simple)" in str(network)
    conflict = resolvers._failure("uv", request, f"error: No solution found\n  cause: alpha is only on {INDEX}")
    assert isinstance(conflict, UnsatisfiableError)
    assert SECRET not in str(conflict) + conflict.explanation and "https://***@pypi.example" in conflict.explanation


class _EchoingProgram(Backend):
    """A resolver run as a real subprocess that prints its index URLs to stderr and fails."""

    name = "echo"

    def _read_version(self) -> str:
        return "1"

    def _env(self) -> dict[str, str]:
        return {}

    def _command(self, request: Compile, files: object) -> list[str]:
        code = "import sys; sys.stderr.write('error: GET ' + ' '.join(sys.argv[1:]) + ' failed\\n'); sys.exit(2)"
        return [sys.executable, "-c", code, *request.indexes, *request.find_links]


@pytest.mark.integration
def test_a_real_resolver_process_quoting_the_urls_leaks_nothing() -> None:
    with pytest.raises(ToolError) as caught:
        _EchoingProgram().compile(Compile(requirements=("alpha",), python="3.11", platform="linux", indexes=(INDEX,)))
    assert SECRET not in str(caught.value) and "GET https://***@pypi.example/simple failed" in str(caught.value)


def test_a_requirement_with_a_line_break_never_reaches_the_resolvers_files() -> None:
    injected = Compile(requirements=("alpha\n--extra-index-url https://evil.example",), python="3.11", platform="linux")
    with pytest.raises(ConfigError, match="holds a line break"):
        _EchoingProgram().compile(injected)  # refused before the program runs (it would raise ToolError)


@pytest.fixture
def private_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, list[tuple[int, str | None]]]]:
    """Two local HTTP servers: the index (Basic auth ``user:SECRET``, serves one wheel, redirects
    ``/elsewhere`` to the other server) and the other host, which records what it was sent."""
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    body = b"wheel bytes"
    seen: list[tuple[int, str | None]] = []  # (server 0 or 1, the Authorization header it got)
    wanted = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    servers: list[http.server.HTTPServer] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((servers.index(self.server), self.headers.get("Authorization")))  # type: ignore[arg-type]
            if self.server is servers[0] and self.headers.get("Authorization") != wanted:
                self.send_response(401)
            elif self.path.startswith("/elsewhere"):
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{servers[1].server_address[1]}/a-1.0-py3-none-any.whl")
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    servers.extend(http.server.HTTPServer(("127.0.0.1", 0), Handler) for _ in range(2))
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    try:
        yield f"127.0.0.1:{servers[0].server_address[1]}", hashlib.sha256(body).hexdigest(), seen
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_wheelhouse_authenticates_a_redacted_url_by_host_and_never_forwards_it(
    tmp_path: Path, private_index: tuple[str, str, list[tuple[int, str | None]]]
) -> None:
    host, digest, seen = private_index
    credentials = [f"http://user:{SECRET}@{host}/simple"]
    target = tmp_path / "house" / "a-1.0-py3-none-any.whl"
    url = f"http://***@{host}/files/a-1.0-py3-none-any.whl"
    assert _backend.fetch(url, target, digest, credentials=credentials) == len(b"wheel bytes")
    with pytest.raises(ToolError) as refused:
        _backend.fetch(url, tmp_path / "other" / target.name, digest)  # no credentials: 401
    assert "401" in str(refused.value) and SECRET not in str(refused.value) and "http://***@" in str(refused.value)
    _backend.fetch(f"http://{host}/elsewhere", tmp_path / "moved" / target.name, digest, credentials=credentials)
    assert seen[-2:] == [(0, f"Basic {base64.b64encode(f'user:{SECRET}'.encode()).decode()}"), (1, None)]


def test_fill_wheelhouse_takes_the_credentials_from_the_agents_indexes(
    tmp_path: Path, private_index: tuple[str, str, list[tuple[int, str | None]]]
) -> None:
    host, digest, _ = private_index
    layout = Layout.beside(tmp_path / "agents.toml")
    layout.agent_dir("A").mkdir(parents=True)
    wheel = f'{{ url = "http://***@{host}/files/a-1.0-py3-none-any.whl", hashes = {{ sha256 = "{digest}" }} }}'
    layout.pylock("A").write_text(
        f'lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1.0"\nwheels = [{wheel}]\n'
    )
    private = Target(python="3.11", platform=PLATFORM, indexes=(f"http://user:{SECRET}@{host}/simple",))
    inputs = {"A": replace(item("A", "a"), target=private)}
    result = fill_wheelhouse(layout, inputs, ["A"], label="fleet")
    assert result.fetched == ("a-1.0-py3-none-any.whl",) and result.directory.parent == layout.wheelhouses
