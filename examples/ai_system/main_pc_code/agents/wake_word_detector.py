"""WakeWordDetector: listens for the wake word and publishes a wake event."""
import os
import struct

import numpy as np
import sounddevice as sd
import zmq

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, create_context

try:
    import pvporcupine
except ImportError:
    pvporcupine = None

KEYWORD = os.environ.get("WAKE_WORD", "jarvis")


class WakeWordDetector(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 6552, health_port: int = 7552):
        super().__init__("WakeWordDetector", port, health_port)
        self.engine = None
        self.detections = 0

    def setup(self):
        self.pub = bind_socket(create_context(), zmq.PUB, self.port)
        if pvporcupine is not None and os.environ.get("PICOVOICE_KEY"):
            self.engine = pvporcupine.create(access_key=os.environ["PICOVOICE_KEY"],
                                             keywords=[KEYWORD])
            frame_length, rate = self.engine.frame_length, self.engine.sample_rate
        else:
            from openwakeword.model import Model

            self.engine = Model(wakeword_models=[KEYWORD])
            frame_length, rate = 1280, 16000
        self.stream = sd.RawInputStream(samplerate=rate, blocksize=frame_length,
                                        channels=1, dtype="int16")
        self.stream.start()
        self.frame_length = frame_length

    def detect(self, pcm):
        if pvporcupine is not None and hasattr(self.engine, "process"):
            return self.engine.process(struct.unpack_from("h" * self.frame_length, pcm)) >= 0
        scores = self.engine.predict(np.frombuffer(pcm, dtype=np.int16))
        return max(scores.values(), default=0.0) > 0.5

    def tick(self):
        pcm, _overflow = self.stream.read(self.frame_length)
        if self.detect(bytes(pcm)):
            self.detections += 1
            self.pub.send_multipart([b"wake", KEYWORD.encode()])


def main() -> None:
    agent = WakeWordDetector()
    agent.run()


if __name__ == "__main__":
    main()
