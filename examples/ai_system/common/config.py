"""YAML configuration loading for agents."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict

import yaml

from common import env_helpers

log = logging.getLogger(__name__)

_CACHE: Dict[str, Dict[str, Any]] = {}


def default_machine() -> str:
    return "PC2" if os.path.exists("/etc/ai-system/pc2") else "MainPC"


def load_yaml(path) -> Dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        log.debug("config file %s not found", path)
        return {}
    with path.open("r", encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level must be a mapping")
    return data


def load_agent_config(agent_name: str) -> Dict[str, Any]:
    """defaults.yaml, overlaid with the agent's section of agents.yaml."""
    if agent_name in _CACHE:
        return dict(_CACHE[agent_name])
    base = env_helpers.config_dir()
    merged: Dict[str, Any] = {}
    merged.update(load_yaml(base / "defaults.yaml"))
    merged.update(load_yaml(base / "agents.yaml").get(agent_name) or {})
    merged.setdefault("machine", env_helpers.machine_name())
    _CACHE[agent_name] = merged
    return dict(merged)
