"""Accuracy of `depmin generate` on code nobody here wrote: real PyPI source distributions.

For each pinned sdist (exact version and sha256), the script downloads it into a cache directory
(from PyPI's simple index, JSON form, PEP 691; never through pip, which would run the project's
build backend), unpacks it with tarfile's "data" filter, writes a minimal agents.toml with one
agent per console script (run as `python -m MODULE`; the modules the project's own other entry points
name, which a plugin host loads by name, as `entry_modules`), runs `depmin generate` twice (with
`project.repository_hints = false`, then on) and compares the distributions listed in every
agent's requirements.generated.txt (their union per project) with the project's own declared
run-time dependencies: the sdist's PKG-INFO `Requires-Dist` lines without an `extra` marker whose
marker holds for the target (CPython 3.11 on Linux x86_64). A generated line whose marker (from an
import's `sys.version_info`/`sys.platform` guard) does not hold for the target is not counted
either. The downloaded code is only read by depmin's scanner, never imported or run.

    python3 benchmarks/bench_accuracy.py [--cache DIR] [--json] [--keep]

Precision = listed and declared / listed; recall = listed and declared / declared. "Wrong" lines are
the listed distributions the project does not declare; "flagged" counts those depmin itself marked
as a guess (`[guessed]`), reported ambiguous, or reported as a lazy import the project's own
requirement files do not declare, i.e. the ones a user is told to check.
"""

from __future__ import annotations

import argparse
import configparser
import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
TARGET: dict[str, str] = {
    **{key: str(value) for key, value in default_environment().items()},
    "python_version": "3.11",
    "python_full_version": "3.11.9",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "extra": "",
}


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    sha256: str
    source_root: str  # inside the unpacked sdist: the directory that holds the import package
    agents: tuple[tuple[str, str], ...]  # (agent name, module run with `python -m`)
    sdist: str = ""  # the file name when it is not NAME-VERSION.tar.gz (opentelemetry_instrumentation-…)

    @property
    def filename(self) -> str:
        return self.sdist or f"{self.name}-{self.version}.tar.gz"


PROJECTS = (
    Project(
        "flask",
        "3.1.0",
        "5f873c5184c897c8d9d1b05df1e3d01b14910ce69607a117bd3277098a5836ac",
        "src",
        (("FlaskCli", "flask"),),
    ),
    Project(
        "mkdocs",
        "1.6.1",
        "7b432f01d928c084353ab39c57282f29f92136665bdd6abf7c1ec8d822ef86f2",
        ".",
        (("MkDocs", "mkdocs"),),
    ),
    Project(
        "httpie",
        "3.2.4",
        "302ad436c3dc14fd0d1b19d4572ef8d62b146bcd94b505f3c2521f701e2e7a2a",
        ".",
        (("Http", "httpie.__main__"), ("HttpieManager", "httpie.manager.__main__")),
    ),
    Project(
        "celery",
        "5.4.0",
        "504a19140e8d3029d5acad88330c541d4c3f64c789d85f94756762d8bca7e706",
        ".",
        (("Celery", "celery.__main__"),),
    ),
    Project(
        "datasette",
        "0.65.1",
        "d8be37ae6dafbfd8e510d49c0dc0fc6696081614d048a507eed86dd2ae433223",
        ".",
        (("Datasette", "datasette.__main__"),),
    ),
    # namespace packages: it imports jaraco.classes, jaraco.functools and jaraco.context
    Project(
        "keyring",
        "25.5.0",
        "4c753b3ec91717fe713c4edd522d625889d8973a349b0e582622f49766de58e6",
        ".",
        (("Keyring", "keyring.__main__"),),
    ),
    # a plugin host: _pytest's built-in plugins are loaded by computed name
    Project(
        "pytest",
        "8.3.3",
        "70b98107bd648308a7952b06e6ca9a50bc660be218d53c257cc1fc94fda10181",
        "src",
        (("Pytest", "pytest.__main__"),),
    ),
    # a distribution inside the opentelemetry namespace, two console scripts
    Project(
        "opentelemetry-instrumentation",
        "0.48b0",
        "94929685d906380743a71c3970f76b5f07476eea1834abd5dd9d17abfe23cc35",
        "src",
        (
            ("Bootstrap", "opentelemetry.instrumentation.bootstrap"),
            ("Instrument", "opentelemetry.instrumentation.auto_instrumentation"),
        ),
        sdist="opentelemetry_instrumentation-0.48b0.tar.gz",
    ),
)


