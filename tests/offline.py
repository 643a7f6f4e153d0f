"""depmin run in-process against local wheels only: what the lock and verify integration tests share.

* :func:`own_caches`: an empty uv cache and depmin cache under the test's temporary directory.
* :func:`seal`: :func:`own_caches`, and every proxy pointing at a closed local port
  (``http://127.0.0.1:9``) with no retries, so that no request can leave the machine.
* :func:`write_fleet`: an agents.toml of a given header and one ``[agents.NAME]`` table an agent,
  each with its one-file entrypoint ``repo/agents/<name>.py``.
* :func:`run`: ``depmin --config CONFIG ARGS...``; its exit code, standard output and error.

The wheels themselves come from :mod:`tests.wheelhouse` (a find-links directory or a simple index on
disk) or :mod:`tests.locking.local_index` (the same index served on loopback).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from depmin.cli.entry import main

__all__ = ["own_caches", "run", "seal", "write_fleet"]

_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

AGENT = """
[agents.{name}]
entrypoint = "agents/{file}.py"
machines = ["M"]
family = "{family}"
{extra}
"""


def own_caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("DEPMIN_CACHE_DIR", str(tmp_path / "depmin-cache"))


def seal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own_caches(monkeypatch, tmp_path)
    for proxy in _PROXIES:
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def write_fleet(
    root: Path, header: str, agents: Mapping[str, tuple[str, str]], *, extra: Mapping[str, str] | None = None
) -> Path:
    """``root/agents.toml``: ``header`` (project, machine ``M``, families), then each agent of
    ``agents`` (name -> (family, source of its entrypoint)) on ``M``, with ``extra[name]`` lines."""
    text = header
    (root / "repo" / "agents").mkdir(parents=True, exist_ok=True)
    for name, (family, source) in agents.items():
        (root / "repo" / "agents" / f"{name.lower()}.py").write_text(source, encoding="utf-8")
        text += AGENT.format(name=name, file=name.lower(), family=family, extra=(extra or {}).get(name, ""))
    (root / "agents.toml").write_text(text, encoding="utf-8")
    return root / "agents.toml"


def run(config: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()
