"""Hypothesis: no TOML document, however odd, makes the loader raise anything but ConfigError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depmin.errors import ConfigError
from depmin.manifest import Fleet, parse_fleet

KEYS = [
    "project", "policy", "mapping", "machines", "families", "agents", "root", "python", "platform",
    "source_roots", "constraints", "entrypoint", "family", "ports", "health_port", "health", "needs",
    "from", "extends", "machine", "apt", "gpu", "env", "cuda_arch", "cmd", "files", "optional",
    "NLUAgent", "cpu", "MainPC", "uncertain", "name", "x",
]  # fmt: skip

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["3.11", "3.1O", "cpu", "MainPC", ".", "..", "tcp", "http:/x", "/", ""]),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8))


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + "}"


values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, st.dictionaries(keys, values, max_size=5), max_size=6)


def _toml(document: dict[str, dict[str, object]]) -> str:
    return "\n".join(f"{json.dumps(k)} = {_value(v)}" for k, v in document.items())


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(documents)
def test_any_document_gives_a_fleet_or_config_error(document: dict[str, dict[str, object]]) -> None:
    _load(_toml(document).encode())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_fleet_or_config_error(data: bytes) -> None:
    _load(data)


def _load(data: bytes) -> Fleet | None:
    try:
        return parse_fleet(data, path=Path("/nonexistent/agents.toml"))
    except ConfigError as exc:
        assert exc.problems
        assert all("\n" not in str(problem) for problem in exc.problems)
        return None
