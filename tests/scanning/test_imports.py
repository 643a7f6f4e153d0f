"""depmin.scanning.extraction: one file's bytes -> import sites, sys.path edits, parse problems."""

from __future__ import annotations

import textwrap

import pytest
from packaging.markers import Marker

from depmin.scanning.extraction import LARGE_FILE, extract
from depmin.scanning.sites import FileImports, ImportSite, PathEdit, SyntaxProblem


def scan(source: str | bytes) -> FileImports:
    data = source if isinstance(source, bytes) else textwrap.dedent(source).encode()
    return extract(data)


def modules(source: str | bytes) -> list[tuple[int, str, str]]:
    """(line, module, kind) of every site, in order."""
    return [(site.line, site.module, site.kind) for site in scan(source).sites]


def only(source: str | bytes) -> ImportSite:
    (site,) = scan(source).sites
    return site


def site_of(source: str | bytes, module: str) -> ImportSite:
    (site,) = [site for site in scan(source).sites if site.module == module]
    return site


def edits(source: str) -> list[tuple[int, str, str, bool, bool]]:
    found = scan(source).path_edits
    return [(e.line, e.path, e.position, e.str_entry, e.lazy) for e in found]


# --- plain imports --------------------------------------------------------------------------------


def test_plain_import_is_required_with_every_field() -> None:
    assert only("import zmq\n") == ImportSite(
        module="zmq",
        level=0,
        names=(),
        line=1,
        optional=False,
        lazy=False,
        type_only=False,
        dynamic=False,
        marker=None,
        recovered=False,
        alias=None,
    )
    assert only("import zmq\n").kind == "required"


def test_import_of_several_modules_gives_one_site_each() -> None:
    found = scan("import a, b as c, c.d\n").sites
    assert [(s.module, s.alias, s.names) for s in found] == [
        ("a", None, ()),
        ("b", "c", ()),
        ("c.d", None, ()),
    ]


def test_dotted_import_with_alias() -> None:
    site = only("import redis.asyncio as aioredis\n")
    assert (site.module, site.alias) == ("redis.asyncio", "aioredis")


def test_from_import_names_without_their_aliases() -> None:
    site = only("from m import a, b as c\n")
    assert (site.module, site.level, site.names, site.alias) == ("m", 0, ("a", "b"), None)


def test_star_import() -> None:
    assert only("from pkg.sub import *\n").names == ("*",)


@pytest.mark.parametrize(
    ("source", "module", "level", "names"),
    [
        ("from . import x\n", "", 1, ("x",)),
        ("from .sib import y\n", "sib", 1, ("y",)),
        ("from ..pkg import y\n", "pkg", 2, ("y",)),
        ("from ... import z\n", "", 3, ("z",)),
    ],
)
def test_relative_levels(source: str, module: str, level: int, names: tuple[str, ...]) -> None:
    site = only(source)
    assert (site.module, site.level, site.names) == (module, level, names)


def test_multi_line_statement_reports_its_first_line() -> None:
    source = """\
        x = 1
        from pkg import (
            a,
            b,
        )
    """
    assert only(source).line == 2


def test_sites_in_source_order_line_then_position() -> None:
    source = "import b; import a\nimport c\n"
    assert [(s.line, s.module) for s in scan(source).sites] == [(1, "b"), (1, "a"), (2, "c")]


def test_import_above_the_docstring_and_text_in_strings_or_comments_is_not_an_import() -> None:
    source = '''\
        import os
        """Module doc.

        import fake_in_docstring
        from fake import thing
        """
        import real  # import fake_in_comment
        text = "import fake_in_string"
        data = b"from fake_bytes import x"
        fancy = f"{text} import fake_fstring"
    '''
    assert modules(source) == [(1, "os", "required"), (7, "real", "required")]


def test_name_used_without_import_is_not_reported() -> None:
    assert scan("numpy.array([1])\nredis.Redis()\n").sites == ()


def test_if_main_body_is_ordinary() -> None:
    source = """\
        if __name__ == "__main__":
            import runner
    """
    assert only(source).kind == "required"


