"""The resolvers: uv (default) and pip-tools behind one request type, each run as a subprocess.

Every failure becomes a one-line :class:`~depmin.errors.ToolError` naming the program and the fix,
with the credentials of every URL in it redacted; :class:`UnsatisfiableError` carries the resolver's
reason for a conflict. The requests themselves carry the real URLs: the resolver needs them.
"""

from __future__ import annotations

import importlib
import os
import platform as _platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from depmin._backend.interpreters import last_line
from depmin._secrets import redact
from depmin.errors import ConfigError, Problem, ToolError

# Settings that change what a resolver picks: depmin passes its own (agents.toml and the command
# line), so a user's or a machine's pip.conf, uv.toml or PIP_*/UV_* variables cannot slip an
# index, a wheelhouse or a constraint into a lock. Network trust settings are kept.
_KEPT = {
    "PIP_CERT", "PIP_CLIENT_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_PROXY", "PIP_TRUSTED_HOST", "PIP_RETRIES",
    "UV_CACHE_DIR", "UV_NATIVE_TLS", "UV_HTTP_TIMEOUT", "UV_HTTP_RETRIES", "UV_CONCURRENT_DOWNLOADS",
    "UV_INSECURE_HOST",
}  # fmt: skip
_NETWORK = (
    "failed to fetch", "error sending request", "tcp connect error", "dns error", "client error (connect)",
    "could not fetch url", "max retries exceeded", "newconnectionerror",
    "failed to establish a new connection",
    "temporary failure in name resolution", "network is unreachable", "operation timed out",
)  # fmt: skip
_UNSATISFIABLE = (
    "no solution found", "resolutionimpossible", "could not find a version", "no matching distribution",
    "conflicting dependencies", "unsatisfiable",
)  # fmt: skip
OFFLINE_HINT = (
    "check the network, or pass --offline with a wheelhouse "
    "(`depmin wheelhouse` on a connected machine, or families.<F>.find_links)"
)


class UnsatisfiableError(ToolError):
    """The requirements cannot be installed together; ``explanation`` is the resolver's reason."""

    def __init__(self, message: str, explanation: str) -> None:
        super().__init__(message)
        self.explanation = explanation


@dataclass(frozen=True, kw_only=True, slots=True)
class Compile:
    """One resolution request, the same for every backend.

    ``requirements`` are PEP 508 lines (``uvicorn[standard]>=0.30``); ``constraints`` are lines
    of a pip constraints file (the project's ranges and the fleet's ``name==version`` pins);
    ``preferences`` (``name==version``) seed the output file, which both resolvers keep when they
    can, so a re-lock moves as few versions as possible.
    """

    requirements: tuple[str, ...]
    python: str
    platform: str
    constraints: tuple[str, ...] = ()
    preferences: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    offline: bool = False
    no_index: bool = False  # the user's --offline: wheelhouses only, not index data in uv's cache
    hashes: bool = True
    no_deps: bool = False
    pylock: bool = False


class Backend:
    """A resolver run as a subprocess; subclasses give the command line."""

    name = ""
    lists_files = False  # writes pylock.toml with every file's URL, size and hash (pip-compile does not)
    caches_offline = False  # answers --offline from its own cache of what it fetched before
    _version: str | None = None

    def __init__(self, *, timeout: float = 900.0) -> None:
        self.timeout = timeout

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = self._read_version()
        return self._version

    def _read_version(self) -> str:
        raise NotImplementedError

    def _command(self, request: Compile, files: _Files) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        raise NotImplementedError

    def compile(self, request: Compile) -> str:
        """Resolve ``request``; return the resolver's output file (requirements.txt or pylock.toml).

        Raises :class:`UnsatisfiableError` when no set of versions fits, :class:`ToolError` (whose
        message suggests ``--offline``) when no index is reachable, :class:`ToolError` otherwise.
        """
        _check_lines(request)
        with tempfile.TemporaryDirectory(prefix="depmin-lock-") as scratch:
            files = _Files.write(Path(scratch), request)
            command = self._command(request, files)
            done = _run(command, self._env(), self.timeout, self.name)
            if done.returncode != 0:
                raise _failure(self.name, request, done.stdout + "\n" + done.stderr)
            try:
                return files.output.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ToolError(f"{self.name} wrote no readable output ({exc}); rerun with --debug") from None


