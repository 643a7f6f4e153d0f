"""Extras implied by an imported submodule (depmin/data/extras.toml) on the requirement lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from depmin import api
from depmin.requirements.generated import render
from depmin.requirements.tables import load_extras, load_known, parse_extras
from tests.conftest import MINIMAL, WriteFleet
from tests.requirements.test_generated import _pip_lines


def test_bundled_extras_table_parses_and_names_known_distributions() -> None:
    table = load_extras()
    assert table.entries["sqlalchemy.ext.asyncio"] == ("sqlalchemy", ("asyncio",))
    assert {name for name, _ in table.entries.values()} <= load_known()


def test_longest_prefix_of_the_same_distribution_answers() -> None:
    table = load_extras()
    assert table.extras_for("sqlalchemy.ext.asyncio.session", "SQLAlchemy") == ("sqlalchemy.ext.asyncio", ("asyncio",))
    assert table.extras_for("sqlalchemy.ext.asyncio", "some-fork") is None
    assert table.extras_for("sqlalchemy.ext", "sqlalchemy") is None
    assert table.extras_for("sqlalchemy.ext.asynciox", "sqlalchemy") is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"extras": {"a b": "x[y]"}}, "extras.toml: extras.a b is not a dotted module name"),
        ({"extras": {"a.b": "x"}}, "extras.toml: extras.a.b must be a distribution with extras"),
        ({"extras": {"a.b": "x[y]>=1"}}, "extras.toml: extras.a.b must be a distribution with extras"),
        ({"extras": {"a.b": 'x[y]; python_version > "3"'}}, "extras.toml: extras.a.b must be"),
        ({"extras": {"a.b": ["x[y]"]}}, "extras.toml: extras.a.b must be"),
        ({"extras": {"a.b": "x[y"}}, "extras.toml: extras.a.b must be"),
        ({"extra": {}}, "extras.toml: needs one [extras] table and nothing else"),
    ],
)
def test_parse_extras_rejects_bad_entries(document: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_extras(document)
    assert str(caught.value).startswith(message)


def _install(
    write_fleet: WriteFleet, tmp_path: Path, source: str, agent_lines: str = "", constraints: str = ""
) -> list[str]:
    text = MINIMAL
    if constraints:
        text = text.replace('root = "repo"', 'root = "repo"\nconstraints = "constraints.txt"')
        (tmp_path / "constraints.txt").write_text(constraints, encoding="utf-8")
    config = write_fleet(text + agent_lines)
    (tmp_path / "repo" / "agents" / "nlu.py").write_text(source, encoding="utf-8")
    fleet = api.load_fleet(config)
    result = api.generate(fleet, api.scan(fleet, use_cache=False)).agent("NLUAgent")
    return render(result).splitlines()[2:]


def test_extras_merge_with_each_other_the_range_and_the_marker(write_fleet: WriteFleet, tmp_path: Path) -> None:
    source = "import sys\nif sys.platform == 'linux':\n    import dask.dataframe\n    from dask import array\n"
    lines = _install(write_fleet, tmp_path, source, constraints="dask>=2024.1\n")
    assert lines == [
        'dask[array,dataframe]>=2024.1; sys_platform == "linux"  # dask: agents/nlu.py:3 [known]'
        " [extra array: dask.array] [extra dataframe: dask.dataframe]"
    ]
    assert _pip_lines("\n".join(lines)) == [('dask[array,dataframe]>=2024.1; sys_platform == "linux"', {})]


def test_forms_of_the_submodule_import_all_imply_the_extra(write_fleet: WriteFleet, tmp_path: Path) -> None:
    for source in (
        "import sqlalchemy.ext.asyncio\n",
        "from sqlalchemy.ext import asyncio\n",
        "from sqlalchemy.ext.asyncio.session import AsyncSession\n",
    ):
        [line] = _install(write_fleet, tmp_path, source)
        assert line.startswith("sqlalchemy[asyncio]  # "), (source, line)


def test_a_guarded_submodule_beside_a_plain_import_adds_no_extra(write_fleet: WriteFleet, tmp_path: Path) -> None:
    source = "import sqlalchemy\ntry:\n    import sqlalchemy.ext.asyncio\nexcept ImportError:\n    pass\n"
    assert _install(write_fleet, tmp_path, source) == ["sqlalchemy  # sqlalchemy: agents/nlu.py:1 [known]"]


def test_a_lazy_submodule_adds_the_extra(write_fleet: WriteFleet, tmp_path: Path) -> None:
    source = "import sqlalchemy\ndef connect():\n    from sqlalchemy.ext.asyncio import create_async_engine\n"
    [line] = _install(write_fleet, tmp_path, source)
    assert line == "sqlalchemy[asyncio]  # sqlalchemy: agents/nlu.py:1 [known] [extra asyncio: sqlalchemy.ext.asyncio]"


def test_extra_requirements_entry_gets_the_implied_extra(write_fleet: WriteFleet, tmp_path: Path) -> None:
    source = "from sqlalchemy.ext.asyncio import create_async_engine\n"
    lines = _install(write_fleet, tmp_path, source, 'extra_requirements = ["SQLAlchemy[mypy]>=2"]\n')
    assert lines == [
        "SQLAlchemy[asyncio,mypy]>=2  # agents.toml extra_requirements: SQLAlchemy[asyncio,mypy]>=2"
        " [extra asyncio: sqlalchemy.ext.asyncio]"
    ]
    as_written = _install(write_fleet, tmp_path, source, 'extra_requirements = ["SQLAlchemy[asyncio] >= 2"]\n')
    assert as_written == ["SQLAlchemy[asyncio] >= 2  # agents.toml extra_requirements: SQLAlchemy[asyncio] >= 2"]
