"""Lock benchmarks: ``depmin lock --all`` (uv) against pip-compile per agent, side by side in one run.

The fleet is the bundled one (``agents.toml``, 69 agents, resolved for Python 3.11 on
x86_64-manylinux_2_28 against the public index). Every case runs as a subprocess and is timed
from outside (wall clock); locks go to a scratch copy of ``agents.toml``, never to ``locks/``.

Cases:

* ``depmin lock --all``: the whole fleet from nothing (no locks yet): one resolution of the union,
  one file listing, one resolution per agent against the fleet's pins, verification, writing;
* ``depmin lock --agent …``: the same from nothing for the pip-compile subset only (the union is
  still resolved fleet-wide, so this is depmin's cost for those agents);
* ``depmin lock --all`` on a fleet of just the subset's agents (the same agents as pip-compile,
  nothing else resolved);
* ``depmin lock --all`` again with nothing changed: the staleness check alone (scan, generate,
  input hashes, headers);
* ``pip-compile --generate-hashes`` once per agent of the subset (the seed's workflow), with pip's
  configuration switched off so both tools see the same index.

pip-compile is slow, so it runs on a subset: the seed's "legacy-benefit" agents whose locks have
no GPU stack (to bound the run, and as a precaution: pip downloads a whole wheel when an index
offers no separate metadata, and the torch stack is several GB). Both tools run with warm caches:
each case runs once before it is timed. The fleet-wide pip-compile figure is extrapolated (mean per
agent x 69) and labelled as such.

Usage::

    python3 benchmarks/bench_lock.py            # ~5 minutes on 2 cores, warm caches
    python3 benchmarks/bench_lock.py --write    # also replace the "Lock" section of README.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- lock:begin -->", "<!-- lock:end -->"
LEGACY_BENEFIT = (
    "FeedbackHandler", "ChitchatAgent", "NLUAgent", "AdvancedCommandHandler", "Responder", "SmartHomeAgent",
    "TieredResponder", "AsyncProcessor", "CacheManager", "TaskScheduler", "AdvancedRouter", "UnifiedUtilsAgent",
    "FileSystemAssistantAgent", "AuthenticationAgent",
)  # fmt: skip
GPU = ("torch", "nvidia-", "triton")


def timed(command: list[str], *, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def subset() -> list[str]:
    chosen = []
    for agent in LEGACY_BENEFIT:
        lock = REPO / "locks" / agent / "requirements.lock"
        if lock.is_file() and not any(f"\n{prefix}" in lock.read_text() for prefix in GPU):
            chosen.append(agent)
    return chosen


def depmin(scratch: Path, *args: str) -> list[str]:
    config = scratch / "agents.toml"
    root = REPO / "examples" / "ai_system"
    return [sys.executable, "-m", "depmin", "--config", str(config), "--root", str(root), "--quiet", *args]


def pip_compile_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def pip_compile(scratch: Path, agent: str) -> list[str]:
    source = REPO / "locks" / agent / "requirements.generated.txt"
    output = scratch / "pip-compile" / f"{agent}.lock"
    output.parent.mkdir(exist_ok=True)
    output.unlink(missing_ok=True)  # no preferences from an earlier run
    command = [sys.executable, "-m", "piptools", "compile", "--generate-hashes", "--no-config", "--quiet"]
    return [*command, "--allow-unsafe", "--no-header", "-o", str(output), str(source)]


def only(text: str, agents: list[str]) -> str:
    """agents.toml without the ``[agents.X]`` tables of agents not in ``agents``."""
    kept, keep = [], True
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            keep = not line.startswith("[agents.") or line.strip()[len("[agents.") : -1] in agents
        if keep:
            kept.append(line)
    return "".join(kept)


def fresh(scratch: Path) -> None:
    shutil.rmtree(scratch / "locks", ignore_errors=True)


def measure(repeat: int) -> dict[str, object]:
    agents = subset()
    scratch = Path(tempfile.mkdtemp(prefix="depmin-bench-lock-"))
    shutil.copy(REPO / "agents.toml", scratch / "agents.toml")
    small = scratch / "subset"  # a fleet of just the pip-compile agents
    small.mkdir()
    (small / "agents.toml").write_text(only((REPO / "agents.toml").read_text(), agents))
    env = pip_compile_env()
    results: dict[str, list[float]] = {"all": [], "subset": [], "small": [], "nochange": [], "pip-compile": []}
    per_agent: dict[str, list[float]] = {agent: [] for agent in agents}
    subset_args = [arg for agent in agents for arg in ("--agent", agent)]
    for warm in (True, *([False] * repeat)):
        fresh(scratch)
        full = timed(depmin(scratch, "lock", "--all"))
        nochange = timed(depmin(scratch, "lock", "--all"))
        fresh(scratch)
        part = timed(depmin(scratch, "lock", *subset_args))
        fresh(small)
        alone = timed(depmin(small, "lock", "--all"))
        compiles = {agent: timed(pip_compile(scratch, agent), env=env) for agent in agents}
        if warm:
            continue
        results["all"].append(full)
        results["nochange"].append(nochange)
        results["subset"].append(part)
        results["small"].append(alone)
        results["pip-compile"].append(sum(compiles.values()))
        for agent, seconds in compiles.items():
            per_agent[agent].append(seconds)
    shutil.rmtree(scratch, ignore_errors=True)
    return {"agents": agents, "results": results, "per_agent": per_agent}


def report(found: dict[str, object], repeat: int) -> str:
    agents: list[str] = found["agents"]  # type: ignore[assignment]
    results: dict[str, list[float]] = found["results"]  # type: ignore[assignment]
    per_agent: dict[str, list[float]] = found["per_agent"]  # type: ignore[assignment]
    median = {case: statistics.median(times) for case, times in results.items()}
    mean_compile = median["pip-compile"] / len(agents)
    extrapolated = mean_compile * 69
    lines = [
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of {repeat} runs after one warm-up run (warm uv "
        "and pip caches, public index). `python3 benchmarks/bench_lock.py --write` reproduces it.",
        "",
        "| case | agents | wall time | per agent | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| pip-compile --generate-hashes, per agent | {len(agents)} | {median['pip-compile']:.1f} s "
        f"| {mean_compile:.2f} s | 1 |",
        f"| depmin lock --agent … (uv), same agents, in the 69-agent fleet | {len(agents)} | {median['subset']:.2f} s "
        f"| {median['subset'] / len(agents):.2f} s | {median['pip-compile'] / median['subset']:.0f}x faster |",
        f"| depmin lock --all (uv), a fleet of just these agents | {len(agents)} | {median['small']:.2f} s "
        f"| {median['small'] / len(agents):.2f} s | {median['pip-compile'] / median['small']:.0f}x faster |",
        f"| pip-compile, whole fleet (extrapolated: mean x 69) | 69 | ~{extrapolated:.0f} s | {mean_compile:.2f} s "
        "| 1 |",
        f"| depmin lock --all (uv), whole fleet | 69 | {median['all']:.2f} s | {median['all'] / 69:.2f} s "
        f"| {extrapolated / median['all']:.0f}x faster |",
        f"| depmin lock --all, nothing changed | 69 | {median['nochange']:.2f} s | - | - |",
        "",
        "pip-compile per agent of the subset (median seconds): "
        + ", ".join(f"{agent} {statistics.median(times):.1f}" for agent, times in per_agent.items())
        + ".",
        "",
        f"The subset is the seed's legacy-benefit agents without a GPU stack ({len(agents)} of 14). The GPU "
        "agents were left out of the pip-compile side to bound the run and as a precaution: pip falls back to "
        "downloading a whole wheel when an index offers no separate metadata, and their torch stack is several "
        "GB; the fleet-wide pip-compile figure is therefore an extrapolation, not a measurement. depmin's "
        "whole-fleet figure includes "
        "the fleet-wide union resolution, the file listing and the 69 per-agent resolutions. "
        "`lock --agent …` in the whole fleet still resolves the fleet's union (torch and all: 179 distributions) "
        "to fix the versions, which pip-compile per agent never does; the row below it locks a fleet made of "
        "just those agents.",
    ]
    return "\n".join(lines)


def write(section: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n## Lock\n\n{section}\n{END}"
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        text = head + block + rest.partition(END)[2]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (default 3)")
    parser.add_argument("--write", action="store_true", help="replace the Lock section of benchmarks/README.md")
    args = parser.parse_args()
    section = report(measure(args.repeat), args.repeat)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
