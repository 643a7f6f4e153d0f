"""An :class:`~depmin.auditing.audit.AuditResult` as text lines, a JSON document and a SARIF 2.1.0 log.

Every rendering is sorted and carries no time or path of the machine, so the same result gives the
same bytes. Text taken from the service (summaries, IDs) is redacted and kept on one line.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from depmin._secrets import redact, redact_url
from depmin._version import __version__
from depmin.auditing.audit import AuditResult, Finding
from depmin.layout import PYLOCK_NAME

__all__ = ["one_line", "sarif_document", "text_lines"]

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # a terminal escape from the service stays inert
_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", None: "error"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", None: "8.0"}


def one_line(text: str) -> str:
    """Text from the service or agents.toml for a report: one line, no control character, secrets redacted."""
    return redact(_CONTROL.sub("?", " ".join(text.split())))


def _severity(finding: Finding) -> str:
    return finding.severity or "unknown"


def text_lines(result: AuditResult) -> list[str]:
    lines = []
    for finding in result.findings:
        state = "FAIL" if finding.blocking else ("ignored" if finding.ignored else "below threshold")
        fix = f"; fixed in {', '.join(finding.fix_versions)}" if finding.fix_versions else "; no fixed version"
        lines.append(
            one_line(
                f"{state}: {finding.name} {finding.version}: {finding.id} ({_severity(finding)}){fix}; "
                f"agents: {', '.join(finding.agents)}"
            )
        )
        if finding.ignored is not None:
            lines.append(
                "  " + one_line(f"ignored until {finding.ignored.until.isoformat()}: {finding.ignored.reason}")
            )
        elif finding.summary:
            lines.append("  " + one_line(finding.summary))
    for entry in result.expired:
        lines.append(
            one_line(
                f"expired ignore: {entry.id} (until {entry.until.isoformat()}) no longer applies; "
                "fix the dependency or renew the entry in agents.toml"
            )
        )
    blocking = sum(finding.blocking for finding in result.findings)
    lines.append(
        f"{result.distributions} distributions of {len(result.agents)} agents checked at {redact_url(result.url)}: "
        f"{len(result.findings)} advisories, {blocking} at or above {result.fail_on} not ignored"
    )
    return lines


def sarif_document(result: AuditResult) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one rule per advisory, one result per (advisory, agent lock); accepted
    advisories are results with an ``accepted`` suppression, so code scanning shows them as dismissed."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in result.findings:
        rules.setdefault(
            finding.id,
            {
                "id": finding.id,
                "name": finding.id,
                "shortDescription": {"text": one_line(finding.summary) or finding.id},
                "helpUri": f"https://osv.dev/vulnerability/{urllib.parse.quote(finding.id, safe='')}",
                "properties": {"security-severity": _SCORE[finding.severity], "tags": ["security", "dependency"]},
            },
        )
        for agent in finding.agents or ("",):
            entry: dict[str, Any] = {
                "ruleId": finding.id,
                "level": _SARIF_LEVEL[finding.severity] if finding.blocking else "note",
                "message": {
                    "text": one_line(
                        f"{finding.name} {finding.version} is affected by {finding.id} ({_severity(finding)})"
                        + (f"; fixed in {', '.join(finding.fix_versions)}" if finding.fix_versions else "")
                    )
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"locks/{agent}/{PYLOCK_NAME}" if agent else "locks"}
                        }
                    }
                ],
                "partialFingerprints": {"depmin/advisory": f"{finding.id}:{finding.name}:{finding.version}:{agent}"},
            }
            if finding.ignored is not None:
                entry["suppressions"] = [
                    {"kind": "external", "status": "accepted", "justification": one_line(finding.ignored.reason)}
                ]
            results.append(entry)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "depmin audit",
                        "version": __version__,
                        "informationUri": "https://osv.dev",
                        "rules": [rules[key] for key in sorted(rules)],
                    }
                },
                "results": results,
            }
        ],
    }
