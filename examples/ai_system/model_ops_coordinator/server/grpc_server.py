"""gRPC frontend on port 7212."""
import time
from concurrent import futures

import grpc

from ..proto import model_ops_pb2_grpc
import model_ops_pb2  # importable by its bare name once ..proto has run

from ..core.scheduler import InferenceScheduler


class ModelOpsServicer(model_ops_pb2_grpc.ModelOpsServicer):
    def __init__(self, scheduler: InferenceScheduler) -> None:
        self.scheduler = scheduler

    def Generate(self, request, context):
        started = time.time()
        future = self.scheduler.submit(request.model, request.prompt, request.max_new_tokens or 128)
        text = future.result(timeout=120)
        return model_ops_pb2.GenerateReply(text=text, latency_ms=int((time.time() - started) * 1000))

    def Status(self, request, context):
        registry = self.scheduler.registry
        return model_ops_pb2.StatusReply(loaded_models=list(registry.loaded),
                                         vram_used_mb=registry.used_vram_mb())


def serve_grpc(scheduler: InferenceScheduler, port: int) -> grpc.Server:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    model_ops_pb2_grpc.add_ModelOpsServicer_to_server(ModelOpsServicer(scheduler), server)
    server.add_insecure_port(f"[::]:{port}")
    server.start()
    return server
