"""Installed sizes from a wheel's central directory: a real wheel, read from disk and over HTTP ranges."""

from __future__ import annotations

import ensurepip
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from depmin._backend.ranges import read_range
from depmin.errors import ToolError
from depmin.locking.installed import WheelError, installed_size, measure, parse_sizes, render_sizes


def _bundled_wheel() -> Path:
    return sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))[0]


def _unpacked_bytes(wheel: Path, tmp_path: Path) -> int:
    """What installing the wheel puts on disk: every member extracted, sizes from the file system."""
    target = tmp_path / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def _local(path: Path):  # type: ignore[no-untyped-def]
    return lambda start, end: read_range(path.as_uri(), start, end)


def test_installed_size_of_a_real_wheel_matches_its_unpacked_files(tmp_path: Path) -> None:
    wheel = _bundled_wheel()
    size = wheel.stat().st_size
    assert installed_size(_local(wheel), size) == _unpacked_bytes(wheel, tmp_path)
    assert installed_size(_local(wheel), size) > size  # compressed: the installed bytes are more


def test_a_long_archive_comment_and_many_members(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number in range(3000):
            archive.writestr(f"demo/m{number}.py", "x = 1\n" * (number % 50))
        archive.comment = b"c" * 60000
    assert installed_size(_local(wheel), wheel.stat().st_size) == _unpacked_bytes(wheel, tmp_path)


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk-1.0-py3-none-any.whl"
    junk.write_bytes(b"\0" * 5000)
    with pytest.raises(WheelError):
        installed_size(_local(junk), 5000)
    cut = tmp_path / "cut-1.0-py3-none-any.whl"
    data = _bundled_wheel().read_bytes()
    cut.write_bytes(data[-200:])  # the end record points before the file's start
    with pytest.raises(WheelError):
        installed_size(_local(cut), 200)


class _Ranges(http.server.SimpleHTTPRequestHandler):
    """Serves byte ranges (``Range: bytes=a-b``) of the files below its directory, and counts bytes sent."""

    sent = 0

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        first, last = self.headers["Range"].removeprefix("bytes=").split("-")
        part = data[int(first) : int(last) + 1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)
        type(self).sent += len(part)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index(tmp_path: Path) -> Iterator[str]:
    wheel = _bundled_wheel()
    (tmp_path / wheel.name).write_bytes(wheel.read_bytes())
    handler = lambda *a: _Ranges(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{wheel.name}"
    finally:
        server.shutdown()
        server.server_close()


def test_measure_over_http_reads_only_the_tail(index: str, tmp_path: Path) -> None:
    wheel = _bundled_wheel()
    size = wheel.stat().st_size
    _Ranges.sent = 0
    found = measure({"a" * 64: (index, size)}, {}, fetch=True)
    assert found == {"a" * 64: _unpacked_bytes(wheel, tmp_path)}
    assert _Ranges.sent < size / 4  # the central directory, not the wheel
    assert measure({"a" * 64: (index, size)}, {}, fetch=False) == {}  # offline: nothing fetched
    assert measure({"a" * 64: (index, size)}, {"a" * 64: 7}, fetch=True) == {"a" * 64: 7}  # measured once


def test_an_unreachable_index_leaves_the_size_unmeasured() -> None:
    with pytest.raises(ToolError):
        read_range("http://127.0.0.1:9/x.whl", 0, 10, timeout=2)
    assert measure({"b" * 64: ("http://127.0.0.1:9/x.whl", 100)}, {}, fetch=True) == {}


def test_sizes_file_round_trips_and_drops_hostile_entries() -> None:
    sizes = {"c" * 64: 10, "d" * 64: 0}
    text = render_sizes(sizes)
    assert parse_sizes(text) == sizes
    assert render_sizes(parse_sizes(text)) == text
    hostile = '{"installed": {"../x": 1, "' + "e" * 64 + '": -1, "' + "f" * 64 + '": true, "' + "0" * 64 + '": 5}}'
    assert parse_sizes(hostile) == {"0" * 64: 5}
    assert parse_sizes("not json") == {}
