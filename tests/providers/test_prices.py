"""Cost per call, from the price table."""

from __future__ import annotations

import pytest

from filler.providers.base import Usage
from filler.providers.prices import BATCH_PRICES, PRICES, cost_usd


def test_cost_of_a_listed_model() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000)
    prompt, completion = PRICES[("groq", "openai/gpt-oss-120b")]
    assert cost_usd("groq", "openai/gpt-oss-120b", usage) == pytest.approx(prompt + completion / 2)


def test_a_dated_snapshot_costs_what_its_alias_costs() -> None:
    usage = Usage(prompt_tokens=2000, completion_tokens=1000)
    assert cost_usd("openai", "gpt-4o-mini-2024-07-18", usage) == cost_usd(
        "openai", "gpt-4o-mini", usage
    )
    assert cost_usd("openai", "gpt-4o-mini", usage) == pytest.approx(0.0009)


def test_an_unlisted_model_has_no_cost_rather_than_a_guess() -> None:
    assert cost_usd("openai", "some-new-model", Usage(10, 10)) is None


@pytest.mark.parametrize("provider", ["local", "ollama", "replay"])
def test_models_on_ones_own_machine_are_free(provider: str) -> None:
    assert cost_usd(provider, "anything", Usage(10_000, 10_000)) == 0.0


@pytest.mark.parametrize(
    ("provider", "model", "share"),
    [
        ("openai", "gpt-4o-mini", 0.50),  # openai.com/api/pricing, "Batch API"
        ("groq", "openai/gpt-oss-120b", 0.75),  # console.groq.com/docs/batch: 25 % off
        ("groq", "llama-3.1-8b-instant", 0.75),
        ("gemini", "gemini-3.5-flash", 0.50),  # ai.google.dev/gemini-api/docs/optimization
    ],
)
def test_batch_calls_cost_the_providers_batch_share(
    provider: str, model: str, share: float
) -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=300_000)
    interactive = cost_usd(provider, model, usage)
    assert interactive is not None
    assert cost_usd(provider, model, usage, batch=True) == pytest.approx(share * interactive)
    assert set(BATCH_PRICES) <= set(PRICES)


def test_the_default_gemini_model_is_priced_as_googles_page_lists_it() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert cost_usd("gemini", "gemini-3.5-flash", usage) == pytest.approx(1.50 + 9.00)
    assert cost_usd("gemini", "gemini-3.5-flash", usage, batch=True) == pytest.approx(0.75 + 4.50)
    assert cost_usd("gemini", "gemini-9-unknown", usage) is None
