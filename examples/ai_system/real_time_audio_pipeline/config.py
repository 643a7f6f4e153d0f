"""Pipeline configuration (machine-specific YAML)."""
import os
from dataclasses import dataclass, field

from common.config import load_yaml
from common.env_helpers import config_dir, machine_name


@dataclass
class PipelineConfig:
    sample_rate: int = 16000
    frame_ms: int = 20
    stt_model: str = "small"
    device: str = "cuda"
    compute_type: str = "float16"
    pub_port: int = 5557
    control_port: int = 5558
    extra: dict = field(default_factory=dict)


def load_pipeline_config() -> PipelineConfig:
    data = load_yaml(config_dir() / f"rtap_{machine_name().lower()}.yaml")
    device = os.environ.get("RTAP_DEVICE", data.pop("device", "cuda"))
    known = {k: v for k, v in data.items() if k in PipelineConfig.__dataclass_fields__}
    return PipelineConfig(device=device, **known)