# --- optional ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "handler",
    [
        "except ImportError:",
        "except ModuleNotFoundError:",
        "except Exception:",
        "except BaseException:",
        "except:",
        "except (ValueError, ImportError) as exc:",
        "except builtins.ImportError:",
    ],
)
def test_try_body_guarded_by_a_catching_handler_is_optional(handler: str) -> None:
    source = f"try:\n    import orjson\n{handler}\n    orjson = None\n"
    assert only(source).kind == "optional"


def test_handler_that_catches_something_else_leaves_import_required() -> None:
    source = "try:\n    import orjson\nexcept KeyError:\n    pass\n"
    assert only(source).kind == "required"


@pytest.mark.parametrize(
    "body",
    [
        "raise",
        "raise RuntimeError('pip install orjson') from None",
        "if strict:\n        raise",
        "sys.exit(1)",
    ],
)
def test_re_raising_or_exiting_handler_makes_import_required(body: str) -> None:
    source = f"try:\n    import orjson\nexcept ImportError:\n    {body}\n"
    assert site_of(source, "orjson").kind == "required"


def test_raise_inside_a_nested_function_of_the_handler_does_not_count() -> None:
    source = """\
        try:
            import orjson
        except ImportError:
            def fail():
                raise RuntimeError
    """
    assert site_of(source, "orjson").kind == "optional"


def test_the_first_handler_a_missing_module_reaches_decides() -> None:
    source = """\
        try:
            import orjson
        except ModuleNotFoundError:
            orjson = None
        except ImportError:
            raise
    """
    assert only(source).kind == "optional"


def test_fallback_import_in_the_handler_is_optional() -> None:
    source = """\
        try:
            import orjson as json
        except ImportError:
            import json
    """
    assert [(s.module, s.alias, s.kind) for s in scan(source).sites] == [
        ("orjson", "json", "optional"),
        ("json", None, "optional"),
    ]


def test_try_else_and_finally_are_not_guarded() -> None:
    source = """\
        try:
            import a
        except ImportError:
            pass
        else:
            import b
        finally:
            import c
    """
    assert modules(source) == [(2, "a", "optional"), (6, "b", "required"), (8, "c", "required")]


def test_contextlib_suppress_makes_optional() -> None:
    source = """\
        import contextlib
        from contextlib import suppress
        with contextlib.suppress(ImportError):
            import a
        with suppress(KeyError, ModuleNotFoundError):
            import b
        with suppress(KeyError):
            import c
    """
    assert modules(source)[2:] == [(4, "a", "optional"), (6, "b", "optional"), (8, "c", "required")]


def test_an_availability_flag_set_where_a_guarded_import_succeeded_guards_its_if() -> None:
    """pint's compat.py: ``if HAS_NUMPY: from numpy import exp`` runs only when numpy imported."""
    source = """\
        try:
            import numpy as np
            HAS_NUMPY = True
        except ImportError:
            HAS_NUMPY = False
        DEBUG = True
        if HAS_NUMPY:
            from numpy import exp
        else:
            import math
        if not HAS_NUMPY:
            import cmath
        else:
            from numpy import log
        if HAS_NUMPY and DEBUG:
            import numpy.testing
        if DEBUG:
            import pdbpp
    """
    assert modules(source) == [
        (2, "numpy", "optional"),
        (8, "numpy", "optional"),
        (10, "math", "required"),
        (12, "cmath", "required"),
        (14, "numpy", "optional"),
        (16, "numpy.testing", "optional"),
        (18, "pdbpp", "required"),  # DEBUG = True outside a guarded try is no availability flag
    ]


def test_an_import_that_runs_only_once_something_else_imported_the_module_is_optional() -> None:
    """pytest's monkeypatch: ``if "pkg_resources" in sys.modules: from pkg_resources import ...``."""
    source = """\
        import sys
        import sys as system
        if "pkg_resources" in sys.modules:
            from pkg_resources import fixup_namespace_packages
        if "numpy" not in system.modules:
            import json
        else:
            import numpy
        if "x" in other.modules:
            import yaml
    """
    assert modules(source)[2:] == [
        (4, "pkg_resources", "optional"),
        (6, "json", "required"),
        (8, "numpy", "optional"),
        (10, "yaml", "required"),
    ]


