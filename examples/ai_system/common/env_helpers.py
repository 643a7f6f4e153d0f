"""Environment variable helpers (ports, hosts, flags).

Imported by common.config, and imports it back: the two modules form an
import cycle that has been there since the PC2 merge. Only touch
``common.config`` inside functions here.
"""
from __future__ import annotations

import os
from pathlib import Path

import common.config

_TRUE = {"1", "true", "yes", "on"}


def get_env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def get_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in _TRUE


def get_int(name: str, default: int = 0) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        return default


def port_offset() -> int:
    return get_int("PORT_OFFSET", 0)


def port_with_offset(port: int) -> int:
    return port_offset() + int(port)


def machine_name() -> str:
    return get_env("MACHINE_NAME") or common.config.default_machine()


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    return Path(get_env("AI_CONFIG_DIR") or project_root() / "config")
