"""CrossMachineGPUScheduler: gRPC (7155) placement of GPU jobs across MainPC and PC2.

Started as ``python services/cross_gpu_scheduler/app.py``; the generated gRPC
modules next to this file are imported by their bare names.
"""
from concurrent import futures

import grpc
import gpu_sched_pb2
import gpu_sched_pb2_grpc

from common.base_agent import BaseAgent
from common.redis_client import get_redis

MACHINES = {"MainPC": {"vram_mb": 24576}, "PC2": {"vram_mb": 12288}}


class Scheduler(gpu_sched_pb2_grpc.GpuSchedulerServicer):
    def __init__(self, redis_client):
        self.redis = redis_client

    def free_vram(self, machine):
        used = int(self.redis.get(f"gpu:{machine}:used_mb") or 0)
        return MACHINES[machine]["vram_mb"] - used

    def Place(self, request, context):
        order = [request.preferred_machine] if request.preferred_machine in MACHINES else []
        order += [m for m in ("MainPC", "PC2") if m not in order]
        for machine in order:
            if self.free_vram(machine) >= request.vram_mb:
                self.redis.incrby(f"gpu:{machine}:used_mb", request.vram_mb)
                return gpu_sched_pb2.Placement(job_id=request.job_id, machine=machine, gpu_index=0)
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "no GPU has enough free memory")


class CrossMachineGPUScheduler(BaseAgent):
    def __init__(self, port: int = 7155, health_port: int = 8155):
        super().__init__("CrossMachineGPUScheduler", port, health_port)
        self.server = None

    def local_gpu_count(self):
        try:
            import pynvml
        except ImportError:
            return 0
        pynvml.nvmlInit()
        return pynvml.nvmlDeviceGetCount()

    def setup(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        gpu_sched_pb2_grpc.add_GpuSchedulerServicer_to_server(Scheduler(get_redis()), self.server)
        self.server.add_insecure_port(f"[::]:{self.port}")
        self.server.start()
        self.logger.info("local GPUs: %d", self.local_gpu_count())

    def cleanup(self):
        if self.server is not None:
            self.server.stop(grace=2)


def main() -> None:
    agent = CrossMachineGPUScheduler()
    agent.run()


if __name__ == "__main__":
    main()
