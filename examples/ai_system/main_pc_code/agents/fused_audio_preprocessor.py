"""FusedAudioPreprocessor: denoise, band-pass and normalise captured audio."""
import numpy as np
import zmq
from scipy.signal import butter, lfilter

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, connect_socket, create_context
from main_pc_code.utils.audio_utils import rms, to_float32

try:
    import noisereduce as nr
except ImportError:
    nr = None

SAMPLE_RATE = 16000
CAPTURE_PORT = 6550


class FusedAudioPreprocessor(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 6551, health_port: int = 7551):
        super().__init__("FusedAudioPreprocessor", port, health_port)
        self.b, self.a = butter(4, [80 / (SAMPLE_RATE / 2), 7600 / (SAMPLE_RATE / 2)], btype="band")

    def setup(self):
        ctx = create_context()
        self.sub = connect_socket(ctx, zmq.SUB, "localhost", CAPTURE_PORT)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"audio")
        self.pub = bind_socket(ctx, zmq.PUB, self.port)

    def process(self, frame):
        samples = to_float32(np.frombuffer(frame, dtype=np.int16))
        samples = lfilter(self.b, self.a, samples)
        if nr is not None:
            samples = nr.reduce_noise(y=samples, sr=SAMPLE_RATE, stationary=True)
        peak = np.max(np.abs(samples)) or 1.0
        return (samples / peak).astype(np.float32)

    def tick(self):
        if self.sub.poll(500) == 0:
            return
        _topic, frame, _level = self.sub.recv_multipart()
        clean = self.process(frame)
        self.pub.send_multipart([b"clean", clean.tobytes(), str(rms(clean)).encode()])


def main() -> None:
    agent = FusedAudioPreprocessor()
    agent.run()


if __name__ == "__main__":
    main()
