"""Sentiment scoring plugin (VADER), loaded by EmotionEngine via __import__."""
import os

DEBUG = os.environ.get("SENTIMENT_DEBUG") == "1"


def _debug(message):
    if DEBUG:
        print "[sentiment] " + message


from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_ANALYZER = SentimentIntensityAnalyzer()


def score(text):
    scores = _ANALYZER.polarity_scores(text)
    _debug("%r -> %r" % (text, scores))
    return scores["compound"]


def label(text):
    value = score(text)
    if value >= 0.05:
        return "positive"
    if value <= -0.05:
        return "negative"
    return "neutral"
