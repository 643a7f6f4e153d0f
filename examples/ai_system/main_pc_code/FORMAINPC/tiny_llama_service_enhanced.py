"""TinyLlamaServiceEnhanced: small fast LLM on the 4090 for quick completions."""
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

try:
    import torch
except ImportError:
    raise SystemExit("TinyLlamaServiceEnhanced needs PyTorch with CUDA (cu121 wheels)")

import psutil  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
)

from common.gpu_utils import require_cuda  # noqa: E402
from common.zmq_agent import ZmqAgent  # noqa: E402

MODEL_ID = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


class TinyLlamaServiceEnhanced(ZmqAgent):
    def __init__(self, port: int = 5615, health_port: int = 6615):
        super().__init__("TinyLlamaServiceEnhanced", port, health_port)
        self.model = None
        self.tokenizer = None
        self.idle_unload_s = float(self.config.get("idle_unload_s", 600))
        self.last_used = time.time()

    def load(self):
        device = require_cuda(self.name)
        importlib.import_module("sentencepiece")  # slow tokenizer fallback must be present
        self.tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
        self.model = AutoModelForCausalLM.from_pretrained(MODEL_ID, torch_dtype=torch.float16)
        self.model.to(device).eval()

    def unload_if_idle(self):
        if self.model is not None and time.time() - self.last_used > self.idle_unload_s:
            self.model = None
            torch.cuda.empty_cache()

    def handle_request(self, request):
        if self.model is None:
            self.load()
        self.last_used = time.time()
        config = GenerationConfig(max_new_tokens=int(request.get("max_new_tokens", 128)))
        inputs = self.tokenizer(request.get("prompt", ""), return_tensors="pt").to("cuda")
        with torch.inference_mode():
            output = self.model.generate(**inputs, generation_config=config)
        text = self.tokenizer.decode(output[0], skip_special_tokens=True)
        return {"status": "ok", "text": text, "rss_mb": psutil.Process().memory_info().rss >> 20}

    def tick(self):
        super().tick()
        self.unload_if_idle()


def main() -> None:
    agent = TinyLlamaServiceEnhanced()
    agent.run()


if __name__ == "__main__":
    main()