def test_a_flag_set_true_again_outside_the_guard_is_no_longer_an_availability_flag() -> None:
    source = """\
        try:
            import numpy
            HAS_NUMPY = True
        except ImportError:
            HAS_NUMPY = False
        HAS_NUMPY = True
        if HAS_NUMPY:
            import numpy.linalg
    """
    assert modules(source)[-1] == (8, "numpy.linalg", "required")


# --- lazy ---------------------------------------------------------------------------------------


def test_function_bodies_at_any_depth_are_lazy() -> None:
    source = """\
        def f():
            import a
            def g():
                import b
        async def h():
            import c
        class K:
            def method(self):
                import d
    """
    assert [s.kind for s in scan(source).sites] == ["lazy"] * 4


def test_class_body_is_not_lazy() -> None:
    assert only("class K:\n    import a\n").kind == "required"


def test_lazy_and_optional_together() -> None:
    source = """\
        def f():
            try:
                import a
            except ImportError:
                return None
    """
    site = only(source)
    assert (site.lazy, site.optional, site.kind) == (True, True, "optional")


def test_try_around_a_def_does_not_guard_its_body() -> None:
    source = """\
        try:
            def f():
                import a
        except ImportError:
            pass
    """
    site = only(source)
    assert (site.lazy, site.optional) == (True, False)


def test_decorators_and_defaults_run_at_definition_time() -> None:
    source = """\
        @register(__import__("plugins"))
        def f(x=__import__("defaults")):
            return __import__("body")
    """
    assert [(s.module, s.lazy) for s in scan(source).sites] == [
        ("plugins", False),
        ("defaults", False),
        ("body", True),
    ]


# --- type_only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prelude,test",
    [
        ("from typing import TYPE_CHECKING", "TYPE_CHECKING"),
        ("import typing", "typing.TYPE_CHECKING"),
        ("import typing as t", "t.TYPE_CHECKING"),
        ("from typing import TYPE_CHECKING as TC", "TC"),
        ("import typing_extensions", "typing_extensions.TYPE_CHECKING"),
        ("TYPE_CHECKING = False", "TYPE_CHECKING"),
    ],
)
def test_type_checking_blocks_are_type_only(prelude: str, test: str) -> None:
    source = f"{prelude}\nif {test}:\n    from redis.asyncio import Redis\n"
    assert site_of(source, "redis.asyncio").kind == "type_only"


def test_else_of_type_checking_is_not_type_only_and_not_type_checking_is_reversed() -> None:
    source = """\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import a
        else:
            import b
        if not TYPE_CHECKING:
            import c
        else:
            import d
    """
    assert [s.kind for s in scan(source).sites[1:]] == [
        "type_only",
        "required",
        "required",
        "type_only",
    ]


def test_precedence_type_only_over_optional_over_lazy() -> None:
    source = """\
        from typing import TYPE_CHECKING
        def f():
            try:
                if TYPE_CHECKING:
                    import a
                import b
            except ImportError:
                pass
    """
    assert [(s.module, s.kind) for s in scan(source).sites[1:]] == [
        ("a", "type_only"),
        ("b", "optional"),
    ]


