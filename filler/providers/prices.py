"""What a call cost, for the run record: USD per million input and output tokens.

Only a few (provider, model) pairs are listed, from the providers' price pages (2026);
a model that is not listed has no cost (None) rather than a guessed one. Models that run on
the user's own machine cost nothing.
"""

from __future__ import annotations

import re

from filler.providers.base import Usage

__all__ = ["PRICES", "cost_usd"]

# (provider, model) -> (USD per 1M prompt tokens, USD per 1M completion tokens)
PRICES: dict[tuple[str, str], tuple[float, float]] = {
    ("groq", "openai/gpt-oss-120b"): (0.15, 0.60),
    ("groq", "llama-3.1-8b-instant"): (0.05, 0.08),
    ("openai", "gpt-4o-mini"): (0.15, 0.60),
}

_FREE = frozenset({"local", "ollama", "replay"})
# Servers answer with the dated snapshot they ran ("gpt-4o-mini-2024-07-18"): priced as its alias.
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def cost_usd(provider: str, model: str, usage: Usage) -> float | None:
    """The cost of one call, or None when the price of that model is not known."""
    if provider in _FREE:
        return 0.0
    price = PRICES.get((provider, model)) or PRICES.get((provider, _SNAPSHOT.sub("", model)))
    if price is None:
        return None
    per_prompt, per_completion = price
    return (usage.prompt_tokens * per_prompt + usage.completion_tokens * per_completion) / 1e6
