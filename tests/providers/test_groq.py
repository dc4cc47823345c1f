"""The groq provider against a loopback server speaking Groq's chat-completions protocol."""

from __future__ import annotations

import asyncio
import time

import pytest

from filler.errors import ModelNotFound
from filler.providers.base import Provider, ProviderSettings
from filler.providers.groq import GroqProvider
from filler.providers.guarded import Guarded
from filler.providers.ratelimit import RateLimiter
from tests.helpers.wire import OPENAI, LoopbackServer, Seen
from tests.providers.contract import FAST, REQUEST, ProviderContract, complete, retried, run


class TestGroq(ProviderContract):
    dialect = OPENAI

    def make(self, url: str, *, timeout_s: float = 5.0, model: str = "") -> Provider:
        settings = ProviderSettings(
            model=model, base_url=url, api_key="gsk-test", timeout_s=timeout_s
        )
        return GroqProvider(settings)

    def check_request(self, seen: Seen) -> None:
        # The groq SDK's base URL is the host root; it adds /openai/v1 itself.
        assert seen.path == "/openai/v1/chat/completions"
        assert seen.headers["authorization"] == "Bearer gsk-test"
        assert seen.body is not None
        assert seen.body["model"] == GroqProvider.default_model
        assert seen.body["messages"] == [
            {"role": "system", "content": "You implement Python stubs."},
            {"role": "user", "content": "def double(x: int) -> int: ..."},
        ]
        assert (seen.body["temperature"], seen.body["max_tokens"], seen.body["seed"]) == (0, 256, 7)


def test_rate_limit_headers_reach_the_reply() -> None:
    headers = (
        ("x-ratelimit-limit-requests", "14400"),
        ("x-ratelimit-remaining-requests", "14370"),
        ("x-ratelimit-reset-requests", "2m59.56s"),
        ("x-ratelimit-remaining-tokens", "5980"),
        ("x-ratelimit-reset-tokens", "7.66s"),
    )
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.ok("x", headers=headers))
        reply = run(lambda: TestGroq().make(server.url), complete)
    assert reply.limits == {
        "limit-requests": "14400",
        "remaining-requests": "14370",
        "reset-requests": "2m59.56s",
        "remaining-tokens": "5980",
        "reset-tokens": "7.66s",
    }


def test_retry_after_in_seconds_is_honoured() -> None:
    # Groq's 429 carries `retry-after` in whole seconds.
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.rate_limited(retry_after_s=1), OPENAI.ok("late"))
        assert run(lambda: TestGroq().make(server.url), retried).text == "late"
        first, second = server.completions
    assert second.started - first.finished >= 1.0


def test_exhausted_request_budget_holds_the_next_call() -> None:
    """The limiter follows Groq's headers: 0 requests left for 300 ms means wait 300 ms."""
    budget = (("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "300ms"))

    async def two_calls() -> float:
        limiter = RateLimiter(rpm=None, tpm=None, max_concurrency=4)
        async with Guarded(TestGroq().make(server.url), limiter, FAST) as provider:
            await provider.complete(REQUEST)
            started = time.monotonic()
            await provider.complete(REQUEST)
            return time.monotonic() - started

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.ok("first", headers=budget), OPENAI.ok("second"))
        assert asyncio.run(two_calls()) >= 0.3


def test_decommissioned_model_is_model_not_found() -> None:
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.model_decommissioned("llama3-70b-8192"))
        with pytest.raises(ModelNotFound) as raised:
            run(lambda: TestGroq().make(server.url, model="llama3-70b-8192"), complete)
    assert "'llama3-70b-8192'" in str(raised.value)
    assert f"'{GroqProvider.default_model}'" in str(raised.value)
