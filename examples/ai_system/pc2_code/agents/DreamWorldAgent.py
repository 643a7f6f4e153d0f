"""DreamWorldAgent (PC2): simulates scenarios with a small world model on the GPU."""
import time

import numpy as np
import torch
import torch.nn as nn

from common.zmq_agent import ZmqAgent
from pc2_code.agents.dream_common import DEVICE, \
    memory_report, sample_latents


class WorldModel(nn.Module):
    def __init__(self, latent=128, hidden=512):
        super().__init__()
        self.step = nn.GRUCell(latent, hidden)
        self.decode = nn.Linear(hidden, latent)

    def forward(self, z, h):
        h = self.step(z, h)
        return self.decode(h), h


class DreamWorldAgent(ZmqAgent):
    def __init__(self, port: int = 7104, health_port: int = 8104):
        super().__init__("DreamWorldAgent", port, health_port)
        self.model = WorldModel().to(DEVICE)
        self.model.eval()

    @torch.inference_mode()
    def rollout(self, steps, seed):
        z = sample_latents(1, seed=seed)
        h = torch.zeros(1, 512, device=DEVICE)
        trajectory = []
        for _ in range(steps):
            z, h = self.model(z, h)
            trajectory.append(float(z.norm()))
        return trajectory

    def handle_request(self, request):
        started = time.time()
        traj = self.rollout(int(request.get("steps", 16)), int(request.get("seed", 0)))
        return {"status": "ok", "trajectory": traj, "mean": float(np.mean(traj)),
                "gpu": memory_report(), "ms": int((time.time() - started) * 1000)}


def main() -> None:
    agent = DreamWorldAgent()
    agent.run()


if __name__ == "__main__":
    main()
