"""Scan at fleet scale, side by side in one run (issue 14): depmin against the flat and graph scanners.

    python3 benchmarks/bench_scale.py [--reps 3] [--big-reps 1] [--files 10000 --agents 500]
                                      [--plugin-files 8500 --plugin-agents 1000] [--skip-big]

For each tree (the bundled fleet, the synthetic 10,000-file fleet, the plugin-style tree of about
1,000 services over one shared core), one measured subprocess per case, interleaved by repetition:

- depmin cold (``scan --format json`` with a new empty ``DEPMIN_CACHE_DIR``) and warm (its cache: the
  tree unchanged, so the kept scan is used without walking), and warm after an edit (a comment line
  added to the first agent's entrypoint before the run and removed after it: the walk runs, from the
  parse cache, as in a commit hook after a change);
- deptry's flat scan of the whole tree (``deptry . -rf requirements.txt``);
- importlab's API, a fresh graph per agent in one process (``peer_importlab.py``);
- ``ruff analyze graph`` (the whole tree's first-party import map, flat, in Rust);
- grimp's ``build_graph`` of the tree's top-level packages (Rust parser): it stops at the first file
  that does not parse, so it is also run on the plugin-style tree generated without broken files;
- on the bundled fleet also ``depmin check`` (warm), the pre-commit hook's cost;
- the parse floor: read + ``ast.parse`` of the union of the agents' closures, one process
  (``parse_floor.py``), what any tool that must parse the closures pays at least.

Each row gives the median wall time, the CPU seconds (user + system of the process tree, from
``getrusage``: on a shared machine the ratio of CPU seconds is the steadier one) and the peak RSS of the
largest process. The peers live in their own venv (``--peers-venv``, default /tmp/depmin-bench-peers)
with the pins below; trees are generated under /tmp once per generator version and parameters.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench_scan import THIRD_PARTY, Fleet, Run, ensure_peers, importlab_env, load_fleet, measure
from synthetic import GENERATOR_VERSION, STAMP, generate

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PINS = ("importlab==0.8.1", "deptry==0.25.1", "ruff==0.17.5", "grimp==3.19")
_GRIMP = """
import sys, time, grimp
sys.path.insert(0, sys.argv[1])
try:
    graph = grimp.build_graph(*sys.argv[2:], cache_dir=None)
    print(f"ok: {len(graph.modules)} modules")
except Exception as exc:  # grimp raises on the first file that does not parse
    print(f"failed: {type(exc).__name__}: {str(exc)[:160]}")
