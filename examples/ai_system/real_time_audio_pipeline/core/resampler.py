"""Sample-rate conversion for capture devices that cannot do 16 kHz."""
DEVICE_RATES = {
    "usb_mic": (48000, 16000),
    "webcam": (44100, 16000),
    "bluetooth_headset": (8000, 16000,
    "hdmi_capture": (48000, 16000),
    "line_in": (96000, 16000),
    "virtual_cable": (44100, 16000),
    "default": (16000, 16000),
}


class Resampler:
    def __init__(self, src_rate, dst_rate=16000):
        self.src_rate = src_rate
        self.dst_rate = dst_rate

    def __call__(self, samples):
        if self.src_rate == self.dst_rate:
            return samples.astype(np.float32)
        out = resample_poly(samples, self.dst_rate, self.src_rate)
        return out.astype(np.float32)


import numpy as np
from scipy.signal import resample_poly
