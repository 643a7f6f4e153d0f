"""The parse floor of a scan: ``ast.parse`` of every file the agents reach, once each, in one process.

Reads a ``depmin scan --format json`` document (the union of every agent's ``files``), then times
reading and ``ast.parse`` of each of those files under the project root (a file that does not parse
costs its failed parse). This is what any tool that must parse the closures pays at least; depmin's
cold scan is compared with it in benchmarks/README.md.

    python3 benchmarks/parse_floor.py ROOT SCAN.json [--reps 3]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import statistics
import time
import warnings
from pathlib import Path


def floor(root: Path, files: list[str]) -> float:
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in files:
            text = (root / name).read_bytes()
            with contextlib.suppress(SyntaxError, ValueError):
                ast.parse(text)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("root", type=Path, help="the project root the scan's paths are relative to")
    parser.add_argument("scan", type=Path, help="a depmin scan --format json document")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    document = json.loads(args.scan.read_text(encoding="utf-8"))
    files = sorted({name for agent in document["agents"] for name in agent["files"]})
    size = sum((args.root / name).stat().st_size for name in files)
    times = [floor(args.root, files) for _ in range(args.reps)]
    print(f"{len(files)} files, {size / 1e6:.1f} MB, ast.parse median {statistics.median(times):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
