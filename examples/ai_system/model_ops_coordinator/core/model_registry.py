"""Which models exist, which are loaded, and loading them onto the GPU."""
import threading
import typing as t

import torch

if t.TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from ..config import ModelSpec


class LoadedModel(t.NamedTuple):
    model: "PreTrainedModel"
    tokenizer: "PreTrainedTokenizerBase"
    vram_mb: int


class ModelRegistry:
    def __init__(self, specs: "t.List[ModelSpec]") -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.loaded: t.Dict[str, LoadedModel] = {}
        self.lock = threading.Lock()

    def load(self, name: str) -> LoadedModel:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        with self.lock:
            if name in self.loaded:
                return self.loaded[name]
            spec = self.specs[name]
            dtype = getattr(torch, spec.dtype)
            model = AutoModelForCausalLM.from_pretrained(spec.path, torch_dtype=dtype)
            model.to("cuda").eval()
            tokenizer = AutoTokenizer.from_pretrained(spec.path)
            self.loaded[name] = LoadedModel(model, tokenizer, spec.vram_mb)
            return self.loaded[name]

    def unload(self, name: str) -> None:
        with self.lock:
            if self.loaded.pop(name, None) is not None:
                torch.cuda.empty_cache()

    def used_vram_mb(self) -> int:
        return sum(m.vram_mb for m in self.loaded.values())
