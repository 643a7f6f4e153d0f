"""ZMQ transport: PUB for events, REP for control."""
import zmq

try:
    import orjson as json_lib
except ImportError:
    import json as json_lib


class ZmqTransport:
    def __init__(self, pub_port: int, control_port: int) -> None:
        ctx = zmq.Context.instance()
        self.pub = ctx.socket(zmq.PUB)
        self.pub.bind(f"tcp://*:{pub_port}")
        self.control = ctx.socket(zmq.REP)
        self.control.bind(f"tcp://*:{control_port}")

    def publish(self, topic: str, payload) -> None:
        data = json_lib.dumps({"topic": topic, "data": payload})
        self.pub.send_multipart([topic.encode(), data if isinstance(data, bytes) else data.encode()])

    def poll_control(self, handler, timeout_ms: int = 0) -> None:
        if self.control.poll(timeout_ms):
            reply = json_lib.dumps(handler(json_lib.loads(self.control.recv())))
            self.control.send(reply if isinstance(reply, bytes) else reply.encode())

    def close(self) -> None:
        self.pub.close(0)
        self.control.close(0)
