"""AudioCapture: captures microphone audio and publishes 20 ms frames on ZMQ PUB."""
import queue
import sys

import numpy as np
import sounddevice as sd
import zmq

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, create_context

if sys.platform == "win32":
    import pyaudiowpatch  # WASAPI loopback capture on the Windows dev boxes

SAMPLE_RATE = 16000
FRAME = SAMPLE_RATE // 50


class StreamingAudioCapture(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 6550, health_port: int = 7550):
        super().__init__("AudioCapture", port, health_port)
        self.frames = queue.Queue(maxsize=500)
        self.device = self.config.get("input_device")
        self.stream = None
        self.pub = None

    def _callback(self, indata, _frames, _time, status):
        if status:
            self.logger.warning("audio status: %s", status)
        try:
            self.frames.put_nowait(indata.copy())
        except queue.Full:
            pass

    def setup(self):
        self.pub = bind_socket(create_context(), zmq.PUB, self.port)
        self.stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16",
                                     blocksize=FRAME, device=self.device, callback=self._callback)
        self.stream.start()

    def tick(self):
        try:
            frame = self.frames.get(timeout=0.5)
        except queue.Empty:
            return
        level = float(np.abs(frame).mean())
        self.pub.send_multipart([b"audio", frame.tobytes(), str(level).encode()])

    def cleanup(self):
        if self.stream is not None:
            self.stream.stop()
            self.stream.close()


def main() -> None:
    agent = StreamingAudioCapture()
    agent.run()


if __name__ == "__main__":
    main()
