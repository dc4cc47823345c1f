"""What each unit of a running fill is doing, seen from its model calls.

The pipeline reports a unit when it ends (`Progress.unit_done`); in between, its calls tell the
rest. `Watched` wraps the fill's provider (`filler.api.fill(watch=...)`), the way `Recording`
and `Guarded` do, and reports a unit as asking while a first call of it is out (or a call for
its designed tests), repairing while a call carrying a refused or failing candidate back to the
model is out (the flow sends the reply it answers with, as an assistant message), and testing
once no implementing call is out: its replies are being extracted, gated and run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from enum import StrEnum

from filler.providers.base import Provider, Purpose, Reply, Request

__all__ = ["UnitState", "Watched"]


class UnitState(StrEnum):
    ASKING = "asking"
    REPAIRING = "repairing"
    TESTING = "testing"


class Watched(Provider):
    """Forwards every call to `inner` and tells `report` how the calls of its unit stand."""

    def __init__(self, inner: Provider, report: Callable[[str, UnitState], None]) -> None:
        super().__init__(inner.settings)
        self.name = inner.name
        self.prompt_style = inner.prompt_style
        self.inner = inner
        self._report = report
        self._out: Counter[str] = Counter()  # implementing calls in flight, per unit

    @property
    def model(self) -> str:
        return self.inner.model

    async def complete(self, request: Request) -> Reply:
        unit = request.unit_id
        repair = any(message.role == "assistant" for message in request.messages)
        self._report(unit, UnitState.REPAIRING if repair else UnitState.ASKING)
        if request.purpose is not Purpose.FILL:  # designed tests: the unit's own call follows
            return await self.inner.complete(request)
        self._out[unit] += 1
        try:
            return await self.inner.complete(request)
        finally:
            self._out[unit] -= 1
            if not self._out[unit]:
                self._report(unit, UnitState.TESTING)

    async def aclose(self) -> None:
        await self.inner.aclose()
