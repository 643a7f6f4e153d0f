"""REP-socket agent on top of BaseAgent: one JSON request, one JSON reply."""
import zmq

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, create_context, recv_json, send_json


class ZmqAgent(BaseAgent):
    socket_type = zmq.REP
    loop_interval = 0.0

    def setup(self) -> None:
        self.context = create_context()
        self.socket = bind_socket(self.context, self.socket_type, self.port)

    def tick(self) -> None:
        request = recv_json(self.socket, timeout_ms=500)
        if request is None:
            return
        try:
            reply = self.handle_request(request)
        except Exception as exc:  # keep the REP socket in a valid state
            self.logger.exception("request failed")
            reply = {"status": "error", "error": str(exc)}
        send_json(self.socket, reply)

    def handle_request(self, request):
        return {"status": "ok", "agent": self.name}

    def cleanup(self) -> None:
        sock = getattr(self, "socket", None)
        if sock is not None:
            sock.close(0)
