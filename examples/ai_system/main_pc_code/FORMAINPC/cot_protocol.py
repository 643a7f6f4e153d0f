"""Request/reply format of ChainOfThoughtAgent (port 5612), shared with its clients."""
from typing import Any, Dict, List

COT_PORT = 5612


def make_request(problem: str, steps: int = 4, temperature: float = 0.3) -> Dict[str, Any]:
    return {"action": "reason", "problem": problem, "steps": steps, "temperature": temperature}


def make_reply(thoughts: List[str], answer: str) -> Dict[str, Any]:
    return {"status": "ok", "thoughts": thoughts, "answer": answer}


def parse_reply(reply: Dict[str, Any]):
    if not reply or reply.get("status") != "ok":
        raise RuntimeError(f"chain-of-thought failed: {reply!r}")
    return reply["thoughts"], reply["answer"]