# --- markers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "marker", "negated"),
    [
        ('sys.platform == "win32"', 'sys_platform == "win32"', 'sys_platform != "win32"'),
        ('"win32" != sys.platform', 'sys_platform != "win32"', 'sys_platform == "win32"'),
        ("sys.version_info >= (3, 11)", 'python_version >= "3.11"', 'python_version < "3.11"'),
        ("sys.version_info < (3, 11)", 'python_version < "3.11"', 'python_version >= "3.11"'),
        ("sys.version_info > (3, 8)", 'python_version >= "3.8"', 'python_version < "3.8"'),
        ("sys.version_info <= (3, 8)", 'python_version < "3.8"', 'python_version >= "3.8"'),
        ("sys.version_info >= (3, 11, 2)", 'python_full_version >= "3.11.2"', None),
        ("sys.version_info[:2] == (3, 11)", 'python_version == "3.11"', None),
        ('os.name == "nt"', 'os_name == "nt"', 'os_name != "nt"'),
        ('platform.system() == "Windows"', 'platform_system == "Windows"', None),
        ('platform.machine() == "x86_64"', 'platform_machine == "x86_64"', None),
        ('sys.implementation.name == "pypy"', 'implementation_name == "pypy"', None),
        ('sys.platform.startswith("linux")', 'sys_platform == "linux"', None),
        ('sys.platform.startswith("win")', 'sys_platform == "win32"', 'sys_platform != "win32"'),
        (
            'sys.platform in ("win32", "cygwin")',
            '(sys_platform == "win32" or sys_platform == "cygwin")',
            'sys_platform != "win32" and sys_platform != "cygwin"',
        ),
        ('not sys.platform == "darwin"', 'sys_platform != "darwin"', 'sys_platform == "darwin"'),
    ],
)
def test_platform_and_version_tests_become_markers(test: str, marker: str, negated: str | None) -> None:
    source = f"import sys, os, platform\nif {test}:\n    import a\nelse:\n    import b\n"
    site_a, site_b = site_of(source, "a"), site_of(source, "b")
    assert (site_a.marker, site_a.kind) == (marker, "conditional")
    if negated is not None:
        assert site_b.marker == negated
    for found in (site_a.marker, site_b.marker):
        if found is not None:
            Marker(found)  # valid PEP 508


def test_nested_conditions_join_with_and_and_elif_negates_what_came_before() -> None:
    source = """\
        import sys
        if sys.platform == "win32":
            if sys.version_info >= (3, 11):
                import a
        elif sys.platform == "darwin":
            import b
        else:
            import c
    """
    assert [s.marker for s in scan(source).sites[1:]] == [
        'sys_platform == "win32" and python_version >= "3.11"',
        'sys_platform != "win32" and sys_platform == "darwin"',
        'sys_platform != "win32" and sys_platform != "darwin"',
    ]


def test_version_split_for_tomllib() -> None:
    source = """\
        import sys
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
    """
    assert [(s.module, s.marker) for s in scan(source).sites[1:]] == [
        ("tomllib", 'python_version >= "3.11"'),
        ("tomli", 'python_version < "3.11"'),
    ]


def test_inexpressible_conditions_give_no_marker() -> None:
    source = """\
        import sys
        if sys.platform == "win32" and HAS_X:
            import a
        else:
            import b
        if sys.platform.startswith("freebsd"):
            import c
        if sys.version_info == (3, 11):
            import d
        if HAS_X or sys.platform == "win32":
            import e
    """
    assert [(s.module, s.marker, s.kind) for s in scan(source).sites[1:]] == [
        ("a", 'sys_platform == "win32"', "conditional"),  # the expressible part of an `and`
        ("b", None, "required"),
        ("c", None, "required"),
        ("d", None, "required"),
        ("e", None, "required"),
    ]


def test_marker_and_other_kinds_combine_with_kind_precedence() -> None:
    source = """\
        import sys
        if sys.platform == "win32":
            def f():
                import a
            __import__("b")
    """
    found = scan(source).sites[1:]
    assert [(s.module, s.kind, s.marker) for s in found] == [
        ("a", "lazy", 'sys_platform == "win32"'),
        ("b", "conditional", 'sys_platform == "win32"'),
    ]
    assert found[1].dynamic


# --- dynamic ------------------------------------------------------------------------------------


def test_dynamic_imports_with_literal_names() -> None:
    source = """\
        import importlib
        importlib.import_module("a.b")
        __import__("c")
        __import__("d", globals(), locals(), ["e"], 0)
    """
    found = scan(source).sites[1:]
    assert [(s.module, s.level, s.names, s.kind) for s in found] == [
        ("a.b", 0, (), "dynamic"),
        ("c", 0, (), "dynamic"),
        ("d", 0, ("e",), "dynamic"),
    ]


