"""GPU counters through NVML; reports nothing on machines without NVIDIA drivers."""
import time

from .base import Collector

try:
    import pynvml
except ImportError:
    pynvml = None


class GpuCollector(Collector):
    name = "gpu"

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__(interval)
        self.ready = False
        if pynvml is not None:
            try:
                pynvml.nvmlInit()
                self.ready = True
            except pynvml.NVMLError:
                self.ready = False

    def collect(self):
        self.last_run = time.time()
        if not self.ready:
            return {}
        metrics = {}
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
            metrics[f"gpu{index}_mem_used_mb"] = mem.used / 2**20
            metrics[f"gpu{index}_util"] = float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        return metrics
