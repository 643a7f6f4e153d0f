"""Language name -> code table (imported by bare name by proxy.py)."""
LANG_MAP = {
    "english": "en",
    "filipino": "tl",
    "tagalog": "tl",
    "french": "fr",
    "german": "de",
    "japanese": "ja",
    "spanish": "es",
}


def normalize(code_or_name: str) -> str:
    value = code_or_name.strip().lower()
    return LANG_MAP.get(value, value)
