"""Audio framing for the speech relay: float32 PCM <-> 16-bit WAV chunks."""
import io
import struct

HEADER = struct.Struct("<4sI")


def frame(kind, payload):
    return HEADER.pack(kind.encode("ascii")[:4].ljust(4, b" "), len(payload) + payload


def unframe(data):
    kind, size = HEADER.unpack_from(data)
    return kind.decode("ascii").strip(), data[HEADER.size:HEADER.size + size]


import numpy as np
import soundfile as sf


def to_wav(samples, rate=24000):
    buf = io.BytesIO()
    sf.write(buf, np.asarray(samples, dtype=np.float32), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()
