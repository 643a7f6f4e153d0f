"""Publishes agent errors to the CentralErrorBus (PC2, port 7150)."""
import socket
import time
import traceback

<<<<<<< HEAD
from common.zmq_helpers import connect_socket, create_context
=======
from main_pc_code.utils.network_utils import connect_socket, create_context
>>>>>>> pc2-error-bus
import zmq

from common.serialization import dumps

ERROR_BUS_PORT = 7150


class ErrorReporter:
    def __init__(self, agent_name, host="localhost", port=ERROR_BUS_PORT):
        self.agent_name = agent_name
        self.socket = connect_socket(create_context(), zmq.PUB, host, port)

    def report(self, exc, severity="error"):
        payload = {
            "agent": self.agent_name,
            "host": socket.gethostname(),
            "time": time.time(),
            "severity": severity,
            "error": repr(exc),
            "trace": traceback.format_exc(),
        }
        self.socket.send_multipart([b"ERROR", dumps(payload)])
