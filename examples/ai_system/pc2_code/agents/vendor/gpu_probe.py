"""Vendored GPU probe (nvidia-smi parsing). Lives in pc2_code/agents/vendor/."""
import shutil
import subprocess


def probe_gpus():
    if shutil.which("nvidia-smi") is None:
        return []
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits"],
        capture_output=True, text=True, check=False,
    ).stdout
    gpus = []
    for line in out.strip().splitlines():
        name, total, used = [part.strip() for part in line.split(",")]
        gpus.append({"name": name, "total_mb": int(total), "used_mb": int(used)})
    return gpus
