"""Inference scheduling: a worker pool in front of the model registry."""
from concurrent.futures import ThreadPoolExecutor

import psutil
import torch

from .gpu_lease import GpuLease
from .model_registry import ModelRegistry


class InferenceScheduler:
    def __init__(self, registry: ModelRegistry, max_workers: int = 16) -> None:
        self.registry = registry
        self.pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="infer")
        self.lease = GpuLease(limit_mb=22000)
        self.requests = 0

    def _generate(self, model_name, prompt, max_new_tokens):
        entry = self.registry.load(model_name)
        with self.lease.hold(entry.vram_mb):
            inputs = entry.tokenizer(prompt, return_tensors="pt").to("cuda")
            with torch.inference_mode():
                output = entry.model.generate(**inputs, max_new_tokens=max_new_tokens)
        return entry.tokenizer.decode(output[0], skip_special_tokens=True)

    def submit(self, model_name, prompt, max_new_tokens=128):
        self.requests += 1
        return self.pool.submit(self._generate, model_name, prompt, max_new_tokens)

    def health(self) -> str:
        cuda = torch.cuda.is_available()
        return f"OK cuda={cuda} requests={self.requests} cpu={psutil.cpu_percent()}"

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
