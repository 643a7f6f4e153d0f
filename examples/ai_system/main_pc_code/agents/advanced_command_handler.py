"""AdvancedCommandHandler: executes multi-step voice commands (macros, scripts)."""
import re, shlex, concurrent.futures

import yaml

from common.net.http_client import get_json
from common.zmq_agent import ZmqAgent
from common.zmq_helpers import request as zmq_request

MACRO_FILE = "config/macros.yaml"
SMART_HOME_PORT = 7125


class AdvancedCommandHandler(ZmqAgent):
    def __init__(self, port: int = 5710, health_port: int = 6710):
        super().__init__("AdvancedCommandHandler", port, health_port)
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        try:
            with open(MACRO_FILE, encoding="utf-8") as fh:
                self.macros = yaml.safe_load(fh) or {}
        except FileNotFoundError:
            self.macros = {}

    def run_step(self, step):
        kind, _, arg = step.partition(":")
        if kind == "home":
            device, state = shlex.split(arg)
            return zmq_request("SmartHomeAgent", SMART_HOME_PORT, {"device": device, "state": state})
        if kind == "http":
            return get_json(arg)
        return {"status": "error", "error": f"unknown step {kind}"}

    def handle_request(self, request):
        command = request.get("command", "")
        match = re.match(r"run macro (\w+)", command)
        if not match or match.group(1) not in self.macros:
            return {"status": "error", "error": "unknown macro"}
        steps = self.macros[match.group(1)]
        results = list(self.pool.map(self.run_step, steps))
        return {"status": "ok", "results": results}


def main() -> None:
    agent = AdvancedCommandHandler()
    agent.run()


if __name__ == "__main__":
    main()
