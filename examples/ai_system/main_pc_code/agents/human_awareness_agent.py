"""HumanAwarenessAgent: presence detection from camera snapshots published by PC2."""
import time

import zmq

from common.zmq_agent import ZmqAgent

VISION_PORT = 7160


class HumanAwarenessAgent(ZmqAgent):
    def __init__(self, port: int = 5705, health_port: int = 6705):
        super().__init__("HumanAwarenessAgent", port, health_port)
        self.last_seen = 0.0
        self.state = {
            "present": False,
            "count": 0,
            "since": None,

    def update(self, detections):
        now = time.time()
        present = len(detections) > 0
        if present and not self.state["present"]:
            self.state["since"] = now
        self.state.update(present=present, count=len(detections))
        if present:
            self.last_seen = now

    def snapshot_brightness(self, path):
        frame = cv2.imread(path)
        return float(frame.mean()) if frame is not None else 0.0

    def handle_request(self, request):
        if request.get("action") == "detections":
            self.update(request.get("boxes", []))
        return {"status": "ok", "state": self.state, "idle_seconds": time.time() - self.last_seen}


import numpy as np
from common.zmq_helpers import connect_socket, create_context


def main() -> None:
    agent = HumanAwarenessAgent()
    agent.run()


if __name__ == "__main__":
    main()
