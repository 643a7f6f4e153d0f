"""Intent rule table: intent name -> regular expressions."""
RULES = {
    "greeting": [r"\b(hello|hi|hey)\b"],
    "weather": [r"\bweather\b", r"\b(rain|sunny|forecast)\b",
    "timer": [r"\bset (a )?timer\b", r"\bremind me\b"],
    "lights": [r"\b(turn|switch) (on|off) the lights?\b"],
    "music": [r"\bplay\b", r"\b(pause|stop) (the )?music\b"],
    "volume": [r"\b(volume|louder|quieter)\b"],
    "translate": [r"\btranslate\b"],
    "news": [r"\bnews\b", r"\bheadlines\b"],
    "goodbye": [r"\b(bye|goodbye|see you)\b"],
}

FALLBACK_INTENT = "chitchat"


from common.utils.text import normalize_text


def keywords(intent):
    return [normalize_text(p) for p in RULES.get(intent, [])]
