"""`Guarded`: the rate limiter and the retry policy around a real provider."""

from __future__ import annotations

import asyncio

from filler.providers.base import Message, ProviderSettings, Request
from filler.providers.guarded import Guarded
from filler.providers.openai import OpenAIProvider
from filler.providers.ratelimit import RateLimiter
from filler.providers.retry import RetryPolicy
from tests.helpers.wire import OPENAI, LoopbackServer
from tests.providers.contract import FAST, REQUEST


def guarded(server: LoopbackServer, limiter: RateLimiter, policy: RetryPolicy = FAST) -> Guarded:
    settings = ProviderSettings(model="served", base_url=f"{server.url}/v1", timeout_s=5)
    return Guarded(OpenAIProvider(settings), limiter, policy)


def request(unit: str) -> Request:
    return Request(messages=(Message("user", unit),), unit_id=unit)


def test_forwards_name_and_model_of_the_provider() -> None:
    with LoopbackServer(OPENAI) as server:
        provider = guarded(server, RateLimiter(None, None, 1))
        assert (provider.name, provider.model) == ("openai", "served")
        asyncio.run(provider.aclose())


def test_a_429_holds_back_every_caller_for_the_time_asked() -> None:
    async def two_units() -> None:
        async with guarded(server, RateLimiter(None, None, 4)) as provider:
            first = asyncio.create_task(provider.complete(request("a")))
            await asyncio.sleep(0.1)  # "a" has its 429 by now; "b" comes during the pause
            await asyncio.gather(first, provider.complete(request("b")))

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.rate_limited(retry_after_ms=400))
        asyncio.run(two_units())
        refused, *later = server.completions
    assert len(later) == 2
    assert all(seen.started - refused.finished >= 0.4 for seen in later)


def test_a_retry_wait_does_not_hold_a_slot() -> None:
    """With one slot, unit "b" runs while unit "a" waits to retry its server error."""
    policy = RetryPolicy(max_attempts=3, initial_wait_s=0.5, jitter_s=0.0)

    async def two_units() -> None:
        async with guarded(server, RateLimiter(None, None, 1), policy) as provider:
            first = asyncio.create_task(provider.complete(request("a")))
            await asyncio.sleep(0.1)
            await asyncio.gather(first, provider.complete(request("b")))

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.server_error(), OPENAI.ok("b done"), OPENAI.ok("a done"))
        asyncio.run(two_units())
        failed, b, retried = server.completions
    assert b.body is not None and b.body["messages"][0]["content"] == "b"
    assert b.finished < retried.started
    assert retried.started - failed.finished >= 0.5


def test_usage_and_headers_reach_the_limiter() -> None:
    budget = (("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "300ms"))

    async def two_calls() -> float:
        async with guarded(server, RateLimiter(None, None, 1)) as provider:
            await provider.complete(REQUEST)
            started = asyncio.get_running_loop().time()
            await provider.complete(REQUEST)
            return asyncio.get_running_loop().time() - started

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.ok("first", headers=budget))
        assert asyncio.run(two_calls()) >= 0.3
