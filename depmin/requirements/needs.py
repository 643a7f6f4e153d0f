"""Inferred needs (GPU, Web, Audio, Vision) per agent, and where they disagree with agents.toml.

Evidence comes from the distributions an agent installs (``depmin/data/needs.toml`` and the heavy
stacks of ``heavy.toml``) and from code in its first-party closure: GPU use read from the syntax tree
(``torch.cuda…``, ``x.cuda()``, ``.to("cuda")``, ``torch.device("cuda")``, a ``device="cuda"`` argument,
``device = "cuda"``), never from a string that merely sits in data (``{"device": "cuda:0"}``), a
comment or a docstring. A family *provides* a need when its chain says so: ``gpu = true`` for GPU, and a
family name containing ``web``, ``audio`` or ``vision`` for the others (``cpu-web``,
``gpu-ada-vision``).

The report answers the questions agents.toml carries in ``uncertain`` tables with that evidence,
and compares the agent's hand-written requirement files (``agents.<Name>.requirements``, or a
``requirements.txt`` beside the entrypoint or in a parent directory up to the root) with what it
uses.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from packaging.requirements import InvalidRequirement, Requirement

from depmin import _toml
from depmin._names import NormalizedName, canonicalize_name
from depmin.manifest import Agent, Fleet
from depmin.requirements.generated import AgentRequirements, RequirementLine
from depmin.requirements.tables import heavy_kind
from depmin.scanning.parsing import parse
from depmin.scanning.recover import recover as _recover

__all__ = ["NEEDS", "Declared", "NeedsReport", "family_provides", "infer_needs", "parse_declared"]

NEEDS = ("gpu", "web", "audio", "vision")
_HEAVY_NEED = {"gpu": "gpu", "vision": "vision", "audio": "audio"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Declared:
    """One hand-written requirement file compared with what the agent uses."""

    file: str
    used_not_declared: tuple[str, ...]
    declared_not_used: tuple[str, ...]
    other_name: tuple[str, ...]  # "opencv-python declared; cv2 is mapped to opencv-python-headless"
    # '[mapping] traceloop = "traceloop-sdk"': a used import and a declared name that look alike
    proposals: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class NeedsReport:
    agent: str
    declared: tuple[str, ...]
    family: str
    inferred: Mapping[str, tuple[str, ...]]  # need -> evidence ("torch (required)", "app.py:12: torch.cuda")
    mismatches: tuple[str, ...]
    answers: Mapping[str, str]  # uncertain key -> the answer with its evidence
    declared_files: tuple[Declared, ...]


@functools.cache
def _table() -> Mapping[str, frozenset[NormalizedName]]:
    raw = _toml.loads((resources.files("depmin") / "data" / "needs.toml").read_text(encoding="utf-8"))
    return {need: frozenset(canonicalize_name(d) for d in raw[need]["distributions"]) for need in NEEDS}


def family_provides(fleet: Fleet, family: str) -> frozenset[str]:
    chain = fleet.family_chain(family)
    provided = {"gpu"} if fleet.has_gpu(family) else set()
    provided.update(need for need in ("web", "audio", "vision") if any(need in m.name for m in chain))
    return frozenset(provided)


def code_evidence(texts: Mapping[str, str]) -> dict[str, list[str]]:
    """``{"gpu": ["common/gpu.py:12: torch.cuda"]}`` from first-party file texts (file -> text).

    One hit per line (the leftmost), files in sorted order. Nothing is executed; a file that does
    not parse whole is repaired the way the scan repairs it, so a broken statement hides only itself."""
    hits = [f"{file}:{line}: {label}" for file in sorted(texts) for line, label in _gpu_hits(texts[file])]
    return {"gpu": hits} if hits else {}


_CUDA = re.compile(r"cuda(:\d+)?")


def _gpu_hits(text: str) -> list[tuple[int, str]]:
    parsed = parse(text)
    # A file that does not parse is read as the scan reads it: repaired piece by piece, lines kept.
    tree = parsed if isinstance(parsed, ast.Module) else ast.Module(body=_recovered(text, parsed), type_ignores=[])
    found = sorted(
        (node.lineno, node.col_offset, label)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Attribute, ast.Call, ast.Assign, ast.AnnAssign)) and (label := _gpu_label(node))
    )
    first: dict[int, str] = {}
    for line, _, label in found:
        first.setdefault(line, label)
    return sorted(first.items())


def _recovered(text: str, problem: tuple[str, int]) -> list[ast.stmt]:
    return list(_recover(text, problem=problem, only_relevant=False).body)


def _gpu_label(node: ast.Attribute | ast.Call | ast.Assign | ast.AnnAssign) -> str | None:
    """What makes ``node`` GPU use, or None. Strings count only as a device argument or assignment."""
    if isinstance(node, ast.Attribute):
        return "torch.cuda" if node.attr == "cuda" and _is_name(node.value, "torch") else None
    if isinstance(node, ast.Call):
        return _call_label(node)
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    named = any(_target_name(target).lower().endswith("device") for target in targets)
    return 'device = "cuda"' if named and node.value is not None and _is_cuda(node.value) else None


def _call_label(node: ast.Call) -> str | None:
    func, first = node.func, node.args[0] if node.args else None
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if isinstance(func, ast.Attribute) and name == "cuda" and not _is_name(func.value, "torch"):
        return ".cuda()"
    if isinstance(func, ast.Attribute) and name == "to" and first is not None and _is_cuda(first):
        return '.to("cuda")'
    if name == "device" and first is not None and _is_cuda(first):
        return 'torch.device("cuda")'
    if any(keyword.arg == "device" and _is_cuda(keyword.value) for keyword in node.keywords):
        return 'device="cuda"'
    return None


def _is_cuda(node: ast.expr) -> bool:
    """A ``"cuda"``/``"cuda:N"`` literal, or a conditional with one as a branch."""
    if isinstance(node, ast.IfExp):
        return _is_cuda(node.body) or _is_cuda(node.orelse)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and _CUDA.fullmatch(node.value) is not None


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _target_name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def infer_needs(
    fleet: Fleet,
    agent: Agent,
    result: AgentRequirements,
    code: Mapping[str, list[str]],
    declared_files: Iterable[Declared] = (),
) -> NeedsReport:
    """Compare what ``agent`` needs (from its requirements and code) with its family and needs."""
    inferred: dict[str, list[str]] = {}
    for line in (*result.install, *result.optional):
        for need in _needs_of(line.distribution):
            where = "" if line.site is None else f" at {line.site.file}:{line.site.line}"
            inferred.setdefault(need, []).append(f"{line.distribution} ({line.kind}{where})")
    for need, hits in code.items():
        inferred.setdefault(need, []).extend(hits[:3])
    installed = {need for line in result.install for need in _needs_of(line.distribution)}
    provided = family_provides(fleet, agent.family)
    mismatches = _mismatches(agent, installed, set(inferred), provided, inferred)
    frozen = {need: tuple(evidence) for need, evidence in sorted(inferred.items())}
    return NeedsReport(
        agent=agent.name,
        declared=agent.needs,
        family=agent.family,
        inferred=frozen,
        mismatches=tuple(mismatches),
        answers=_answers(agent, frozen, installed, provided),
        declared_files=tuple(declared_files),
    )


def _needs_of(distribution: NormalizedName) -> set[str]:
    needs = {need for need, names in _table().items() if distribution in names}
    kind = heavy_kind(distribution)
    if kind in _HEAVY_NEED:
        needs.add(_HEAVY_NEED[kind])
    return needs


def _mismatches(
    agent: Agent,
    installed: set[str],
    seen: set[str],
    provided: frozenset[str],
    evidence: Mapping[str, list[str]],
) -> list[str]:
    out: list[str] = []
    for need in NEEDS:
        first = evidence.get(need, ["?"])[0]
        if need in installed and need not in provided:
            extra = " (torch from PyPI pulls several GB of CUDA wheels)" if need == "gpu" else ""
            out.append(f"family {agent.family} has no {need} but the agent installs {first}{extra}")
        if need in provided and need not in seen:
            out.append(f"family {agent.family} provides {need} but nothing the agent imports needs it")
        if need in installed and need not in agent.needs:
            out.append(f"needs does not declare {need!r}, but the agent installs {first}")
        if need in agent.needs and need not in seen:
            out.append(f"needs declares {need!r}, but no import or code of the agent shows it")
    return out


def _answers(
    agent: Agent, inferred: Mapping[str, tuple[str, ...]], installed: set[str], provided: frozenset[str]
) -> dict[str, str]:
    answers: dict[str, str] = {}
    for key, question in agent.uncertain.items():
        if key not in ("needs", "family"):
            answers[key] = f"{question} -> not decidable from imports; confirm by hand"
            continue
        parts = []
        for need in NEEDS:
            if need in inferred:
                state = "installed" if need in installed else "only through optional imports"
                parts.append(f"{need}: yes, {state} ({'; '.join(inferred[need][:2])})")
        verdict = ", ".join(parts) if parts else "no GPU, web, audio or vision evidence: CPU only"
        fit = "fits" if installed <= provided else f"does not fit (missing {', '.join(sorted(installed - provided))})"
        answers[key] = f"{question} -> {verdict}; family {agent.family} {fit}"
    return answers


def parse_declared(text: str) -> tuple[set[NormalizedName], list[str]]:
    """Distribution names of a hand-written requirements file, and lines that are not requirements."""
    names: set[NormalizedName] = set()
    skipped: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            names.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            skipped.append(line)
    return names, skipped


def compare_declared(file: str, declared: set[NormalizedName], result: AgentRequirements) -> Declared:
    used = {line.distribution: line for line in result.install if line.resolution is not None}
    other: list[str] = []
    matched: set[NormalizedName] = set()
    for name, line in sorted(used.items()):
        if name in declared:
            matched.add(name)
            continue
        aliases = {*line.resolution.candidates, *(canonicalize_name(i.split(".")[0]) for i in line.imports)}  # type: ignore[union-attr]
        for alias in sorted(declared & aliases):
            other.append(f"{alias} declared; {', '.join(line.imports)} is mapped to {name}")
            matched.update({alias, name})
    unused = tuple(sorted(n for n in declared if n not in matched))
    missing = tuple(sorted(n for n in used if n not in matched))
    return Declared(
        file=file,
        used_not_declared=missing,
        declared_not_used=unused,
        other_name=tuple(other),
        proposals=_proposals([used[name] for name in missing], unused),
    )


def _proposals(missing: list[RequirementLine], unused: tuple[NormalizedName, ...]) -> tuple[str, ...]:
    """The ``[mapping]`` line for each used-but-undeclared import whose name a declared-but-unused
    distribution contains (``traceloop`` -> ``traceloop-sdk``), or the lone pair when each side has one."""
    found: list[str] = []
    for line in missing:
        for module in line.imports:
            key = canonicalize_name(module)
            alike = [name for name in unused if key in name or name in key]
            if not alike and len(missing) == 1 == len(unused):
                alike = list(unused)
            found.extend(
                f'[mapping] {module} = "{name}" (the code imports {module}, mapped to {line.distribution}; '
                f"{name} is declared)"
                for name in alike[:1]
            )
    return tuple(found)
