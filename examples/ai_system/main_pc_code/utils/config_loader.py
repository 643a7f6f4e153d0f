"""Legacy MainPC YAML config loader.

Some agents import this as ``main_pc_code.utils.config_loader``, older ones as
``utils.config_loader`` after putting main_pc_code/ on sys.path.
"""
import os

import yaml

from .path_manager import PathManager


def load_config(name="startup_config.yaml"):
    path = PathManager.get_config_dir() / name
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def get_agent_section(agent_name, name="agents.yaml"):
    return load_config(name).get(agent_name) or {}


def env_or_config(key, config, default=None):
    return os.environ.get(key.upper(), config.get(key, default))
