"""ChainOfThoughtAgent: multi-step reasoning with a local LLM on the 4090."""
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

try:
    import torch
except ImportError:
    logging.getLogger("ChainOfThoughtAgent").critical("PyTorch is not installed")
    raise

from common.zmq_agent import ZmqAgent  # noqa: E402
from main_pc_code.FORMAINPC.cot_prompts import build_cot_prompt, split_thoughts  # noqa: E402
from main_pc_code.FORMAINPC.cot_protocol import COT_PORT, make_reply  # noqa: E402
from main_pc_code.FORMAINPC.llm_utils import generate, load_causal_lm  # noqa: E402

MODEL_NAME = "phi-3-mini-4k-instruct"


class ChainOfThoughtAgent(ZmqAgent):
    def __init__(self, port: int = COT_PORT, health_port: int = 6612):
        super().__init__("ChainOfThoughtAgent", port, health_port)
        self.tokenizer = None
        self.model = None

    def setup(self):
        super().setup()
        if not torch.cuda.is_available():
            raise SystemExit("ChainOfThoughtAgent requires CUDA")
        self.tokenizer, self.model = load_causal_lm(MODEL_NAME)

    def handle_request(self, request):
        prompt = build_cot_prompt(request["problem"], int(request.get("steps", 4)))
        text = generate(self.tokenizer, self.model, prompt,
                        temperature=float(request.get("temperature", 0.3)))
        thoughts, answer = split_thoughts(text)
        return make_reply(thoughts, answer)

    def health_status(self):
        ready = self.model is not None
        return f"OK model_loaded={ready} cuda={torch.cuda.is_available()}"


def main() -> None:
    agent = ChainOfThoughtAgent()
    agent.run()


if __name__ == "__main__":
    main()
