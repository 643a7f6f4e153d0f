"""depmin audit: the real pip-audit against a local OSV-protocol service serving fixture advisories."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest

from depmin._backend.auditors import Reported
from depmin.auditing import judge, severity_of, text_lines
from depmin.auditing.audit import cvss3_base_score
from depmin.cli import main
from depmin.errors import ConfigError
from depmin.manifest import load_fleet
from tests.auditing.osv_server import advisory, osv_service
from tests.conftest import MINIMAL, WriteFleet

PYLOCK = """\
lock-version = "1.0"
created-by = "depmin"

[[packages]]
name = "{name}"
version = "{version}"
wheels = [
    {{ name = "{wheel}-{version}-py3-none-any.whl", url = "https://files.example/{wheel}-{version}-py3-none-any.whl", hashes = {{ sha256 = "{sha}" }} }},
]

[[packages]]
name = "idna"
version = "3.7"
wheels = [
    {{ name = "idna-3.7-py3-none-any.whl", url = "https://files.example/idna-3.7-py3-none-any.whl", hashes = {{ sha256 = "{sha}" }} }},
]
"""


def _fleet(write_fleet: WriteFleet, extra: str = "", *, name: str = "requests", version: str = "2.31.0") -> Path:
    config = write_fleet(MINIMAL + extra)
    lock = config.parent / "locks" / "NLUAgent" / "pylock.toml"
    lock.parent.mkdir(parents=True)
    lock.write_text(PYLOCK.format(name=name, wheel=name.replace("-", "_"), version=version, sha="0" * 64))
    return config


def _run(config: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), "audit", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


HIGH = advisory(
    "GHSA-aaaa-bbbb-cccc", "requests", ["2.31.0"], severity="HIGH", aliases=["CVE-2099-0001"], fixed="2.32.4"
)
LOW = advisory("PYSEC-2099-7", "idna", ["3.7"], cvss="CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N")


# -- the real tool against the local service -------------------------------------------------------------------


@pytest.mark.integration
def test_an_advisory_at_the_threshold_fails_and_names_the_distribution(write_fleet: WriteFleet) -> None:
    config = _fleet(write_fleet)
    with osv_service([HIGH, LOW]) as (url, log):
        code, out, _ = _run(config, "--all", "--url", url, "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert [(f["name"], f["id"], f["severity"], f["blocking"]) for f in document["findings"]] == [
        ("requests", "CVE-2099-0001", "high", True),  # pip-audit shows the CVE alias as the ID
        ("idna", "PYSEC-2099-7", "low", False),
    ]
    assert document["findings"][0]["fix_versions"] == ["2.32.4"]
    assert document["findings"][0]["agents"] == ["NLUAgent"]
    assert "POST /v1/query requests==2.31.0" in log and "POST /v1/query idna==3.7" in log
    assert "GET /v1/vulns/GHSA-aaaa-bbbb-cccc" in log  # the severity comes from the advisory's own record


@pytest.mark.integration
def test_an_ignore_with_a_reason_passes_and_a_lower_threshold_fails_again(write_fleet: WriteFleet) -> None:
    ignore = (
        '\n[[audit.ignore]]\nid = "GHSA-aaaa-bbbb-cccc"\nreason = "we never call the proxy code"\nuntil = 2099-01-31\n'
    )
    config = _fleet(write_fleet, ignore)
    with osv_service([HIGH, LOW]) as (url, _):
        passed = _run(config, "--url", url)
        failed = _run(config, "--url", url, "--fail-on", "low")
    assert passed[0] == 0, passed
    assert "ignored: requests 2.31.0: CVE-2099-0001 (high)" in passed[1]
    assert "ignored until 2099-01-31: we never call the proxy code" in passed[1]
    assert failed[0] == 1
    assert "FAIL: idna 3.7: PYSEC-2099-7 (low)" in failed[1]


@pytest.mark.integration
def test_an_expired_ignore_stops_applying_and_is_reported(write_fleet: WriteFleet) -> None:
    ignore = (
        '\n[audit]\nfail_on = "critical"\n[[audit.ignore]]\nid = "CVE-2099-0001"\nreason = "r"\nuntil = 2020-01-01\n'
    )
    critical = advisory(
        "GHSA-aaaa-bbbb-cccc",
        "requests",
        ["2.31.0"],
        aliases=["CVE-2099-0001"],
        cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    config = _fleet(write_fleet, ignore)
    with osv_service([critical]) as (url, _):
        code, out, _ = _run(config, "--url", url)
    assert code == 1
    assert "FAIL: requests 2.31.0: CVE-2099-0001 (critical)" in out
    assert "expired ignore: CVE-2099-0001 (until 2020-01-01) no longer applies" in out


@pytest.mark.integration
def test_the_service_url_comes_from_agents_toml_and_sarif_is_written(write_fleet: WriteFleet, tmp_path: Path) -> None:
    with osv_service([HIGH]) as (url, log):
        config = _fleet(write_fleet, f'\n[audit]\nurl = "{url}"\n')
        code, _, _ = _run(config, "--sarif", str(tmp_path / "audit.sarif"))
        again = _run(config, "--sarif", "-")
    sarif = json.loads((tmp_path / "audit.sarif").read_text())
    assert code == 1 and log
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert (result["ruleId"], result["level"]) == ("CVE-2099-0001", "error")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "locks/NLUAgent/pylock.toml"
    assert json.loads(again[1]) == sarif  # the same bytes twice: deterministic


@pytest.mark.integration
def test_a_clean_lock_passes(write_fleet: WriteFleet) -> None:
    config = _fleet(write_fleet, name="urllib3", version="2.5.0")
    with osv_service([HIGH]) as (url, _):
        code, out, _ = _run(config, "--url", url)
    assert code == 0
    assert "2 distributions of 1 agents checked" in out and "0 advisories" in out


@pytest.mark.integration
def test_an_unreachable_service_is_a_tool_error(write_fleet: WriteFleet) -> None:
    config = _fleet(write_fleet)
    code, _, err = _run(config, "--url", "http://127.0.0.1:9")
    assert code == 3
    assert "pip-audit failed" in err and "Traceback" not in err


# -- without the tool -----------------------------------------------------------------------------------------


def test_a_missing_lock_says_how_to_write_it(write_fleet: WriteFleet) -> None:
    config = write_fleet()
    code, _, err = _run(config, "--url", "http://127.0.0.1:9")
    assert code == 2
    assert "no lock for NLUAgent; run `depmin lock --agent NLUAgent` first" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[audit]\nfail_on = "severe"\n', "audit.fail_on: 'severe' is not one of"),
        ('[audit]\nurl = "ftp://osv"\n', "audit.url"),
        ('[audit]\nurl = "file:///osv"\n', "reached over http(s)"),
        ('[[audit.ignore]]\nid = "GHSA-1"\nreason = "r"\nuntil = "2027-01-31"\n', "until: expected a date"),
        ('[[audit.ignore]]\nid = "GHSA-1"\nuntil = 2027-01-31\n', "reason: missing required key"),
        ('[[audit.ignore]]\nid = "GHSA-1"\nreason = " "\nuntil = 2027-01-31\n', "reason: is empty"),
        ('[[audit.ignore]]\nid = "x\\ny"\nreason = "r"\nuntil = 2027-01-31\n', "is not an advisory ID"),
        ('[audit]\nurls = "x"\n', "audit.urls: unknown key"),
    ],
)
def test_bad_audit_settings_are_refused_at_load(write_fleet: WriteFleet, extra: str, message: str) -> None:
    config = write_fleet(MINIMAL + extra)
    with pytest.raises(ConfigError) as caught:
        load_fleet(config)
    assert message in str(caught.value)


def test_audit_settings_load(write_fleet: WriteFleet) -> None:
    extra = '[audit]\nurl = "https://osv.internal"\nfail_on = "medium"\n[[audit.ignore]]\nid = "GHSA-1-2"\nreason = "r"\nuntil = 2027-01-31\n'
    audit = load_fleet(write_fleet(MINIMAL + extra)).audit
    assert (audit.url, audit.fail_on) == ("https://osv.internal", "medium")
    assert [(i.id, i.until) for i in audit.ignore] == [("GHSA-1-2", datetime.date(2027, 1, 31))]


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 6.5),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ],
)
def test_cvss3_base_scores_match_the_specification_calculator(vector: str, score: float) -> None:
    assert cvss3_base_score(vector) == score


def test_the_named_rating_wins_over_the_vector_and_moderate_is_medium() -> None:
    record = advisory("GHSA-x-y", "p", ["1"], severity="MODERATE", cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert severity_of(record) == "medium"
    assert severity_of(advisory("GHSA-x-y", "p", ["1"])) is None
    assert severity_of(None) is None


def _reported(description: str = "d", advisory_id: str = "GHSA-1-2") -> Reported:
    return Reported(name="p", version="1.0", id=advisory_id, aliases=(), fix_versions=(), description=description)


def _judge(severity: str | None, fail_on: str = "critical", description: str = "d") -> object:
    return judge(
        [_reported(description)],
        {"GHSA-1-2": severity},  # type: ignore[dict-item]
        pins={("p", "1.0"): ("A",)},
        ignores=(),
        fail_on=fail_on,  # type: ignore[arg-type]
        today=datetime.date(2026, 1, 1),
        url="http://127.0.0.1:1",
        agents=("A",),
    )


def test_an_advisory_without_a_stated_severity_blocks_at_every_threshold() -> None:
    assert not _judge(None).ok  # type: ignore[attr-defined]
    assert _judge("high").ok  # type: ignore[attr-defined]
    assert not _judge("high", fail_on="high").ok  # type: ignore[attr-defined]


def test_text_from_the_service_cannot_break_the_report() -> None:
    result = _judge("high", description="first line \x1b[2J\x1b]0;owned\x07\nsecond line")
    lines = text_lines(result)  # type: ignore[arg-type]
    assert all("\x1b" not in line and "\x07" not in line for line in lines)
    assert lines[1] == "  first line ?[2J?]0;owned?"
