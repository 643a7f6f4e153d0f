"""What to do with an error event: log it, count it, escalate it."""
import collections
import time

COUNTS = collections.Counter()


def log_event(event):
    COUNTS[event.get("agent", "?")] += 1
    print "[%s] %s: %s" % (time.strftime("%H:%M:%S"), event.get("agent"), event.get("error"))


def should_escalate(event, threshold=5):
    return COUNTS[event.get("agent", "?")] >= threshold or event.get("severity") == "critical"


import requests


def escalate(event, webhook):
    requests.post(webhook, json={"text": "%(agent)s: %(error)s" % event}, timeout=5)
