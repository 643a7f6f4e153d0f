"""The audit stage, after locking: every locked distribution of the chosen agents checked against an OSV
vulnerability service, judged by ``[audit]`` (the severity that fails, the accepted advisories).

``audit`` reads the locks and decides (:func:`audit_locks`, :class:`AuditResult`); the lookup itself is
pip-audit, run by :mod:`depmin._backend.auditors`; ``report`` renders a result as text, JSON or SARIF.
"""

from depmin.auditing.audit import AuditResult, Finding, audit_locks, judge, severity_of
from depmin.auditing.report import sarif_document, text_lines

__all__ = [
    "AuditResult",
    "Finding",
    "audit_locks",
    "judge",
    "sarif_document",
    "severity_of",
    "text_lines",
]
