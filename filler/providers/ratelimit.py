"""Client-side rate limits: one `RateLimiter` per (provider, model).

Three kinds of limit hold at once, so many units in flight never exceed any of them:

- at most `max_concurrency` calls in flight;
- at most `rpm` calls started, and `tpm` tokens spent, in any sliding window of `window_s`
  seconds (60 in use; tests shorten it);
- the budget the server last reported (Groq's and OpenAI's `x-ratelimit-*` headers, carried on
  `Reply.limits`), which can only tighten the configured limits, never loosen them.

A call reserves an estimate of its tokens before it starts (`estimate_tokens`, from the text
length) and settles with the real usage once the reply is in. A 429 pauses every caller of the
limiter for as long as the server asked (`pause`).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from filler.providers.base import Request

__all__ = ["Permit", "RateLimiter", "estimate_tokens", "parse_duration"]

# A rough, provider-neutral ratio: English text and code run at 3-4 characters per token.
_CHARS_PER_TOKEN = 4

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def estimate_tokens(request: Request) -> int:
    """Tokens the request will spend, guessed from its text before the call."""
    characters = sum(len(message.content) for message in request.messages)
    return characters // _CHARS_PER_TOKEN + 1


def parse_duration(text: str) -> float | None:
    """Seconds in a reset duration as servers write it: "2m59.56s", "7.66s", "20ms", "1h2m".

    None when the text is not such a duration.
    """
    compact = text.strip().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(number + unit for number, unit in parts) != compact:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


@dataclass
class _Spent:
    """One call in the window; `tokens` is the estimate until the call settles."""

    at: float
    tokens: int


@dataclass(frozen=True)
class _Budget:
    """What the server said is left (`remaining`) until its counter resets (`until`, monotonic)."""

    remaining: int
    until: float


class Permit:
    """The right to make one call; `settle` replaces the token estimate with the real usage."""

    def __init__(self, spent: _Spent) -> None:
        self._spent = spent

    def settle(self, tokens: int) -> None:
        self._spent.tokens = tokens


class RateLimiter:
    """Admits calls so that none of the limits in the module docstring is ever exceeded."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        max_concurrency: int,
        *,
        window_s: float = 60.0,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.max_concurrency = max_concurrency
        self.window_s = window_s
        self._slots = asyncio.Semaphore(max_concurrency)
        self._window: deque[_Spent] = deque()
        self._paused_until = 0.0
        self._requests: _Budget | None = None
        self._tokens: _Budget | None = None

    @asynccontextmanager
    async def reserve(self, tokens: int) -> AsyncIterator[Permit]:
        """Wait until a call of about `tokens` tokens fits every limit; hold a slot meanwhile."""
        async with self._slots:
            spent = await self._admit(tokens)
            yield Permit(spent)

    def pause(self, seconds: float) -> None:
        """Start no call for `seconds` (the server's retry-after on a 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def observe(self, limits: Mapping[str, str]) -> None:
        """Tighten the limits to the budget the server reported with a reply."""
        now = time.monotonic()
        requests = _budget(limits, "requests", now)
        if requests is not None:
            self._requests = requests
        tokens = _budget(limits, "tokens", now)
        if tokens is not None:
            self._tokens = tokens

    async def _admit(self, tokens: int) -> _Spent:
        while True:
            now = time.monotonic()
            delay = self._delay(now, tokens)
            if delay <= 0:
                return self._record(now, tokens)
            await asyncio.sleep(delay)

    def _delay(self, now: float, tokens: int) -> float:
        """Seconds until a call of `tokens` tokens may start; 0 or less: now."""
        while self._window and self._window[0].at <= now - self.window_s:
            self._window.popleft()
        waits = [self._paused_until - now]
        if self.rpm is not None and len(self._window) >= self.rpm:
            waits.append(self._window[len(self._window) - self.rpm].at + self.window_s - now)
        if self.tpm is not None:
            waits.append(self._tokens_free_at(tokens, now) - now)
        for budget, cost in ((self._requests, 1), (self._tokens, tokens)):
            if budget is not None and now < budget.until and cost > budget.remaining:
                waits.append(budget.until - now)
        return max(waits)

    def _tokens_free_at(self, tokens: int, now: float) -> float:
        """When enough of the window has expired for `tokens` more to fit under `tpm`."""
        assert self.tpm is not None
        excess = sum(spent.tokens for spent in self._window) + tokens - self.tpm
        if excess <= 0:
            return now
        for spent in self._window:
            excess -= spent.tokens
            if excess <= 0:
                return spent.at + self.window_s
        # A call larger than the whole limit runs alone, once the window is empty.
        return self._window[-1].at + self.window_s if self._window else now

    def _record(self, now: float, tokens: int) -> _Spent:
        spent = _Spent(now, tokens)
        self._window.append(spent)
        if self._requests is not None and now < self._requests.until:
            self._requests = _Budget(self._requests.remaining - 1, self._requests.until)
        if self._tokens is not None and now < self._tokens.until:
            self._tokens = _Budget(self._tokens.remaining - tokens, self._tokens.until)
        return spent


def _budget(limits: Mapping[str, str], kind: str, now: float) -> _Budget | None:
    remaining = limits.get(f"remaining-{kind}", "")
    reset = parse_duration(limits.get(f"reset-{kind}", ""))
    if not remaining.isdigit() or reset is None:
        return None
    return _Budget(int(remaining), now + reset)