def test_dynamic_import_relative_to_a_package() -> None:
    source = """\
        from importlib import import_module
        import_module(".x", package="p")
        import_module("..y", "p.q")
        import_module(".z", __package__)
    """
    found = scan(source).sites[1:]
    assert [(s.module, s.level) for s in found] == [("p.x", 0), ("p.y", 0), ("z", 1)]


def test_dynamic_import_through_aliases() -> None:
    source = """\
        import importlib as il
        from importlib import import_module as im
        il.import_module("a")
        im("b")
    """
    assert [s.module for s in scan(source).sites if s.dynamic] == ["a", "b"]


def test_dynamic_import_of_a_computed_name_is_a_note_not_a_site() -> None:
    source = """\
        import importlib
        def load(name):
            return importlib.import_module("plugins." + name)
    """
    result = scan(source)
    assert [s.module for s in result.sites] == ["importlib"]
    assert result.notes == ("line 3: dynamic import of a computed name not followed",)


def test_an_unrelated_import_module_is_not_dynamic() -> None:
    source = "from mylib import import_module\nimport_module('x')\n"
    assert [s.module for s in scan(source).sites] == ["mylib"]


# --- sys.path edits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "path", "str_entry"),
    [
        ("os.path.dirname(__file__)", ".", True),
        ("os.path.dirname(os.path.abspath(__file__))", ".", True),
        ("os.path.dirname(os.path.dirname(__file__))", "..", True),
        ('os.path.join(os.path.dirname(__file__), "..", "lib")', "../lib", True),
        ("os.path.join(os.path.dirname(__file__), os.pardir)", "..", True),
        ('os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))', "../..", True),
        ('os.path.realpath(os.path.dirname(__file__) + "/../src")', "../src", True),
        ("str(Path(__file__).parent)", ".", True),
        ("str(Path(__file__).resolve().parent)", ".", True),
        ("str(Path(__file__).absolute().parent.parent)", "..", True),
        ("str(Path(__file__).resolve().parents[1])", "..", True),
        ("os.fspath(Path(__file__).parents[2])", "../..", True),
        ('str(Path(__file__).parent / ".." / "lib")', "../lib", True),
        ("Path(__file__).parent.as_posix()", ".", True),
        ('f"{Path(__file__).parent}/lib"', "lib", True),
        ("Path(__file__).parent", ".", False),
        ('Path(__file__).parent / "lib"', "lib", False),
        ('"/opt/app/lib"', "/opt/app/lib", True),
    ],
)
def test_path_insert_forms(expression: str, path: str, str_entry: bool) -> None:
    source = f"import os, sys\nfrom pathlib import Path\nsys.path.insert(0, {expression})\n"
    assert edits(source) == [(3, path, "insert", str_entry, False)]


def test_path_edit_through_module_level_variables() -> None:
    source = """\
        import sys
        from pathlib import Path
        ROOT = Path(__file__).resolve().parents[2]
        LIB = ROOT / "lib"
        sys.path.insert(0, str(ROOT))
        sys.path.append(str(ROOT / "lib"))
        sys.path.append(str(LIB))
        sys.path.insert(0, ROOT)
    """
    assert edits(source) == [
        (5, "../..", "insert", True, False),
        (6, "../../lib", "append", True, False),
        (7, "../../lib", "append", True, False),
        (8, "../..", "insert", False, False),
    ]


def test_path_edit_other_spellings_and_lazy() -> None:
    source = """\
        import os
        from sys import path as sys_path
        import sys
        HERE = os.path.dirname(__file__)
        sys_path.append(HERE)
        sys.path.extend([os.path.join(HERE, "a"), os.path.join(HERE, "b")])
        sys.path[0:0] = [os.path.join(HERE, "c")]
        sys.path += [os.path.join(HERE, "d")]
        def main():
            sys.path.insert(0, os.path.join(HERE, ".."))
    """
    assert edits(source) == [
        (5, ".", "append", True, False),
        (6, "a", "append", True, False),
        (6, "b", "append", True, False),
        (7, "c", "insert", True, False),
        (8, "d", "append", True, False),
        (10, "..", "insert", True, True),
    ]


