"""Every dotted module the code imports is looked up in the locked wheels (issue 13, item 5).

The fleet's code is scanned and mapped as ``depmin lock`` does (``api.scan``, ``api.generate``,
``api.lock_inputs``); the wheels are real zip files with a ``RECORD`` (:mod:`tests.wheelhouse`) in a
wheelhouse on disk, read by the lock's own :class:`~depmin.locking.store.WheelContents`; only the
resolution goes through the fake resolver.
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from depmin import api
from depmin._backend.index import IndexNames
from depmin.locking import FleetLock, Target, releases
from depmin.locking.files import File, Release
from depmin.locking.store import WheelContents
from depmin.locking.verify import Check, provides_from_paths, verify
from tests.locking.driver import lock
from tests.locking.fake_uv import FakeUv, dist
from tests.locking.local_index import serve
from tests.wheelhouse import Wheel, build_wheelhouse

FLEET = """\
[project]
root = "repo"
python = "3.11"

[mapping]
plugp = "plugp"

[machines.M]

[families.cpu]
from = "python:3.11-slim"

[agents.Old]
entrypoint = "old.py"
machines = ["M"]
family = "cpu"

[agents.Top]
entrypoint = "top.py"
machines = ["M"]
family = "cpu"
{extra}
"""

# plugp 1.0 has no plugp.new; 2.0 has it (the release the code was written against)
PLUGP_1 = Wheel("plugp", "1.0", modules={"plugp/__init__.py": "", "plugp/old.py": ""})
PLUGP_2 = Wheel("plugp", "2.0", modules={"plugp/__init__.py": "", "plugp/new/__init__.py": "",
                                         "plugp/new/device_factory.py": ""})  # fmt: skip


def _lock(tmp_path: Path, extra: str = "") -> FleetLock:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "old.py").write_text("from plugp.new.device_factory import make\n", encoding="utf-8")
    (repo / "top.py").write_text(
        "import plugp\ntry:\n    import plugp.optional_part\nexcept ImportError:\n    pass\n", encoding="utf-8"
    )
    (tmp_path / "agents.toml").write_text(textwrap.dedent(FLEET.format(extra=extra)), encoding="utf-8")
    fleet = api.load_fleet(tmp_path / "agents.toml")
    inputs = api.lock_inputs(fleet, api.generate(fleet, api.scan(fleet, use_cache=False)))
    house = build_wheelhouse(tmp_path / "wheels", [PLUGP_1])
    backend = FakeUv((dist("plugp==1.0"),))  # the index has 1.0 only: what uv would pick
    return lock(tmp_path, backend, inputs, contents=WheelContents([house]))


def test_a_submodule_missing_from_the_locked_release_fails_the_agent_that_imports_it(tmp_path: Path) -> None:
    result = _lock(tmp_path)
    by_agent = {lock.agent: lock for lock in result.agents}
    assert by_agent["Top"].state == "locked"  # plugp itself is there; the guarded part may be absent
    assert by_agent["Old"].state == "failed"
    assert by_agent["Old"].problems == (
        "Old: import plugp.new.device_factory needs plugp.new, which the locked plugp 1.0 does not have (it "
        "has plugp); pin a release that has it (agents.Old.extra_requirements), or name the module in "
        "agents.Old.ignore_imports if the package makes it at run time",
    )


def test_ignore_imports_names_a_module_made_at_run_time(tmp_path: Path) -> None:
    result = _lock(tmp_path)
    assert {lock.agent: lock.state for lock in result.agents} == {"Old": "failed", "Top": "locked"}
    text = (tmp_path / "agents.toml").read_text(encoding="utf-8")
    old = '[agents.Old]\nentrypoint = "old.py"\nmachines = ["M"]\nfamily = "cpu"\n'
    (tmp_path / "agents.toml").write_text(text.replace(old, old + 'ignore_imports = ["plugp.new"]\n'))
    fleet = api.load_fleet(tmp_path / "agents.toml")
    inputs = api.lock_inputs(fleet, api.generate(fleet, api.scan(fleet, use_cache=False)))
    assert [c.module for c in inputs["Old"].checks] == ["plugp"]  # plugp.new and what is under it
    assert [c.module for c in inputs["Top"].checks] == ["plugp"]  # the guarded import is not checked


def test_the_release_with_the_submodule_passes(tmp_path: Path) -> None:
    house = build_wheelhouse(tmp_path / "wheels2", [PLUGP_2])
    contents = WheelContents([house])
    release = Release(
        name=dist("plugp==2.0").name,
        version=dist("plugp==2.0").version,
        files=(File(filename=PLUGP_2.filename, url=f"https://files.example/{PLUGP_2.filename}", sha256="x", size=1),),
    )
    check = Check(module="plugp.new.device_factory", distribution=release.name, source="mapping", key="plugp")
    assert verify("Old", [check], [release], contents) == ((), (), ())


def test_the_error_names_the_releases_that_provide_the_submodule(tmp_path: Path) -> None:
    """The search lists the project on a real index on loopback, downloads the newest releases'
    wheels (hash checked) and reads them."""
    wheels = [PLUGP_1, PLUGP_2, Wheel("plugp", "3.0", modules={"plugp/__init__.py": ""})]
    with serve(tmp_path / "index", wheels) as index:
        names = IndexNames(None)
        _, search = releases.edges(tmp_path / "cache", names, default=None)
        target = Target(python="3.11", platform="x86_64-manylinux_2_28", indexes=(index.url,))
        assert search(canonicalize_name("plugp"), "plugp.new.device_factory", target) == (("2.0",), 3)
        assert search(canonicalize_name("plugp"), "plugp.nowhere", target) == ((), 3)
        assert sorted(path.name for path in (tmp_path / "cache" / "wheels").iterdir()) == sorted(
            w.filename for w in wheels
        )
        release = Release(name=canonicalize_name("plugp"), version=Version("1.0"), files=())
        check = Check(module="plugp.new.device_factory", distribution=release.name, source="mapping", key="plugp")
        errors, _, _ = verify("Old", [check], [release], lambda r: provides_from_paths(["plugp/__init__.py"]),
                           lambda name, module: search(name, module, target))  # fmt: skip
    assert errors[0].startswith(
        "Old: import plugp.new.device_factory needs plugp.new, which the locked plugp 1.0 does not have (it has "
        "plugp) (releases that provide it: plugp 2.0); pin a release"
    )


def test_the_locked_wheel_of_a_guessed_name_is_fetched_to_verify_it(tmp_path: Path) -> None:
    with serve(tmp_path / "index", [PLUGP_1]) as index:
        url = f"{index.url.removesuffix('/simple')}/files/{PLUGP_1.filename}"
        digest = hashlib.sha256((tmp_path / "index" / "files" / PLUGP_1.filename).read_bytes()).hexdigest()
        release = Release(
            name=canonicalize_name("plugp"),
            version=Version("1.0"),
            files=(File(filename=PLUGP_1.filename, url=url, sha256=digest, size=None),),
        )
        fetching, _ = releases.edges(tmp_path / "cache", IndexNames(None), default=None)
        not_at_hand = WheelContents([])
        assert fetching(not_at_hand, [])(release) is None  # a name that is neither guessed nor ambiguous
        found = fetching(not_at_hand, [release.name])(release)
        assert found is not None and "plugp.old" in found and "plugp.new" not in found
        assert index.asked("/files/") == [f"/files/{PLUGP_1.filename}"]


SQL = Wheel(
    "dmtsql",
    "2.0",
    extras=("asyncio", "postgres"),
    requires=('dmtgreen>=1; extra == "asyncio"', 'dmtpg; extra == "postgres"', "dmttyping"),
    modules=dict.fromkeys(["dmtsql/__init__.py", "dmtsql/ext/__init__.py", "dmtsql/ext/asyncio/__init__.py"], ""),
)


def _sql_release(tmp_path: Path, name: str = "dmtsql", version: str = "2.0") -> Release:
    return Release(name=canonicalize_name(name), version=Version(version), files=(
        File(filename=f"{name}-{version}-py3-none-any.whl", url=f"https://files.example/{name}", sha256="x", size=1),))  # fmt: skip


def test_a_submodule_named_like_an_extra_needs_what_the_extra_requires(tmp_path: Path) -> None:
    house = build_wheelhouse(tmp_path / "wheels", [SQL, Wheel("dmtgreen", "1.0")])
    contents = WheelContents([house])
    found = contents(_sql_release(tmp_path))
    assert found is not None and found.extras == (("asyncio", "dmtgreen"), ("postgres", "dmtpg"))
    check = Check(module="dmtsql.ext.asyncio", distribution=canonicalize_name("dmtsql"), source="mapping", key="dmtsql")
    errors, _, _ = verify("Db", [check], [_sql_release(tmp_path)], contents)
    assert errors == (
        "Db: import dmtsql.ext.asyncio needs the extra dmtsql[asyncio]: its METADATA makes the extra require "
        'dmtgreen, which the lock lacks; add "dmtsql[asyncio]" to agents.Db.extra_requirements (or name the '
        "module in agents.Db.ignore_imports)",
    )
    # with the extra's requirement locked, nothing is missing; the plain package needs no extra
    locked = [_sql_release(tmp_path), _sql_release(tmp_path, "dmtgreen", "1.0")]
    assert verify("Db", [check], locked, contents) == ((), (), ())
    plain = Check(module="dmtsql", distribution=canonicalize_name("dmtsql"), source="mapping")
    assert verify("Db", [plain], [_sql_release(tmp_path)], contents) == ((), (), ())


def test_the_import_form_decides_whether_a_missing_submodule_is_an_error(tmp_path: Path) -> None:
    """``from plugp import maker`` may read a name plugp/__init__.py defines: uncertain, reported; ``import
    plugp.maker`` and ``from plugp.maker import x`` name a module, which the locked plugp 1.0 lacks: an error."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "old.py").write_text("import plugp.maker\n", encoding="utf-8")
    (repo / "top.py").write_text("from plugp import maker, old\n", encoding="utf-8")
    (tmp_path / "agents.toml").write_text(textwrap.dedent(FLEET.format(extra="")), encoding="utf-8")
    fleet = api.load_fleet(tmp_path / "agents.toml")
    inputs = api.lock_inputs(fleet, api.generate(fleet, api.scan(fleet, use_cache=False)))
    assert [(c.module, c.attribute) for c in inputs["Top"].checks] == [
        ("plugp", False), ("plugp.maker", True), ("plugp.old", True)]  # fmt: skip
    assert [(c.module, c.attribute) for c in inputs["Old"].checks] == [("plugp", False), ("plugp.maker", False)]
    house = build_wheelhouse(tmp_path / "wheels", [PLUGP_1])
    result = lock(tmp_path, FakeUv((dist("plugp==1.0"),)), inputs, contents=WheelContents([house]))
    by_agent = {lock.agent: lock for lock in result.agents}
    assert by_agent["Top"].state == "locked" and by_agent["Top"].problems == ()
    assert by_agent["Top"].uncertain == (
        "Top: `from plugp import maker`: the locked plugp 1.0 has no module plugp.maker, so maker must be a name "
        "plugp/__init__.py defines; if it is a submodule, pin a release that has it (agents.Top.extra_requirements)",
    )  # plugp.old is a module of the wheel: nothing to say
    assert by_agent["Old"].state == "failed"
    old = by_agent["Old"].problems[0]
    assert old.startswith("Old: import plugp.maker needs plugp.maker, which the locked plugp 1.0 does not have")