def _check_lines(request: Compile) -> None:
    """A line break inside a requirement would add lines (pip options) to the resolver's input
    files: refuse it (agents.toml's checks should have already)."""
    for line in (*request.requirements, *request.constraints, *request.preferences):
        if any(ord(character) < 32 or character == "\x7f" for character in line):
            raise ConfigError([Problem(repr(line), "a requirement holds a line break or control character; fix it")])


@dataclass(frozen=True, slots=True)
class _Files:
    requirements: Path
    constraints: Path
    output: Path

    @classmethod
    def write(cls, directory: Path, request: Compile) -> _Files:
        # The names show up in the resolvers' `# via` annotations.
        files = cls(
            directory / "requirements.generated.txt",
            directory / "constraints.txt",
            directory / ("pylock.toml" if request.pylock else "requirements.lock"),
        )
        files.requirements.write_text("".join(f"{line}\n" for line in request.requirements), encoding="utf-8")
        files.constraints.write_text("".join(f"{line}\n" for line in request.constraints), encoding="utf-8")
        if request.preferences and not request.pylock:
            files.output.write_text("".join(f"{line}\n" for line in request.preferences), encoding="utf-8")
        return files


class Uv(Backend):
    """``uv pip compile``: resolves for any target (``--python-version``, ``--python-platform``)."""

    name = "uv"
    lists_files = True
    caches_offline = True

    @staticmethod
    def binary() -> str:
        try:
            found: str = importlib.import_module("uv").find_uv_bin()
        except (ImportError, FileNotFoundError):
            found = shutil.which("uv") or ""
        if not found:
            raise ToolError("uv is not installed; `python3 -m pip install uv` (or pass --backend pip-tools)")
        return found

    def _read_version(self) -> str:
        done = _run([self.binary(), "--version"], self._env(), 60.0, "uv")
        words = done.stdout.split()
        if done.returncode != 0 or len(words) < 2:
            raise ToolError(f"uv --version failed ({redact(last_line(done.stderr))}); reinstall uv")
        return words[1]

    def _env(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith("UV_") or k in _KEPT}

    def _command(self, request: Compile, files: _Files) -> list[str]:
        command = [self.binary(), "pip", "compile", "--no-config", "--quiet", "--no-header"]
        # Every value joined to its option (`--index=URL`): a value that starts with "-" stays a value.
        command += [f"--python-version={request.python}", f"--python-platform={request.platform}"]
        command += ["--format", "pylock.toml"] if request.pylock else []
        command += ["--generate-hashes"] if request.hashes and not request.pylock else []
        command += ["--no-deps"] if request.no_deps else []
        command += ["--offline"] if request.offline else []
        if request.no_index:  # offline: wheelhouses and local (file://) indexes only, as pip-tools does
            local = [i for i in request.indexes if i.startswith("file:")]
            command += [f"--default-index={local[0]}"] if local else ["--no-index"]
            command += [f"--index={index}" for index in local[1:]]
        else:
            command += [f"--index={index}" for index in request.indexes]
        command += [f"--find-links={directory}" for directory in request.find_links]
        return [
            *command,
            f"--constraints={files.constraints}",
            f"--output-file={files.output}",
            str(files.requirements),
        ]


class PipTools(Backend):
    """``pip-compile --generate-hashes``; it resolves for the interpreter it runs on (pip-tools
    #1326), so depmin refuses a target that is not this machine's Python and platform."""

    name = "pip-tools"

    def _read_version(self) -> str:
        import importlib.metadata  # noqa: PLC0415 - for pip-tools only (it pulls the email package)

        try:
            return importlib.metadata.version("pip-tools")
        except importlib.metadata.PackageNotFoundError:
            raise ToolError(
                "pip-tools is not installed; `python3 -m pip install pip-tools` or use --backend uv"
            ) from None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in _KEPT}
        env["PIP_CONFIG_FILE"] = os.devnull
        return env

    def _command(self, request: Compile, files: _Files) -> list[str]:
        if request.pylock:
            raise ToolError("pip-compile cannot write pylock.toml; depmin lists files with uv")
        check_host(request.python, request.platform)
        command = [sys.executable, "-m", "piptools", "compile", "--no-config", "--quiet", "--no-header"]
        command += ["--allow-unsafe", "--strip-extras", "--annotation-style", "split"]
        command += ["--no-emit-index-url", "--no-emit-find-links", "--no-emit-trusted-host"]
        command += ["--generate-hashes"] if request.hashes else []
        # pip's --no-index drops every index, local ones too: offline, a local (file://) index
        # becomes the main one instead.
        local = [index for index in request.indexes if index.startswith("file:")]
        if request.offline and local:
            command += [f"--index-url={local[0]}"]
        elif request.offline:
            command += ["--no-index"]
        command += [f"--extra-index-url={index}" for index in (local[1:] if request.offline else request.indexes)]
        command += [f"--find-links={directory}" for directory in request.find_links]
        if request.no_deps:
            raise ToolError("pip-compile cannot resolve without dependencies; use uv for that")
        return [*command, f"--constraint={files.constraints}", f"--output-file={files.output}", str(files.requirements)]


