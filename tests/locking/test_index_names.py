"""Guessed distributions are looked up on the index before resolving (issue 13, item 4).

The index is a real HTTP server on loopback (:mod:`tests.locking.local_index`) serving real wheels;
the lookups go through :class:`depmin._backend.index.IndexNames`, the resolutions through the fake
resolver, so a missing name that is not caught first shows up as the resolver's conflict.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from packaging.utils import canonicalize_name

from depmin._backend.index import IndexNames
from depmin.locking import Check, FleetLock, LockInput, Target
from depmin.locking.runs import exists_on
from tests.locking.driver import lock
from tests.locking.fake_uv import FakeUv, dist
from tests.locking.local_index import serve
from tests.wheelhouse import Wheel

WHEELS = (Wheel("realname", "1.0", modules={"realname/__init__.py": ""}), Wheel("beta", "1.0"))


def _agent(name: str, family: str, target: Target, *guessed: str, requirements: tuple[str, ...] = ()) -> LockInput:
    checks = tuple(Check(module=m, distribution=_top(m), source="guessed") for m in guessed)
    return LockInput(
        agent=name,
        family=family,
        target=target,
        requirements=(*requirements, *dict.fromkeys(_top(m) for m in guessed)),
        extra=frozenset(),
        checks=checks,
        constraints=(),
    )


def _top(module: str) -> str:
    return canonicalize_name(module.split(".", maxsplit=1)[0])


def _lock(tmp_path: Path, inputs: list[LockInput], names: IndexNames | None, **options: bool) -> FleetLock:
    backend = FakeUv((dist("realname==1.0"), dist("beta==1.0")))  # no "nosuch", no "gone"
    exists = None if names is None else exists_on(names, [], default=None)
    return lock(tmp_path, backend, {item.agent: item for item in inputs}, exists=exists, **options)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_name_on_the_index_exists_and_a_missing_one_does_not_one_query_each(tmp_path: Path) -> None:
    with serve(tmp_path / "index", WHEELS) as index:
        names = IndexNames(tmp_path / "cache")
        assert names.exists("realname", [index.url]) is True
        assert names.exists("nosuch", [index.url]) is False
        assert names.exists("realname", [index.url]) is True  # answered from memory
        assert index.asked() == ["/simple/realname/", "/simple/nosuch/"]
        accept = index.requests[0][1]["accept"]
        assert accept.startswith("application/vnd.pypi.simple.v1+json")
        names.save()
        again = IndexNames(tmp_path / "cache")
        assert again.exists("realname", [index.url]) is True and again.exists("nosuch", [index.url]) is False
        assert index.asked() == ["/simple/realname/", "/simple/nosuch/"]  # both from the disk cache


def test_the_cache_holds_no_credentials_and_the_query_sends_them(tmp_path: Path) -> None:
    with serve(tmp_path / "index", WHEELS) as index:
        secret = index.url.replace("http://", "http://user:s3cr3t-token@")
        names = IndexNames(tmp_path / "cache")
        assert names.exists("realname", [secret]) is True
        names.save()
        assert index.requests[0][1]["authorization"].startswith("Basic ")
    text = (tmp_path / "cache" / "index-names.json").read_text(encoding="utf-8")
    assert "s3cr3t" not in text and "***@127.0.0.1" in text
    assert json.loads(text)["schema"] == "depmin.index-names/1"


def test_an_unreachable_index_is_unknown_not_missing(tmp_path: Path) -> None:
    names = IndexNames(None, timeout=2.0)
    url = f"http://127.0.0.1:{_closed_port()}/simple"
    assert names.exists("anything", [url]) is None
    assert list(names.unreachable) == [url]


def test_a_missing_guess_fails_its_agents_once_and_the_rest_of_the_family_still_locks(tmp_path: Path) -> None:
    with serve(tmp_path / "index", WHEELS) as index:
        target = Target(python="3.11", platform="x86_64-manylinux_2_28", indexes=(index.url,))
        inputs = [
            _agent("A", "cpu", target, "realname"),
            _agent("B", "cpu", target, "nosuch.sub", requirements=("beta",)),
            _agent("C", "cpu", target, "nosuch", "gone"),
            _agent("D", "cpu", target, requirements=("beta",)),
        ]
        result = _lock(tmp_path, inputs, IndexNames(tmp_path / "cache"))
        assert sorted(index.asked()) == ["/simple/gone/", "/simple/nosuch/", "/simple/realname/"]
    states = {lock.agent: lock.state for lock in result.agents}
    assert states == {"A": "locked", "B": "failed", "C": "failed", "D": "locked"}
    problems = {lock.agent: lock.problems for lock in result.agents}
    nosuch = (
        f"import nosuch, nosuch.sub (agents B, C): depmin guessed the distribution nosuch, which is not on "
        f'{index.url}; set the distribution that provides it with [mapping] nosuch = "<distribution>" '
        "in agents.toml (or agents.<Name>.mapping)"
    )
    assert problems["B"] == (nosuch,)
    assert problems["C"][1] == nosuch and len(problems["C"]) == 2  # every missing name listed, by name
    assert problems["C"][0].startswith("import gone (agents C): depmin guessed the distribution gone, which")
    assert result.conflicts == ()
    assert not any("allow-divergence" in lock.reason for lock in result.agents)


def test_without_the_lookup_the_missing_name_is_a_conflict_that_fails_the_family(tmp_path: Path) -> None:
    """What the lookup prevents: the union fails, then the whole family does."""
    target = Target(python="3.11", platform="x86_64-manylinux_2_28")
    inputs = [_agent("A", "cpu", target, "realname"), _agent("B", "cpu", target, "nosuch")]
    result = _lock(tmp_path, inputs, None)
    assert {lock.agent: lock.state for lock in result.agents} == {"A": "failed", "B": "failed"}
    assert all("allow-divergence" in lock.reason for lock in result.agents)


def test_offline_skips_the_lookup_with_a_note(tmp_path: Path) -> None:
    with serve(tmp_path / "index", WHEELS) as index:
        target = Target(python="3.11", platform="x86_64-manylinux_2_28", indexes=(index.url,))
        result = _lock(tmp_path, [_agent("A", "cpu", target, "realname")], IndexNames(None), offline=True)
        assert index.asked() == []
    assert result.notes == ("note: 1 guessed distribution(s) not looked up on the index (--offline)",)
