"""depmin's readings of names, requirements and markers that stand in for packaging's parsers.

A warm scan and a check import neither ``packaging.requirements`` nor ``packaging.markers`` (both
import ``packaging.utils`` and ``packaging.tags``): names are canonicalised by ``depmin._names``, a
requirement that is a bare name with extras, a lock's ``name==version`` line and a marker as the scan
renders it are read without them. Each reading must be packaging's own on every text it accepts, and
must accept the texts it was written for; every other text is left to packaging.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name as packaging_canonicalize_name
from packaging.version import InvalidVersion, Version

from depmin._names import canonicalize_name, name_and_extras
from depmin.errors import ConfigError
from depmin.locking.files import parse_requirements
from depmin.scanning.markers import AllOf, AnyOf, Atom, render, rendered

PROFILE = settings(derandomize=True, deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])

NAME_CHARS = string.ascii_letters + string.digits + "._-"
NAMES = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,12}[A-Za-z0-9])?", fullmatch=True)
# Requirement-ish text: names, brackets, commas, spaces, operators, markers, URLs, and anything else.
NOISE = st.text(alphabet=NAME_CHARS + "[], =<>!~;@:/'\"()\\ü\t", max_size=30)


@PROFILE
@given(st.one_of(st.text(max_size=30), NOISE, NAMES))
def test_canonicalize_name_is_packagings(name: str) -> None:
    assert canonicalize_name(name) == packaging_canonicalize_name(name)


@PROFILE
@given(st.one_of(NOISE, NAMES, st.builds("{}[{}]".format, NAMES, st.lists(NAMES, max_size=3).map(",".join))))
def test_a_name_with_extras_reads_as_packaging_reads_it(text: str) -> None:
    found = name_and_extras(text)
    if found is None:
        return  # packaging's to read
    requirement = Requirement(text)
    assert found == (requirement.name, frozenset(requirement.extras))
    assert (str(requirement.specifier), requirement.marker, requirement.url) == ("", None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uvicorn", ("uvicorn", frozenset())),
        ("uvicorn[standard]", ("uvicorn", frozenset({"standard"}))),
        ("Oslo.Concurrency[a,B_c]", ("Oslo.Concurrency", frozenset({"a", "B_c"}))),
        ("uvicorn[]", None),  # valid, but packaging's to read
        ("uvicorn [standard]", None),
        ("uvicorn>=0.30", None),
        ("uvicorn; python_version < '3.12'", None),
        ("uvicorn @ https://example.org/u.whl", None),
        ("-e .", None),
        ("", None),
    ],
)
def test_name_and_extras_accepts_only_a_bare_name(text: str, expected: tuple[str, frozenset[str]] | None) -> None:
    assert name_and_extras(text) == expected


VERSIONS = st.builds(
    "{}{}{}{}{}{}".format,
    st.sampled_from(["", "1!", "2!"]),
    st.lists(st.integers(0, 2000), min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts))),
    st.sampled_from(["", "a1", "b2", "rc0", "rc10"]),
    st.sampled_from(["", ".post1", ".post0"]),
    st.sampled_from(["", ".dev3"]),
    st.sampled_from(["", "+cu121", "+local.7"]),
)
PIN_NOISE = st.text(alphabet=NAME_CHARS + "=.+!*<>~ ;@:/", max_size=24)


def _by_packaging(line: str) -> tuple[str, Version | None]:
    requirement = Requirement(line)
    pinned = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
    try:
        return canonicalize_name(requirement.name), Version(pinned[0]) if pinned else None
    except InvalidVersion:
        return canonicalize_name(requirement.name), None


@PROFILE
@given(st.one_of(st.builds("{}=={}".format, NAMES, VERSIONS), st.builds("{}=={}".format, NAMES, PIN_NOISE)))
@example("torch==2.5.1+cu121")
@example("a==1.*")
@example("a==1*")
@example("a==01.0")
@example("a==v1.0")
@example("a==1.0+Local")
@example("a===1.0")
@example("a==1.0; python_version < '3.12'")
def test_a_lock_line_reads_as_packaging_reads_it(line: str) -> None:
    try:
        expected = _by_packaging(line)
    except InvalidRequirement:
        with pytest.raises(ConfigError):
            parse_requirements(line + " --hash=sha256:00")
        return
    (pin,) = parse_requirements(line + " --hash=sha256:00")
    assert (pin.name, pin.version, pin.hashes) == (*expected, ("sha256:00",))


VARIABLES = st.sampled_from(["sys_platform", "os_name", "platform_machine", "python_version", "python_full_version"])
VALUES = st.text(alphabet=string.ascii_letters + string.digits + ".-_ '\"\\", max_size=8)
ATOMS = st.builds(Atom, VARIABLES, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), VALUES)
MARKERS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AllOf(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
    ),
    max_leaves=8,
)


def _values(marker: Atom | AllOf | AnyOf) -> list[str]:
    return [marker.value] if isinstance(marker, Atom) else [v for part in marker.parts for v in _values(part)]


@PROFILE
@given(MARKERS)
def test_a_rendered_marker_is_packagings_marker(marker: Atom | AllOf | AnyOf) -> None:
    text = render(marker)
    # render quotes a value with the quote it does not hold; a backslash packaging reads as an escape
    plain = all("\\" not in value and not ('"' in value and "'" in value) for value in _values(marker))
    assert rendered(text) == plain
    if plain:
        Marker(text)  # raises when packaging refuses it


@PROFILE
@given(st.text(alphabet="()'\" aondrs_ysplatform=!<>.3\\", max_size=40))
def test_what_rendered_accepts_packaging_reads(text: str) -> None:
    if rendered(text):
        Marker(text)


def test_rendered_refuses_what_render_never_writes() -> None:
    assert not rendered('os_name == "a\\"')  # packaging reads the backslash as an escape
    assert not rendered('extra == "x"')
    assert not rendered('os_name  == "a"')
    assert not rendered('(os_name == "a"')
    assert not rendered('os_name == "a" and')
    assert not rendered("(" * 60 + 'os_name == "a"' + ")" * 60)
    assert rendered('(os_name == "a" or os_name == "b") and python_version >= "3.11"')
