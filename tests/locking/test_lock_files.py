"""Committed locks are untrusted input: a pylock.toml's file names, URLs and shapes are checked before
anything is fetched or written, and every bad lock, target or directory is a located exit 2.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depmin.cli.entry import main
from depmin.errors import EXIT_CONFIG, ConfigError
from depmin.layout import Layout
from depmin.locking import files as _pylock
from depmin.locking import fill_wheelhouse
from depmin.locking.store import locked, read_existing, read_locks
from tests.conftest import WriteFleet
from tests.wheelhouse import WHEELS, build_wheel

# A pylock.toml as a hostile pull request could commit it: each entry one way to reach outside.
GOOD_WHEEL = '{ url = "https://files.example/alpha-1.0-py3-none-any.whl", hashes = { sha256 = "ab" } }'


def pylock(wheels: str = GOOD_WHEEL, package: str = 'name = "alpha"\nversion = "1.0"') -> str:
    return f'lock-version = "1.0"\n[[packages]]\n{package}\nwheels = [{wheels}]\n'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("lock-version = \n", "not TOML"),
        ('packages = "alpha"\n', "`packages` is not an array of tables"),
        ("packages = [1]\n", "`packages` is not an array of tables"),
        (pylock(package='version = "1.0"'), "packages[1] has no name or no version"),
        (pylock(package='name = "alpha"\nversion = "one"'), "packages[1]: Invalid version"),
        (pylock(package='name = "../alpha"\nversion = "1.0"'), "is not a distribution name"),
        (pylock(package='name = ["alpha"]\nversion = "1.0"'), "packages[1].name is not a one-line string"),
        (pylock(wheels='"alpha.whl"'), "wheels, sdist or dependencies is not a table"),
        (pylock(wheels='{ url = "https://x/a-1.0-py3-none-any.whl", hashes = "ab" }'), "hashes is not a table"),
        (pylock(wheels='{ url = "https://x/a-1.0-py3-none-any.whl", hashes = { sha256 = "zz" } }'), "not a hex"),
        (pylock(wheels=GOOD_WHEEL.replace("{ url", "{ size = -1, url")), "size is not a byte count"),
        (pylock(wheels=GOOD_WHEEL.replace("{ url", '{ name = "../../evil-1.0-py3-none-any.whl", url')), "'../../"),
        (pylock(wheels=GOOD_WHEEL.replace("{ url", '{ name = "..\\\\evil-1.0-py3-none-any.whl", url')), "plain"),
        (pylock(wheels=GOOD_WHEEL.replace("{ url", '{ name = "evil.whl", url')), "not a wheel or sdist file name"),
        (pylock(wheels=GOOD_WHEEL.replace("{ url", '{ name = "evil.sh", url')), "not a wheel or sdist file name"),
        (pylock(wheels=GOOD_WHEEL.replace("alpha-1.0", "%2E%2E%2Fevil-1.0")), "'../evil-1.0-py3-none-any.whl'"),
        (pylock(wheels=GOOD_WHEEL.replace("https://files.example", "ftp://files.example")), "not an http, https"),
        (pylock(wheels=GOOD_WHEEL.replace("https://files.example/", "javascript:")), "not an http, https"),
        (pylock(wheels='{ hashes = { sha256 = "ab" } }'), "has neither url nor path"),
        (pylock(wheels=GOOD_WHEEL.replace("alpha-1.0", "alpha-1.0\\n")), "url is not a one-line string"),
    ],
)
def test_a_hostile_pylock_is_a_located_config_error(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _pylock.parse_files(text, where="locks/A/pylock.toml")
    (problem,) = caught.value.problems
    assert problem.where == "locks/A/pylock.toml" and words in problem.message, problem.message
    assert problem.message.endswith("delete it and run `depmin lock` to write it again")


def test_plain_wheel_and_sdist_names_are_read(tmp_path: Path) -> None:
    text = pylock(
        wheels=GOOD_WHEEL.replace("alpha-1.0", "alpha-1.0%2Bcu121") + ', { path = "w/alpha-1.0-py3-none-any.whl", '
        'hashes = { sha256 = "cd" } }',
        package='name = "alpha"\nversion = "1.0"\nsdist = { url = "file:///s/alpha-1.0.tar.gz", hashes = { sha256 = "ef" } }',
    )
    (release,) = _pylock.parse_files(text, base=tmp_path).values()
    assert [f.filename for f in release.files] == [
        "alpha-1.0+cu121-py3-none-any.whl",
        "alpha-1.0-py3-none-any.whl",
        "alpha-1.0.tar.gz",
    ]


def _cli(config: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(["--config", str(config), *args], out=io.StringIO(), err=err)
    return code, err.getvalue()


def _committed(config: Path, pylock_text: str | bytes | None, lock_text: str | bytes | None = None) -> Path:
    """NLUAgent's committed lock files (those given)."""
    folder = config.parent / "locks" / "NLUAgent"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("pylock.toml", pylock_text), ("requirements.lock", lock_text)):
        if text is not None:
            (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def test_wheelhouse_refuses_a_wheel_name_that_leaves_the_wheelhouse(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    source = build_wheel(tmp_path / "src", WHEELS[1])
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    wheel = f'{{ name = "../../../escaped-1.0-py3-none-any.whl", url = "{source.as_uri()}", hashes = {{ sha256 = "{digest}" }} }}'
    folder = _committed(config, pylock(wheels=wheel))
    code, err = _cli(config, "wheelhouse", "--no-cache")
    assert code == EXIT_CONFIG and err.count("\n") == 1
    assert err.startswith(f"error: {folder / 'pylock.toml'}: packages[1].wheels[1]: file name '../../../escaped-1.0")
    assert "delete it and run `depmin lock`" in err
    assert not list(tmp_path.rglob("escaped-1.0-py3-none-any.whl")) and not (tmp_path / "wheelhouse").exists()


@pytest.mark.parametrize(
    ("pylock_text", "words"),
    [(b"\x00\xffnot text", "not UTF-8 text"), ("[[packages]\n", "not TOML")],
)
def test_wheelhouse_and_plan_refuse_a_binary_or_broken_pylock(
    write_fleet: WriteFleet, pylock_text: bytes | str, words: str
) -> None:
    config = write_fleet()
    folder = _committed(config, pylock_text, "# a lock\n")
    for command in ("wheelhouse", "plan"):
        code, err = _cli(config, command, "--no-cache") if command == "wheelhouse" else _cli(config, command)
        assert code == EXIT_CONFIG, (command, err)
        assert err.startswith(f"error: {folder / 'pylock.toml'}: ") and words in err and err.count("\n") == 1


def test_plan_refuses_a_binary_requirements_lock(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "agents.toml")
    layout.agent_dir("A").mkdir(parents=True)
    layout.lock("A").write_bytes(b"\x89PNG\r\n\x1a\n")
    layout.pylock("A").write_text(pylock())
    with pytest.raises(ConfigError, match="not UTF-8 text") as caught:
        read_locks(layout, ["A"])
    assert caught.value.problems[0].where == str(layout.lock("A"))


def test_wheelhouse_dest_that_is_a_file_is_exit_2(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    _committed(config, pylock())
    dest = tmp_path / "house"
    dest.write_text("not a directory")
    code, err = _cli(config, "wheelhouse", "--no-cache", "--dest", str(dest))
    assert (
        code == EXIT_CONFIG
        and err == f"error: {dest}: is not a directory; pass --dest with a directory (or remove the file)\n"
    )


def test_lock_refuses_a_binary_lock_and_a_find_links_file(write_fleet: WriteFleet, tmp_path: Path) -> None:
    config = write_fleet()
    folder = _committed(config, None, b"\xff\xfe binary")
    code, err = _cli(config, "lock", "--agent", "NLUAgent", "--offline", "--no-cache")
    assert code == EXIT_CONFIG and err.startswith(f"error: {folder / 'requirements.lock'}: cannot read it (not UTF-8")
    assert not (folder / "requirements.generated.txt").exists()
    code, err = _cli(config, "lock", "--agent", "NLUAgent", "--offline", "--no-cache", "--find-links", str(config))
    assert (
        code == EXIT_CONFIG
        and err == f"error: --find-links {config}: is not a directory; pass a wheelhouse directory\n"
    )


def test_a_mutex_that_is_a_directory_is_exit_2(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "agents.toml")
    layout.mutex.mkdir(parents=True)
    with pytest.raises(ConfigError, match="cannot open the mutex") as caught, locked(layout):
        pass
    assert caught.value.problems[0].where == str(layout.mutex)


def test_wheelhouse_label_cannot_leave_the_wheelhouse_directory(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "repo" / "agents.toml")
    layout.agent_dir("A").mkdir(parents=True)
    layout.pylock("A").write_text(pylock())
    with pytest.raises(ConfigError, match="is not a plain directory name"):
        fill_wheelhouse(layout, {}, ["A"], label="../../x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_a_lock_read_again_in_one_run_is_parsed_once_and_an_edited_one_again(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "agents.toml")
    layout.lock("A").parent.mkdir(parents=True)
    layout.lock("A").write_text("# inputs: sha256=abc\nrequests==2.32.3 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    first, again = read_existing(layout, ["A"])["A"], read_existing(layout, ["A"])["A"]
    assert again is first and str(first.pins[canonicalize_name("requests")]) == "2.32.3"
    layout.lock("A").write_text("# inputs: sha256=abc\nrequests==2.33.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    edited = read_existing(layout, ["A"])["A"]
    assert edited is not first and str(edited.pins[canonicalize_name("requests")]) == "2.33.0"
