"""Project paths (legacy API used across the MainPC agents)."""
import os
from pathlib import Path


class PathManager:
    _root = None

    @classmethod
    def get_project_root(cls) -> Path:
        if cls._root is None:
            default = Path(__file__).resolve().parents[2]
            cls._root = Path(os.environ.get("AI_SYSTEM_ROOT", default))
        return cls._root

    @classmethod
    def get_config_dir(cls) -> Path:
        return cls.get_project_root() / "config"

    @classmethod
    def get_data_dir(cls) -> Path:
        return Path(os.environ.get("AI_DATA_DIR", cls.get_project_root() / "data"))

    @classmethod
    def get_models_dir(cls) -> Path:
        return Path(os.environ.get("AI_MODELS_DIR", cls.get_project_root() / "models"))

    @classmethod
    def join_path(cls, *parts) -> str:
        return str(cls.get_project_root().joinpath(*parts))
