"""The scan kept across runs (``depmin.scanning.scan_record``) is used only when nothing it read changed.

Each test scans a tree twice with one cache directory. Unchanged, the second scan must not walk and
must give the document a walk gives (``scan --format json --detail``, compared with a walk from the
same parse cache). After each kind of change a walk would see (a file's content, with or without its
size and modification time, which the kept scan reads first as a quick tell, a new file in a
listed directory, a new file elsewhere that a shadow warning names, a symlink retargeted inside the
tree, a file turned into a symlink out of the root, an edited ``agents.toml``, another depmin), the
second scan must walk and give the document of a scan without any cache.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from depmin import api
from depmin.cli.entry import main
from depmin.manifest import load_fleet
from depmin.scanning import scan_record
from depmin.scanning.cache_file import FILE_NAME, _seal
from depmin.scanning.fleet_scan import FleetScan, scan_fleet
from depmin.scanning.scan_record import Kept, decode, encode
from tests.synthetic_trees import synthetic

REPO = Path(__file__).resolve().parents[2]


def _scan(config: Path, cache: Path | None, monkeypatch: pytest.MonkeyPatch, *, code: int = 0) -> tuple[str, bool]:
    """``depmin scan --format json --detail`` with ``cache`` (None: ``--no-cache``), which must exit
    with ``code``, and whether it walked."""
    scans: list[FleetScan] = []

    def recorded(*args: Any, **kwargs: Any) -> FleetScan:
        scans.append(scan_fleet(*args, **kwargs))
        return scans[-1]

    argv = ["--config", str(config), "scan", "--format", "json", "--detail"]
    with monkeypatch.context() as patch:
        patch.setattr(api, "scan_fleet", recorded)
        if cache is None:
            argv.append("--no-cache")
        else:
            patch.setenv("DEPMIN_CACHE_DIR", str(cache))
        out, err = io.StringIO(), io.StringIO()
        exited = main(argv, out=out, err=err)
    assert exited == code, err.getvalue()
    (scanned,) = scans
    return out.getvalue(), scanned.walked


def _forget(cache: Path) -> None:
    """Drop the kept scans, so the next scan walks from the parse cache."""
    with sqlite3.connect(cache / FILE_NAME) as db:
        db.execute("DELETE FROM scans")


def _without_counts(document: str) -> dict[str, Any]:
    """The document without the run's counts (files parsed, cache hits), which differ cold and warm."""
    parsed: dict[str, Any] = json.loads(document)
    for name in ("files_parsed", "cache_hits"):
        del parsed["summary"][name]
    return parsed


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    synthetic().generate(root, files=260, agents=24, seed=1, shape="plugin", broken=0.3)
    return root