def test_path_edits_that_cannot_be_evaluated_are_notes() -> None:
    source = """\
        import os, sys
        sys.path.insert(0, os.environ["APP_ROOT"])
        sys.path.append(os.getcwd())
        sys.path.append("relative/to/cwd")
        ROOT = Path(__file__).parent
        ROOT = compute()
        sys.path.append(str(ROOT))
    """
    result = scan(source)
    assert result.path_edits == ()
    assert result.notes == tuple(f"line {n}: sys.path edit not statically evaluable" for n in (2, 3, 4, 7))


def test_slice_assignment_other_than_the_front_is_not_an_insert() -> None:
    result = scan("import sys\nsys.path[:] = ['/srv']\n")
    assert (result.path_edits, result.notes) == ((), ("line 2: sys.path edit not statically evaluable",))


def test_path_edit_is_a_value() -> None:
    (edit,) = scan("import sys\nsys.path.append('/srv')\n").path_edits
    assert edit == PathEdit(line=2, path="/srv", position="append", str_entry=True, lazy=False)


# --- reading bytes ------------------------------------------------------------------------------


def test_empty_file() -> None:
    assert extract(b"") == FileImports(sites=(), path_edits=(), syntax_error=None, notes=())


def test_bom_is_removed() -> None:
    result = extract(b"\xef\xbb\xbfimport a\n")
    assert [(s.line, s.module) for s in result.sites] == [(1, "a")]
    assert result.notes == ("BOM removed",)


def test_crlf_and_lone_cr_line_endings_keep_line_numbers() -> None:
    result = extract(b"import a\r\nimport b\rimport c\r\n\r\nimport d")
    assert [(s.line, s.module) for s in result.sites] == [(1, "a"), (2, "b"), (3, "c"), (5, "d")]


def test_coding_cookie_is_honoured() -> None:
    source = "# -*- coding: cp1252 -*-\nimport a\nname = '€'\nimport b\n".encode("cp1252")
    result = extract(source)
    assert [s.module for s in result.sites] == ["a", "b"]
    assert result.notes == ()


def test_undecodable_bytes_fall_back_to_latin_1() -> None:
    result = extract(b"import a\ntext = '\xff\xfe'\nimport b\n")
    assert [s.module for s in result.sites] == ["a", "b"]
    assert result.notes == ("not UTF-8: decoded as latin-1",)
    assert result.syntax_error is None


def test_bad_coding_cookie_is_noted_and_ignored() -> None:
    result = extract(b"# coding: no-such-codec\nimport a\n")
    assert [s.module for s in result.sites] == ["a"]
    assert result.notes == ("unknown coding cookie 'no-such-codec': ignored",)


def test_coding_cookie_naming_a_transformation_is_ignored() -> None:
    result = extract(b"# coding: utf-16\nimport a\n")
    assert [s.module for s in result.sites] == ["a"]
    assert result.notes == ("coding cookie 'utf-16' is not a source encoding: ignored",)


def test_marker_values_are_quoted_so_they_parse() -> None:
    source = "import sys\nif sys.platform == 'we\"ird':\n    import a\n"
    marker = site_of(source, "a").marker
    assert marker == "sys_platform == 'we\"ird'"
    Marker(marker)


def test_null_bytes_are_removed() -> None:
    result = extract(b"import a\x00\nimp\x00ort b\n")
    assert [s.module for s in result.sites] == ["a", "b"]
    assert result.notes == ("null bytes removed",)


def test_tabs_and_shebang_without_py_extension() -> None:
    source = b"#!/usr/bin/env python3\ndef main():\n\timport a\n\tif x:\n\t\timport b\nimport c\n"
    assert modules(source) == [(3, "a", "lazy"), (5, "b", "lazy"), (6, "c", "required")]


def test_invalid_escape_sequences_do_not_warn_or_fail() -> None:
    # pytest runs with -W error: a SyntaxWarning escaping from ast.parse would be an error here.
    result = extract(b'import re\npattern = "\\d+"\n')
    assert ([s.module for s in result.sites], result.syntax_error) == (["re"], None)


