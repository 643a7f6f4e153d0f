"""System statistics for PC2 housekeeping agents."""
import os
import shutil
import time

import psutil


def cpu_mem():
    return {"cpu": psutil.cpu_percent(interval=None), "mem": psutil.virtual_memory().percent}


def disk(path="/"):
    usage = shutil.disk_usage(path)
    return {"total": usage.total, "free": usage.free}


def top_processes(n=5):
    procs = sorted(psutil.process_iter(["pid", "name", "cpu_percent"]),
                   key=lambda p: p.info["cpu_percent"] or 0.0, reverse=True)
    return [p.info for p in procs[:n]]


def uptime():
    return time.time() - psutil.boot_time()


def load_average():
    return os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
