"""LLM loading and generation shared by the FORMAINPC GPU agents."""
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODELS_DIR = os.environ.get("AI_MODELS_DIR", "models")


def load_causal_lm(name, dtype=torch.float16):
    path = os.path.join(MODELS_DIR, name)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=dtype).to("cuda")
    model.eval()
    return tokenizer, model


@torch.inference_mode()
def generate(tokenizer, model, prompt, max_new_tokens=256, temperature=0.7):
    inputs = tokenizer(prompt, return_tensors="pt").to("cuda")
    output = model.generate(**inputs, max_new_tokens=max_new_tokens,
                            temperature=temperature, do_sample=temperature > 0)
    new_tokens = output[0][inputs["input_ids"].shape[1]:]
    return tokenizer.decode(new_tokens, skip_special_tokens=True)


def vram_used_mb():
    return torch.cuda.memory_allocated() // (1024 * 1024)
