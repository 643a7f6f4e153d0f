"""Scan benchmarks: depmin against importlab and deptry, side by side in one run.

Trees:

* the bundled fleet: ``agents.toml`` at the repository root (69 agents, ``examples/ai_system``);
* a synthetic monorepo from ``benchmarks/synthetic.py`` (10,000 files, 500 agents, 30% of the
  files unparseable; ``--quick``: 2,000 files and 100 agents), generated once into
  ``/tmp/depmin-bench-synthetic-<files>-<agents>-<seed>`` and reused while its parameters match.

Tools, each run as a subprocess from a fresh parent process that reports the wall time and
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the largest single process of the measured tree):

* depmin: ``python3 -m depmin --config X scan --format json`` with a fresh ``DEPMIN_CACHE_DIR``
  per repetition (cold) and with a cache filled beforehand (warm);
* importlab: each agent's tree from its entrypoint, twice: as the command the design names, one
  ``importlab --tree --trim -P ENTRY_DIR:ROOT ENTRY`` per agent (on the synthetic tree, for 50
  agents spread over the fleet), and through its Python API, every agent in one process
  (``peer_importlab.py``: the same graph without the start-up per agent, importlab's best case).
  ``--trim`` keeps importlab out of the standard library and site-packages, as depmin stays out;
* deptry: the whole tree, flat (``deptry . -rf requirements.txt``), the way it is meant to be used.

The machine is shared and noisy: every case is repeated and the repetitions are interleaved (one
repetition of every case, then the next), and the table reports medians and ratios of medians.
The peers are installed with pip into their own virtual environment (default
``/tmp/depmin-bench-peers``), never into the environment depmin runs in.

Usage::

    python3 benchmarks/bench_scan.py            # the full run (12-15 minutes on 2 busy cores)
    python3 benchmarks/bench_scan.py --quick    # smoke run: fewer repetitions, 2,000 files
    python3 benchmarks/bench_scan.py --write    # also replace the "Scan" section of README.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - depmin supports 3.10, where tomli is its dependency
    import tomli as tomllib

from synthetic import THIRD_PARTY, ensure

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
README = BENCH / "README.md"
PEER_PINS = ("importlab==0.8.1", "deptry==0.25.1")
SECTION = "## Scan"
BEGIN, END = "<!-- scan:begin -->", "<!-- scan:end -->"
# depmin and deptry exit 1 when they report findings; importlab's loop must succeed
EXPECTED_EXIT = {"depmin": (0, 1), "deptry": (0, 1), "importlab": (0,)}
API_WHAT = "tree per agent, API in one process"
CLI_WHAT = "tree per agent, one command each"


# -- the fresh parent: one measured subprocess ---------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    """Sum of the resident set sizes of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total = 0
    todo = [pid]
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, ()))
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * page_kb
        except (OSError, IndexError, ValueError):
            pass
    return total


def _measure_here(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec["cmd"]`` once; this process must be fresh (RUSAGE_CHILDREN covers only it)."""
    env = {**os.environ, **spec.get("env", {})}
    with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(spec["cmd"], stdout=out, stderr=err, cwd=spec["cwd"], env=env)
        peak = 0
        if spec.get("sample"):
            while child.poll() is None:
                peak = max(peak, _tree_rss_kb(child.pid))
                time.sleep(0.02)
        code = child.wait()
        wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "rc": code,
        "maxrss_kb": usage.ru_maxrss,
        "tree_peak_kb": peak or None,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


@dataclass
class Run:
    wall: float
    rc: int
    maxrss_kb: int
    tree_peak_kb: int | None
    cpu: float
    stdout: Path
    stderr: Path


def importlab_env(work: Path) -> dict[str, str]:
    """importlab 0.8.1 leaves an empty ``mkstemp`` file per graph it builds in ``$TMPDIR``: point it
    into the benchmark's own work directory, not /tmp."""
    tmp = work / "importlab-tmp"
    tmp.mkdir(exist_ok=True)
    return {"TMPDIR": str(tmp)}


def measure(
    cmd: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, sample: bool = False, work: Path
) -> Run:
    """Run ``cmd`` from a fresh Python parent and return its wall time and peak memory."""
    fd, out = tempfile.mkstemp(dir=work, suffix=".out")
    os.close(fd)
    fd, err = tempfile.mkstemp(dir=work, suffix=".err")
    os.close(fd)
    spec = {
        "cmd": list(cmd),
        "cwd": str(cwd),
        "env": env or {},
        "sample": sample,
        "stdout": out,
        "stderr": err,
    }
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    )
    raw = json.loads(done.stdout)
    return Run(stdout=Path(out), stderr=Path(err), **raw)


