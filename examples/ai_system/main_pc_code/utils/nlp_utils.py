"""NLP helpers: greetings, sentence splitting, language detection."""
import re
import string

STOP_WORDS = {"a", "an", "the", "and", "or", "but", "is", "are", "to", "of"}

GREETING_PATTERNS = [
    r"\bhello\b",
    r"\bhi\b",
    r"\bgood (morning|afternoon|evening)\b",


def strip_punctuation(text):
    return text.translate(str.maketrans("", "", string.punctuation))


def is_greeting(text):
    return any(re.search(p, text.lower()) for p in GREETING_PATTERNS)


import nltk
from langdetect import detect


def sentences(text):
    try:
        return nltk.sent_tokenize(text)
    except LookupError:
        return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def language(text, default="en"):
    try:
        return detect(text)
    except Exception:
        return default