"""


def tree(outdir: Path, *, files: int, agents: int, shape: str, broken: float) -> Path:
    """The synthetic tree in ``outdir``, generated unless one with these parameters is there."""
    stamp = outdir / STAMP
    if stamp.is_file():
        known = json.loads(stamp.read_text(encoding="utf-8"))
        wanted = {"version": GENERATOR_VERSION, "files": files, "agents": agents, "broken": broken, "seed": 1}
        if all(known.get(k) == v for k, v in wanted.items()) and known.get("shape", "fleet") == shape:
            return outdir / "agents.toml"
    generate(outdir, files=files, agents=agents, broken=broken, seed=1, shape=shape)
    return outdir / "agents.toml"


@dataclass
class Case:
    tree: str
    what: str
    run: Callable[[], Run]
    reps: int
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    def rss(self) -> float:
        return max(r.maxrss_kb for r in self.runs) / 1024


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="depmin-scale-"))
        self.peers = ensure_peers(args.peers_venv, PINS)
        self.bin = self.peers.parent
        self.cases: list[Case] = []
        self.floors: dict[str, str] = {}
        self.edits = 0

    def _depmin(self, fleet: Fleet, cache: Path, command: str = "scan") -> Run:
        cmd = [sys.executable, "-m", "depmin", "--config", str(fleet.config), command]
        cmd += ["--format", "json"] if command == "scan" else ["-q"]
        return measure(cmd, cwd=fleet.root, env={"DEPMIN_CACHE_DIR": str(cache)}, work=self.work)

    def edited(self, fleet: Fleet, cache: Path) -> Run:
        """A warm scan after an edit that the walk must see (a new comment line: a file's bytes)."""
        _, entry, _ = fleet.agents[0]
        path = fleet.root / entry
        original = path.read_bytes()
        self.edits += 1
        try:
            path.write_bytes(original + f"\n# benchmark edit {self.edits}\n".encode())
            return self._depmin(fleet, cache)
        finally:
            path.write_bytes(original)
            self._depmin(fleet, cache)  # keeps the scan of the unchanged tree again, for "depmin warm"

    def cold(self, fleet: Fleet) -> Run:
        cache = Path(tempfile.mkdtemp(dir=self.work, prefix="cold-"))
        try:
            return self._depmin(fleet, cache)
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def deptry(self, fleet: Fleet) -> Run:
        mapping: dict[str, set[str]] = {}
        for name, (dist, _) in THIRD_PARTY.items():
            mapping.setdefault(dist, set()).add(name.split(".")[0])
        pmnm = ",".join(f"{dist}={'|'.join(sorted(mods))}" for dist, mods in sorted(mapping.items()))
        cmd = [str(self.bin / "deptry"), ".", "--no-ansi", "-rf", fleet.requirements.name, "-pmnm", pmnm]
        return measure([*cmd, "-o", str(self.work / f"deptry-{fleet.label}.json")], cwd=fleet.root, work=self.work)

    def importlab(self, fleet: Fleet) -> Run:
        spec = []
        for name, entry, module in fleet.agents:
            path = fleet.root / entry
            first = fleet.root if module else path.parent
            spec.append({"name": name, "entry": str(path), "path": list(dict.fromkeys([str(first), str(fleet.root)]))})
        listing = self.work / f"importlab-{fleet.label}.json"
        listing.write_text(json.dumps(spec), encoding="utf-8")
        helper = str(BENCH / "peer_importlab.py")
        cmd = [str(self.peers), "-I", helper, str(listing), str(fleet.root)]
        return measure(cmd, cwd=self.work, env=importlab_env(self.work), work=self.work)

    def ruff(self, fleet: Fleet) -> Run:
        return measure([str(self.bin / "ruff"), "analyze", "graph", "."], cwd=fleet.root, work=self.work)

    def grimp(self, fleet: Fleet) -> Run:
        packages = sorted(p.name for p in fleet.root.iterdir() if (p / "__init__.py").is_file())
        cmd = [str(self.peers), "-I", "-c", _GRIMP, str(fleet.root), *packages]
        return measure(cmd, cwd=self.work, work=self.work)

    def add(self, fleet: Fleet, *, reps: int, grimp_only: bool = False, check: bool = False) -> None:
        label = fleet.label
        if grimp_only:
            self.cases.append(Case(label, "grimp build_graph (no unparseable files)", lambda: self.grimp(fleet), reps))
            return
        warm = Path(tempfile.mkdtemp(dir=self.work, prefix=f"warm-{label}-"))
        self._depmin(fleet, warm)  # fills the warm cache (not measured)
        self.cases += [
            Case(label, "depmin cold", lambda: self.cold(fleet), reps),
            Case(label, "depmin warm", lambda: self._depmin(fleet, warm), reps),
            Case(label, "depmin warm, one file edited", lambda: self.edited(fleet, warm), reps),
            Case(label, "deptry flat scan", lambda: self.deptry(fleet), reps),
            Case(label, "importlab API, a graph per agent", lambda: self.importlab(fleet), reps),
            Case(label, "ruff analyze graph", lambda: self.ruff(fleet), reps),
            Case(label, "grimp build_graph", lambda: self.grimp(fleet), reps),
        ]
        if check:
            self.cases.append(Case(label, "depmin check, warm", lambda: self._depmin(fleet, warm, "check"), reps))

    def execute(self) -> None:
        for rep in range(max(c.reps for c in self.cases)):
            for case in self.cases:
                if rep < case.reps:
                    print(f"  {case.tree}: {case.what} ({rep + 1}/{case.reps})", file=sys.stderr, flush=True)
                    case.runs.append(case.run())
        for case in self.cases:
            first = case.runs[0]
            if case.what.startswith("grimp"):
                case.note = first.stdout.read_text(encoding="utf-8").strip()
            elif first.rc not in (0, 1):
                case.note = f"exit {first.rc}"

    def floor(self, fleet: Fleet) -> None:
        """The parse floor of the closures of the first cold run of ``fleet``."""
        run = next(c for c in self.cases if c.tree == fleet.label and c.what == "depmin cold").runs[0]
        cmd = [sys.executable, str(BENCH / "parse_floor.py"), str(fleet.root), str(run.stdout), "--reps", "3"]
        self.floors[fleet.label] = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def report(bench: Bench, fleets: list[Fleet]) -> str:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Machine: {os.cpu_count()} cores, load average at the end {load}; Python {sys.version.split()[0]}; "
        f"peers {', '.join(PINS)}.",
        "",
        "| tree | case | runs | wall s (median) | CPU s (median) | peak RSS MB | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in bench.cases:
        lines.append(
            f"| {case.tree} | {case.what} | {len(case.runs)} | {case.wall():.2f} | {case.cpu():.2f} | "
            f"{case.rss():.0f} | {case.note} |"
        )
    lines.append("")
    for fleet in fleets:
        if fleet.label in bench.floors:
            lines.append(f"- parse floor, {fleet.label} ({len(fleet.agents)} agents): {bench.floors[fleet.label]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=3, help="repetitions on the bundled fleet")
    parser.add_argument("--big-reps", type=int, default=1, help="repetitions on the large trees")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--plugin-files", type=int, default=8_500)
    parser.add_argument("--plugin-agents", type=int, default=1_000)
    parser.add_argument("--skip-big", action="store_true", help="the bundled fleet only")
    parser.add_argument("--peers-venv", type=Path, default=Path("/tmp/depmin-bench-peers"))
    args = parser.parse_args(argv)
    # depmin runs as `python -m depmin` from each tree's root, where this checkout is not on sys.path
    probe = [sys.executable, "-c", "import depmin"]
    if subprocess.run(probe, cwd=tempfile.gettempdir(), capture_output=True, check=False).returncode != 0:
        print(f"bench_scale.py: {sys.executable} cannot import depmin; run it with the Python of a "
              "virtual environment where it is installed (pip install -e .)", file=sys.stderr)  # fmt: skip
        return 2
    bench = Bench(args)
    fleets = [load_fleet("bundled", REPO / "agents.toml")]
    bench.add(fleets[0], reps=args.reps, check=True)
    if not args.skip_big:
        base = Path("/tmp")
        synth_dir = base / f"depmin-scale-fleet-{args.files}"
        synth = tree(synth_dir, files=args.files, agents=args.agents, shape="fleet", broken=0.3)
        plugin_dir = base / f"depmin-scale-plugin-{args.plugin_files}"
        plugin = tree(plugin_dir, files=args.plugin_files, agents=args.plugin_agents, shape="plugin", broken=0.3)
        clean_dir = base / f"depmin-scale-plugin-clean-{args.plugin_files}"
        clean = tree(clean_dir, files=args.plugin_files, agents=args.plugin_agents, shape="plugin", broken=0.0)
        fleets += [load_fleet("synthetic", synth), load_fleet("plugin", plugin), load_fleet("plugin, parseable", clean)]
        bench.add(fleets[1], reps=args.big_reps)
        bench.add(fleets[2], reps=args.big_reps)
        bench.add(fleets[3], reps=args.big_reps, grimp_only=True)
    bench.execute()
    for fleet in fleets:
        if any(c.tree == fleet.label and c.what == "depmin cold" for c in bench.cases):
            bench.floor(fleet)
    print(report(bench, fleets))
    print(f"(outputs kept in {bench.work})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
