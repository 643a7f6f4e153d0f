"""The lock stage's file formats: reading resolver output, writing requirements.lock and pylock.toml.

Both resolvers print pip requirements with hashes and ``# via`` annotations::

    beta==2.0 \\
        --hash=sha256:b697...440b
        # via alpha

:func:`parse_requirements` reads that into :class:`Pinned` values; :func:`parse_files` (of
:mod:`depmin.locking.listing`, re-exported here) reads the file listing (URLs, sizes, sha256) of a
PEP 751 ``pylock.toml``. The renderers are pure and sort everything, so the same resolution gives
byte-identical files whatever the backend, and they redact the credentials of every URL they write.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from depmin._names import PEP508_NAME, NormalizedName, canonicalize_name
from depmin._secrets import redact, redact_url
from depmin.errors import ConfigError, Problem
from depmin.locking.listing import REWRITE, File, Release, bad_filename, local_path, parse_files

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "Existing",
    "File",
    "Pinned",
    "Release",
    "Target",
    "bad_filename",
    "environment_marker",
    "header",
    "parse_existing",
    "parse_files",
    "parse_requirements",
    "render_pylock",
    "render_requirements",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """What a lock is for; agents with equal targets share one resolution of their union."""

    python: str
    platform: str
    indexes: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # as written in agents.toml (relative to it) or URLs


@dataclass(frozen=True, kw_only=True, slots=True)
class Pinned:
    """One line of a resolver's output: ``name==version`` with its hashes and reasons."""

    name: NormalizedName
    version: Version | None  # None for a direct URL
    url: str | None = None
    hashes: tuple[str, ...] = ()  # "sha256:<hex>", sorted
    via: tuple[str, ...] = ()


def parse_requirements(text: str, *, where: str = "resolver output", fix: str = REWRITE) -> tuple[Pinned, ...]:
    """The pinned entries of a pip requirements file written by uv or pip-compile; an entry that is
    not a requirement raises :class:`ConfigError` naming ``where``, ending with ``fix``."""
    pins: list[Pinned] = []
    for head, comments in _entries(text):
        requirement_text, *hash_parts = head.split("--hash=")
        hashes = tuple(sorted({part.strip() for part in hash_parts}))
        requirement_text = requirement_text.strip()
        pin = _PIN.fullmatch(requirement_text)
        if pin is not None:  # name==version, as every resolver writes it: no need for packaging's parser
            name, version = pin.groups()
            pins.append(
                Pinned(name=canonicalize_name(name), version=Version(version), hashes=hashes, via=_via(comments))
            )
            continue
        from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as exc:
            raise ConfigError([Problem(where, redact(f"cannot read {head!r} ({exc}); {fix}"))]) from None
        pins.append(
            Pinned(
                name=canonicalize_name(requirement.name),
                version=_exact(requirement),
                url=requirement.url,
                hashes=hashes,
                via=_via(comments),
            )
        )
    return tuple(sorted(pins, key=lambda pin: pin.name))


# ``name==version`` with a name of PEP 508 and a version in PEP 440's normal form (what uv and
# pip-compile write): every such line is a requirement packaging reads the same way, pinned to
# exactly that version. Any other line is read by packaging.
_PIN = re.compile(
    rf"({PEP508_NAME})"
    r"==((?:[1-9][0-9]*!)?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?"
    r"(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?)",
    re.ASCII,
)


def _entries(text: str) -> Iterator[tuple[str, list[str]]]:
    """(logical requirement line, its following comment lines) pairs; options are skipped."""
    head: str | None = None
    comments: list[str] = []
    continued = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if continued and head is not None:
            head += " " + stripped.rstrip("\\").strip()
        elif stripped.startswith("#"):
            comments.append(stripped.lstrip("#").strip())
        elif stripped and not stripped.startswith("-") and not raw[0].isspace():
            if head is not None:
                yield head, comments
            head, comments = stripped.rstrip("\\").strip(), []
        continued = stripped.endswith("\\")
    if head is not None:
        yield head, comments


