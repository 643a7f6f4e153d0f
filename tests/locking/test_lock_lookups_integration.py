"""`depmin lock` from the CLI with the real uv: guessed names looked up before resolving, dotted
imports checked against fetched wheels (issue 13, items 4 and 5).

The family's index is a real simple index on loopback (:mod:`tests.locking.local_index`) with real
wheels; uv resolves against it. The one query that leaves the machine is the lookup of the missing
name on the default index (PyPI), which must answer 404 for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.locking.local_index import serve
from tests.offline import own_caches, run, write_fleet
from tests.wheelhouse import Wheel

pytestmark = pytest.mark.integration

MISSING = "depmin_no_such_dist_xq7"  # guessed as depmin-no-such-dist-xq7: on no index

FLEET = """\
[project]
root = "repo"
python = "3.11"
platform = "x86_64-manylinux_2_28"
constraints = "constraints.txt"

[machines.M]

[families.cpu]
from = "python:3.11-slim"
indexes = ["{index}"]
"""

SOURCES = {
    "Fine": "import dmtreal\n",
    "Lost": f"import dmtreal\nimport {MISSING}\n",
    "AlsoLost": f"import {MISSING}.sub\n",
    "Old": "from dmtplug.new.device_factory import make\n",
}

WHEELS = (
    Wheel("dmtreal", "1.0", modules={"dmtreal/__init__.py": ""}),
    Wheel("dmtplug", "1.0", modules={"dmtplug/__init__.py": "", "dmtplug/old.py": ""}),
    Wheel(
        "dmtplug",
        "2.0",
        modules=dict.fromkeys(["dmtplug/__init__.py", "dmtplug/new/__init__.py", "dmtplug/new/device_factory.py"], ""),
    ),
)


@pytest.fixture(autouse=True)
def _caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own_caches(monkeypatch, tmp_path)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def test_lock_fails_only_the_agents_of_a_missing_name_and_names_the_release_of_a_submodule(tmp_path: Path) -> None:
    with serve(tmp_path / "index", WHEELS) as index:
        config = write_fleet(tmp_path, FLEET.format(index=index.url), {name: ("cpu", s) for name, s in SOURCES.items()})
        (tmp_path / "constraints.txt").write_text("dmtplug<2\n", encoding="utf-8")
        code, out, err = run(config, "lock", "--all", "--format", "json")
        again, again_out, again_err = run(config, "lock", "--all")
        asked = index.asked()
    document = json.loads(out)
    states = {a["agent"]: a["state"] for a in document["agents"]}
    assert states == {"AlsoLost": "failed", "Fine": "locked", "Lost": "failed", "Old": "failed"}, err
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    missing = [line for line in errors if "depmin-no-such-dist-xq7" in line]
    assert len(missing) == 1, errors  # once, though two agents need it
    assert missing[0].startswith(
        f"error: import {MISSING}, {MISSING}.sub (agents AlsoLost, Lost): depmin guessed the distribution "
        f"depmin-no-such-dist-xq7, which is not on {index.url} or https://pypi.org/simple; set the distribution "
        f'that provides it with [mapping] {MISSING} = "<distribution>"'
    )
    old = [line for line in errors if "dmtplug" in line]
    assert old == [
        "error: Old: import dmtplug.new.device_factory needs dmtplug.new, which the locked dmtplug 1.0 does not "
        "have (it has dmtplug) (releases that provide it: dmtplug 2.0); pin a release that has it "
        "(agents.Old.extra_requirements), or name the module in agents.Old.ignore_imports if the package makes "
        "it at run time"
    ]
    assert "allow-divergence" not in err
    assert document["conflicts"] == []
    assert (tmp_path / "locks" / "Fine" / "requirements.lock").is_file()
    assert not (tmp_path / "locks" / "Lost" / "requirements.lock").exists()
    # the text report, run again: the missing name once in all the output, from the cached lookup
    assert again == 1
    reported = [line for line in again_err.splitlines() if not line.startswith("warning:")]
    assert "\n".join([again_out, *reported]).count("depmin-no-such-dist-xq7") == 1  # (generate warns)
    assert "Lost: failed (see the errors)" in again_out
    assert asked.count("/simple/depmin-no-such-dist-xq7/") == 1  # the second run asked the disk cache
