"""An agent's minimal requirement set, with provenance, and its ``requirements.generated.txt``.

From the scan (third-party imports with their propagated kind) and the mapping chain (import →
distribution), :func:`agent_requirements` decides what each agent installs:

* ``required``, ``lazy`` (policy ``lazy = "include"``) and dynamic imports are installed;
* ``optional`` (guarded) imports are listed in a commented section and installed only when the
  agent names them in ``include_optional`` (by import or distribution) or ``[policy] optional``
  says ``"include"``;
* ``type_only`` imports are left out unless ``[policy] type_only = "include"``;
* a conditional import carries its PEP 508 marker; ``ignore_imports`` drops an import;
* version ranges come from ``project.constraints``; ``extra_requirements`` are added as written;
* a submodule listed in ``depmin/data/extras.toml`` adds its extra to the distribution's line
  (``from sqlalchemy.ext.asyncio import …`` -> ``sqlalchemy[asyncio]``), merged with the other extras,
  before the constraints range, and named in the comment; an ``extra_requirements`` entry for the same
  distribution gets the missing extras added.

:func:`render` turns the result into the file's text, one requirement a line, sorted::

    pyzmq  # zmq: main_pc_code/agents/nlu_agent.py:24

Names from the scanned tree and agents.toml reach the comments: every comment has its control
characters escaped (:func:`~depmin.scanning.tree.printable`), so a file named
``"a\n--extra-index-url https://evil/x.py"`` stays inside its comment, and a requirement whose own
text would span lines or read as a pip option (``-…``) is refused. A marker holding a control
character (from a hostile ``if sys.platform == "…"``) is not expressible: the import counts as plain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from depmin import scanning
from depmin._files import MARKER
from depmin._names import NormalizedName, canonicalize_name, name_and_extras
from depmin.errors import ConfigError, Problem
from depmin.manifest import Agent, Fleet
from depmin.requirements.hints import Declaration, Hints
from depmin.requirements.mapping import HEADLESS_SUFFIX, Mapper, Resolution
from depmin.requirements.tables import load_extras
from depmin.scanning import AgentScan, ExternalImport, Hop, ImportKind, ModuleUse, has_control, kind_rank, printable

__all__ = [
    "AgentRequirements",
    "RequirementLine",
    "agent_requirements",
    "family_has_display",
    "map_imports",
    "render",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementLine:
    """One distribution an agent needs, and why."""

    distribution: NormalizedName
    requirement: str  # as written to the file: 'tomli>=2; python_version < "3.11"'
    kind: ImportKind | Literal["extra"]  # extra: from agents.toml extra_requirements
    imports: tuple[str, ...]  # the import names that map to it
    site: Hop | None  # first import site; None for extra_requirements
    resolution: Resolution | None  # None for extra_requirements
    # (extra, the imported module that implies it), from extras.toml: ("asyncio", "sqlalchemy.ext.asyncio")
    implied_extras: tuple[tuple[str, str], ...] = ()
    range_from: str | None = None  # the hand-written file:line the version range comes from
    # (dotted module the code imports, its mapping key), for the installed uses: the lock checks
    # each one against the locked wheels' contents. ("plugp100.new.device_factory", "plugp100")
    modules: tuple[tuple[str, str], ...] = ()
    # the ones of ``modules`` that every site names as ``from parent import name``: ``name`` may be an
    # attribute of the parent package rather than a submodule, so its absence is uncertain, not an error
    attributes: tuple[str, ...] = ()

    @property
    def provenance(self) -> str:
        implied = "".join(f" [extra {extra}: {module}]" for extra, module in self.implied_extras)
        if self.range_from is not None:
            implied += f" [range: {self.range_from}]"
        if self.site is None:
            return f"agents.toml extra_requirements: {self.requirement}{implied}"
        tag = ""
        if self.resolution is not None and self.resolution.declared is not None:
            tag = f" [repository: {self.resolution.declared}]"
        elif self.resolution is not None and self.resolution.source != "bundled":
            tag = f" [{self.resolution.source}]"
        if self.resolution is not None and self.resolution.ambiguous:
            tag += f" [ambiguous: {', '.join(self.resolution.candidates)}]"
        return f"{', '.join(self.imports)}: {self.site.file}:{self.site.line}{tag}{implied}"


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentRequirements:
    agent: str
    entrypoint: str
    install: tuple[RequirementLine, ...]
    optional: tuple[RequirementLine, ...]  # guarded imports, listed as comments
    excluded: tuple[RequirementLine, ...]  # type-only, ignored, or excluded by policy
    resolutions: tuple[Resolution, ...]

    @property
    def guessed(self) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if r.guessed)


def family_has_display(fleet: Fleet, agent: Agent) -> bool:
    return any(family.display for family in fleet.family_chain(agent.family))


def agent_requirements(
    fleet: Fleet,
    agent: Agent,
    scan: AgentScan,
    mapper: Mapper,
    constraints: Mapping[NormalizedName, str] | None = None,
    hints: Hints | None = None,
) -> AgentRequirements:
    """Decide what ``agent`` installs from its scan and its repository ``hints``; pure."""
    ranges = constraints or {}
    declared = {} if hints is None else hints.ranges()
    grouped: dict[NormalizedName, list[tuple[ExternalImport, str, Resolution]]] = {}
    resolutions: list[Resolution] = []
    for external, mapped in map_imports(fleet, agent, scan, mapper, hints).items():
        for resolution in mapped:
            resolutions.append(resolution)
            grouped.setdefault(resolution.distribution, []).append((external, resolution.module, resolution))
    install: list[RequirementLine] = []
    optional: list[RequirementLine] = []
    excluded: list[RequirementLine] = []
    for distribution, found in sorted(grouped.items()):
        line, bucket = _decide(fleet, agent, distribution, found, ranges, declared.get(distribution))
        {"install": install, "optional": optional, "excluded": excluded}[bucket].append(line)
    implied = {line.distribution: line.implied_extras for line in install if line.implied_extras}
    extras = [_merge_implied(line, implied.get(line.distribution, ())) for line in _extras(agent, ranges)]
    names = {line.distribution for line in extras}
    install = sorted([line for line in install if line.distribution not in names] + extras, key=_sort_key)
    return AgentRequirements(
        agent=agent.name,
        entrypoint=agent.entrypoint,
        install=tuple(install),
        optional=tuple(line for line in optional if line.distribution not in names),
        excluded=tuple(excluded),
        resolutions=tuple({(r.matched, r.distribution): r for r in reversed(resolutions)}.values())[::-1],
    )


def map_imports(
    fleet: Fleet, agent: Agent, scan: AgentScan, mapper: Mapper, hints: Hints | None = None
) -> dict[ExternalImport, tuple[Resolution, ...]]:
    """Each third-party import of the scan mapped to distributions through the agent's chain.

    Every dotted name is mapped (``redis`` and ``redis.asyncio`` both count), except a name that
    only maps by guessing while a longer name under it maps for sure: ``google.cloud`` says
    nothing once ``google.cloud.storage`` is known, so namespace packages map by their longest
    names (protobuf, google-cloud-storage) and never to a guessed ``google``.
    """
    mapper = mapper.with_overrides(agent.mapping) if agent.mapping else mapper
    display = family_has_display(fleet, agent)
    mapped: dict[ExternalImport, tuple[Resolution, ...]] = {}
    stubs = mapper.namespaces.stubs
    for external in scan.third_party:
        # a stub-only name (``_typeshed``) exists only for type checkers: never mapped to a distribution
        dotted_names = [d for d in external.modules if not any(d == s or d.startswith(s + ".") for s in stubs)]
        found = {dotted: _hinted(mapper.resolve(dotted, display=display), hints, mapper) for dotted in dotted_names}
        mapped[external] = tuple(
            resolution
            for dotted, resolution in sorted(found.items())
            if not (
                resolution.guessed
                and any(other.startswith(dotted + ".") and not r.guessed for other, r in found.items())
            )
        )
    return mapped


def _hinted(resolution: Resolution, hints: Hints | None, mapper: Mapper) -> Resolution:
    """``resolution``, or the repository's declaration when the chain could only guess, applied a
    family rule, or picked among several candidates (then only a candidate counts)."""
    if hints is None or not hints.declarations:
        return resolution
    if resolution.ambiguous and any(name.endswith(HEADLESS_SUFFIX) for name in resolution.candidates):
        return resolution  # the display rule decides for a container, not a desktop requirements file
    if resolution.ambiguous and resolution.source == "bundled":
        found = next((d for d in map(hints.declared, resolution.candidates) if d is not None), None)
    elif resolution.source in ("guessed", "known", "family"):
        found = hints.for_import(resolution.module, candidates=resolution.candidates, namespaces=mapper.namespaces)
    else:
        return resolution
    if found is None or (resolution.source == "known" and found.distribution == resolution.distribution):
        return resolution  # a popular name the repository repeats: nothing to add
    return dataclasses.replace(
        resolution,
        distribution=found.distribution,
        source="repository",
        ambiguous=False,
        candidates=(found.distribution,),
        declared=found.where,
    )


def _decide(
    fleet: Fleet,
    agent: Agent,
    distribution: NormalizedName,
    found: list[tuple[ExternalImport, str, Resolution]],
    ranges: Mapping[NormalizedName, str],
    declared: Declaration | None = None,
) -> tuple[RequirementLine, str]:
    """One requirement line from every dotted import that maps to ``distribution``: the best
    use (strongest kind, then first site) gives its kind, marker and provenance."""
    uses = [(external.use(dotted), resolution) for external, dotted, resolution in found]
    use, resolution = min(uses, key=lambda item: (kind_rank(item[0].kind), item[0].first.file, item[0].first.line))
    marker = use.marker if use.marker and _valid_marker(use.marker) else None
    if any(u.marker is None and u.kind == use.kind for u, _ in uses):
        marker = None
    implied = _implied_extras(distribution, [u for u, _ in uses], use.kind)
    named = f"[{','.join(extra for extra, _ in implied)}]" if implied else ""
    from_repository = declared if distribution not in ranges and declared is not None else None
    version = ranges.get(distribution, "") if from_repository is None else from_repository.specifier
    text = f"{distribution}{named}{version}" + (f"; {marker}" if marker else "")
    line = RequirementLine(
        distribution=distribution,
        requirement=text,
        kind=use.kind,
        imports=tuple(sorted({r.matched for _, r in uses})),
        site=use.first,
        resolution=resolution,
        implied_extras=implied,
        range_from=None if from_repository is None else from_repository.where,
        modules=_checked_modules(found, use.kind),
        attributes=tuple(sorted({d for e, d, _ in found if e.use(d).attribute})),
    )
    return line, _bucket(fleet, agent, line)


def _checked_modules(
    found: list[tuple[ExternalImport, str, Resolution]], kind: ImportKind
) -> tuple[tuple[str, str], ...]:
    """The dotted modules of the uses that are installed with the line (as strong as its kind, or
    lazy or stronger), with their mapping keys: a guarded ``yaml.cyaml`` may be absent, a plain
    ``plugp100.new.device_factory`` may not."""
    weakest = max(kind_rank(kind), kind_rank("lazy"))
    return tuple(
        sorted(
            {
                (dotted, resolution.matched)
                for external, dotted, resolution in found
                if kind_rank(external.use(dotted).kind) <= weakest
            }
        )
    )


def _implied_extras(
    distribution: NormalizedName, uses: list[ModuleUse], kind: ImportKind
) -> tuple[tuple[str, str], ...]:
    """The extras the imported submodules of ``distribution`` need, sorted, each with the first
    module (by name) that implies it. A use counts when it is installed with the line: as strong as
    the line's kind, or lazy or stronger (lazy imports are installed by default), so a guarded
    ``sqlalchemy.ext.asyncio`` beside a plain ``sqlalchemy`` does not pull greenlet."""
    weakest = max(kind_rank(kind), kind_rank("lazy"))
    found: dict[str, str] = {}
    for use in sorted(uses, key=lambda u: u.module):
        hit = load_extras().extras_for(use.module, distribution) if kind_rank(use.kind) <= weakest else None
        if hit is not None:
            prefix, extras = hit
            found.update({extra: prefix for extra in extras if extra not in found})
    return tuple(sorted(found.items()))


def _merge_implied(line: RequirementLine, implied: tuple[tuple[str, str], ...]) -> RequirementLine:
    """An ``extra_requirements`` line with the extras the code implies added; as written when it has them."""
    if not implied:
        return line
    from packaging.requirements import Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    requirement = Requirement(line.requirement)
    missing = tuple((extra, module) for extra, module in implied if extra not in requirement.extras)
    if not missing:
        return line
    requirement.extras |= {extra for extra, _ in missing}
    return dataclasses.replace(line, requirement=str(requirement), implied_extras=missing)


def _bucket(fleet: Fleet, agent: Agent, line: RequirementLine) -> str:
    named = {line.distribution, *line.imports, *(i.split(".")[0] for i in line.imports)}
    if named & set(agent.ignore_imports):
        return "excluded"
    policy = fleet.policy
    if line.kind == "optional":
        chosen = policy.optional == "include" or bool(named & set(agent.include_optional))
        return "install" if chosen else "optional"
    if line.kind == "type_only":
        return "install" if policy.type_only == "include" else "excluded"
    if line.kind == "lazy" and policy.lazy == "exclude":
        return "excluded"
    return "install"


def _extras(agent: Agent, ranges: Mapping[NormalizedName, str]) -> list[RequirementLine]:
    lines: list[RequirementLine] = []
    problems: list[Problem] = []
    for text in agent.extra_requirements:
        simple = name_and_extras(text)  # uvicorn[standard]: no specifier, read without packaging
        if simple is not None:
            name, specified = canonicalize_name(simple[0]), False
        else:
            from packaging.markers import InvalidMarker  # noqa: PLC0415 - imports packaging.tags (depmin._names)
            from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 - imports packaging.tags (depmin._names)

            try:
                requirement = Requirement(text)
            except (InvalidRequirement, InvalidMarker) as exc:
                where = f"agents.{agent.name}.extra_requirements"
                reason = str(exc).splitlines()[0]
                problems.append(Problem(where, f"{text!r} is not a requirement ({reason}); write it as pip would"))
                continue
            name, specified = canonicalize_name(requirement.name), bool(requirement.specifier)
        written = text if specified or name not in ranges else f"{text}{ranges[name]}"
        lines.append(
            RequirementLine(
                distribution=name,
                requirement=written,
                kind="extra",
                imports=(),
                site=None,
                resolution=None,
            )
        )
    if problems:
        raise ConfigError(problems)
    return lines


def _sort_key(line: RequirementLine) -> tuple[str, str]:
    return (line.distribution, line.requirement)


def render(result: AgentRequirements, *, config_name: str = "agents.toml") -> str:
    """The text of ``requirements.generated.txt``: deterministic, pip-valid, commented.

    Raises :class:`~depmin.errors.ConfigError` for a requirement that spans lines or starts with
    ``-`` (pip would read an option), before anything is written."""
    _refuse_unsafe(result)
    agent, entrypoint, config = printable(result.agent), printable(result.entrypoint), printable(config_name)
    lines = [
        f"# {MARKER} from {entrypoint} and {config} (agent {agent}).",
        f"# Do not edit: change the code or {config}, then run `depmin generate --agent {agent}`.",
    ]
    lines.extend(f"{line.requirement}  # {printable(line.provenance)}" for line in result.install)
    if result.optional:
        lines.append("")
        lines.append("# Optional imports (guarded by try/except ImportError), not installed; opt in with")
        lines.append(f'# agents.{agent}.include_optional = ["<import or distribution>"]:')
        lines.extend(f"# {printable(line.requirement)}  # {printable(line.provenance)}" for line in result.optional)
    return "\n".join(lines) + "\n"


def _refuse_unsafe(result: AgentRequirements) -> None:
    problems = [
        Problem(
            f"agents.{printable(result.agent)}",
            f"requirement {line.requirement!r} ({printable(line.provenance)}) "
            + ("spans lines" if has_control(line.requirement) else "starts with '-', which pip reads as an option")
            + "; fix the [mapping] value or extra_requirements entry in agents.toml that gives it",
        )
        for line in (*result.install, *result.optional)
        if has_control(line.requirement) or line.requirement.lstrip().startswith("-")
    ]
    if problems:
        raise ConfigError(problems)


def _valid_marker(text: str) -> bool:
    if has_control(text):  # it would end the requirement line
        return False
    if scanning.rendered(text):  # as the scan writes it: a marker, without packaging's parser
        return True
    from packaging.markers import InvalidMarker, Marker  # noqa: PLC0415 - imports packaging.tags (depmin._names)

    try:
        Marker(text)
    except InvalidMarker:
        return False
    return True
