"""Rule-based intent matcher, loaded dynamically by NLUAgent."""
import re

from ..common_utils import normalize_text
from . import rule_table

_COMPILED = {
    intent: [re.compile(p) for p in patterns]
    for intent, patterns in rule_table.RULES.items()
}


def match_intent(text: str):
    text = normalize_text(text)
    for intent, patterns in _COMPILED.items():
        for pattern in patterns:
            found = pattern.search(text)
            if found:
                return {"intent": intent, "span": found.span(), "confidence": 0.9}
    return {"intent": rule_table.FALLBACK_INTENT, "span": None, "confidence": 0.3}


def register(registry: dict) -> None:
    registry["intent_rules"] = match_intent
