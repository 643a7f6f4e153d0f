"""depmin's exception hierarchy: one root, and the exit code each kind maps to.

Exit codes: :data:`EXIT_CODES` is the one table; ``depmin --help`` prints it.

Every message is one line that names the file, key or line at fault and ends with
the next step the user can take.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "EXIT_CODES",
    "EXIT_CONFIG",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_TOOL",
    "ConfigError",
    "DepminError",
    "Problem",
    "ToolError",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_CONFIG = 2
EXIT_TOOL = 3
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "ok"),
    (EXIT_FINDINGS, "findings or staleness (an agent had errors, a file is stale)"),
    (EXIT_CONFIG, "usage or configuration error (agents.toml, command-line arguments)"),
    (EXIT_TOOL, "an external tool or the network failed (or depmin itself failed: rerun with --debug)"),
)


class DepminError(Exception):
    """Root of every error depmin raises on purpose."""

    exit_code = EXIT_FINDINGS


class Problem:
    """One located problem: ``where`` (a file, ``file:line`` or key path) and what to do."""

    __slots__ = ("message", "where")

    def __init__(self, where: str, message: str) -> None:
        # One line, always: a name taken from the user's file may hold a line break.
        self.where = _one_line(where)
        self.message = _one_line(message)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.where!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.where, self.message) == (other.where, other.message)

    def __hash__(self) -> int:
        return hash((self.where, self.message))


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(DepminError):
    """agents.toml (or the command line) is invalid; carries every problem found, not the first."""

    exit_code = EXIT_CONFIG

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ToolError(DepminError):
    """An external tool (uv, pip-compile, hadolint, buildah) or the network failed."""

    exit_code = EXIT_TOOL
