"""What a call cost, for the run record: USD per million input and output tokens.

Only a few (provider, model) pairs are listed, from the providers' price pages (2026);
a model that is not listed has no cost (None) rather than a guessed one. Models that run on
the user's own machine cost nothing.

Calls answered through a batch API (`filler fill --batch`) have their own rates, `BATCH_PRICES`,
from the providers' own pages as read on 2026-12-05:

- OpenAI bills batch work at 50 % of its interactive price (openai.com/api/pricing, "Batch API").
- Groq: its batch guide (https://console.groq.com/docs/batch) says "25% lower cost" and "25%
  cost discount compared to synchronous APIs"; no Groq page seen says 50 %, so 25 % it is.
- Gemini: batch jobs at 50 % of a model's standard rate (Google's batch-mode announcement,
  2025-07-07; https://ai.google.dev/gemini-api/docs/optimization). The standard rate of the
  default model, `gemini-3.5-flash`, is $1.50 / $9.00 as Google's price page
  (https://ai.google.dev/gemini-api/docs/pricing) read on 2026-10-07, in a transcription that
  quotes it verbatim (github.com/api-evangelist/deepmind, plans/deepmind-plans-pricing.yml); the
  page itself could not be opened from here, and other third-party write-ups disagree.

A model with no batch entry has no batch cost (None): the run record does not guess one from
the interactive price.
"""

from __future__ import annotations

import re

from filler.providers.base import Usage

__all__ = ["BATCH_PRICES", "PRICES", "cost_usd"]

# (provider, model) -> (USD per 1M prompt tokens, USD per 1M completion tokens)
PRICES: dict[tuple[str, str], tuple[float, float]] = {
    ("groq", "openai/gpt-oss-120b"): (0.15, 0.60),
    ("groq", "llama-3.1-8b-instant"): (0.05, 0.08),
    ("gemini", "gemini-3.5-flash"): (1.50, 9.00),
    ("openai", "gpt-4o-mini"): (0.15, 0.60),
}

# The same, for calls made through the provider's batch API (rates as of 2026-12-05: OpenAI's
# and Gemini's 50 %, Groq's 25 % off the prices above; the module docstring has the sources).
BATCH_PRICES: dict[tuple[str, str], tuple[float, float]] = {
    ("groq", "openai/gpt-oss-120b"): (0.1125, 0.45),
    ("groq", "llama-3.1-8b-instant"): (0.0375, 0.06),
    ("gemini", "gemini-3.5-flash"): (0.75, 4.50),
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
