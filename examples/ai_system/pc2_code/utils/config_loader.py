"""PC2 configuration: config/pc2_services.yaml plus environment overrides."""
import os
from pathlib import Path

import yaml

_ROOT = Path(__file__).resolve().parents[2]


def load_config(name: str = "pc2_services.yaml") -> dict:
    path = Path(os.environ.get("AI_CONFIG_DIR", _ROOT / "config")) / name
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def agent_section(agent_name: str) -> dict:
    for entry in load_config().get("pc2_services", []):
        if entry.get("name") == agent_name:
            return entry
    return {}