@pytest.mark.parametrize("shape", ["fleet", "plugin"])
def test_an_unchanged_tree_is_not_walked_again_and_scans_the_same(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    synthetic().generate(root, files=260, agents=24, seed=2, shape=shape, broken=0.3)
    config, cache = root / "agents.toml", tmp_path / "cache"
    cold, walked_cold = _scan(config, cache, monkeypatch)
    kept, walked_kept = _scan(config, cache, monkeypatch)
    _forget(cache)
    warm, walked_warm = _scan(config, cache, monkeypatch)
    assert (walked_cold, walked_kept, walked_warm) == (True, False, True)
    assert kept == warm  # byte for byte, the counts too: a kept scan reports the hits a warm walk has
    assert _without_counts(cold) == _without_counts(kept)


def test_the_bundled_fleet_kept_scans_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, cache = REPO / "agents.toml", tmp_path / "cache"
    _scan(config, cache, monkeypatch)
    kept, walked = _scan(config, cache, monkeypatch)
    _forget(cache)
    assert not walked and kept == _scan(config, cache, monkeypatch)[0]


def _first_module(root: Path) -> Path:
    return sorted(root.glob("common/*/__init__.py"))[0]


def _append_import(root: Path) -> None:
    module = _first_module(root)
    module.write_text(module.read_text() + "\nimport brand_new_dependency\n")


def _entry(root: Path) -> Path:
    return sorted(root.glob("services/*/*/main.py"))[0]


def _import_yaml(root: Path) -> None:
    _entry(root).write_text(_entry(root).read_text() + "\nimport yaml\n")


def _new_file_in_a_listed_directory(root: Path) -> None:
    """A module beside an agent's entrypoint (sys.path[0]), named like a third-party import it makes."""
    (_entry(root).parent / "yaml.py").write_text("")


def _import_aaaa(root: Path) -> None:
    module = _first_module(root)
    module.write_text(module.read_text() + "\nimport aaaa_dependency\n")


def _same_size_same_mtime(root: Path) -> None:
    """Another dependency, the file's size and modification time kept: its content still tells."""
    module = _first_module(root)
    info = module.stat()
    module.write_text(module.read_text().replace("import aaaa_dependency", "import bbbb_dependency"))
    os.utime(module, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (module.stat().st_size, module.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)


def _new_file_elsewhere(root: Path) -> None:
    """A file off every agent's sys.path named like a dependency: a new shadow warning."""
    (root / "archive" / "stray").mkdir(parents=True, exist_ok=True)
    (root / "archive" / "stray" / "requests.py").write_text("")


def _retarget_a_symlink(root: Path) -> None:
    """``common/linked`` points at one package, then at another: its parent lists the same."""
    module = _first_module(root)
    module.write_text(module.read_text() + "\nimport common.linked.inner\n")
    for name, dependency in (("one", "first_dependency"), ("two", "second_dependency")):
        (root / "common" / name).mkdir()
        (root / "common" / name / "__init__.py").write_text("")
        (root / "common" / name / "inner.py").write_text(f"import {dependency}\n")
    (root / "common" / "linked").symlink_to("one", target_is_directory=True)


def _point_the_symlink_elsewhere(root: Path) -> None:
    (root / "common" / "linked").unlink()
    (root / "common" / "linked").symlink_to("two", target_is_directory=True)


def _two_packages_alike(root: Path) -> None:
    """``common/linked`` points at ``one``; ``two`` holds the same files and an ``inner`` package,
    which an import of ``common.linked.inner`` finds first: retargeted, no file read reads otherwise
    and the tree's index of names is the same (a symlinked directory is not entered): only the
    listing of ``common/linked`` differs, and its identity."""
    module = _first_module(root)
    module.write_text(module.read_text() + "\nimport common.linked.inner\n")
    for name in ("one", "two"):
        (root / "common" / name).mkdir()
        (root / "common" / name / "__init__.py").write_text("")
        (root / "common" / name / "inner.py").write_text("import first_dependency\n")
    (root / "common" / "two" / "inner").mkdir()
    (root / "common" / "two" / "inner" / "__init__.py").write_text("import second_dependency\n")
    (root / "common" / "linked").symlink_to("one", target_is_directory=True)


def _import_a_dependency(root: Path) -> None:
    module = _first_module(root)
    module.write_text(module.read_text() + "\nimport shadowed_dependency\n")


def _new_file_in_an_unlisted_directory(root: Path) -> None:
    """Deep in ``archive/``, which the search lists only until it finds a Python file: only the
    index of the tree's module names sees it (a new shadow warning)."""
    last = sorted(d for d in (root / "archive").iterdir() if d.is_dir())[-1]
    (last / "shadowed_dependency.py").write_text("")


def _symlink_out_of_the_root(root: Path) -> None:
    module = _first_module(root)
    module.unlink()
    module.symlink_to("/etc/hostname")


def _edit_the_manifest(root: Path) -> None:
    config = root / "agents.toml"
    text = config.read_text()
    first = text.index('entrypoint = "')
    line_end = text.index("\n", first)
    entry = text[first + len('entrypoint = "') : line_end - 1]
    other = next(p for p in sorted(root.glob("services/*/*/main.py")) if p.relative_to(root).as_posix() != entry)
    config.write_text(text[:first] + f'entrypoint = "{other.relative_to(root).as_posix()}"' + text[line_end:])


# Each change: what to do before the first scan, the change, and the exit code of a scan after it.
CHANGES: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], None], int]] = {
    "a file's content": (None, _append_import, 0),
    "a file's content, its size and mtime kept": (_import_aaaa, _same_size_same_mtime, 0),
    "a new file in a listed directory": (_import_yaml, _new_file_in_a_listed_directory, 0),
    "a new file elsewhere": (None, _new_file_elsewhere, 0),
    "a symlink retargeted inside the tree": (_retarget_a_symlink, _point_the_symlink_elsewhere, 0),
    "a file made a symlink out of the root": (None, _symlink_out_of_the_root, 1),  # an error in the closure
    "a listing only": (_two_packages_alike, _point_the_symlink_elsewhere, 0),
    "the index of names only": (_import_a_dependency, _new_file_in_an_unlisted_directory, 0),
    "agents.toml": (None, _edit_the_manifest, 0),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_the_walk_would_see_walks_again(
    change: str, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, after, code = CHANGES[change]
    if before is not None:
        before(tree)
    config, cache = tree / "agents.toml", tmp_path / "cache"
    old, _ = _scan(config, cache, monkeypatch)
    assert not _scan(config, cache, monkeypatch)[1]  # kept
    after(tree)
    new, walked = _scan(config, cache, monkeypatch, code=code)
    fresh, _ = _scan(config, None, monkeypatch, code=code)
    assert walked
    assert _without_counts(new) == _without_counts(fresh)
    assert _without_counts(new) != _without_counts(old)  # the change is one the scan shows


def test_another_depmin_does_not_use_the_kept_scan(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, cache = tree / "agents.toml", tmp_path / "cache"
    _scan(config, cache, monkeypatch)
    monkeypatch.setattr(scan_record, "_code", lambda: "another depmin")
    assert _scan(config, cache, monkeypatch)[1]


def _kept_value(cache: Path) -> tuple[str, str]:
    with sqlite3.connect(cache / FILE_NAME) as db:
        key, value = db.execute("SELECT key, value FROM scans").fetchone()
    return key, value


def _store(cache: Path, key: str, value: str, seal: str) -> None:
    with sqlite3.connect(cache / FILE_NAME) as db:
        db.execute("UPDATE scans SET value = ?, seal = ? WHERE key = ?", (value, seal, key))


def test_a_kept_scan_changed_outside_depmin_is_moved_aside(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, cache = tree / "agents.toml", tmp_path / "cache"
    expected, _ = _scan(config, cache, monkeypatch)
    key, value = _kept_value(cache)
    _store(cache, key, value.replace('"required"', '"lazy"', 1), _seal(key, 0, "", value))
    fleet = load_fleet(config)
    scanned = scan_fleet(fleet, cache_dir=cache)
    path = cache / FILE_NAME
    assert scanned.walked
    assert scanned.warnings[0] == (
        f"parse cache {path} holds a scan that was changed outside depmin; moved it to {FILE_NAME}.bad and started a new one"
    )
    assert _without_counts(_scan(config, cache, monkeypatch)[0]) == _without_counts(expected)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"required"', '"strongest"'),  # a kind that does not exist
        (',"first-party",', ',"elsewhere",'),  # a category that does not exist
        ('"agents":[["', '"agents":[[1,"'),  # a row of the wrong length
        (',"script",', ',"daemon",'),  # a run mode that does not exist
        ('"hops":[[', '"hops":[[99999999,'),  # an index past the table
        ('"hops":[[', '"hops":[[-1,'),  # a negative index
        ('"hops":[[', '"hops":[[true,'),  # a flag for an index
    ],
)
def test_a_kept_scan_of_the_wrong_shape_is_refused(
    old: str, new: str, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sealed as depmin seals, yet not what encode writes: refused with the reason, and walked."""
    config, cache = tree / "agents.toml", tmp_path / "cache"
    expected, _ = _scan(config, cache, monkeypatch)
    key, value = _kept_value(cache)
    assert old in value
    bad = value.replace(old, new, 1)
    _store(cache, key, bad, _seal(key, 0, "", bad))
    with pytest.raises(ValueError):
        decode(bad)
    scanned = scan_fleet(load_fleet(config), cache_dir=cache)
    assert scanned.walked
    assert scanned.warnings[0].startswith(f"parse cache {cache / FILE_NAME} holds a kept scan of the wrong shape (")
    assert _without_counts(_scan(config, cache, monkeypatch)[0]) == _without_counts(expected)


def test_encode_and_decode_keep_every_field(tree: Path) -> None:
    module = _first_module(tree)
    module.write_text(module.read_text() + "\nimport common.nowhere\nfrom . import gone\n")
    scanned = scan_fleet(load_fleet(tree / "agents.toml"), use_cache=False)
    assert any(a.recovered for a in scanned.agents) and any(a.missing for a in scanned.agents)
    reads = scan_record.Reads(("a",), ("b",), ("c",), ("d",), ("e",), "digest", ("key",), ([1, 2],))
    kept = Kept(agents=scanned.agents, skipped=("skipped one",), reads=reads)
    assert decode(encode(kept)) == kept


def test_a_scan_without_a_cache_keeps_nothing(tree: Path, tmp_path: Path) -> None:
    fleet = load_fleet(tree / "agents.toml")
    assert scan_fleet(fleet, use_cache=False).walked
    assert scan_fleet(fleet, use_cache=False).walked
    unshared = functools.partial(scan_fleet, _share_visits=False)
    cache = tmp_path / "cache"
    unshared(fleet, cache_dir=cache)
    assert unshared(fleet, cache_dir=cache).walked  # the comparison walk never reads a kept scan
