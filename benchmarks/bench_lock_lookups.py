"""`depmin lock --all` on a 4-agent fleet where two agents import a name no index has, against the
same command of an older depmin tree (one without the name lookup): wall time, agents locked, error
lines, and error lines suggesting --allow-divergence. Real uv, a loopback index (tests/locking/local_index.py);
the missing name is also asked on PyPI (network).

    python benchmarks/bench_lock_lookups.py OLD_TREE    # e.g. a `git archive <commit>` of the old depmin
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
from tests.locking.local_index import serve  # noqa: E402
from tests.locking.test_lock_lookups_integration import FLEET, SOURCES, WHEELS  # noqa: E402
from tests.offline import write_fleet  # noqa: E402

results = {}
for label, src in (("old", sys.argv[1]), ("new", str(HERE))):
    times = []
    for _rep in range(3):
        tmp = Path(tempfile.mkdtemp(prefix=f"lkb-{label}-"))
        with serve(tmp / "index", WHEELS) as index:
            write_fleet(tmp, FLEET.format(index=index.url), {name: ("cpu", s) for name, s in SOURCES.items()})
            (tmp / "constraints.txt").write_text("dmtplug<2\n")
            env = {
                **os.environ,
                "UV_CACHE_DIR": str(tmp / "uvc"),
                "DEPMIN_CACHE_DIR": str(tmp / "dc"),
                "NO_PROXY": "127.0.0.1",
                "no_proxy": "127.0.0.1",
            }
            t = time.perf_counter()
            r = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "depmin",
                    "--config",
                    str(tmp / "agents.toml"),
                    "lock",
                    "--all",
                    "--format",
                    "json",
                ],
                cwd=src,
                env=env,
                capture_output=True,
                check=False,
                text=True,
            )
            times.append(time.perf_counter() - t)
            doc = json.loads(r.stdout)
            states = {a["agent"]: a["state"] for a in doc["agents"]}
            errs = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    results[label] = (sorted(times)[1], states, len(errs), sum("allow-divergence" in e for e in errs))
    print(label, results[label], flush=True)
