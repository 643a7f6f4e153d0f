"""depmin audit --all on the bundled fleet next to pip-audit alone on the same pins (its peer: the scanner
it runs), both against a local OSV service with no advisories, whole processes, best of 3.

    python3 benchmarks/bench_audit.py        (from the repository root)
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from depmin.layout import Layout
from depmin.locking.listing import parse_files
from depmin.manifest import load_fleet
from tests.auditing.osv_server import osv_service

fleet = load_fleet(Path("agents.toml"))
lay = Layout.beside(fleet.path)
pins = set()
for a in fleet.agents:
    for n, v in parse_files(lay.pylock(a).read_text(), base=lay.pylock(a).parent):
        pins.add((str(n), str(v)))
req = Path(tempfile.mkdtemp()) / "r.txt"
req.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins)))


def best(cmd):
    ts = []
    for _ in range(3):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        ts.append(time.perf_counter() - t)
        assert r.returncode == 0, r.stderr[-500:]
    return min(ts)


with osv_service([]) as (url, log):
    d = best([sys.executable, "-m", "depmin", "audit", "--all", "--url", url, "-q"])
    p = best(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            str(req),
            "--no-deps",
            "--disable-pip",
            "-s",
            "osv",
            "--osv-url",
            url + "/v1/query",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ]
    )
print(f"agents={len(fleet.agents)} pins={len(pins)} depmin_audit={d:.2f}s pip_audit={p:.2f}s ratio={d / p:.2f}")
