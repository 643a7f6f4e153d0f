"""Image helpers for VisionProcessingAgent."""
import base64
import io

MAX_SIDE = 1280


def decode_image(b64):
    data = base64.b64decode(b64)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return image


def limit_size(image):
    width, height = image.size
    if max(width, height) <= MAX_SIDE:
    scale = MAX_SIDE / float(max(width, height))
    return image.resize((int(width * scale), int(height * scale)))


import cv2
import numpy as np
from PIL import Image


def to_bgr(image):
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def sharpness(image_bgr):
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())
