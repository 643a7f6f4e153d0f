"""FaceRecognitionAgent: recognises known faces in camera frames (GPU, OpenCV)."""
import os

import cv2
import face_recognition
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from common.zmq_agent import ZmqAgent

KNOWN_FACES_DIR = os.environ.get("KNOWN_FACES_DIR", "data/known_faces")


class FaceRecognitionAgent(ZmqAgent):
    def __init__(self, port: int = 5610, health_port: int = 6610):
        super().__init__("FaceRecognitionAgent", port, health_port)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.names = []
        self.encodings = None

    def setup(self):
        super().setup()
        vectors = []
        for filename in sorted(os.listdir(KNOWN_FACES_DIR)) if os.path.isdir(KNOWN_FACES_DIR) else []:
            image = face_recognition.load_image_file(os.path.join(KNOWN_FACES_DIR, filename))
            found = face_recognition.face_encodings(image, model="large")
            if found:
                self.names.append(os.path.splitext(filename)[0])
                vectors.append(found[0])
        if vectors:
            self.encodings = torch.tensor(np.stack(vectors), device=self.device)

    def recognise(self, frame_bgr):
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        boxes = face_recognition.face_locations(rgb, model="cnn")
        results = []
        for box, enc in zip(boxes, face_recognition.face_encodings(rgb, boxes)):
            name = "unknown"
            if self.encodings is not None:
                query = torch.tensor(enc, device=self.device).unsqueeze(0)
                sims = F.cosine_similarity(query, self.encodings)
                best = int(sims.argmax())
                if float(sims[best]) > 0.92:
                    name = self.names[best]
            results.append({"name": name, "box": box})
        return results

    def handle_request(self, request):
        image = Image.open(request["path"]).convert("RGB")
        frame = cv2.cvtColor(np.array(image), cv2.COLOR_RGB2BGR)
        return {"status": "ok", "faces": self.recognise(frame)}


def main() -> None:
    agent = FaceRecognitionAgent()
    agent.run()


if __name__ == "__main__":
    main()
