"""Prompt construction for ChainOfThoughtAgent."""
STEP_MARKERS = [
    "First,",
    "Next,",
    "Then,",
    "Finally,"

SYSTEM = "Think step by step. Number each step. End with 'Answer:'."


def build_cot_prompt(problem, steps=4):
    markers = "\n".join(STEP_MARKERS[:steps])
    return f"{SYSTEM}\n\nProblem: {truncate(problem, 2000)}\n\n{markers}\n"


import textwrap
from common.utils.text import truncate


def split_thoughts(text):
    lines = [textwrap.dedent(line).strip() for line in text.splitlines()]
    thoughts = [line for line in lines if line and not line.startswith("Answer:")]
    answer = next((line[7:].strip() for line in lines if line.startswith("Answer:")), "")
    return thoughts, answer
