"""The parse cache is checked on every read: a bad one is moved aside and rebuilt with one warning
naming its path, and the scan is the same as without a cache; no home directory means no cache."""

from __future__ import annotations

import os
import pwd
import sqlite3
from pathlib import Path

import pytest

from depmin import Fleet, FleetScan, api
from depmin.cli.entry import main
from depmin.scanning import default_cache_dir
from depmin.scanning.cache import NO_CACHE_DIR
from depmin.scanning.cache_file import FILE_NAME, _seal, decode
from tests.conftest import WriteFleet

SOURCE = "import zmq\nimport helper\n"
HELPER = "import redis\ntry:\n    import ujson\nexcept ImportError:\n    pass\n"


@pytest.fixture
def fleet(write_fleet: WriteFleet, tmp_path: Path) -> Fleet:
    config = write_fleet()
    (tmp_path / "repo" / "agents" / "nlu.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "repo" / "agents" / "helper.py").write_text(HELPER, encoding="utf-8")
    return api.load_fleet(config)


def _imports(scan: FleetScan) -> list[tuple[str, str]]:
    return [(e.module, e.kind) for agent in scan.agents for e in agent.third_party]


WANT = [("redis", "required"), ("ujson", "optional"), ("zmq", "required")]


def _filled(fleet: Fleet, cache: Path) -> Path:
    first = api.scan(fleet, cache_dir=cache)
    assert (_imports(first), first.files_parsed, first.warnings) == (WANT, 2, ())
    again = api.scan(fleet, cache_dir=cache)
    assert (_imports(again), again.cache_hits, again.warnings) == (WANT, 2, ())
    with sqlite3.connect(cache / FILE_NAME) as db:  # the next scan reads the entries, not the kept scan
        db.execute("DELETE FROM scans")
    return cache / FILE_NAME


def _rebuilt(fleet: Fleet, cache: Path, reason: str) -> None:
    """The next scan warns once, parses everything again, and leaves a good cache behind."""
    scan = api.scan(fleet, cache_dir=cache)
    path = cache / FILE_NAME
    assert scan.warnings == (f"parse cache {path} {reason}; moved it to {FILE_NAME}.bad and started a new one",)
    assert (_imports(scan), scan.files_parsed, scan.cache_hits) == (WANT, 2, 0)
    assert (cache / f"{FILE_NAME}.bad").exists()
    after = api.scan(fleet, cache_dir=cache)
    assert (_imports(after), after.cache_hits, after.warnings) == (WANT, 2, ())


def test_garbage_bytes_in_the_cache_file(fleet: Fleet, tmp_path: Path) -> None:
    path = _filled(fleet, tmp_path / "cache")
    for leftover in path.parent.glob(f"{FILE_NAME}-*"):
        leftover.unlink()
    path.write_bytes(bytes(range(256)) * 64)
    _rebuilt(fleet, tmp_path / "cache", "is damaged (file is not a database)")


def test_a_falsified_entry_does_not_empty_the_requirements(fleet: Fleet, tmp_path: Path) -> None:
    """The schema is valid and the key is the file's; the value says the file imports nothing."""
    path = _filled(fleet, tmp_path / "cache")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE imports SET value = ?", ('{"sites":[],"edits":[],"error":null,"notes":[]}',))
    _rebuilt(fleet, tmp_path / "cache", "holds an entry that was changed outside depmin")


def test_an_entry_moved_to_another_key_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    """Every row swapped with another: each key now holds a sealed value of other content."""
    path = _filled(fleet, tmp_path / "cache")
    with sqlite3.connect(path) as db:
        (a, *a_rest), (b, *b_rest) = db.execute("SELECT key, size, digest, value, seal FROM imports").fetchall()
        db.execute("DELETE FROM imports")
        db.executemany("INSERT INTO imports VALUES (?, ?, ?, ?, ?)", [(a, *b_rest), (b, *a_rest)])
    _rebuilt(fleet, tmp_path / "cache", "holds an entry for other content than its key says")


def test_a_sealed_value_of_the_wrong_shape_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    path = _filled(fleet, tmp_path / "cache")
    value = '{"sites":[["zmq","0",[],1,false,false,false,false,null,false,null]],"edits":[],"error":null,"notes":[]}'
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT key, size, digest FROM imports").fetchall()
        for key, size, digest in rows:
            db.execute(
                "UPDATE imports SET value = ?, seal = ? WHERE key = ?", (value, _seal(key, size, digest, value), key)
            )
    _rebuilt(fleet, tmp_path / "cache", "holds an entry of the wrong shape")


GOOD_SITE = '["zmq",0,["a"],1,false,false,false,false,null,false,null]'


@pytest.mark.parametrize(
    "site",
    [
        '["zmq",0,["a"],true,false,false,false,false,null,false,null]',  # a flag for the line
        '["zmq",0,["a"],-1,false,false,false,false,null,false,null]',  # a negative line
        '["zmq",-1,["a"],1,false,false,false,false,null,false,null]',  # a negative level
        '["zmq",0,["a",2],1,false,false,false,false,null,false,null]',  # a number among the names
        '["zmq",0,"a",1,false,false,false,false,null,false,null]',  # a text for the names
        '["zmq",0,["a"],1,false,false,false,false,3,false,null]',  # a number for the marker
        '["zmq",0,["a"],1,0,false,false,false,null,false,null]',  # a number for a flag
        '["zmq",0,["a"],1,false,false,false,false,null,false]',  # a value short
        '{"module":"zmq"}',  # not a row
    ],
)
def test_decode_refuses_a_site_row_of_the_wrong_types(site: str) -> None:
    assert decode(f'{{"sites":[{GOOD_SITE}],"edits":[],"error":null,"notes":[]}}').sites[0].line == 1
    with pytest.raises(ValueError):
        decode(f'{{"sites":[{GOOD_SITE},{site}],"edits":[],"error":null,"notes":[]}}')


def test_a_database_of_other_tables_is_not_depmins(fleet: Fleet, tmp_path: Path) -> None:
    path = tmp_path / "cache" / FILE_NAME
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE imports (key TEXT PRIMARY KEY, value TEXT, extra TEXT)")
    _rebuilt(fleet, tmp_path / "cache", "is not a depmin parse cache (its tables are not depmin's)")


def test_a_fifo_in_place_of_the_cache_file(fleet: Fleet, tmp_path: Path) -> None:
    path = tmp_path / "cache" / FILE_NAME
    path.parent.mkdir()
    os.mkfifo(path)
    _rebuilt(fleet, tmp_path / "cache", "is not a regular file")


def test_a_cache_of_the_previous_format_is_left_to_the_depmin_that_reads_it(fleet: Fleet, tmp_path: Path) -> None:
    old = tmp_path / "cache" / "imports.sqlite3"
    old.parent.mkdir()
    with sqlite3.connect(old) as db:
        db.execute("CREATE TABLE imports (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO imports VALUES ('k', 'not even JSON')")
    before = old.read_bytes()
    _filled(fleet, tmp_path / "cache")
    assert old.read_bytes() == before
    assert sorted(p.name for p in old.parent.iterdir() if p.name.endswith(".bad")) == []


def test_a_cache_file_of_another_format_is_not_trusted(fleet: Fleet, tmp_path: Path) -> None:
    path = _filled(fleet, tmp_path / "cache")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 'depmin parse cache 99' WHERE name = 'format'")
    _rebuilt(fleet, tmp_path / "cache", "is not a depmin parse cache (its format is unknown)")


def _no_home(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOME", "DEPMIN_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)


def test_home_unset_without_a_passwd_entry_scans_without_a_cache(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_home(monkeypatch)
    assert default_cache_dir() is None
    scan = api.scan(fleet)
    assert (_imports(scan), scan.files_parsed, scan.warnings) == (WANT, 2, (NO_CACHE_DIR,))
    assert api.scan(fleet, use_cache=False).warnings == ()  # --no-cache asked for none: nothing to say


def test_home_unset_without_a_passwd_entry_the_commands_run(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_home(monkeypatch)
    assert main(["--config", str(fleet.path), "scan"]) == 0
    assert main(["--config", str(fleet.path), "generate"]) == 0
    assert "internal error" not in capsys.readouterr().err


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DEPMIN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "depmin"


def test_a_cache_directory_that_cannot_be_made_costs_only_speed(fleet: Fleet, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("", encoding="utf-8")
    scan = api.scan(fleet, cache_dir=blocked)
    assert scan.warnings == (
        f"parse cache {blocked / FILE_NAME} cannot be used (File exists); scanning without it "
        "(set DEPMIN_CACHE_DIR to a writable directory, or pass --no-cache)",
    )
    assert (_imports(scan), scan.files_parsed) == (WANT, 2)
    assert blocked.read_text(encoding="utf-8") == ""
