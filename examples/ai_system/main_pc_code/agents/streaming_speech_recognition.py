"""StreamingSpeechRecognition: buffers speech and asks STTService to transcribe it.

CPU only: the model runs in STTService (GPU); this agent just segments audio.
"""
import time

import numpy as np
import zmq

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, connect_socket, create_context, request

PREPROCESSOR_PORT = 6551
STT_PORT = 5800
SILENCE_LEVEL = 0.01
MAX_SECONDS = 15


class StreamingSpeechRecognition(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 6553, health_port: int = 7553):
        super().__init__("StreamingSpeechRecognition", port, health_port)
        self.buffer = []
        self.silent_frames = 0
        self.started = None

    def setup(self):
        ctx = create_context()
        self.sub = connect_socket(ctx, zmq.SUB, "localhost", PREPROCESSOR_PORT)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"clean")
        self.pub = bind_socket(ctx, zmq.PUB, self.port)

    def flush(self):
        audio = np.concatenate(self.buffer).astype(np.float32)
        self.buffer.clear()
        self.started = None
        reply = request("STTService", STT_PORT, {"audio_hex": audio.tobytes().hex()})
        if reply and reply.get("text"):
            self.pub.send_multipart([b"transcript", reply["text"].encode("utf-8")])

    def tick(self):
        if self.sub.poll(300) == 0:
            return
        _topic, frame, level = self.sub.recv_multipart()
        self.buffer.append(np.frombuffer(frame, dtype=np.float32))
        self.started = self.started or time.time()
        self.silent_frames = self.silent_frames + 1 if float(level) < SILENCE_LEVEL else 0
        if self.silent_frames > 25 or time.time() - self.started > MAX_SECONDS:
            self.flush()


def main() -> None:
    agent = StreamingSpeechRecognition()
    agent.run()


if __name__ == "__main__":
    main()
