"""The single retry layer: one tenacity policy for every provider (their SDK retries are off).

Only `Retryable` errors are retried. Each wait is the larger of what the server asked for
(`retry_after`: `retry-after-ms`, `retry-after`, Gemini's `RetryInfo`) and an exponential
backoff with jitter, capped at `max_wait_s`. Retries end after `max_attempts`, before a wait
would cross `max_total_s`, or at once when the server asks for more than `max_wait_s`. Giving
up raises a `ProviderError` that names the limit hit (the last error says rate limit, server
error or timeout) and, when the server said, when it resets.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from filler.errors import ProviderError, RateLimited, Retryable

__all__ = ["RetryPolicy", "resets_at", "with_retries"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one call."""

    max_attempts: int = 6
    max_total_s: float = 300.0
    max_wait_s: float = 60.0
    initial_wait_s: float = 1.0
    jitter_s: float = 1.0


def resets_at(seconds: float) -> str:
    """The UTC wall-clock time `seconds` from now, as people read it: "2026-11-22 05:12:03 UTC"."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """Await `call()` until it succeeds, retrying `Retryable` errors under `policy`."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Retryable),
        wait=_ServerOrBackoff(policy),
        stop=(
            stop_after_attempt(policy.max_attempts)
            | stop_before_delay(policy.max_total_s)
            | _ServerWaitTooLong(policy.max_wait_s)
        ),
    )

    async def attempt() -> T:
        # tenacity awaits only coroutine functions: a lambda's coroutine would come back as is.
        return await call()

    started = time.monotonic()
    try:
        return await retrying(attempt)
    except RetryError as exc:
        final = exc.last_attempt
        last = final.exception()
        assert isinstance(last, Retryable)
        raise _give_up(last, final.attempt_number, time.monotonic() - started) from last


def _retry_after(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, Retryable) and error.retry_after is not None:
        return error.retry_after
    return 0.0


class _ServerOrBackoff(wait_base):
    """Wait what the server asked, but never less than the backoff nor more than the cap."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._cap = policy.max_wait_s
        self._backoff = wait_exponential_jitter(
            initial=policy.initial_wait_s, max=policy.max_wait_s, jitter=policy.jitter_s
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        return min(max(_retry_after(retry_state), self._backoff(retry_state)), self._cap)


class _ServerWaitTooLong(stop_base):
    """Stop when the server asks for a longer wait than we would make: retrying sooner fails."""

    def __init__(self, max_wait_s: float) -> None:
        self._max_wait_s = max_wait_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        return _retry_after(retry_state) > self._max_wait_s


def _give_up(last: Retryable, attempts: int, elapsed: float) -> ProviderError:
    reason = str(last).removeprefix(f"{last.provider}: ") if last.provider else str(last)
    message = f"{reason}; gave up after {attempts} attempt(s) in {elapsed:.1f} s"
    if last.retry_after is not None:
        message += f"; the limit resets in {last.retry_after:.0f} s ({resets_at(last.retry_after)})"
    elif isinstance(last, RateLimited):
        message += "; the server did not say when it resets: lower --jobs or set rpm/tpm"
    return ProviderError(message, provider=last.provider)