# -- cases ---------------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    tree: str
    tool: str
    what: str
    agents: int
    reps: int
    run: Callable[[], Run]
    runs: list[Run] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    def spread(self) -> str:
        walls = [r.wall for r in self.runs]
        return f"{min(walls):.2f}-{max(walls):.2f}"

    def peak_mb(self) -> float:
        return max(r.maxrss_kb for r in self.runs) / 1024

    def per_agent_ms(self) -> float:
        return 1000 * self.median() / self.agents


@dataclass
class Fleet:
    label: str
    config: Path
    root: Path
    agents: list[tuple[str, str, str | None]]  # name, entrypoint, `python -m` module or None
    files: int
    requirements: Path


def load_fleet(label: str, config: Path) -> Fleet:
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    root = (config.parent / data.get("project", {}).get("root", ".")).resolve()
    agents = []
    for name, agent in data.get("agents", {}).items():
        cmd = agent.get("cmd") or []
        module = cmd[2] if len(cmd) >= 3 and cmd[1] == "-m" else None
        agents.append((name, agent["entrypoint"], module))
    files = sum(1 for _ in root.rglob("*.py"))
    return Fleet(label, config, root, agents, files, root / "requirements.txt")


def python_version(python: Path, package: str) -> str:
    code = f"from importlib.metadata import version; print(version({package!r}))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def ensure_peers(venv: Path, pins: tuple[str, ...] = PEER_PINS) -> Path:
    """The peers' venv with exactly ``pins`` installed (created or topped up); its Python."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with {', '.join(pins)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    missing = []
    for pin in pins:
        name, _, wanted = pin.partition("==")
        try:
            if python_version(python, name) != wanted:
                missing.append(pin)
        except subprocess.CalledProcessError:
            missing.append(pin)
    if missing:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *missing],
            check=True,
        )
    return python


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="depmin-bench-"))
        self.peers = ensure_peers(args.peers_venv)
        self.cases: list[Case] = []
        self.notes: dict[str, Any] = {}

    def depmin_cmd(self, fleet: Fleet, agents: Sequence[str] = ()) -> list[str]:
        cmd = [sys.executable, "-m", "depmin", "--config", str(fleet.config), "scan", "--format", "json"]
        for name in agents:
            cmd += ["--agent", name]
        return cmd

    def depmin_cold(self, fleet: Fleet, agents: Sequence[str] = (), *, sample: bool = False) -> Run:
        cache = tempfile.mkdtemp(dir=self.work, prefix="cold-cache-")
        try:
            return measure(
                self.depmin_cmd(fleet, agents),
                cwd=REPO,
                env={"DEPMIN_CACHE_DIR": cache},
                sample=sample,
                work=self.work,
            )
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def depmin_warm(self, fleet: Fleet, cache: Path, agents: Sequence[str] = (), *, sample: bool = False) -> Run:
        return measure(
            self.depmin_cmd(fleet, agents),
            cwd=REPO,
            env={"DEPMIN_CACHE_DIR": str(cache)},
            sample=sample,
            work=self.work,
        )

    def importlab(self, fleet: Fleet, agents: Sequence[str]) -> Run:
        chosen = set(agents)
        spec = []
        for name, entry, module in fleet.agents:
            if name not in chosen:
                continue
            path = fleet.root / entry
            first = fleet.root if module else path.parent
            spec.append({"name": name, "entry": str(path), "path": list(dict.fromkeys([str(first), str(fleet.root)]))})
        listing = self.work / f"importlab-{fleet.label}-{len(spec)}.json"
        listing.write_text(json.dumps(spec), encoding="utf-8")
        helper = str(BENCH / "peer_importlab.py")
        cmd = [str(self.peers), "-I", helper, str(listing), str(fleet.root)]
        return measure(cmd, cwd=self.work, env=importlab_env(self.work), work=self.work)

    def importlab_cli(self, fleet: Fleet, agents: Sequence[str]) -> Run:
        """One ``importlab --tree --trim -P ENTRY_DIR:ROOT ENTRY`` command per agent, in a shell loop."""
        program = shlex.quote(str(self.peers.parent / "importlab"))
        lines = ["set -e"]
        for name, entry, module in fleet.agents:
            if name in agents:
                path = fleet.root / entry
                first = fleet.root if module else path.parent
                search = ":".join(dict.fromkeys([str(first), str(fleet.root)]))
                lines.append(f"{program} --tree --trim -P {shlex.quote(search)} {shlex.quote(str(path))} >/dev/null")
        script = self.work / f"importlab-cli-{fleet.label}-{len(agents)}.sh"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return measure(["bash", str(script)], cwd=self.work, env=importlab_env(self.work), work=self.work)

    def deptry(self, fleet: Fleet) -> Run:
        mapping = {}
        for name, (dist, _) in THIRD_PARTY.items():
            mapping.setdefault(dist, set()).add(name.split(".")[0])
        pmnm = ",".join(f"{dist}={'|'.join(sorted(mods))}" for dist, mods in sorted(mapping.items()))
        report = self.work / f"deptry-{fleet.label}.json"
        cmd = [str(self.peers.parent / "deptry"), ".", "--no-ansi", "-rf", fleet.requirements.name]
        cmd += ["-pmnm", pmnm, "-o", str(report)]
        return measure(cmd, cwd=fleet.root, work=self.work)

    # -- plan ------------------------------------------------------------------------------------

    def plan(self, bundled: Fleet, synth: Fleet) -> None:
        quick = self.args.quick
        small = self.args.reps or (2 if quick else 5)
        big = self.args.reps or (2 if quick else 3)
        warm_b = Path(tempfile.mkdtemp(dir=self.work, prefix="warm-bundled-"))
        warm_s = Path(tempfile.mkdtemp(dir=self.work, prefix="warm-synthetic-"))
        names_b = [a[0] for a in bundled.agents]
        names_s = [a[0] for a in synth.agents]
        count = min(len(names_s), self.args.cli_agents or (20 if quick else 50))
        cli_s = [names_s[int(i * len(names_s) / count)] for i in range(count)]
        # fill the warm caches (and keep one JSON output of each for the accuracy comparison)
        print("filling the warm caches ...", file=sys.stderr)
        self.first_b = self.depmin_warm(bundled, warm_b)
        self.first_s = self.depmin_warm(synth, warm_s)
        for run in (self.first_b, self.first_s):
            if run.rc not in (0, 1):
                raise SystemExit(f"depmin failed (exit {run.rc}): {run.stderr.read_text()[-2000:]}")
        tb, ts = f"bundled ({bundled.files} files)", f"synthetic ({synth.files} files)"
        cases = [
            ("b.cold", tb, "depmin", "cold cache", names_b, small, lambda: self.depmin_cold(bundled)),
            ("b.warm", tb, "depmin", "warm cache", names_b, small, lambda: self.depmin_warm(bundled, warm_b)),
            ("b.il", tb, "importlab", API_WHAT, names_b, small, lambda: self.importlab(bundled, names_b)),
            (
                "b.ilcli",
                tb,
                "importlab",
                CLI_WHAT,
                names_b,
                small,
                lambda: self.importlab_cli(bundled, names_b),
            ),
            ("b.deptry", tb, "deptry", "flat scan of the tree", names_b, small, lambda: self.deptry(bundled)),
            ("s.cold", ts, "depmin", "cold cache", names_s, big, lambda: self.depmin_cold(synth)),
            ("s.warm", ts, "depmin", "warm cache", names_s, big, lambda: self.depmin_warm(synth, warm_s)),
            ("s.il", ts, "importlab", API_WHAT, names_s, big, lambda: self.importlab(synth, names_s)),
            ("s.ilcli", ts, "importlab", CLI_WHAT, cli_s, big, lambda: self.importlab_cli(synth, cli_s)),
            ("s.deptry", ts, "deptry", "flat scan of the tree", names_s, big, lambda: self.deptry(synth)),
        ]
        for key, tree, tool, what, names, reps, run in cases:
            self.cases.append(Case(key, tree, tool, what, len(names), reps, run))
        # memory: one sampled run each, cold and warm (the sampling costs a little CPU: not timed)
        self.rss_cold = lambda: self.depmin_cold(synth, sample=True)
        self.rss_warm = lambda: self.depmin_warm(synth, warm_s, sample=True)

    def execute(self) -> None:
        rounds = max(case.reps for case in self.cases)
        for rep in range(rounds):
            for case in self.cases:
                if rep < case.reps:
                    run = case.run()
                    case.runs.append(run)
                    if rep > 0:  # only the first output of each case is read; depmin's is large
                        run.stdout.unlink(missing_ok=True)
                    print(
                        f"[{rep + 1}/{rounds}] {case.key:<10} {run.wall:7.2f} s  "
                        f"rss {run.maxrss_kb / 1024:6.0f} MB  exit {run.rc}",
                        file=sys.stderr,
                    )
        self.rss = {"cold": self.rss_cold(), "warm": self.rss_warm()}
        for run in self.rss.values():
            run.stdout.unlink(missing_ok=True)

    def case(self, key: str) -> Case:
        return next(c for c in self.cases if c.key == key)


# -- what the tools found ------------------------------------------------------------------------


def depmin_found(run: Run) -> dict[str, Any]:
    data = json.loads(run.stdout.read_text(encoding="utf-8"))
    agents = {a["agent"]: a for a in data["agents"]}
    recovered = {r["file"] for a in data["agents"] for r in a.get("recovered_files", [])}
    return {
        "files": {name: set(a["files"]) for name, a in agents.items()},
        "recovered": recovered,
        "errors": sum(1 for a in data["agents"] if a.get("errors")),
        "bytes": run.stdout.stat().st_size,
        "summary": data.get("summary", {}),
    }


def importlab_found(run: Run) -> dict[str, Any]:
    data = json.loads(run.stdout.read_text(encoding="utf-8"))
    return {
        "files": {a["name"]: set(a["files"]) for a in data["agents"]},
        "unreadable": {f for a in data["agents"] for f in a["unreadable"]},
        "seconds": data["seconds"],
    }


def deptry_found(run: Run) -> dict[str, Any]:
    err = run.stderr.read_text(encoding="utf-8", errors="replace")
    skipped = [line for line in err.splitlines() if line.startswith("Warning: Skipping processing of")]
    crashed = "Traceback (most recent call last)" in err or run.rc not in (0, 1)
    scanned = next((line for line in err.splitlines() if line.startswith("Scanning ")), "")
    return {"skipped": len(skipped), "crashed": crashed, "rc": run.rc, "scanned": scanned}


def unparseable(root: Path) -> int:
    import ast  # noqa: PLC0415
    import warnings  # noqa: PLC0415

    count = 0
    for path in root.rglob("*.py"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            count += 1
    return count


# -- report --------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    from depmin._version import __version__  # noqa: PLC0415

    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc,
        "ram": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "depmin": __version__,
        "commit": commit or "?",
    }


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    value = a / b
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def report(bench: Bench, bundled: Fleet, synth: Fleet, summary: dict[str, Any]) -> str:
    m = machine()
    c = {case.key: case for case in bench.cases}
    med = {key: case.median() for key, case in c.items()}
    lines = [
        SECTION,
        "",
        f"Latest run: {m['date']}, `bench_scan.py{' --quick' if bench.args.quick else ''}`, "
        f"depmin {m['depmin']} (commit {m['commit']} plus uncommitted work), Python {m['python']}; "
        f"machine: {m['nproc']} cores (`nproc`), {m['ram']} RAM, {m['cpu']}; "
        f"peers: importlab {bench.notes['importlab']}, "
        f"deptry {bench.notes['deptry']} (own venv). Times are medians of the repetitions (wall clock, "
        "including interpreter start-up); the spread is min-max.",
        "",
        "| tree | tool | what | agents | runs | median s | spread s | per agent ms | peak RSS MB |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in bench.cases:
        lines.append(
            f"| {case.tree} | {case.tool} | {case.what} | {case.agents} | {len(case.runs)} "
            f"| {case.median():.2f} | {case.spread()} | {case.per_agent_ms():.1f} | {case.peak_mb():.0f} |"
        )
    rss_c, rss_w = bench.rss["cold"], bench.rss["warm"]

    def tree_mb(run: Run) -> str:
        return f"{run.tree_peak_kb / 1024:.0f}" if run.tree_peak_kb else "?"

    lines += [
        "",
        f"Peak memory of depmin on the synthetic tree, sampled every 20 ms over the whole process tree "
        f"(main process + parse workers, summed): cold {tree_mb(rss_c)} MB "
        f"(largest single process {rss_c.maxrss_kb / 1024:.0f} MB), warm {tree_mb(rss_w)} MB "
        f"(largest process {rss_w.maxrss_kb / 1024:.0f} MB).",
        "",
    ]

    # ratios, per agent: every case's median time divided by its number of agents
    def per(key: str) -> float:
        return c[key].per_agent_ms()

    pairs = {
        "depmin cold ÷ depmin warm": ("cold", "warm"),
        "importlab API ÷ depmin cold": ("il", "cold"),
        "importlab API ÷ depmin warm": ("il", "warm"),
        "importlab CLI, a command per agent ÷ depmin cold": ("ilcli", "cold"),
        "importlab CLI, a command per agent ÷ depmin warm": ("ilcli", "warm"),
        "deptry (flat, whole tree) ÷ depmin cold (all agents)": ("deptry", "cold"),
        "deptry (flat, whole tree) ÷ depmin warm (all agents)": ("deptry", "warm"),
    }
    lines += ["| ratio of per-agent medians | bundled | synthetic |", "| --- | ---: | ---: |"]
    for label, (a, b) in pairs.items():
        lines.append(f"| {label} | {ratio(per('b.' + a), per('b.' + b))} | {ratio(per('s.' + a), per('s.' + b))} |")
    lines += [
        "",
        "Above 1x, depmin is faster. The importlab CLI row on the synthetic tree runs "
        f"{c['s.ilcli'].agents} agents spread over the fleet (every "
        f"{len(synth.agents) // max(1, c['s.ilcli'].agents)}th); every other row runs every agent.",
        "",
    ]
    # what the tools found
    found = bench.notes["found"]
    lines += [
        "What each tool made of the unparseable files:",
        "",
        "| tree | unparseable files | depmin | importlab | deptry |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for label in ("bundled", "synthetic"):
        f = found[label]
        lines.append(f"| {label} | {f['broken']} | {f['depmin']} | {f['importlab']} | {f['deptry']} |")
    # targets
    speed_b = med["b.cold"] / med["b.warm"]
    peak = max(rss_c.tree_peak_kb or 0, rss_c.maxrss_kb, rss_w.tree_peak_kb or 0, rss_w.maxrss_kb)
    peak = max(peak, *(r.maxrss_kb for key in ("s.cold", "s.warm") for r in c[key].runs))
    vs = {
        f"{peer} / {cache}": min(per(f"b.{peer_key}") / per(f"b.{cache}"), per(f"s.{peer_key}") / per(f"s.{cache}"))
        for peer, peer_key in (("API", "il"), ("CLI", "ilcli"))
        for cache in ("cold", "warm")
    }
    lines += [
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
        f"| bundled fleet: warm ≥ 10x faster than cold | {speed_b:.1f}x | {verdict(speed_b >= 10)} |",
        f"| bundled fleet: cold < 1 s | {med['b.cold']:.2f} s | {verdict(med['b.cold'] < 1)} |",
        f"| synthetic {synth.files} files: cold < 15 s | {med['s.cold']:.2f} s | {verdict(med['s.cold'] < 15)} |",
        f"| synthetic: peak RSS < 500 MB | {peak / 1024:.0f} MB | {verdict(peak / 1024 < 500)} |",
    ]
    for label, value in vs.items():
        peer, cache = label.split(" / ")
        lines.append(
            f"| ≥ 50x faster than importlab ({peer}), {cache} cache, per agent (worse of the two trees) "
            f"| {value:.1f}x | {verdict(value >= 50)} |"
        )
    failed = [
        f"{case.key} run {i + 1} exited {run.rc}"
        for case in bench.cases
        for i, run in enumerate(case.runs)
        if run.rc not in EXPECTED_EXIT[case.tool]
    ]
    if failed:
        lines += ["", "**Runs that failed** (their times are in the medians): " + "; ".join(failed) + "."]
    lines += ["", f"Synthetic tree: {summary_line(summary)}", ""]
    return "\n".join(lines) + "\n"


def summary_line(summary: dict[str, Any]) -> str:
    damages = ", ".join(f"{k} {v}" for k, v in summary["damages"].items())
    return (
        f"{summary['files']} files ({summary['bytes'] / 1e6:.0f} MB), {summary['broken']} unparseable "
        f"({damages}), {summary['agents']} agents; the generator's own resolver gives closures of "
        f"{summary['closure_min']}-{summary['closure_max']} files (median {summary['closure_median']:g}), "
        f"{summary['common_share']:.0%} of them under `common/`."
    )


def accuracy(bench: Bench, bundled: Fleet, synth: Fleet) -> None:
    """Compare what depmin, importlab and deptry found (from one run of each)."""
    found: dict[str, Any] = {}
    pairs = (("bundled", bundled, bench.first_b, "b"), ("synthetic", synth, bench.first_s, "s"))
    for label, fleet, first, prefix in pairs:
        dm = depmin_found(first)
        il = importlab_found(bench.case(f"{prefix}.il").runs[0])
        dt_ = deptry_found(bench.case(f"{prefix}.deptry").runs[0])
        shares = [
            len(il["files"][name] & dm["files"][name]) / len(dm["files"][name])
            for name in il["files"]
            if dm["files"].get(name)
        ]
        found[label] = {
            "broken": unparseable(fleet.root),
            "depmin": f"no crash; recovered the imports of {len(dm['recovered'])} reached files "
            f"(agents with errors: {dm['errors']}; JSON output {dm['bytes'] / 1e6:.1f} MB)",
            "importlab": "no crash; skips each unparseable file it reaches "
            f"({len(il['unreadable'])} files, listed as unreadable, their imports lost): "
            f"its trees hold a median {statistics.median(shares):.0%} of depmin's first-party files "
            "per agent",
            "deptry": (
                "crashed"
                if dt_["crashed"]
                else f"no crash; skipped {dt_['skipped']} files with a warning (exit {dt_['rc']}: issues found)"
            ),
        }
    bench.notes["found"] = found


def write_readme(section: str) -> None:
    """Replace the generated Scan section of README.md (between its markers) with ``section``.

    Other benchmarks own other marked sections of the same README (``<!-- lock:begin -->`` ...);
    only the text between the scan markers changes. Without markers, the ``## Scan`` heading and
    what follows it up to the next heading or marker is replaced; without either, it is appended.
    """
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{section.rstrip()}\n{END}\n"
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        README.write_text(head + block.rstrip("\n") + tail, encoding="utf-8")
        return
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if start is None:
        README.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("## ", "<!--"))), len(lines))
    tail = "".join(lines[end:])
    README.write_text("".join(lines[:start]) + block + ("\n" + tail if tail else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        print(json.dumps(_measure_here(json.loads(argv[1]))))
        return 0
    parser = argparse.ArgumentParser(description="depmin scan benchmarks against importlab and deptry")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 repetitions, 2,000 files, 100 agents")
    parser.add_argument("--write", action="store_true", help="replace the Scan section of benchmarks/README.md")
    parser.add_argument("--reps", type=int, default=0, help="repetitions of every case (default 5/3, quick 2)")
    parser.add_argument("--files", type=int, default=0, help="synthetic tree size (default 10000, quick 2000)")
    parser.add_argument("--agents", type=int, default=0, help="synthetic agents (default 500, quick 100)")
    parser.add_argument("--seed", type=int, default=1, help="synthetic tree seed (default 1)")
    parser.add_argument(
        "--cli-agents",
        type=int,
        default=0,
        help="agents of the synthetic fleet for the importlab command-per-agent case (default 50, quick 20)",
    )
    parser.add_argument("--peers-venv", type=Path, default=Path("/tmp/depmin-bench-peers"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory of outputs")
    args = parser.parse_args(argv)
    files = args.files or (2000 if args.quick else 10_000)
    agents = args.agents or (100 if args.quick else 500)
    outdir = Path(tempfile.gettempdir()) / f"depmin-bench-synthetic-{files}-{agents}-{args.seed}"
    print(f"synthetic tree: {outdir}", file=sys.stderr)
    summary = ensure(outdir, files=files, agents=agents, broken=0.3, seed=args.seed).__dict__
    bundled = load_fleet("bundled", REPO / "agents.toml")
    synth = load_fleet("synthetic", outdir / "agents.toml")
    bench = Bench(args)
    try:
        bench.notes["importlab"] = python_version(bench.peers, "importlab")
        bench.notes["deptry"] = python_version(bench.peers, "deptry")
        bench.plan(bundled, synth)
        bench.execute()
        accuracy(bench, bundled, synth)
        section = report(bench, bundled, synth, summary)
    finally:
        if args.keep:
            print(f"outputs kept in {bench.work}", file=sys.stderr)
        else:
            shutil.rmtree(bench.work, ignore_errors=True)
    print(section)
    if args.write:
        write_readme(section)
        print(f"wrote the Scan section of {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
