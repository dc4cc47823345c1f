"""Replies that implement the demo spec (examples/specs/strkit.yml), as a model would send them:
fenced, with prose around some of them. Used with the `replay` provider."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["STRKIT", "write_replies"]


def _fenced(code: str, prose: str = "") -> str:
    return f"{prose}```python\n{code.strip()}\n```\n"


STRKIT: dict[str, str] = {
    "strkit.arith:add": _fenced("def add(a: int, b: int) -> int:\n    return a + b"),
    "strkit.arith:is_even": _fenced(
        "def is_even(n: int) -> bool:\n    return n % 2 == 0", "Here is the function:\n\n"
    ),
    "strkit.arith:clamp": _fenced(
        "def clamp(value: float, low: float, high: float) -> float:\n"
        "    return max(low, min(high, value))"
    ),
    "strkit.arith:celsius_to_fahrenheit": _fenced(
        "def celsius_to_fahrenheit(celsius: float) -> float:\n    return celsius * 9 / 5 + 32"
    ),
    "strkit.text:reverse": _fenced("def reverse(text: str) -> str:\n    return text[::-1]"),
    "strkit.text:count_vowels": _fenced(
        "_VOWELS = frozenset('aeiou')\n\n\n"
        "def count_vowels(text: str) -> int:\n"
        "    return sum(1 for char in text.lower() if char in _VOWELS)"
    ),
    "examples.arith_demo:main": _fenced(
        "from strkit.arith import add, celsius_to_fahrenheit, clamp, is_even\n\n\n"
        "def main() -> None:\n"
        "    print(add(2, 3), is_even(4), clamp(12, 0, 10), celsius_to_fahrenheit(100))"
    ),
    "examples.text_demo:main": _fenced(
        "from strkit.text import count_vowels, reverse\n\n\n"
        "def main() -> None:\n"
        "    print(reverse('abc'), count_vowels('hello'))"
    ),
}


def write_replies(path: Path, replies: Mapping[str, str | Sequence[str]]) -> Path:
    """A replies file for `--replies`: each unit's replies, consumed in order."""
    data = {unit: [r] if isinstance(r, str) else list(r) for unit, r in replies.items()}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
