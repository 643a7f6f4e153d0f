"""The locked distributions of the chosen agents, what the OSV service says about them, and the verdict.

:func:`audit_locks` reads each agent's ``pylock.toml`` (through the one reader,
:func:`depmin.locking.listing.parse_files`), asks pip-audit once for the union of the pins, reads the
severity of each reported advisory from the same service and hands everything to :func:`judge`, which
is pure: a finding blocks when its severity is at or above the threshold and no unexpired
``[[audit.ignore]]`` entry names it (by its ID or an alias). An advisory with no severity the service
states blocks at every threshold: an unknown risk is not a low one.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from depmin._backend.auditors import OSV_URL, Reported, advisory, run_pip_audit
from depmin._names import canonicalize_name
from depmin.errors import ConfigError, Problem
from depmin.layout import Layout
from depmin.locking.listing import parse_files
from depmin.manifest import SEVERITIES, AuditIgnore, Fleet, Severity

__all__ = ["AuditResult", "Finding", "audit_locks", "judge", "severity_of"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One advisory affecting one locked distribution, and how ``[audit]`` judges it."""

    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    severity: Severity | None  # None: the service states none
    summary: str
    fix_versions: tuple[str, ...]
    agents: tuple[str, ...]
    ignored: AuditIgnore | None  # the unexpired entry that accepts it
    blocking: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditResult:
    url: str
    fail_on: Severity
    agents: tuple[str, ...]
    distributions: int  # distinct (name, version) pins checked
    findings: tuple[Finding, ...]
    expired: tuple[AuditIgnore, ...]  # ignores past their date: no longer applied

    @property
    def ok(self) -> bool:
        return not any(finding.blocking for finding in self.findings)


Lookup = Callable[[Sequence[tuple[str, str]], str], list[Reported]]
Records = Callable[[Sequence[str], str], "Mapping[str, Any] | None"]


def audit_locks(
    fleet: Fleet,
    agents: Sequence[str],
    *,
    url: str | None = None,
    fail_on: Severity | None = None,
    today: datetime.date | None = None,
    lookup: Lookup | None = None,
    records: Records | None = None,
) -> AuditResult:
    """Audit the locks of ``agents``; ``url`` and ``fail_on`` override ``[audit]``."""
    layout = Layout.beside(fleet.path)
    pins: dict[tuple[str, str], list[str]] = {}
    missing = []
    for agent in agents:
        path = layout.pylock(agent)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            missing.append(Problem(str(path), f"no lock for {agent}; run `depmin lock --agent {agent}` first"))
            continue
        for name, version in parse_files(text, base=path.parent, where=str(path)):
            pins.setdefault((str(name), str(version)), []).append(agent)
    if missing:
        raise ConfigError(missing)
    service = url or fleet.audit.url or OSV_URL
    run = lookup or (lambda p, u: run_pip_audit(p, url=u))
    fetch = records or (lambda ids, u: advisory(ids, url=u))
    reported = run(sorted(pins), service)
    severities = {}
    for item in reported:
        if item.id not in severities:
            # pip-audit may show a CVE alias as the ID: ask for the advisory's own IDs first.
            ids = sorted({item.id, *item.aliases}, key=lambda i: (i.startswith("CVE-"), i))
            severities[item.id] = severity_of(fetch(ids, service))
    return judge(
        reported,
        severities,
        pins={key: tuple(sorted(set(value))) for key, value in pins.items()},
        ignores=fleet.audit.ignore,
        fail_on=fail_on or fleet.audit.fail_on,
        today=today or datetime.datetime.now(datetime.timezone.utc).date(),
        url=service,
        agents=tuple(agents),
    )


def judge(
    reported: Sequence[Reported],
    severities: Mapping[str, Severity | None],
    *,
    pins: Mapping[tuple[str, str], tuple[str, ...]],
    ignores: Sequence[AuditIgnore],
    fail_on: Severity,
    today: datetime.date,
    url: str,
    agents: tuple[str, ...],
) -> AuditResult:
    """The verdict on what the service reported: pure, sorted, the same for the same inputs."""
    live = [entry for entry in ignores if entry.until >= today]
    expired = tuple(sorted((entry for entry in ignores if entry.until < today), key=lambda e: (e.id, e.until)))
    threshold = SEVERITIES.index(fail_on)
    findings = []
    for item in reported:
        names = {item.id, *item.aliases}
        accepted = next((entry for entry in live if entry.id in names), None)
        severity = severities.get(item.id)
        at_threshold = severity is None or SEVERITIES.index(severity) >= threshold
        findings.append(
            Finding(
                name=item.name,
                version=item.version,
                id=item.id,
                aliases=tuple(sorted(set(item.aliases))),
                severity=severity,
                summary=item.description.strip().splitlines()[0] if item.description.strip() else "",
                fix_versions=item.fix_versions,
                agents=pins.get((str(canonicalize_name(item.name)), item.version), ()),
                ignored=accepted,
                blocking=at_threshold and accepted is None,
            )
        )
    findings.sort(key=lambda f: (not f.blocking, f.name, f.version, f.id))
    return AuditResult(
        url=url, fail_on=fail_on, agents=agents, distributions=len(pins), findings=tuple(findings), expired=expired
    )


_NAMED = {"low": "low", "moderate": "medium", "medium": "medium", "high": "high", "critical": "critical"}


def severity_of(record: Mapping[str, Any] | None) -> Severity | None:
    """The severity an OSV record states: its database's rating (GitHub's ``database_specific.severity``)
    if any, else the rating of its CVSS v3 base score, else None."""
    if record is None:
        return None
    for table in (record.get("database_specific"), *_affected_tables(record)):
        if isinstance(table, dict) and isinstance(table.get("severity"), str):
            named = _NAMED.get(table["severity"].strip().lower())
            if named is not None:
                return SEVERITIES[SEVERITIES.index(named)]
    for entry in record.get("severity") or ():
        if isinstance(entry, dict) and str(entry.get("type", "")).startswith("CVSS_V3"):
            score = cvss3_base_score(str(entry.get("score", "")))
            if score is not None:
                return _rating(score)
    return None


def _affected_tables(record: Mapping[str, Any]) -> list[object]:
    tables: list[object] = []
    for affected in record.get("affected") or ():
        if isinstance(affected, dict):
            tables += [affected.get("ecosystem_specific"), affected.get("database_specific")]
    return tables


def _rating(score: float) -> Severity | None:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low" if score > 0 else None


_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}


def cvss3_base_score(vector: str) -> float | None:
    """The CVSS v3.x base score of ``CVSS:3.1/AV:N/AC:L/...`` (the specification's formula), None if malformed."""
    parts = vector.split("/")
    if not parts or not parts[0].startswith("CVSS:3"):
        return None
    metrics = dict(part.split(":", 1) for part in parts[1:] if ":" in part)
    try:
        changed = {"U": False, "C": True}[metrics["S"]]
        pr = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[metrics["PR"]]
        w = {key: table[metrics[key]] for key, table in _WEIGHTS.items()}
    except KeyError:
        return None
    iss = 1 - (1 - w["C"]) * (1 - w["I"]) * (1 - w["A"])
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    exploitability = 8.22 * w["AV"] * w["AC"] * pr * w["UI"]
    total = min((1.08 if changed else 1.0) * (impact + exploitability), 10.0)
    return _round_up(total)


def _round_up(value: float) -> float:
    """CVSS 3.1's Roundup: the smallest one-decimal number at least ``value``, free of float noise."""
    scaled = round(value * 100_000)
    return scaled / 100_000.0 if scaled % 10_000 == 0 else (math.floor(scaled / 10_000) + 1) / 10.0