@pytest.mark.slow
def test_ten_megabyte_file() -> None:
    body = "".join(
        f"def f{i}(a, b=2):\n    '''Doc {i}.'''\n    return [a + b * {i}, 'x{i}']\n\n" for i in range(140_000)
    )
    source = "import os\n" + body + "def g():\n    import json\n" + body + "import sys\n"
    assert len(source) > 10_000_000 > LARGE_FILE
    result = extract(source.encode())
    last = source.count("\n")
    assert [(s.line, s.module, s.kind) for s in result.sites] == [
        (1, "os", "required"),
        (2 + body.count("\n") + 1, "json", "lazy"),
        (last, "sys", "required"),
    ]
    assert result.syntax_error is None


def test_large_file_with_damage_next_to_an_import() -> None:
    filler = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(30_000))
    source = "import os\n" + filler + "def g():\n    import json\n    x = (\n" + filler + "import sys\n"
    assert len(source) > LARGE_FILE
    result = extract(source.encode())
    damaged = 1 + filler.count("\n") + 3
    assert [(s.line, s.module, s.kind, s.recovered) for s in result.sites] == [
        (1, "os", "required", True),
        (damaged - 1, "json", "lazy", True),
        (source.count("\n"), "sys", "required", True),
    ]
    assert result.syntax_error == SyntaxProblem(message="'(' was never closed", line=damaged)


def test_large_file_with_a_huge_literal() -> None:
    source = "import os\nDATA = [" + ", ".join(map(str, range(1_000_000))) + "]\nimport sys\n"
    assert [s.module for s in extract(source.encode()).sites] == ["os", "sys"]


# --- recovery -----------------------------------------------------------------------------------


def recovered(source: str) -> tuple[list[tuple[int, str, str]], SyntaxProblem | None]:
    result = scan(source)
    assert all(site.recovered for site in result.sites)
    return [(s.line, s.module, s.kind) for s in result.sites], result.syntax_error


def test_unclosed_bracket_does_not_swallow_later_imports() -> None:
    source = """\
        import os
        x = foo(1,
        import sys
        def f():
            import json
    """
    assert recovered(source) == (
        [(1, "os", "required"), (3, "sys", "required"), (5, "json", "lazy")],
        SyntaxProblem(message="'(' was never closed", line=2),
    )


def test_unclosed_bracket_followed_by_ordinary_lines() -> None:
    source = "x = [1, 2\ny = 3\nimport os\n"
    assert recovered(source)[0] == [(3, "os", "required")]


def test_empty_if_body() -> None:
    source = "import os\nif x:\nimport sys\n"
    found, problem = recovered(source)
    assert found == [(1, "os", "required"), (3, "sys", "required")]
    assert problem == SyntaxProblem(message="expected an indented block after 'if' statement on line 2", line=3)


def test_merge_conflict_markers() -> None:
    source = """\
        import a
        def f():
        <<<<<<< HEAD
            import b
        =======
            import c
        >>>>>>> feature
        import d
    """
    assert recovered(source)[0] == [
        (1, "a", "required"),
        (4, "b", "lazy"),
        (6, "c", "lazy"),
        (8, "d", "required"),
    ]


def test_python2_print_and_except_syntax() -> None:
    source = """\
        import a
        print "starting"
        try:
            import simplejson as json
        except ImportError, e:
            import json
        import b
    """
    assert recovered(source)[0] == [
        (1, "a", "required"),
        (4, "simplejson", "optional"),
        (6, "json", "optional"),
        (7, "b", "required"),
    ]


def test_multi_line_broken_from_import_and_continuations() -> None:
    source = """\
        from x import (a,
            b c,
            d)
        import e, \\
            f as g
        from . import h
        from ..pkg import i
        print "x"
    """
    result = scan(source)
    assert [(s.line, s.module, s.level, s.names, s.alias) for s in result.sites] == [
        (1, "x", 0, ("a", "b", "c", "d"), None),
        (4, "e", 0, (), None),
        (4, "f", 0, (), "g"),
        (6, "", 1, ("h",), None),
        (7, "pkg", 2, ("i",), None),
    ]


