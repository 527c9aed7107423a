"""Issue 12 item 26: the attacker's documents made to be slow to read, each under 5 MB.

Each is the text of one markdown document (a heading, then the attack as one paragraph). Reading any of them
must take less than 10 s: linear extraction reads the first ones, and a document that still needs more than
its budget (RECONCILE_DOC_BUDGET, 5 CPU seconds) is quarantined as too complex, with its place named.
"""
from __future__ import annotations

import random


def _random_text(n: int, alphabet: str = "ab1$,.B", seed: int = 12) -> str:
    return "".join(random.Random(seed).choices(alphabet, k=n))


# name → (what the attacker measured before the fix, a function giving the body)
ATTACKS = {
    "8,000 '$1B' tokens in one sentence (32 KB)": ("11.6 s", lambda: "$1B " * 8_000),
    "100,000 '$1B' tokens in one sentence (400 KB)": ("killed at 900 s", lambda: "$1B " * 100_000),
    "1 MB of random 'ab1$,.B'": ("never finished", lambda: _random_text(1_000_000)),
    "'$1 billion ' 200,000 times (2.2 MB)": ("never finished", lambda: "$1 billion " * 200_000),
    "'$1–1–1…B' (200 KB)": ("143 s", lambda: "$" + "1–" * 100_000 + "1B"),
    # the limit the issue sets: nothing under 5 MB takes more than 10 s
    "'$1B' tokens filling 4.9 MB": ("", lambda: "$1B " * 1_225_000),
    "4.9 MB of random 'ab1$,.B'": ("", lambda: _random_text(4_900_000)),
}


def document(body: str) -> str:
    return f"# Attack\n\n{body}\n"
