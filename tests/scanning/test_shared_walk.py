"""The walk shared across agents (``depmin.scanning.walk_memo``) gives the scan an unshared walk gives.

Differential: the same tree scanned with the visits shared (the default) and with every agent
walked on its own (``scan_fleet(..., _share_visits=False)``, reachable only for this comparison)
must give byte-identical ``scan --format json --detail`` documents, on synthetic trees of both
shapes (``benchmarks/synthetic.py``: shared packages, ``sys.path`` edits, relative imports,
unparseable files, agents run as scripts and as modules) for several seeds; the shared walk must
really have replayed visits, or the comparison would prove nothing.
"""

from __future__ import annotations

import functools
import gc
import io
import os
from pathlib import Path

import pytest

from depmin import api
from depmin._gc import paused
from depmin.cli.entry import build_parser, main
from depmin.cli.output import Output
from depmin.cli.scan_commands import cmd_scan
from depmin.manifest import load_fleet
from depmin.scanning.cache import Sources
from depmin.scanning.finder import Finder
from depmin.scanning.fleet_scan import scan_fleet
from depmin.scanning.tree import Tree
from depmin.scanning.walk import scan_agent
from depmin.scanning.walk_memo import VisitMemo
from tests.synthetic_trees import synthetic

REPO = Path(__file__).resolve().parents[2]