def _exact(requirement: Requirement) -> Version | None:
    for spec in requirement.specifier:
        if spec.operator in ("==", "==="):
            try:
                return Version(spec.version)
            except InvalidVersion:
                return None
    return None


def _via(comments: list[str]) -> tuple[str, ...]:
    reasons: list[str] = []
    collecting = False
    for comment in comments:
        if comment.startswith("via"):
            collecting = True
            rest = comment[3:].strip()
            if rest:
                reasons.append(rest)
        elif collecting and comment:
            reasons.append(comment)
    # Constraint files (project ranges, fleet pins) narrow versions; they never add a package.
    # The resolver saw a temporary copy of the requirements: keep the file's name, not its path.
    return tuple(
        sorted(
            f"-r {Path(reason[3:]).name}" if reason.startswith("-r ") else reason
            for reason in reasons
            if not reason.startswith("-c ")
        )
    )


_PLATFORM = re.compile(
    r"^(?:(?P<arch>[a-z0-9_]+)-)?(?P<os>manylinux_\d+_\d+|musllinux_\d+_\d+|unknown-linux-gnu|"
    r"unknown-linux-musl|linux|apple-darwin|macos|pc-windows-msvc|windows)$"
)


def environment_marker(python: str, platform: str) -> str:
    """The PEP 508 marker of a target: ``3.11`` and ``x86_64-manylinux_2_28`` give
    ``python_version == "3.11" and sys_platform == "linux" and platform_machine == "x86_64"``."""
    parts = [f'python_version == "{python}"']
    match = _PLATFORM.match(platform)
    if match is None:
        return parts[0]
    system = match["os"]
    sys_platform = "darwin" if system in ("apple-darwin", "macos") else "win32" if "windows" in system else "linux"
    parts.append(f'sys_platform == "{sys_platform}"')
    arch = match["arch"]
    if arch:
        machine = {"darwin": {"aarch64": "arm64"}, "win32": {"x86_64": "AMD64"}}.get(sys_platform, {})
        parts.append(f'platform_machine == "{machine.get(arch, arch)}"')
    return " and ".join(parts)


def render_requirements(header: Sequence[str], pins: Iterable[Pinned]) -> str:
    """requirements.lock: the header, then one hashed entry per distribution, sorted by name.

    Credentials in any URL (a direct URL, a ``# via`` reason, the header) are redacted."""
    lines = [f"# {line}" if line else "#" for line in header]
    for pin in sorted(pins, key=lambda p: p.name):
        spec = f"{pin.name}=={pin.version}" if pin.url is None else f"{pin.name} @ {pin.url}"
        lines.append(spec + (" \\" if pin.hashes else ""))
        lines.extend(
            f"    --hash={digest}" + (" \\" if i < len(pin.hashes) - 1 else "") for i, digest in enumerate(pin.hashes)
        )
        if len(pin.via) == 1:
            lines.append(f"    # via {pin.via[0]}")
        elif pin.via:
            lines.append("    # via")
            lines.extend(f"    #   {reason}" for reason in pin.via)
    return redact("\n".join(lines) + "\n")


