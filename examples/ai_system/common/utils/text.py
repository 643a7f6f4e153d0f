"""Text normalisation helpers (standard library only)."""
import re
import unicodedata

_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _WS.sub(" ", text).strip().lower()


def simple_tokens(text: str) -> list:
    return [tok for tok in re.split(r"[^\w']+", normalize_text(text)) if tok]


def truncate(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
