"""`depmin check` on the bundled fleet with a warm cache: the pre-commit hook's cost.

    python3 benchmarks/bench_check.py [--reps 7]

Prints the median and spread of whole-process wall times (start-up included), cold (fresh cache)
and warm. Target (issue): warm under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(cache: str) -> float:
    env = {**os.environ, "DEPMIN_CACHE_DIR": cache}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "depmin", "check", "-q"], cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.reps):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(_run(cache))
            warm.append(_run(cache))
    print("| case | median s | min s | max s |")
    print("| --- | ---: | ---: | ---: |")
    for name, times in (("cold cache", cold), ("warm cache", warm)):
        print(f"| depmin check, {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
