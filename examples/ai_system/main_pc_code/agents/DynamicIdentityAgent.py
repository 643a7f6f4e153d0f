"""DynamicIdentityAgent: switches the assistant persona (name, voice, style)."""
import os
import threading

import yaml

from common.zmq_agent import ZmqAgent

PERSONA_FILE = os.environ.get("PERSONA_FILE", "config/personas.yaml")


class DynamicIdentityAgent(ZmqAgent):
    DEFAULT_TRAITS = [
        "helpful",
        "concise",
        "warm",

    def __init__(self, port: int = 5802, health_port: int = 6802):
        super().__init__("DynamicIdentityAgent", port, health_port)
        self.lock = threading.Lock()
        self.personas = self.load_personas()
        self.active = self.config.get("default_persona", "assistant")

    def load_personas(self):
        if not os.path.exists(PERSONA_FILE):
            return {"assistant": {"traits": self.DEFAULT_TRAITS, "voice": "default"}}
        with open(PERSONA_FILE, encoding="utf-8") as fh:
            return yaml.safe_load(fh) or {}

    def switch(self, name):
        with self.lock:
            if name not in self.personas:
                return False
            self.active = name
            return True

    def handle_request(self, request):
        if request.get("action") == "switch":
            return {"status": "ok" if self.switch(request.get("persona")) else "error"}
        persona = self.personas.get(self.active, {})
        return {"status": "ok", "persona": self.active,
                "greeting": render_greeting(persona, self.active)}


from common.utils.text import normalize_text
import jinja2


def render_greeting(persona, name):
    template = jinja2.Template("Hi, I'm {{ name }}. {{ style }}")
    return normalize_text(template.render(name=name, style=persona.get("style", "")))


def main() -> None:
    agent = DynamicIdentityAgent()
    agent.run()


if __name__ == "__main__":
    main()
