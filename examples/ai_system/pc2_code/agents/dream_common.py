"""Shared generative-model helpers for DreamWorldAgent and DreamingModeAgent (GPU)."""
import os

import torch

DEVICE = os.environ.get("DREAM_DEVICE", "cuda")


def seeded_generator(seed):
    return torch.Generator(device=DEVICE).manual_seed(int(seed))


def sample_latents(batch, dim=128, seed=0):
    return torch.randn(batch, dim, generator=seeded_generator(seed), device=DEVICE)


def interpolate(a, b, steps=8):
    weights = torch.linspace(0.0, 1.0, steps, device=a.device).unsqueeze(1)
    return a.unsqueeze(0) * (1 - weights) + b.unsqueeze(0) * weights


def memory_report():
    if not torch.cuda.is_available():
        return {"device": "cpu"}
    return {"device": torch.cuda.get_device_name(0),
            "allocated_mb": torch.cuda.memory_allocated() >> 20}
