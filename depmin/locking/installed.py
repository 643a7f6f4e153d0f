"""Installed bytes of a locked wheel: the sum of its members' uncompressed sizes, from the zip's central directory.

A wheel's central directory sits at its end, so the installed size of a 900 MB torch wheel costs two
small reads of its tail (:func:`installed_size` with a ``read(start, end)`` of HTTP Range requests or
of a local file), never the whole download. The sizes measured are kept in ``locks/installed-sizes.json``
(``{"installed": {sha256: bytes}}``, :func:`render_sizes` / :func:`parse_sizes`) so that a plan made
from the same locks and the same measurements is byte-identical, online or not.

The zip is data from an index: every offset is checked against the file's size, and anything that is
not a well-formed central directory is :class:`WheelError` (the caller falls back to the download size).
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Callable, Mapping

from depmin._files import MARKER

__all__ = ["SIZES_NAME", "WheelError", "installed_size", "measure", "parse_sizes", "render_sizes"]

SIZES_NAME = "installed-sizes.json"

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_ENTRY = b"PK\x01\x02"
_TAIL = 64 * 1024 + 22  # the end record and the longest comment a zip can carry
_MAX_ENTRIES = 1_000_000
_MAX_DIRECTORY = 256 * 1024 * 1024


class WheelError(ValueError):
    """The bytes read are not the end of a zip file."""


Read = Callable[[int, int], bytes]  # read(start, end): bytes [start, end) of the file


def installed_size(read: Read, size: int) -> int:
    """The sum of the uncompressed sizes of every member of the zip of ``size`` bytes behind ``read``."""
    if size < 22:
        raise WheelError("shorter than a zip end record")
    start = max(0, size - _TAIL)
    tail = read(start, size)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise WheelError("no zip end record in the last 64 KiB")
    entries, directory_size, directory_at = struct.unpack_from("<10xHII", tail, at)
    if 0xFFFFFFFF in (directory_size, directory_at) or entries == 0xFFFF:
        entries, directory_size, directory_at = _zip64(read, tail, start + at, start)
    if entries > _MAX_ENTRIES or directory_size > _MAX_DIRECTORY or directory_at + directory_size > size:
        raise WheelError("the central directory lies outside the file")
    if directory_at >= start:
        directory = tail[directory_at - start : directory_at - start + directory_size]
    else:
        directory = read(directory_at, directory_at + directory_size)
    return _sum_entries(directory, entries)


def _zip64(read: Read, tail: bytes, eocd_at: int, start: int) -> tuple[int, int, int]:
    locator_at = eocd_at - 20
    if locator_at < start or tail[locator_at - start : locator_at - start + 4] != _EOCD64_LOCATOR:
        raise WheelError("a zip64 end record without its locator")
    (record_at,) = struct.unpack_from("<Q", tail, locator_at - start + 8)
    record = tail[record_at - start : record_at - start + 56] if record_at >= start else read(record_at, record_at + 56)
    if len(record) < 56 or record[:4] != _EOCD64:
        raise WheelError("no zip64 end record where its locator points")
    entries, directory_size, directory_at = struct.unpack_from("<QQQ", record, 32)
    return entries, directory_size, directory_at


def _sum_entries(directory: bytes, entries: int) -> int:
    total, at = 0, 0
    for _ in range(entries):
        if directory[at : at + 4] != _ENTRY or len(directory) < at + 46:
            raise WheelError("a central directory entry is cut short")
        (uncompressed,) = struct.unpack_from("<I", directory, at + 24)
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", directory, at + 28)
        extra = directory[at + 46 + name_length : at + 46 + name_length + extra_length]
        if uncompressed == 0xFFFFFFFF:
            uncompressed = _zip64_size(extra)
        total += uncompressed
        at += 46 + name_length + extra_length + comment_length
    return total


def _zip64_size(extra: bytes) -> int:
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 1 and length >= 8:
            (size,) = struct.unpack_from("<Q", extra, at + 4)
            return int(size)
        at += 4 + length
    raise WheelError("a zip64 member without its size")


def render_sizes(sizes: Mapping[str, int]) -> str:
    """``locks/installed-sizes.json``: installed bytes by wheel sha256, sorted."""
    document = {
        "_generated": f"{MARKER} (`depmin plan`). Do not edit: run `depmin plan`.",
        "installed": {digest: sizes[digest] for digest in sorted(sizes)},
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_sizes(text: str) -> dict[str, int]:
    """The measurements of :func:`render_sizes`; entries that are not ``hex digest: byte count`` are dropped."""
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    table = document.get("installed") if isinstance(document, dict) else None
    if not isinstance(table, dict):
        return {}
    return {
        digest: value
        for digest, value in table.items()
        if isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
        and isinstance(value, int)
        and not isinstance(value, bool)
        and value >= 0
    }


def measure(files: Mapping[str, tuple[str, int]], known: Mapping[str, int], *, fetch: bool) -> dict[str, int]:
    """``known`` plus the installed size of every wheel of ``files`` (``{sha256: (url, download size)}``)
    it lacks: local (``file:``) wheels always, http(s) ones with Range requests when ``fetch``. A wheel
    that cannot be read is left out (the caller counts its download size)."""
    from depmin._backend.ranges import read_range  # noqa: PLC0415 - the network edge, only when measuring
    from depmin.errors import ToolError  # noqa: PLC0415

    found = dict(known)
    for digest, (url, size) in sorted(files.items()):
        if digest in found or not (fetch or url.startswith("file:")):
            continue
        try:
            found[digest] = installed_size(functools.partial(read_range, url), size)
        except (ToolError, WheelError, struct.error):
            continue
    return found
