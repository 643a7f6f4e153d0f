"""Settings for ModelOpsCoordinator (YAML or TOML file plus environment)."""
import os
import sys
from pathlib import Path
from typing import Dict, List

import yaml
from pydantic import BaseModel, Field

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CONFIG_DIR = Path(__file__).resolve().parent / "config"


class ModelSpec(BaseModel):
    name: str
    path: str
    vram_mb: int = 4000
    dtype: str = "float16"
    preload: bool = False


class Settings(BaseModel):
    zmq_port: int = 7211
    grpc_port: int = 7212
    metrics_port: int = 8008
    max_workers: int = Field(default=int(os.environ.get("MOC_MAX_WORKERS", 16)), ge=1)
    models: List[ModelSpec] = []
    limits: Dict[str, int] = {"vram_mb": 22000}


def _read(path: Path) -> dict:
    if path.suffix == ".toml":
        with path.open("rb") as fh:
            return tomllib.load(fh)
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def load_settings() -> Settings:
    for candidate in (CONFIG_DIR / "moc.toml", CONFIG_DIR / "moc.yaml"):
        if candidate.exists():
            return Settings(**_read(candidate))
    return Settings()
