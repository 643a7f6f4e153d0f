"""The vulnerability lookup: pip-audit run on pinned requirements against an OSV service, and the
advisory records of what it found.

pip-audit is the scanner: it asks the service (``POST {url}/v1/query``, one package version at a
time) which advisories affect each pinned version and prints them as JSON. Its JSON has no severity,
so the advisories it reports are then read from the same service (``GET {url}/v1/vulns/{id}``): the
OSV record of an ID that pip-audit found, nothing else. No version matching happens here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from depmin._backend.interpreters import last_line
from depmin._secrets import redact, redact_url
from depmin.errors import ToolError

__all__ = ["OSV_URL", "Reported", "advisory", "run_pip_audit"]

OSV_URL = "https://api.osv.dev"
_MAX_RECORD = 4_000_000  # bytes of one advisory record read from the service


@dataclass(frozen=True, kw_only=True, slots=True)
class Reported:
    """One advisory pip-audit reported for one pinned distribution."""

    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str


def run_pip_audit(pins: Sequence[tuple[str, str]], *, url: str, timeout: float = 600.0) -> list[Reported]:
    """Every advisory pip-audit finds for the ``(name, version)`` pins at the OSV service ``url``."""
    if not pins:
        return []
    if importlib.util.find_spec("pip_audit") is None:
        raise ToolError("pip-audit is not installed; install it with: pip install 'depmin[audit]'")
    with tempfile.TemporaryDirectory(prefix="depmin-audit-") as directory:
        requirements = Path(directory, "requirements.txt")
        requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins), encoding="utf-8")
        command = [
            sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--no-deps", "--disable-pip",
            "--vulnerability-service", "osv", "--osv-url", f"{url.rstrip('/')}/v1/query",
            "--format", "json", "--desc", "on", "--aliases", "on", "--progress-spinner", "off",
            "--cache-dir", str(Path(directory, "cache")), "--timeout", "60",
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ToolError(f"pip-audit took longer than {timeout:.0f} s; is {redact_url(url)} reachable?") from None
    if done.returncode not in (0, 1):
        raise ToolError(f"pip-audit failed: {redact(last_line(done.stderr) or 'no message')}; check [audit] url")
    try:
        document = json.loads(done.stdout)
        return _reported(document)
    except (ValueError, KeyError, TypeError):
        reason = redact(last_line(done.stderr) or "no report")
        raise ToolError(f"pip-audit failed: {reason}; check that {redact_url(url)} is an OSV service") from None


def _reported(document: Mapping[str, Any]) -> list[Reported]:
    found: list[Reported] = []
    for dependency in document["dependencies"]:
        for vuln in dependency.get("vulns", ()):
            found.append(
                Reported(
                    name=str(dependency["name"]),
                    version=str(dependency["version"]),
                    id=str(vuln["id"]),
                    aliases=tuple(str(alias) for alias in vuln.get("aliases", ())),
                    fix_versions=tuple(str(v) for v in vuln.get("fix_versions", ())),
                    description=str(vuln.get("description") or ""),
                )
            )
    return found


def advisory(ids: Sequence[str], *, url: str, timeout: float = 60.0) -> Mapping[str, Any] | None:
    """The OSV record of the first of ``ids`` the service knows (``GET {url}/v1/vulns/{id}``), else None."""
    for advisory_id in ids:
        target = f"{url.rstrip('/')}/v1/vulns/{urllib.parse.quote(advisory_id, safe='')}"
        request = urllib.request.Request(target, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(_MAX_RECORD + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                continue
            raise ToolError(f"{redact_url(url)} answered {exc.code} for {advisory_id}; check [audit] url") from None
        except (urllib.error.URLError, OSError) as exc:
            raise ToolError(f"cannot reach {redact_url(url)} ({redact(str(exc))}); check [audit] url") from None
        if len(body) > _MAX_RECORD:
            raise ToolError(f"{redact_url(url)}: the record of {advisory_id} is larger than 4 MB")
        try:
            record = json.loads(body)
        except ValueError:
            raise ToolError(f"{redact_url(url)}: the record of {advisory_id} is not JSON") from None
        if isinstance(record, dict):
            return record
    return None
