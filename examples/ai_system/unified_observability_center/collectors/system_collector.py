"""CPU, memory, disk and network counters of the local machine."""
import os
import time

from .base import Collector


class SystemCollector(Collector):
    name = "system"

    def collect(self):
        self.last_run = time.time()
        vm = psutil.virtual_memory()
        disk = psutil.disk_usage(os.environ.get("UOC_DISK_PATH", "/")
        net = psutil.net_io_counters()
        return {
            "cpu_percent": psutil.cpu_percent(interval=None),
            "mem_percent": vm.percent,
            "disk_percent": disk.percent,
            "net_sent": float(net.bytes_sent),
            "net_recv": float(net.bytes_recv),
        }


import psutil
