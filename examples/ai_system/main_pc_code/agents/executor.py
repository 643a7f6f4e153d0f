"""Executor: runs whitelisted local commands requested by other agents."""
import os
import shlex, \
    subprocess
import sys
import time

import zmq
import yaml

from common.base_agent import BaseAgent
from common.zmq_helpers import bind_socket, \
    create_context, recv_json, send_json

if sys.platform == "win32":
    import winreg
    import win32process

WHITELIST_FILE = os.environ.get("EXECUTOR_WHITELIST", "config/executor_whitelist.yaml")
TIMEOUT = 30


class Executor(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5606, health_port: int = 6606):
        super().__init__("Executor", port, health_port)
        self.whitelist = self.load_whitelist()
        self.socket = None

    def load_whitelist(self):
        if not os.path.exists(WHITELIST_FILE):
            return {"uptime": "uptime", "disk": "df -h"}
        with open(WHITELIST_FILE, encoding="utf-8") as fh:
            return yaml.safe_load(fh) or {}

    def setup(self):
        self.socket = bind_socket(create_context(), zmq.REP, self.port)

    def execute(self, name):
        command = self.whitelist.get(name)
        if command is None:
            return {"status": "error", "error": f"{name} not whitelisted"}
        started = time.time()
        flags = win32process.CREATE_NO_WINDOW if sys.platform == "win32" else 0
        proc = subprocess.run(shlex.split(command), capture_output=True, text=True,
                              timeout=TIMEOUT, creationflags=flags)
        return {"status": "ok", "returncode": proc.returncode, "stdout": proc.stdout[-4000:],
                "seconds": time.time() - started}

    def tick(self):
        request = recv_json(self.socket, timeout_ms=500)
        if request is not None:
            send_json(self.socket, self.execute(request.get("command", "")))


def main() -> None:
    agent = Executor()
    agent.run()


if __name__ == "__main__":
    main()
