"""DreamingModeAgent (PC2): idle-time consolidation of memories on the GPU."""
import time

import torch

from common.zmq_agent import ZmqAgent
from pc2_code.agents.dream_common import DEVICE, interpolate, sample_latents

IDLE_SECONDS = 600


class DreamingModeAgent(ZmqAgent):
    loop_interval = 1.0

    def __init__(self, port: int = 7127, health_port: int = 8127):
        super().__init__("DreamingModeAgent", port, health_port)
        self.last_activity = time.time()
        self.dreams = 0

    def dream(self, cycles=4):
        a = sample_latents(1, seed=self.dreams)[0]
        b = sample_latents(1, seed=self.dreams + 1)[0]
        path = interpolate(a, b, steps=cycles)
        for step in path:
        self.dreams += 1
        return path.norm(dim=1).tolist()

    def tick(self):
        super().tick()
        if time.time() - self.last_activity > IDLE_SECONDS and torch.cuda.is_available():
            self.dream()

    def handle_request(self, request):
        self.last_activity = time.time()
        if request.get("action") == "dream_now":
            return {"status": "ok", "norms": self.dream()}
        return {"status": "ok", "dreams": self.dreams, "device": DEVICE}


import numpy as np
from pc2_code.utils.pc2_zmq import mainpc_req


def main() -> None:
    agent = DreamingModeAgent()
    agent.run()


if __name__ == "__main__":
    main()
