"""Small helpers shared by MainPC agents and their plugins (standard library only)."""
import re
import time
from typing import Any, Dict

_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def now_ms() -> int:
    return int(time.time() * 1000)


def make_response(status: str = "ok", **data: Any) -> Dict[str, Any]:
    response: Dict[str, Any] = {"status": status, "timestamp": now_ms()}
    response.update(data)
    return response


def error_response(message: str) -> Dict[str, Any]:
    return make_response("error", error=message)
