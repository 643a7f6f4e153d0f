"""Bounded work for any agents.toml: the file's size and kind, key depth, header lines, family chains.

Each case took minutes, hung, or exhausted memory before (issue 12); each is now refused at once with
its one-line message.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from depmin.errors import ConfigError
from depmin.manifest import load_fleet, parse_fleet
from tests.conftest import MINIMAL, WriteFleet


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_fleet(config)
    return [str(problem) for problem in caught.value.problems]


# -- family chains --------------------------------------------------------------------------------


def test_chain_of_extends_longer_than_sixteen(write_fleet: WriteFleet) -> None:
    chain = "".join(f'\n[families.f{i}]\nextends = "{"cpu" if i == 1 else f"f{i - 1}"}"\n' for i in range(1, 18))
    problems = _problems(write_fleet(MINIMAL + chain))
    assert problems == [
        "agents.toml:63: families.f16.extends: its chain of `extends` holds 17 families, more than 16; start one "
        "of them `from` an image"
    ]


def test_long_cycle_is_reported_in_short_messages(write_fleet: WriteFleet) -> None:
    cycle = "".join(f'\n[families.c{i}]\nextends = "c{(i + 1) % 8}"\n' for i in range(8))
    problems = _problems(write_fleet(MINIMAL + cycle))
    assert len(problems) == 8
    assert problems[0] == (
        "agents.toml:18: families.c0.extends: families extend each other in a cycle (c0 -> c1 -> c2 -> ... "
        "(8 families) -> c0); one of them must use `from`"
    )


# -- bounded work on the file itself --------------------------------------------------------------


def test_deep_dotted_key_is_refused_before_the_parser(tmp_path: Path) -> None:
    data = ("[project]\n" + "x" + ".a" * 200_000 + " = 1\n").encode()
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        parse_fleet(data, path=tmp_path / "agents.toml")
    assert time.monotonic() - started < 10  # the parser alone took minutes
    assert [str(p) for p in caught.value.problems] == [
        "agents.toml:2: a key of 200001 dotted parts, more than 16; no key of agents.toml has more than 4"
    ]


def test_quoted_key_parts_count_too(tmp_path: Path) -> None:
    data = ("[project]\n" + "x" + '."a\\"b"' * 17 + " = 1\n").encode()
    with pytest.raises(ConfigError) as caught:
        parse_fleet(data, path=tmp_path / "agents.toml")
    assert [str(p) for p in caught.value.problems] == [
        "agents.toml:2: a key of 18 dotted parts, more than 16; no key of agents.toml has more than 4"
    ]


def test_dots_inside_strings_and_comments_are_not_keys(write_fleet: WriteFleet) -> None:
    dots = "a." * 40
    text = MINIMAL + f'notes = "{dots}"\n# {dots}\nuncertain = {{ ports = """\n{dots}\n""" }}\n'
    assert load_fleet(write_fleet(text)).agents["NLUAgent"].notes == dots


def test_unclosed_header_of_spaces_is_linear(tmp_path: Path) -> None:
    data = ("[" + " " * 4_000 + "\n").encode()
    started = time.monotonic()
    with pytest.raises(ConfigError):
        parse_fleet(data, path=tmp_path / "agents.toml")
    assert time.monotonic() - started < 5  # the old header pattern was cubic: a minute for these 4,000 spaces


def test_file_over_one_mebibyte(tmp_path: Path) -> None:
    config = tmp_path / "agents.toml"
    config.write_bytes(b"#" * (2 << 20))
    assert _problems(config) == ["agents.toml: is larger than 1048576 bytes (1 MiB), the most depmin reads; shorten it"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_agents_toml_is_refused_not_waited_on(tmp_path: Path) -> None:
    config = tmp_path / "agents.toml"
    os.mkfifo(config)
    found: list[list[str]] = []
    reader = threading.Thread(target=lambda: found.append(_problems(config)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the reader before failing
        with open(config, "wb"):
            pass
        pytest.fail("load_fleet blocked on a FIFO")
    assert found == [
        [f"{config}: is not a regular file (a directory, FIFO or device); pass the path of an agents.toml file"]
    ]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_device_or_directory_named_agents_toml(tmp_path: Path, device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    rule = "is not a regular file (a directory, FIFO or device); pass the path of an agents.toml file"
    assert _problems(Path(device)) == [f"{device}: {rule}"]
    (tmp_path / "agents.toml").mkdir()
    assert _problems(tmp_path / "agents.toml") == [f"{tmp_path / 'agents.toml'}: {rule}"]
