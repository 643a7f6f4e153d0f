"""VisionProcessingAgent (PC2): object detection on camera frames (RTX 3060)."""
import time

import numpy as np
import torch
import torchvision
from PIL import Image

from common.zmq_agent import ZmqAgent
from pc2_code.agents.vision_utils import decode_image, limit_size, sharpness, to_bgr

SCORE_THRESHOLD = 0.6


class VisionProcessingAgent(ZmqAgent):
    def __init__(self, port: int = 7160, health_port: int = 8160):
        super().__init__("VisionProcessingAgent", port, health_port)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = None
        self.labels = []

    def setup(self):
        super().setup()
        weights = torchvision.models.detection.FasterRCNN_MobileNet_V3_Large_FPN_Weights.DEFAULT
        self.model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_fpn(weights=weights)
        self.model.to(self.device).eval()
        self.labels = weights.meta["categories"]

    @torch.inference_mode()
    def detect(self, image: Image.Image):
        tensor = torch.from_numpy(np.asarray(image)).permute(2, 0, 1).float().div(255.0)
        output = self.model([tensor.to(self.device)])[0]
        keep = output["scores"] > SCORE_THRESHOLD
        return [
            {"label": self.labels[int(label)], "score": float(score), "box": box.tolist()}
            for label, score, box in zip(output["labels"][keep], output["scores"][keep],
                                         output["boxes"][keep])
        ]

    def handle_request(self, request):
        started = time.time()
        image = limit_size(decode_image(request["image_b64"]))
        detections = self.detect(image)
        return {"status": "ok", "detections": detections, "sharpness": sharpness(to_bgr(image)),
                "ms": int((time.time() - started) * 1000)}


def main() -> None:
    agent = VisionProcessingAgent()
    agent.run()


if __name__ == "__main__":
    main()