def test_from_import_cut_off_at_the_end_of_the_file() -> None:
    found, problem = recovered("import a\ndef f():\n    from x import (b,\n        c\n")
    assert found == [(1, "a", "required"), (3, "x", "lazy")]
    assert problem is not None and problem.line == 3


def test_nothing_from_strings_or_comments_in_a_broken_file() -> None:
    source = '''\
        """Doc: import fake_doc"""
        import a  # import fake_comment
        s = "import fake_string"
        t = b"""
        import fake_bytes
        """
        u = f"{s} import fake_f"
        x = (
        import b
    '''
    assert recovered(source)[0] == [(2, "a", "required"), (9, "b", "required")]


def test_unterminated_triple_quoted_string_ends_at_its_line() -> None:
    source = 'import a\nx = """never closed\nimport b\n'
    assert recovered(source)[0] == [(1, "a", "required"), (3, "b", "required")]


def test_kinds_from_the_indentation_structure_when_repair_fails() -> None:
    source = """\
        import os
        def f():
                x = 1
            try:
                import a
            except ImportError:
                import b
            if TYPE_CHECKING:
                import c
        if sys.platform == "win32":
            import d
        with suppress(ImportError):
            import e
        else:
            import f
    """
    found, problem = recovered(source)
    assert found == [
        (1, "os", "required"),
        (5, "a", "optional"),
        (7, "b", "optional"),
        (9, "c", "type_only"),
        (11, "d", "conditional"),
        (13, "e", "optional"),
        (15, "f", "required"),
    ]
    assert problem == SyntaxProblem(message="unindent does not match any outer indentation level", line=4)


def test_inline_bodies_in_a_broken_file() -> None:
    source = "try: import a\nexcept ImportError: a = None\nif x: import b; import c\nprint 'x'\n"
    assert recovered(source)[0] == [
        (1, "a", "optional"),
        (3, "b", "required"),
        (3, "c", "required"),
    ]


def test_try_without_handlers_guards_nothing() -> None:
    assert recovered("try:\n    import a\nimport b\n")[0] == [
        (2, "a", "required"),
        (3, "b", "required"),
    ]


def test_dynamic_import_in_a_broken_statement() -> None:
    source = "import importlib\nm = importlib.import_module('a.b'\nimport c\n"
    found = scan(source).sites
    assert [(s.line, s.module, s.dynamic, s.recovered) for s in found] == [
        (1, "importlib", False, True),
        (2, "a.b", True, True),
        (3, "c", False, True),
    ]


def test_absurd_nesting_is_a_syntax_problem_not_an_exception() -> None:
    deep = "x = " + "-" * 100_000 + "1\nimport a\n"
    found, problem = recovered(deep)
    assert found == [(2, "a", "required")]
    assert problem == SyntaxProblem(message="too deeply nested for the parser", line=1)
    result = extract(("import b\ny = " + "(" * 300 + ")" * 300 + "\n").encode())
    assert [s.module for s in result.sites] == ["b"]
    assert result.syntax_error == SyntaxProblem(message="too many nested parentheses", line=2)


def test_recovery_notes_say_what_was_done() -> None:
    assert scan("import a\nx = (\nimport b\n").notes == ("lines 2-2: parsed after repairing 1 statement(s)",)


def test_sys_path_edit_after_an_unclosed_bracket_is_recovered() -> None:
    """Found by the scan benchmark: the unclosed list swallowed the next line, a sys.path edit."""
    source = (
        b"import os, sys\n"
        b'DEFAULTS = {"timeout": 30, "retries": [1, 2, 4}\n'
        b'sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))\n'
        b"from cache.base import Base\n"
    )
    result = extract(source)
    assert result.path_edits == (PathEdit(line=3, path="..", position="insert", str_entry=True, lazy=False),)
    assert [site.module for site in result.sites] == ["os", "sys", "cache.base"]
    assert all(site.recovered for site in result.sites)
