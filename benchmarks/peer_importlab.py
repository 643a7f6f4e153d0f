"""Compute agents' dependency trees with importlab (run by bench_scan.py inside the peers' venv).

Input: a JSON file ``[{"name": ..., "entry": ABSOLUTE_PATH, "path": [DIR, ...]}, ...]``; for
each agent this does what ``importlab --tree --trim -P DIR:DIR ENTRY`` does before printing: a
fresh ``ImportGraph`` from the entrypoint with ``trim=True`` (standard-library and installed files
are not followed, as depmin does not follow them either). Output (stdout): JSON with, per agent,
the first-party files in the tree, the files importlab could not parse, and the seconds spent.

Run it from a directory outside the scanned tree: importlab asks ``importlib.util.find_spec``
about every import, which imports parent packages it can find on ``sys.path``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    from importlab import environment, graph  # noqa: PLC0415 - only inside the peers' venv

    agents: list[dict[str, Any]] = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    root = str(Path(argv[2]).resolve())
    version = tuple(sys.version_info[:2])
    results = []
    started = time.perf_counter()
    for agent in agents:
        t0 = time.perf_counter()
        path = environment.path_from_pythonpath(":".join(agent["path"]))
        env = environment.Environment(path, version)
        tree = graph.ImportGraph.create(env, [agent["entry"]], trim=True)
        nodes = [str(n) for n in tree.graph.nodes if str(n).startswith(root + "/")]
        results.append(
            {
                "name": agent["name"],
                "files": sorted(n[len(root) + 1 :] for n in nodes),
                "unreadable": sorted(str(f)[len(root) + 1 :] for f in tree.unreadable_files),
                "seconds": time.perf_counter() - t0,
            }
        )
    json.dump({"agents": results, "seconds": time.perf_counter() - started}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
