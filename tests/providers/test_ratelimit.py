"""Client-side rate limits: unit checks with short windows, then 20 units against a server."""

from __future__ import annotations

import asyncio
import time

import pytest

from filler.providers.base import Message, ProviderSettings, Request
from filler.providers.guarded import Guarded
from filler.providers.openai import OpenAIProvider
from filler.providers.ratelimit import RateLimiter, estimate_tokens, parse_duration
from tests.helpers.wire import OPENAI, LoopbackServer
from tests.providers.contract import FAST


async def reserve_times(
    limiter: RateLimiter, tokens: list[int], settle: int | None = None
) -> list[float]:
    """When each of several sequential reservations was granted, from the first one."""
    started = time.monotonic()
    granted = []
    for amount in tokens:
        async with limiter.reserve(amount) as permit:
            granted.append(time.monotonic() - started)
            if settle is not None:
                permit.settle(settle)
    return granted


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2m59.56s", 179.56),
        ("7.66s", 7.66),
        ("20ms", 0.02),
        ("1h2m3s", 3723.0),
        ("6m0s", 360.0),
        ("", None),
        ("soon", None),
        ("5", None),
        ("3s and more", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_estimate_tokens_grows_with_the_text() -> None:
    short = Request(messages=(Message("user", "x" * 40),), unit_id="u")
    long = Request(messages=(Message("system", "x" * 400), Message("user", "y" * 400)), unit_id="u")
    assert estimate_tokens(short) == 11
    assert estimate_tokens(long) == 201


def test_requests_per_window() -> None:
    limiter = RateLimiter(rpm=2, tpm=None, max_concurrency=10, window_s=0.3)
    granted = asyncio.run(reserve_times(limiter, [1, 1, 1, 1, 1]))
    assert granted[1] < 0.05
    assert 0.3 <= granted[2] < 0.45
    assert 0.6 <= granted[4] < 0.8


def test_tokens_per_window_counts_the_real_usage() -> None:
    limiter = RateLimiter(rpm=None, tpm=100, max_concurrency=10, window_s=0.3)
    granted = asyncio.run(reserve_times(limiter, [60, 60]))
    assert granted[1] >= 0.3
    # Settled at 10 tokens each, three calls leave room for a fourth 60-token estimate.
    limiter = RateLimiter(rpm=None, tpm=100, max_concurrency=10, window_s=0.3)
    assert asyncio.run(reserve_times(limiter, [60] * 4, settle=10))[-1] < 0.05


def test_a_call_larger_than_the_token_limit_runs_alone() -> None:
    limiter = RateLimiter(rpm=None, tpm=100, max_concurrency=10, window_s=0.3)
    granted = asyncio.run(reserve_times(limiter, [10, 500, 10]))
    assert granted[0] < 0.05
    assert 0.3 <= granted[1] < 0.45
    assert granted[2] >= granted[1] + 0.3


def test_server_budget_tightens_the_limits() -> None:
    async def scenario() -> tuple[float, float]:
        limiter = RateLimiter(rpm=None, tpm=None, max_concurrency=10)
        limiter.observe({"remaining-tokens": "50", "reset-tokens": "300ms"})
        small = (await reserve_times(limiter, [40]))[0]
        large = (await reserve_times(limiter, [40]))[0]  # 10 left: waits for the reset
        return small, large

    small, large = asyncio.run(scenario())
    assert small < 0.05
    assert large >= 0.25


def test_headers_without_a_reset_are_ignored() -> None:
    limiter = RateLimiter(rpm=None, tpm=None, max_concurrency=1)
    limiter.observe({"remaining-requests": "0", "limit-requests": "1000"})
    assert asyncio.run(reserve_times(limiter, [1]))[0] < 0.05


def test_pause_holds_every_caller() -> None:
    async def scenario() -> list[float]:
        limiter = RateLimiter(rpm=None, tpm=None, max_concurrency=10)
        paused = time.monotonic()
        limiter.pause(0.3)

        async def one() -> float:
            async with limiter.reserve(1):
                return time.monotonic() - paused

        return await asyncio.gather(*(one() for _ in range(3)))

    assert all(waited >= 0.3 for waited in asyncio.run(scenario()))


def test_twenty_units_never_exceed_the_concurrency_cap_or_the_request_rate() -> None:
    """20 units at once against a server that takes 0.2 s per call, with a 0.6 s "minute":
    never more than 5 requests in flight, never more than 10 started per window."""
    window = 0.6

    def unit(i: int | str) -> Request:
        return Request(messages=(Message("user", f"unit {i}"),), unit_id=f"pkg.mod:f{i}")

    async def fill_twenty(server: LoopbackServer) -> float:
        limiter = RateLimiter(rpm=10, tpm=None, max_concurrency=5, window_s=window)
        settings = ProviderSettings(base_url=f"{server.url}/v1", timeout_s=5)
        async with Guarded(OpenAIProvider(settings), limiter, FAST) as provider:
            # Unmeasured: the first calls pay for imports and open the 5 pooled connections,
            # which would make their arrival lag their admission more than later calls'.
            await asyncio.gather(*(provider.inner.complete(unit("warm-up")) for _ in range(5)))
            server.forget()
            started = time.monotonic()
            replies = await asyncio.gather(*(provider.complete(unit(i)) for i in range(20)))
            assert [reply.text for reply in replies] == [f"done unit {i}" for i in range(20)]
            return time.monotonic() - started

    def answer(body: dict[str, object]) -> str:
        messages = body["messages"]
        assert isinstance(messages, list)
        return f"done {messages[-1]['content']}"

    with LoopbackServer(OPENAI, latency_s=0.2, respond=answer) as server:
        elapsed = asyncio.run(fill_twenty(server))
        assert len(server.completions) == 20
        assert server.max_in_flight == 5
        # Arrivals lag admissions by a few ms, more on a loaded machine: hence the slack.
        assert server.max_started_within(window - 0.2) <= 10
    # The cap lets 5 start, then 5 more as they finish; the rest wait for the window.
    assert elapsed >= window + 0.2
