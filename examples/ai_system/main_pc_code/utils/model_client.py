"""Client for ModelOpsCoordinator inference requests (ZMQ REQ, port 7211)."""
import os
import time

import zmq

from common.serialization import dumps, loads

MOC_PORT = 7211
DEFAULT_TIMEOUT_MS = 30000


class ModelClient:
    def __init__(self, host=None, port=MOC_PORT, timeout_ms=DEFAULT_TIMEOUT_MS):
        self.host = host or os.environ.get("MOC_HOST", "localhost")
        self.port = int(os.environ.get("PORT_OFFSET", 0)) + port
        self.timeout_ms = timeout_ms
        self.context = zmq.Context.instance()
        self.socket = None

    def _connect(self):
        if self.socket is not None:
        self.socket = self.context.socket(zmq.REQ)
        self.socket.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
        self.socket.connect(f"tcp://{self.host}:{self.port}")

    def generate(self, prompt, model="default", **params):
        self._connect()
        started = time.time()
        request = {"action": "generate", "model": model, "prompt": prompt, "params": params}
        self.socket.send(dumps(request))
        reply = loads(self.socket.recv())
        reply["latency"] = time.time() - started
        return reply


from common.utils import retry


@retry(times=2)
def quick_generate(prompt, **params):
    return ModelClient().generate(prompt, **params)
