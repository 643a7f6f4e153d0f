"""UnifiedSystemAgent: orchestration entry point for MainPC.

Starts and stops agent groups listed in config/startup_config.yaml, answers
status queries and keeps the ServiceRegistry up to date.
"""
import importlib
import os, sys, xml.etree.ElementTree
import subprocess
import time

import yaml

from common.net.http_client import make_session
from common.zmq_agent import ZmqAgent

STARTUP_CONFIG = os.environ.get("STARTUP_CONFIG", "config/startup_config.yaml")


class UnifiedSystemAgent(ZmqAgent):
    def __init__(self, port: int = 7201, health_port: int = 8201):
        super().__init__("UnifiedSystemAgent", port, health_port)
        self.discovery = importlib.import_module("main_pc_code.utils.service_discovery")
        self.psutil = __import__("psutil")
        self.processes = {}
        self.session = make_session()

    def load_groups(self):
        with open(STARTUP_CONFIG, encoding="utf-8") as fh:
            return (yaml.safe_load(fh) or {}).get("agent_groups", {})

    def start_group(self, group):
        started = []
        for name, spec in self.load_groups().get(group, {}).items():
            proc = subprocess.Popen([sys.executable, spec["script_path"]])
            self.processes[name] = proc
            started.append(name)
        return started

    def stop_group(self, group):
        for name in self.load_groups().get(group, {}):
            proc = self.processes.pop(name, None)
            if proc is not None:
                proc.terminate()

    def status(self):
        return {
            name: self.psutil.pid_exists(proc.pid) and proc.poll() is None
            for name, proc in self.processes.items()
        }

    def export_report(self, path):
        root = xml.etree.ElementTree.Element("agents", time=str(time.time()))
        for name, alive in self.status().items():
            xml.etree.ElementTree.SubElement(root, "agent", name=name, alive=str(alive))
        xml.etree.ElementTree.ElementTree(root).write(path)

    def handle_request(self, request):
        action = request.get("action")
        if action == "start":
            return {"status": "ok", "started": self.start_group(request["group"])}
        if action == "stop":
            self.stop_group(request["group"])
            return {"status": "ok"}
        if action == "locate":
            return {"status": "ok", "endpoint": self.discovery.discover(request["name"])}
        return {"status": "ok", "agents": self.status()}


def main() -> None:
    agent = UnifiedSystemAgent()
    agent.run()


if __name__ == "__main__":
    main()
