"""StreamingLanguageAnalyzer: language, sentiment and sentence split of transcripts."""
import zmq
from langdetect import detect_langs

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, connect_socket, create_context
from main_pc_code.utils.nlp_utils import sentences

STT_STREAM_PORT = 6553


class StreamingLanguageAnalyzer(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5579, health_port: int = 6579):
        super().__init__("StreamingLanguageAnalyzer", port, health_port)

    def setup(self):
        ctx = create_context()
        self.sub = connect_socket(ctx, zmq.SUB, "localhost", STT_STREAM_PORT)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"transcript")
        self.pub = bind_socket(ctx, zmq.PUB, self.port)

    def analyze(self, text):
        guesses = detect_langs(text) if text.strip() else []
        best = guesses[0] if guesses else None
        return {
            "text": text,
            "language": best.lang if best else "unknown",
            "language_confidence": best.prob if best else 0.0,
            "sentences": sentences(text),
        }

    def tick(self):
        if self.sub.poll(300) == 0:
            return
        _topic, payload = self.sub.recv_multipart()
        result = self.analyze(payload.decode("utf-8"))
        self.pub.send_json(result)


def main() -> None:
    agent = StreamingLanguageAnalyzer()
    agent.run()


if __name__ == "__main__":
    main()
