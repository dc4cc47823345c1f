"""A provider behind the client-side rate limits and the single retry policy."""

from __future__ import annotations

from filler.errors import RateLimited
from filler.providers.base import Provider, Reply, Request
from filler.providers.ratelimit import RateLimiter, estimate_tokens
from filler.providers.retry import RetryPolicy, with_retries

__all__ = ["Guarded"]


class Guarded(Provider):
    """Each call waits for the `limiter`, and is retried under `policy`.

    The limiter's slot is held for one attempt only, never across a retry's wait. A 429 pauses
    every caller of the limiter, not only the one that got it.
    """

    def __init__(self, inner: Provider, limiter: RateLimiter, policy: RetryPolicy) -> None:
        super().__init__(inner.settings)
        self.name = inner.name
        self.prompt_style = inner.prompt_style
        self.inner = inner
        self.limiter = limiter
        self.policy = policy

    @property
    def model(self) -> str:
        return self.inner.model

    async def complete(self, request: Request) -> Reply:
        return await with_retries(lambda: self._attempt(request), self.policy)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def _attempt(self, request: Request) -> Reply:
        async with self.limiter.reserve(estimate_tokens(request)) as permit:
            try:
                reply = await self.inner.complete(request)
            except RateLimited as exc:
                if exc.retry_after is not None:
                    # Past the longest wait we would make, callers give up anyway: stop there.
                    self.limiter.pause(min(exc.retry_after, self.policy.max_wait_s))
                raise
            permit.settle(reply.usage.total_tokens)
        self.limiter.observe(reply.limits)
        return reply