def render_pylock(
    header: Sequence[str],
    python: str,
    platform: str,
    releases: Iterable[Release],
    *,
    directory: Path,
    pins: Iterable[Pinned] = (),
) -> str:
    """pylock.toml (PEP 751) for one target: every package with its wheels' URLs, sizes and hashes,
    and its ``dependencies`` (read from the ``# via`` reasons of ``pins``).

    Local files (a wheelhouse) are written as ``path`` relative to ``directory``, the lock's own;
    credentials in the ``index`` and file URLs are redacted (``depmin wheelhouse`` authenticates by
    host from agents.toml's index URLs).
    """
    dependencies: dict[str, set[str]] = {}
    for pin in pins:
        for reason in pin.via:
            if not reason.startswith("-"):
                dependencies.setdefault(canonicalize_name(reason), set()).add(pin.name)
    lines = [f"# {line}" if line else "#" for line in header]
    lines += [
        'lock-version = "1.0"',
        f"environments = [{_string(environment_marker(python, platform))}]",
        f'requires-python = "=={python}.*"',
        "extras = []",
        "dependency-groups = []",
        "default-groups = []",
        'created-by = "depmin"',
    ]
    for release in sorted(releases, key=lambda r: r.name):
        lines += [
            "",
            "[[packages]]",
            f"name = {_string(release.name)}",
            f"version = {_string(str(release.version))}",
        ]
        if release.index:
            lines.append(f"index = {_string(redact_url(release.index))}")
        sdists = [f for f in release.files if not f.is_wheel]
        wheels = [f for f in release.files if f.is_wheel]
        if sdists:
            lines.append(f"sdist = {_table(sdists[0], directory)}")
        if dependencies.get(release.name):
            listed = ", ".join(f"{{ name = {_string(name)} }}" for name in sorted(dependencies[release.name]))
            lines.append(f"dependencies = [{listed}]")
        if wheels:
            lines.append("wheels = [")
            lines.extend(f"    {_table(wheel, directory)}," for wheel in sorted(wheels, key=lambda w: w.filename))
            lines.append("]")
    return redact("\n".join(lines) + "\n")


def _table(file: File, directory: Path) -> str:
    parts = [f"name = {_string(file.filename)}"]
    if file.url.startswith("file:"):
        local = local_path(file.url)
        parts.append(f"path = {_string(Path(os.path.relpath(local, directory)).as_posix())}")
    else:
        parts.append(f"url = {_string(redact_url(file.url))}")
    if file.size is not None:
        parts.append(f"size = {file.size}")
    parts.append(f"hashes = {{ sha256 = {_string(file.sha256)} }}")
    return "{ " + ", ".join(parts) + " }"


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Existing:
    """What a lock on disk says about itself: its header and its pins."""

    digest: str | None
    pylock_digest: str | None
    backend: str | None
    scope: str | None
    pins: Mapping[NormalizedName, Version]


def header(agent: str, target: Target, digest: str, backend: str, scope: str) -> tuple[str, ...]:
    """The comment lines at the top of both lock files (staleness is read back from them); URLs
    are shown with their credentials redacted (``https://***@host/simple``)."""
    indexes = ", ".join(map(redact_url, target.indexes)) or "default"
    links = ", ".join(map(redact_url, target.find_links)) or "none"
    return (
        f"Generated by depmin lock for agent {agent}; do not edit: run `depmin lock --agent {agent}`.",
        f"inputs: sha256={digest} (requirements, constraints, indexes, target, backend)",
        f"target: python {target.python}, platform {target.platform}; backend: {backend}",
        f"indexes: {indexes}; find-links: {links}",
        f"pins: {scope}",
        "install: pip install --require-hashes --no-deps -r requirements.lock",
    )


def parse_existing(lock_text: str | None, pylock_text: str | None) -> Existing:
    """The header and pins of an agent's current requirements.lock and pylock.toml."""
    fields = _header_fields(lock_text or "")
    pins = {}
    try:
        for pin in parse_requirements(lock_text or "", where="requirements.lock"):
            if pin.version is not None:
                pins[pin.name] = pin.version
    except ConfigError:  # edited by hand into something unreadable: a lock to make again
        fields = {}
    return Existing(
        digest=fields.get("inputs", "").split(" ")[0].removeprefix("sha256=") or None,
        pylock_digest=_header_fields(pylock_text or "").get("inputs", "").split(" ")[0].removeprefix("sha256=") or None,
        backend=fields.get("target", "").partition("backend: ")[2] or None,
        scope=fields.get("pins"),
        pins=pins,
    )


def _digest(fields: Mapping[str, str]) -> str | None:
    return fields.get("inputs", "").split(" ")[0].removeprefix("sha256=") or None


def _header_fields(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines()[:10]:
        key, sep, value = line.removeprefix("# ").partition(": ")
        if line.startswith("# ") and sep:
            found.setdefault(key, value)
    return found
