"""Prompt snippets for ChitchatAgent (imported by bare name from its directory)."""
PERSONA = (
    "You are a friendly home assistant. Answer briefly, warmly and honestly. "
    "If you do not know something, say so."
)

SMALLTALK_FALLBACKS = [
    "I'm not sure, but I'd love to hear more.",
    "That's interesting! Tell me more.",
    "Hmm, let me think about that.",
]

MAX_HISTORY_TURNS = 6


def build_prompt(history, user_text):
    turns = history[-MAX_HISTORY_TURNS:]
    lines = [PERSONA, ""]
    for speaker, text in turns:
        lines.append(f"{speaker}: {text}")
    lines.append(f"user: {user_text}")
    lines.append("assistant:")
    return "\n".join(lines)