def fetch(project: Project, cache: Path) -> Path:
    """The sdist in the cache, downloaded once and checked against its pinned sha256."""
    target = cache / project.filename
    if not target.exists():
        request = urllib.request.Request(
            f"https://pypi.org/simple/{project.name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            index = json.load(response)
        (entry,) = [f for f in index["files"] if f["filename"] == project.filename]
        with urllib.request.urlopen(entry["url"], timeout=120) as response:
            data = response.read()
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != project.sha256:
        raise SystemExit(f"{target}: sha256 {digest}, pinned {project.sha256}; delete it and run again")
    return target


def unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


def declared(tree: Path) -> set[str]:
    """Run-time dependencies for the target from PKG-INFO (no extras; markers evaluated)."""
    message = email.parser.Parser().parsestr((tree / "PKG-INFO").read_text(encoding="utf-8"))
    found: set[str] = set()
    for line in message.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and (
            "extra" in str(requirement.marker) or not requirement.marker.evaluate(TARGET)
        ):
            continue
        found.add(canonicalize_name(requirement.name))
    return found


def plugins(tree: Path) -> list[str]:
    """The modules the project's own entry points name, console and GUI scripts aside: what a plugin
    host loads by name (keyring's ``keyring.backends`` group), from ``pyproject.toml``'s
    ``[project.entry-points]`` and the sdist's ``*.egg-info/entry_points.txt``."""
    groups: dict[str, dict[str, str]] = {}
    pyproject = tree / "pyproject.toml"
    if pyproject.exists():
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        groups.update(table.get("entry-points", {}))
    for path in sorted(tree.glob("*.egg-info/entry_points.txt")):
        parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(path.read_text(encoding="utf-8"))
        groups.update({section: dict(parser.items(section)) for section in parser.sections()})
    found: set[str] = set()
    for group, entries in groups.items():
        if group in ("console_scripts", "gui_scripts") or not isinstance(entries, dict):
            continue
        found.update(str(value).split(":")[0].strip() for value in entries.values())
    return sorted(name for name in found if all(part.isidentifier() for part in name.split(".")))


def manifest(project: Project, hints: bool, tree: Path) -> str:
    lines = [
        "[project]",
        'root = "."',
        'python = "3.11"',
        f'source_roots = ["{project.source_root}"]',
        f"repository_hints = {'true' if hints else 'false'}",
        "",
        "[machines.Box]",
        "",
        "[families.cpu]",
        'from = "python:3.11-slim"',
    ]
    loaded = plugins(tree)
    for port, (agent, module) in enumerate(project.agents, start=9000):
        path = Path(project.source_root, *module.split("."))
        entry = path.with_suffix(".py")
        if (tree / path).is_dir():  # a package: its __main__.py, or for a console script's `pkg:run` its __init__.py
            entry = path / "__main__.py" if (tree / path / "__main__.py").exists() else path / "__init__.py"
        lines += [
            "",
            f"[agents.{agent}]",
            f'entrypoint = "{entry.as_posix()}"',
            f'cmd = ["python", "-m", "{module}"]',
            *([f"entry_modules = {json.dumps(loaded)}"] if loaded else []),
            'machines = ["Box"]',
            'family = "cpu"',
            f"ports = [{port}]",
        ]
    return "\n".join(lines) + "\n"


# The stderr lines that tell the user to check a distribution: a guess, an ambiguous pick, a lazy
# import the project's own requirement files do not declare, or declare for another platform only,
# a declared distribution no import reaches.
FLAGS = ("guess", "ambiguous", "do not declare", "only for another platform", "imported by no agent")
LINE = re.compile(r"^(?P<dist>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?[^#]*#(?P<comment>.*)$")


def listed(tree: Path, project: Project) -> tuple[dict[str, str], set[str], str, int]:
    """Distribution -> its comment, over every agent's generated file; the distributions of its
    commented optional section; generate's stderr and exit code."""
    run = subprocess.run(
        [sys.executable, "-m", "depmin", "--config", str(tree / "agents.toml"), "generate", "--force"],
        capture_output=True,
        text=True,
        env={**os.environ, "DEPMIN_CACHE_DIR": str(tree / ".depmin-cache")},
        check=False,
    )
    found: dict[str, str] = {}
    optional: set[str] = set()
    for agent, _ in project.agents:
        path = tree / "locks" / agent / "requirements.generated.txt"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            commented = LINE.match(line.removeprefix("# ")) if line.startswith("# ") and "  # " in line else None
            if commented:
                optional.add(canonicalize_name(commented["dist"]))
            match = LINE.match(line)
            if match:
                requirement = Requirement(line.partition("#")[0].strip())
                if requirement.marker is not None and not requirement.marker.evaluate(TARGET):
                    continue  # the line carries the import's guard (`if sys.version_info < (3, 10)`): not on 3.11
                found.setdefault(canonicalize_name(match["dist"]), match["comment"].strip())
    return found, optional, run.stderr, run.returncode


def measure(project: Project, cache: Path, work: Path) -> dict[str, object]:
    sdist = fetch(project, cache)
    result: dict[str, object] = {"project": f"{project.name}=={project.version}", "sha256": project.sha256}
    for hints in (False, True):
        base = work / f"{project.name}-{'on' if hints else 'off'}"
        base.mkdir(parents=True)
        tree = unpack(sdist, base)
        truth = declared(tree)
        (tree / "agents.toml").write_text(manifest(project, hints, tree), encoding="utf-8")
        found, optional, stderr, code = listed(tree, project)
        names = set(found)
        right = names & truth
        wrong = sorted(names - truth)
        warned = [line.lower() for line in stderr.splitlines() if any(word in line for word in FLAGS)]
        flagged = [
            d for d in wrong if "[guessed]" in found[d] or any(re.search(rf"\b{re.escape(d)}\b", w) for w in warned)
        ]
        missed = sorted(truth - names)
        # a miss the user is shown: listed as an optional import (not installed), or named in a note
        seen = [d for d in missed if d in optional or any(re.search(rf"\b{re.escape(d)}\b", w) for w in warned)]
        result["declared"] = sorted(truth)
        result["hints on" if hints else "hints off"] = {
            "exit": code,
            "listed": len(names),
            "precision": round(len(right) / len(names), 3) if names else None,
            "recall": round(len(right) / len(truth), 3) if truth else None,
            "missed": missed,
            "missed flagged": f"{len(seen)}/{len(missed)}",
            "wrong": {d: found[d] for d in wrong},
            "wrong flagged": f"{len(flagged)}/{len(wrong)}",
            "sources": {d: found[d] for d in sorted(right)},
        }
    return result


def pooled(results: list[dict[str, object]], key: str) -> str:
    """Precision, recall and the flagged counts over every project together."""
    sums = dict.fromkeys(("declared", "listed", "right", "wrong", "wrong flagged", "missed", "missed flagged"), 0)
    for r in results:
        f = r[key]
        assert isinstance(f, dict)
        sums["declared"] += len(r["declared"])  # type: ignore[arg-type]
        sums["listed"] += f["listed"]
        sums["right"] += f["listed"] - len(f["wrong"])
        for name in ("wrong", "missed"):
            flagged, total = (int(n) for n in f[f"{name} flagged"].split("/"))
            sums[f"{name} flagged"] += flagged
            sums[name] += total
    return (
        f"declared {sums['declared']}, listed {sums['listed']}, precision {sums['right'] / sums['listed']:.3f}, "
        f"recall {sums['right'] / sums['declared']:.3f}, wrong flagged {sums['wrong flagged']}/{sums['wrong']}, "
        f"missed flagged {sums['missed flagged']}/{sums['missed']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "depmin-bench-accuracy")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the unpacked trees and outputs")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="depmin-accuracy-"))
    results = [measure(p, args.cache, work) for p in PROJECTS]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(r["project"], "declared:", ", ".join(r["declared"]))  # type: ignore[arg-type]
            for key in ("hints off", "hints on"):
                f = r[key]
                assert isinstance(f, dict)
                print(
                    f"  {key}: exit {f['exit']}, listed {f['listed']}, precision {f['precision']}, "
                    f"recall {f['recall']}, wrong flagged {f['wrong flagged']}, missed flagged {f['missed flagged']}"
                )
                print(f"    missed: {', '.join(f['missed']) or '-'}")
                for d, comment in f["wrong"].items():
                    print(f"    wrong: {d}  # {comment}")
        for key in ("hints off", "hints on"):
            print(f"all {len(results)} pooled, {key}: {pooled(results, key)}")
    if args.keep:
        print(f"outputs kept in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
