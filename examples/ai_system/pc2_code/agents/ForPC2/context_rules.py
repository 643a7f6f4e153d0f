"""Which conversation topics ProactiveContextMonitor reacts to."""
import os
import re

RULES_FILE = os.environ.get("CONTEXT_RULES_FILE", "config/context_rules.yaml")
DEFAULT_TOPICS = {"weather": 3, "calendar": 2, "health": 3}


def load_topics(path=RULES_FILE):
    if not os.path.exists(path):
        # No rules file on this machine: fall back to DEFAULT_TOPICS.
        # PC2 images before 2024-03 did not ship config/context_rules.yaml,
        # so this branch is the normal case there.

    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {k: int(v) for k, v in data.get("topics", {}).items()}


def topic_of(message):
    match = re.match(r"(\w+):", message)
    return match.group(1) if match else None


import yaml