def _json(config: Path, *, shared: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    """``depmin scan --format json --detail`` without a cache, the walk shared or not."""
    with monkeypatch.context() as patch:
        if not shared:
            patch.setattr(api, "scan_fleet", functools.partial(scan_fleet, _share_visits=False))
        out, err = io.StringIO(), io.StringIO()
        code = main(["--config", str(config), "scan", "--no-cache", "--format", "json", "--detail"], out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def _replays(config: Path) -> tuple[int, int]:
    """Visits replayed and recorded by one shared scan of every agent of ``config``."""
    memo = _memo(config)
    return memo.replayed, memo.recorded


def _memo(config: Path) -> VisitMemo:
    """The record of visits of one shared scan of every agent of ``config``."""
    fleet = load_fleet(config)
    tree = Tree.of(fleet.project)
    sources, finder, memo = Sources(None, tree=tree, workers=1), Finder(tree), VisitMemo()
    for name in fleet.agents:
        scan_agent(fleet, fleet.agent(name), sources, finder=finder, memo=memo)
    sources.close()
    return memo


def _check_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **shape: object) -> None:
    tree = tmp_path / "tree"
    synthetic().generate(tree, broken=0.3, **shape)
    config = tree / "agents.toml"
    shared = _json(config, shared=True, monkeypatch=monkeypatch)
    alone = _json(config, shared=False, monkeypatch=monkeypatch)
    assert shared == alone
    memo = _memo(config)
    assert memo.replayed > memo.recorded > 0  # the shared walk reused more visits than it made
    assert memo.walks_saved > 0  # and found walks again with a longer sys.path would be the same


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("shape", ["fleet", "plugin"])
def test_shared_walk_scans_small_trees_as_the_unshared_walk(
    shape: str, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_tree(tmp_path, monkeypatch, files=260, agents=24, seed=seed, shape=shape)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize("shape", ["fleet", "plugin"])
def test_shared_walk_scans_larger_trees_as_the_unshared_walk(
    shape: str, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_tree(tmp_path, monkeypatch, files=900, agents=60, seed=seed, shape=shape)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


_AGENTS = "".join(
    f'[agents.{name}]\nentrypoint = "{name.lower()}/main.py"\nmachines = ["M"]\nfamily = "f"\n' for name in "ABC"
)
_EDITING = 'import os, sys\nfrom shared import util\nsys.path.append(os.path.join(os.path.dirname(__file__), "plug"))\n'


def test_a_shared_file_is_classified_by_each_agents_first_party_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``lib/shared/util.py`` imports ``foo.missing``, found on nobody's path when util runs: for A
    and C, whose entrypoints later put ``plug/`` (holding a ``foo`` package) on ``sys.path``, ``foo``
    is first-party, for B it is a dependency. The same key, three agents, two answers. util also
    imports ``helpers``, which only B's own directory holds: B's key differs from A's and C's."""
    _write(
        tmp_path,
        {
            "agents.toml": '[project]\nsource_roots = ["lib"]\n[machines.M]\n[families.f]\nfrom = "x"\n' + _AGENTS,
            "lib/shared/__init__.py": "",
            "lib/shared/util.py": "import foo.missing\nimport helpers\n",
            "a/main.py": _EDITING,
            "a/plug/foo/__init__.py": "",
            "b/main.py": "from shared import util\n",
            "b/helpers.py": "import yaml\n",  # on B's path (sys.path[0]) only
            "c/main.py": _EDITING,
            "c/plug/foo/__init__.py": "",
        },
    )
    config = tmp_path / "agents.toml"
    shared = _json(config, shared=True, monkeypatch=monkeypatch)
    assert shared == _json(config, shared=False, monkeypatch=monkeypatch)
    scan = {a.agent: a for a in api.scan(load_fleet(config), use_cache=False).agents}
    # A's first walk finds foo first-party by name; its second, with plug/ on the path, finds the package.
    assert [m.reason for m in scan["A"].missing] == ["foo.missing does not exist"]
    assert [m.reason for m in scan["C"].missing] == ["foo.missing does not exist"]
    assert not scan["B"].missing and [e.module for e in scan["B"].third_party] == ["foo", "yaml"]
    assert "b/helpers.py" in scan["B"].files
    assert [e.module for e in scan["A"].third_party] == [e.module for e in scan["C"].third_party] == ["helpers"]


def test_shared_walk_scans_the_bundled_fleet_as_the_unshared_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    config = REPO / "agents.toml"
    assert _json(config, shared=True, monkeypatch=monkeypatch) == _json(config, shared=False, monkeypatch=monkeypatch)
    replayed, recorded = _replays(config)
    assert replayed > recorded > 0


@pytest.mark.parametrize("fixture", ["mini", "shadows", "wild"])
def test_shared_walk_scans_the_fixture_monorepos_as_the_unshared_walk(
    monkeypatch: pytest.MonkeyPatch, fixture: str
) -> None:
    """The hand-made monorepos: shadowing files, namespace portions, plugin entry modules, forks."""
    config = REPO / "tests" / "fixtures" / fixture / "agents.toml"
    assert _json(config, shared=True, monkeypatch=monkeypatch) == _json(config, shared=False, monkeypatch=monkeypatch)


@pytest.mark.parametrize("shape", ["fleet", "plugin"])
def test_a_scan_leaves_no_reference_cycles(shape: str, tmp_path: Path) -> None:
    """``scan_fleet`` pauses the cyclic collector while it walks (``depmin._gc``): sound only while
    reference counting frees everything a scan drops. Cold (every file extracted, 30% recovered) and
    warm (every file from the cache), with a file the tree refuses and one that does not exist on the
    closure, the collector finds no garbage afterwards."""
    tree = tmp_path / "tree"
    synthetic().generate(tree, files=260, agents=24, seed=1, shape=shape, broken=0.3)
    common = next(tree.glob("common/*/__init__.py"))
    common.write_text(common.read_text() + "\nimport common.nowhere\nfrom . import refused\n")
    os.mkfifo(common.parent / "refused.py")
    fleet = load_fleet(tree / "agents.toml")
    cache = tmp_path / "cache"
    scan_fleet(fleet, cache_dir=cache, workers=1)  # the parser's modules are imported (a slots dataclass
    gc.collect()  # leaves its first class behind, once) and the cache is filled
    with paused():
        cold = scan_fleet(fleet, use_cache=False, workers=1)
        garbage = gc.collect()
        warm = scan_fleet(fleet, cache_dir=cache, workers=1)
        garbage_warm = gc.collect()
    assert warm.cache_hits > 0 and warm.agents == cold.agents
    assert any(agent.errors for agent in cold.agents) and any(agent.missing for agent in cold.agents)
    assert (garbage, garbage_warm) == (0, 0)


def test_the_scan_command_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """``depmin scan`` keeps the collector paused while it maps and writes the scan too (the command
    line's parser, which argparse builds with cycles, is made before)."""
    tree = tmp_path / "tree"
    synthetic().generate(tree, files=260, agents=24, seed=2, shape="plugin", broken=0.3)
    argv = ["--config", str(tree / "agents.toml"), "scan", "--no-cache", "--format", "json", "--detail"]
    assert main(argv, out=io.StringIO(), err=io.StringIO()) == 0  # every module the command needs is imported
    args = build_parser().parse_args(argv)
    out = io.StringIO()
    gc.collect()
    with paused():
        code = cmd_scan(args, Output(args, out, io.StringIO()))
        garbage = gc.collect()
    assert code == 0 and '"schema":"depmin.scan/2"' in out.getvalue()
    assert garbage == 0
