"""Extraction alone, an older depmin against this one, side by side in one run (issue 14).

    git archive <commit> depmin | tar -x -C /tmp/old-depmin
    python3 benchmarks/bench_extract.py /tmp/old-depmin ROOT [ROOT ...] [--reps 3]

Reads every ``.py`` under the ROOTs into memory once, then, per repetition and interleaved, runs a
fresh process per case that calls ``depmin.scanning.extract`` on every file (the older tree's, then
this one's) and one that runs ``ast.parse`` on every file (the floor any extraction pays); it prints
the CPU seconds of each (``time.process_time`` in that process: reading and start-up left out) and
their medians. Both extractions must give the same results, file for file, or it says which differ.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = """
import ast, hashlib, pickle, sys, time, warnings
from pathlib import Path
mode, roots = sys.argv[1], sys.argv[2:]
if mode != "floor":
    sys.path.insert(0, mode)
    from depmin.scanning.extraction import extract
blobs = [p.read_bytes() for root in roots for p in sorted(Path(root).rglob("*.py"))]
warnings.simplefilter("ignore")
started = time.process_time()
if mode == "floor":
    for blob in blobs:
        try:
            ast.parse(blob)
        except (SyntaxError, ValueError):
            pass
    digest = ""
else:
    results = [extract(blob) for blob in blobs]
    digest = hashlib.sha256(pickle.dumps([repr(r) for r in results])).hexdigest()
print(f"{time.process_time() - started:.3f} {len(blobs)} {digest}")
"""


def run(mode: str, roots: list[str]) -> tuple[float, int, str]:
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, *roots], capture_output=True, text=True, check=True)
    seconds, files, digest = [*out.stdout.split(), ""][:3]
    return float(seconds), int(files), digest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("old", type=Path, help="a directory holding an older depmin/ package")
    parser.add_argument("roots", nargs="+", help="trees whose .py files are extracted")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    cases = {"older depmin": str(args.old.resolve()), "this depmin": str(REPO), "ast.parse floor": "floor"}
    times: dict[str, list[float]] = {name: [] for name in cases}
    digests: dict[str, set[str]] = {name: set() for name in cases}
    files = 0
    for rep in range(args.reps):
        for name, mode in cases.items():
            seconds, files, digest = run(mode, args.roots)
            times[name].append(seconds)
            digests[name].add(digest)
            print(f"rep {rep + 1}: {name} {seconds:.2f} s", flush=True)
    print(f"\n{files} files, CPU seconds, median of {args.reps}:")
    for name, values in times.items():
        print(f"  {name}: {statistics.median(values):.2f} s")
    old, new = statistics.median(times["older depmin"]), statistics.median(times["this depmin"])
    floor = statistics.median(times["ast.parse floor"])
    print(f"  this / older: {new / old:.2f}; older / floor: {old / floor:.2f}; this / floor: {new / floor:.2f}")
    same = digests["older depmin"] == digests["this depmin"] and len(digests["this depmin"]) == 1
    print("  results: identical" if same else "  results: DIFFER between the two extractions")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