BACKENDS: dict[str, type[Backend]] = {"uv": Uv, "pip-tools": PipTools}


def backend(name: str, *, timeout: float = 900.0) -> Backend:
    """The resolver called ``name`` (``uv`` or ``pip-tools``)."""
    try:
        return BACKENDS[name](timeout=timeout)
    except KeyError:
        raise ToolError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}") from None


def check_host(python: str, platform: str) -> None:
    """Raise unless this interpreter can stand for the target (what pip-compile resolves for)."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    machine = _platform.machine().lower().replace("amd64", "x86_64").replace("arm64", "aarch64")
    system = {"linux": "linux", "darwin": "apple-darwin", "win32": "windows"}.get(sys.platform, sys.platform)
    wanted_system = "linux" if "linux" in platform else ("apple-darwin" if "darwin" in platform else "windows")
    same_machine = platform.split("-", maxsplit=1)[0] in (machine, "linux", "macos", "windows")
    if here != python or system != wanted_system or not same_machine:
        raise ToolError(
            f"pip-compile locks for the machine it runs on (Python {here}, {sys.platform} {machine}), "
            f"not for the target (Python {python}, {platform}); use --backend uv, or run on the target"
        )


def _run(command: list[str], env: dict[str, str], timeout: float, name: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ToolError(f"cannot run {command[0]}: not found; install {name}") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{name} did not finish within {timeout:g}s; {OFFLINE_HINT}") from None
    except OSError as exc:
        raise ToolError(f"cannot run {command[0]}: {exc.strerror or exc}; reinstall {name}") from None


def _failure(name: str, request: Compile, output: str) -> ToolError:
    """The one-line error for a resolver's failed run; the credentials of every URL in it (the
    request's indexes, the resolver's output quoting them) are redacted."""
    error = _classify(name, request, redact(output))
    return _redact_error(error)


def _redact_error(error: ToolError) -> ToolError:
    error.args = tuple(redact(str(arg)) for arg in error.args)
    if isinstance(error, UnsatisfiableError):
        error.explanation = redact(error.explanation)
    return error


def _classify(name: str, request: Compile, output: str) -> ToolError:
    lowered = output.lower()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if any(marker in lowered for marker in _NETWORK):
        where = ", ".join(request.indexes) or "the default index (PyPI)"
        return ToolError(f"{name} cannot reach the package index ({where}): {_reason(lines)}; {OFFLINE_HINT}")
    built = re.search(r"Failed to (?:download and )?build `([^`]+)`", output)
    if built is not None:
        return ToolError(
            f"{name} had to build {built.group(1)} from source to read its metadata, and the build failed "
            f"({_reason(lines)}); constrain it to a version with wheels for the target in project.constraints, "
            "or map the import to another distribution in [mapping]"
        )
    if any(marker in lowered for marker in _UNSATISFIABLE):
        explanation = " ".join(
            line.removeprefix("cause:").strip() for line in lines if not line.startswith(("hint", "error:"))
        )
        return UnsatisfiableError(
            f"{name}: the requirements cannot be installed together: {_reason(lines)}", explanation
        )
    return ToolError(f"{name} failed: {last_line(output)}; rerun with --debug or try the other --backend")


def _reason(lines: list[str]) -> str:
    causes = [line.removeprefix("cause:").strip() for line in lines if line.startswith("cause:")]
    return causes[-1] if causes else (lines[-1] if lines else "no message")


def uv_cache_dir() -> Path | None:
    """uv's cache directory (where installed wheels are unpacked), or None when uv is missing."""
    try:
        done = _run([Uv.binary(), "cache", "dir"], Uv()._env(), 60.0, "uv")
    except ToolError:
        return None
    text = done.stdout.strip()
    return Path(text) if done.returncode == 0 and text else None
