"""AffectiveProcessingCenter (MainPC): emotion fusion, ZMQ PUB 5560 / synth REP 5561.

The text encoder is optional: it loads lazily and runs on CUDA when a GPU is
present, on CPU otherwise.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import yaml  # noqa: E402
import zmq  # noqa: E402

from affective_processing_center.fusion import EmotionFusion  # noqa: E402
from affective_processing_center.synth import params_for  # noqa: E402
from common.base_agent import BaseAgent  # noqa: E402
from common.zmq_helpers import bind_socket, create_context, recv_json, send_json  # noqa: E402

ENCODER = os.environ.get("APC_TEXT_ENCODER", "j-hartmann/emotion-english-distilroberta-base")


class AffectiveProcessingCenter(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5560, health_port: int = 6560):
        super().__init__("AffectiveProcessingCenter", port, health_port)
        self.fusion = EmotionFusion(smoothing=float(self.config.get("smoothing", 0.8)))
        self.classifier = None

    def _load_encoder(self):
        import torch
        from transformers import pipeline

        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.classifier = pipeline("text-classification", model=ENCODER, top_k=None, device=device)

    def text_emotions(self, text):
        if self.classifier is None:
            self._load_encoder()
        return {item["label"]: item["score"] for item in self.classifier(text)[0]}

    def setup(self):
        ctx = create_context()
        self.pub = bind_socket(ctx, zmq.PUB, self.port)
        self.rep = bind_socket(ctx, zmq.REP, self.port + 1)

    def tick(self):
        request = recv_json(self.rep, timeout_ms=500)
        if request is None:
            return
        observations = dict(request.get("observations", {}))
        if request.get("text"):
            observations["text"] = self.text_emotions(request["text"])
        state = self.fusion.fuse(observations)
        self.pub.send_json({"affect": state})
        send_json(self.rep, {"status": "ok", "state": state, "synth": vars(params_for(state)),
                             "config": yaml.safe_dump(self.config)})


def main() -> None:
    agent = AffectiveProcessingCenter()
    agent.run()


if __name__ == "__main__":
    main()
