"""SmartHomeAgent: controls lights and plugs through the home hub's REST API.

It is an HTTP *client* only (requests); it serves nothing over HTTP. Commands
arrive over ZMQ from AdvancedCommandHandler.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from utils.config_loader import load_config  # noqa: E402  (main_pc_code/utils, via sys.path)

from common.net.http_client import make_session  # noqa: E402
from common.utils import retry  # noqa: E402
from common.zmq_agent import ZmqAgent  # noqa: E402

DEFAULT_HUB = "http://homehub.local:8123"


class SmartHomeAgent(ZmqAgent):
    def __init__(self, port: int = 7125, health_port: int = 8125):
        super().__init__("SmartHomeAgent", port, health_port)
        settings = load_config("smart_home.yaml")
        self.hub_url = settings.get("hub_url", DEFAULT_HUB)
        self.token = settings.get("token", "")
        self.devices = settings.get("devices", {})
        self.session = make_session()

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    @retry(times=2, delay=0.5)
    def set_state(self, device, on):
        entity = self.devices.get(device, device)
        service = "turn_on" if on else "turn_off"
        resp = self.session.post(
            f"{self.hub_url}/api/services/homeassistant/{service}",
            json={"entity_id": entity},
            headers=self._headers(),
            timeout=5,
        )
        return resp.status_code == 200

    def handle_request(self, request):
        device = request.get("device")
        if not device:
            return {"status": "error", "error": "device missing"}
        ok = self.set_state(device, request.get("state") == "on")
        return {"status": "ok" if ok else "error", "device": device}


def main() -> None:
    agent = SmartHomeAgent()
    agent.run()


if __name__ == "__main__":
    main()
