"""StreamingInterruptHandler: stops TTS playback when the user starts talking."""
import time

import zmq

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, connect_socket, create_context

PREPROCESSOR_PORT = 6551
ENERGY_THRESHOLD = 0.02


class StreamingInterruptHandler(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5576, health_port: int = 6576):
        super().__init__("StreamingInterruptHandler", port, health_port)
        self.last_interrupt = 0.0

    def setup(self):
        ctx = create_context()
        self.sub = connect_socket(ctx, zmq.SUB, "localhost", PREPROCESSOR_PORT)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"clean")
        self.pub = bind_socket(ctx, zmq.PUB, self.port)

    def tick(self):
        if self.sub.poll(200) == 0:
            return
        _topic, _frame, level = self.sub.recv_multipart()
<<<<<<< HEAD
        if float(level) > ENERGY_THRESHOLD and time.time() - self.last_interrupt > 1.0:
            self.interrupt("energy")
=======
        if vad_says_speech(float(level)):
            self.interrupt("vad")
>>>>>>> streaming-vad

    def interrupt(self, reason):
        self.last_interrupt = time.time()
        self.pub.send_multipart([b"interrupt", reason.encode()])


import numpy as np
from common.utils import retry


def vad_says_speech(level, history=[]):
    history.append(level)
    return len(history) > 5 and float(np.mean(history[-5:])) > ENERGY_THRESHOLD


def main() -> None:
    agent = StreamingInterruptHandler()
    agent.run()


if __name__ == "__main__":
    main()
