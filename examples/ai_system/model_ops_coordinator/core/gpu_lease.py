"""VRAM accounting: callers hold a lease while they use the GPU."""
import contextlib
import threading


class GpuLease:
    def __init__(self, limit_mb):
        self.limit_mb = limit_mb
        self.used_mb = 0
        self.cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, mb):
        with self.cond:
<<<<<<< HEAD
            while self.used_mb + mb > self.limit_mb:
                self.cond.wait(timeout=1.0)
=======
            while self.used_mb + mb > min(self.limit_mb, device_free_mb()):
                self.cond.wait(timeout=0.5)
>>>>>>> nvml-accounting
            self.used_mb += mb
        try:
            yield
        finally:
            with self.cond:
                self.used_mb -= mb
                self.cond.notify_all()


import pynvml
import torch


def device_free_mb(index=0):
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    info = pynvml.nvmlDeviceGetMemoryInfo(handle)
    return min(info.free, torch.cuda.mem_get_info(index)[0]) // (1024 * 1024)
