"""ZMQ REP frontend on port 7211 (legacy agents use it via ModelClient)."""
import zmq

from common.serialization import dumps, loads

from ..core.scheduler import InferenceScheduler


class ZmqFrontend:
    def __init__(self, scheduler: InferenceScheduler, port: int) -> None:
        self.scheduler = scheduler
        self.port = port

    def serve(self, stop_event) -> None:
        sock = zmq.Context.instance().socket(zmq.REP)
        sock.bind(f"tcp://*:{self.port}")
        while not stop_event.is_set():
            if sock.poll(500) == 0:
                continue
            request = loads(sock.recv())
<<<<<<< HEAD
            model = request.get("model", "tinyllama")
=======
            model = request.get("model") or DEFAULT_MODEL
>>>>>>> moc-default-model
            try:
                future = self.scheduler.submit(model, request["prompt"],
                                               int(request.get("params", {}).get("max_new_tokens", 128)))
                reply = {"status": "ok", "text": future.result(timeout=120)}
            except Exception as exc:
                reply = {"status": "error", "error": str(exc)}
            sock.send(dumps(reply))
        sock.close(0)


import os

DEFAULT_MODEL = os.environ.get("MOC_DEFAULT_MODEL", "tinyllama")
