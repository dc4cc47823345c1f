"""What a call cost, for the run record: USD per million input and output tokens.

Only a few (provider, model) pairs are listed, from the providers' price pages (2026);
a model that is not listed has no cost (None) rather than a guessed one. Models that run on
the user's own machine cost nothing.

Calls answered through a batch API (`filler fill --batch`) have their own rates, `BATCH_PRICES`,
as the price pages listed them on 2026-12-05: OpenAI bills batch work at 50 % of its interactive
price (openai.com/api/pricing, "Batch API"); Groq discounts batch work by 50 % too (its API
reference of May 2026; its batch guide said 25 % in 2025). A model with no batch entry has no
batch cost (None): the run record does not guess one from the interactive price.
"""

from __future__ import annotations

import re

from filler.providers.base import Usage

__all__ = ["BATCH_PRICES", "PRICES", "cost_usd"]

# (provider, model) -> (USD per 1M prompt tokens, USD per 1M completion tokens)
PRICES: dict[tuple[str, str], tuple[float, float]] = {
    ("groq", "openai/gpt-oss-120b"): (0.15, 0.60),
    ("groq", "llama-3.1-8b-instant"): (0.05, 0.08),
    ("openai", "gpt-4o-mini"): (0.15, 0.60),
}

# The same, for calls made through the provider's batch API (rates as of 2026-12-05).
BATCH_PRICES: dict[tuple[str, str], tuple[float, float]] = {
    ("groq", "openai/gpt-oss-120b"): (0.075, 0.30),
    ("groq", "llama-3.1-8b-instant"): (0.025, 0.04),
    ("openai", "gpt-4o-mini"): (0.075, 0.30),
}

_FREE = frozenset({"local", "ollama", "replay"})
# Servers answer with the dated snapshot they ran ("gpt-4o-mini-2024-07-18"): priced as its alias.
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def cost_usd(provider: str, model: str, usage: Usage, *, batch: bool = False) -> float | None:
    """The cost of one call (`batch`: made through the batch API), or None when the price of
    that model is not known."""
    if provider in _FREE:
        return 0.0
    table = BATCH_PRICES if batch else PRICES
    price = table.get((provider, model)) or table.get((provider, _SNAPSHOT.sub("", model)))
    if price is None:
        return None
    per_prompt, per_completion = price
    return (usage.prompt_tokens * per_prompt + usage.completion_tokens * per_completion) / 1e6
