"""Hypothesis properties of depmin.scanning.extraction.extract.

1. Random valid modules: extract reports exactly the generated imports, lines and kinds.
2. Randomly damaged modules: extract never raises and never invents a module.
3. Arbitrary bytes: extract never raises.
4. Python-like noise: the lexer's one-match cut of a line gives the statements its bracket-by-bracket
   cut gives.
"""

from __future__ import annotations

import keyword
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depmin.scanning.extraction import extract
from depmin.scanning.lexer import Source, Statement

PROFILE = settings(
    derandomize=True,
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow],
)

NAMES = st.sampled_from(["zmq", "redis", "numpy", "torch", "yaml", "cv2", "pkg", "_priv", "ünï"])
MODULES = st.lists(NAMES, min_size=1, max_size=3).map(".".join)
PLACES = ("module", "function", "method", "try", "fallback", "type_checking", "class")
KIND_OF_PLACE = {
    "module": "required",
    "class": "required",
    "function": "lazy",
    "method": "lazy",
    "try": "optional",
    "fallback": "optional",
    "type_checking": "type_only",
}
NOISE = (
    "x = 1",
    's = "import fake_string"',
    "# import fake_comment",
    '"""import fake_doc\nfrom fake import doc\n"""',
    "value = call(a, [b, {c: d}])",
)


def _statement(module: str, form: int, serial: int) -> str:
    if form == 0:
        return f"import {module}"
    if form == 1:
        return f"import {module} as alias_{serial}"
    return f"from {module} import name_{serial}, other as renamed_{serial}"


def _block(place: str, statement: str, serial: int) -> tuple[list[str], int]:
    """Lines for one import at one place, and the index of the import's line among them."""
    if place == "function":
        return [f"def f_{serial}():", f"    {statement}"], 1
    if place == "method":
        return [f"class C_{serial}:", "    def m(self):", f"        {statement}"], 2
    if place == "class":
        return [f"class K_{serial}:", f"    {statement}"], 1
    if place == "try":
        return ["try:", f"    {statement}", "except ImportError:", "    pass"], 1
    if place == "fallback":
        return ["try:", "    pass", "except ImportError:", f"    {statement}"], 3
    if place == "type_checking":
        return ["if TYPE_CHECKING:", f"    {statement}"], 1
    return [statement], 0


ITEMS = st.lists(
    st.one_of(
        st.tuples(MODULES, st.sampled_from(PLACES), st.integers(0, 2)),
        st.sampled_from(NOISE),
    ),
    max_size=12,
)


def _build(items: list[tuple[str, str, int] | str]) -> tuple[str, list[tuple[int, str, str]]]:
    lines = ["from typing import TYPE_CHECKING"]
    expected = [(1, "typing", "required")]
    for serial, item in enumerate(items):
        if isinstance(item, str):
            lines.extend(item.split("\n"))
            continue
        module, place, form = item
        block, at = _block(place, _statement(module, form, serial), serial)
        expected.append((len(lines) + at + 1, module, KIND_OF_PLACE[place]))
        lines.extend(block)
    return "\n".join(lines) + "\n", expected


@PROFILE
@given(ITEMS)
def test_valid_modules_give_exactly_the_generated_imports(
    items: list[tuple[str, str, int] | str],
) -> None:
    source, expected = _build(items)
    result = extract(source.encode())
    assert result.syntax_error is None
    assert [(s.line, s.module, s.kind) for s in result.sites] == expected
    assert not any(site.recovered for site in result.sites)


EDITS = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.integers(0, 6),
        st.text(alphabet="()[]{}'\"\\:#;=,. \n\tx", max_size=4),
    ),
    min_size=1,
    max_size=5,
)


def _damage(source: str, edits: list[tuple[float, int, str]]) -> str:
    for where, delete, insert in edits:
        at = int(where * len(source))
        source = source[:at] + insert + source[at + delete :]
    return source


def _identifiers(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d]\w*", text))


@PROFILE
@given(ITEMS, EDITS)
def test_damaged_modules_never_raise_and_never_invent_a_module(
    items: list[tuple[str, str, int] | str], edits: list[tuple[float, int, str]]
) -> None:
    source = _damage(_build(items)[0], edits)
    result = extract(source.encode())
    words = _identifiers(source)
    for site in result.sites:
        first = site.module.split(".")[0]
        assert not first or first in words, (first, source)
        assert site.line >= 1
        assert site.recovered == (result.syntax_error is not None)
        assert all(part.isidentifier() for part in site.module.split(".") if site.module)
        assert not any(keyword.iskeyword(part) for part in site.module.split("."))


@PROFILE
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    result = extract(data)
    assert all(site.line >= 1 for site in result.sites)


PYTHONISH = st.lists(
    st.sampled_from(
        [
            "import ",
            "from ",
            " as ",
            "def f():",
            "try:",
            "except ImportError:",
            "if TYPE_CHECKING:",
            "else:",
            "@d",
            "x",
            "os",
            ".",
            ",",
            "(",
            ")",
            "[",
            '"""',
            "'",
            '"',
            "\\",
            "#",
            ";",
            ":",
            "\n",
            "    ",
            "\t",
            "<<<<<<< HEAD\n",
            "importlib.import_module(",
        ]
    ),
    max_size=60,
).map("".join)


@PROFILE
@given(PYTHONISH)
def test_python_like_noise_never_raises_or_invents(text: str) -> None:
    result = extract(text.encode())
    words = _identifiers(text)
    for site in result.sites:
        first = site.module.split(".")[0]
        assert not first or first in words


LINE_NOISE = st.lists(
    st.sampled_from(["x = f(a)", "g(h(1), [2], {3: (4)})", "f(g(h(i())))", "]", "}", "{", "\f", "\\\n", "~", "é"]),
    max_size=20,
).map("".join)


@PROFILE
@given(st.lists(st.one_of(PYTHONISH, LINE_NOISE), max_size=4).map("\n".join))
def test_the_one_match_cut_gives_the_bracket_by_bracket_statements(text: str) -> None:
    source = Source(text)
    slow: list[Statement] = []
    position = 0
    while position < len(text):
        position = source._logical_line(slow, position, len(text))
    assert source.split(0, len(text)) == slow
