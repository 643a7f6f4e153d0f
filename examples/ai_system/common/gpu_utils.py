"""CUDA helpers for the GPU agents (4090 on MainPC, 3060 on PC2)."""
import os

import torch


def pick_device(prefer: str = "cuda") -> "torch.device":
    if prefer.startswith("cuda") and torch.cuda.is_available():
        return torch.device(prefer)
    return torch.device("cpu")


def require_cuda(agent_name: str) -> "torch.device":
    """GPU-only services fail fast instead of silently running on CPU."""
    if not torch.cuda.is_available():
        raise SystemExit(f"{agent_name}: CUDA device required but not available")
    return torch.device("cuda")


def free_memory_mb() -> int:
    free, _total = torch.cuda.mem_get_info()
    return int(free // (1024 * 1024))


def configure_threads() -> None:
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "4")))
