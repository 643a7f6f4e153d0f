"""The values ``depmin verify`` returns: per agent, what was installed, what was imported, what failed."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AgentVerification", "ImportFailure", "Verification"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportFailure:
    """A module the scan found that does not import from the lock: the error's last line and the fix."""

    module: str
    error: str
    fix: str

    def __str__(self) -> str:
        return f"{self.module}: {self.error}; {self.fix}"


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentVerification:
    """One agent's environment, made with the interpreter ``python`` (of ``python_version``; the
    lock is for ``target_version``), from its locks (``locks``, relative to agents.toml's directory,
    installed in order) and the imports tried in it.

    ``environment`` is the key of the cached environment (agents with identical locks share one);
    ``reused`` says it was already there. ``install_error`` is pip's error when the locks did not
    install (nothing was imported then); ``pip_check`` holds ``pip check``'s complaints; ``sdist_only``
    the locked distributions without a wheel for the target (``name==version``); ``skipped`` the
    modules whose marker is false on the target.

    ``image`` is the tag of the built image the check ran in (``depmin verify --image``; None: a
    virtual environment). ``heavy`` holds the locked distributions left out as too heavy for the
    machine (``name==version``, with ``--max-mb``/``--skip-heavy``) and ``unchecked`` the modules
    not imported because they need one of them."""

    agent: str
    python: str
    python_version: str
    target_version: str
    locks: tuple[str, ...]
    environment: str
    reused: bool
    modules: tuple[str, ...]
    skipped: tuple[str, ...]
    failures: tuple[ImportFailure, ...]
    install_error: str | None
    pip_check: tuple[str, ...]
    sdist_only: tuple[str, ...]
    image: str | None = None
    heavy: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures and self.install_error is None and not self.pip_check


@dataclass(frozen=True, kw_only=True, slots=True)
class Verification:
    """``depmin verify``'s result, one entry per agent in the order asked."""

    agents: tuple[AgentVerification, ...]

    @property
    def ok(self) -> bool:
        return all(agent.ok for agent in self.agents)
