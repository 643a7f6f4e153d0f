"""Hypothesis: random module graphs written as files; the scan's closure and kinds must equal the
generator's own reachability (best chain, weakest link: required < lazy < optional < type_only)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depmin import api

# The order of strength, written out here as the spec the scan is checked against.
KINDS = ("required", "lazy", "optional", "type_only")
MODULES = 6


def _import_text(target: str, kind: str, *, relative: bool) -> str:
    stmt = f"from . import {target}" if relative else f"import {target}"
    if kind == "lazy":
        return f"def _f_{target}():\n    {stmt}\n"
    if kind == "optional":
        return f"try:\n    {stmt}\nexcept ImportError:\n    pass\n"
    if kind == "type_only":
        return f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    {stmt}\n"
    return f"{stmt}\n"


edges = st.lists(
    st.tuples(
        st.integers(0, MODULES - 1),
        st.one_of(st.integers(0, MODULES - 1), st.sampled_from(["ext_a", "ext_b", "ext_c"])),
        st.sampled_from(KINDS),
        st.booleans(),
    ),
    max_size=14,
)


def _expected(graph: list[tuple[int, int | str, str, bool]]) -> tuple[set[str], dict[str, str]]:
    best: dict[int, int] = {0: 0}
    changed = True
    while changed:  # Bellman-Ford style fixpoint of the bottleneck rank
        changed = False
        for source, target, kind, _ in graph:
            if source in best and isinstance(target, int):
                rank = max(best[source], KINDS.index(kind))
                if rank < best.get(target, 99):
                    best[target] = rank
                    changed = True
    externals: dict[str, int] = {}
    for source, target, kind, _ in graph:
        if source in best and isinstance(target, str):
            rank = max(best[source], KINDS.index(kind))
            externals[target] = min(rank, externals.get(target, 99))
    files = {f"pkg/m{i}.py" for i in best} | {"pkg/__init__.py"}
    return files, {name: KINDS[rank] for name, rank in externals.items()}


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(edges)
def test_closure_and_kinds_match_reachability(graph: list[tuple[int, int | str, str, bool]]) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        (root / "pkg").mkdir()
        (root / "pkg" / "__init__.py").write_text("")
        for index in range(MODULES):
            body = "".join(
                _import_text(f"m{t}" if isinstance(t, int) else t, kind, relative=rel and isinstance(t, int))
                if rel and isinstance(t, int)
                else _import_text(f"pkg.m{t}" if isinstance(t, int) else t, kind, relative=False)
                for s, t, kind, rel in graph
                if s == index
            )
            (root / "pkg" / f"m{index}.py").write_text(body)
        (root / "agents.toml").write_text(
            '[project]\n[machines.M]\n[families.f]\nfrom = "x"\n[agents.A]\nentrypoint = "pkg/m0.py"\n'
            'machines = ["M"]\nfamily = "f"\ncmd = ["python", "-m", "pkg.m0"]\n'
        )
        result = api.scan(api.load_fleet(root / "agents.toml"), use_cache=False).agent("A")
        files, externals = _expected(graph)
        assert set(result.files) == files
        assert {e.module: e.kind for e in result.third_party} == externals
        assert not result.missing and not result.unresolved and not result.errors
    finally:
        shutil.rmtree(root)
