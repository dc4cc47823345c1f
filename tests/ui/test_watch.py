"""`Watched`: what a unit's model calls say it is doing, around the real replay provider."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from filler.errors import NoReply
from filler.providers.base import Message, ProviderSettings, Purpose, Request
from filler.providers.openai import OpenAIProvider
from filler.providers.replay import ReplayProvider
from filler.ui.watch import UnitState, Watched
from tests.helpers.replies import write_replies
from tests.helpers.wire import OPENAI, LoopbackServer

UNIT = "calc.arith:add"
ASK = (Message("system", "You write Python."), Message("user", "Implement add."))
REPAIR = (*ASK, Message("assistant", "def add(a, b): ..."), Message("user", "2 tests failed."))


def watched(
    tmp_path: Path, replies: dict[str, list[str]]
) -> tuple[Watched, list[tuple[str, UnitState]]]:
    path = write_replies(tmp_path / "replies.json", replies)
    seen: list[tuple[str, UnitState]] = []
    provider = Watched(
        ReplayProvider(ProviderSettings(replies_path=str(path))),
        lambda unit, state: seen.append((unit, state)),
    )
    return provider, seen


def test_a_first_call_asks_a_call_with_feedback_repairs_and_then_the_unit_is_tested(
    tmp_path: Path,
) -> None:
    provider, seen = watched(tmp_path, {UNIT: ["one", "two"], f"{UNIT}#tests": ["tests"]})

    async def run() -> None:
        await provider.complete(Request(ASK, UNIT, Purpose.DESIGN_TESTS))
        await provider.complete(Request(ASK, UNIT))
        await provider.complete(Request(REPAIR, UNIT))

    asyncio.run(run())
    assert seen == [
        (UNIT, UnitState.ASKING),  # its designed tests: its own call follows, nothing to test yet
        (UNIT, UnitState.ASKING),
        (UNIT, UnitState.TESTING),
        (UNIT, UnitState.REPAIRING),
        (UNIT, UnitState.TESTING),
    ]
    assert (provider.name, provider.model) == ("replay", "replay")


def test_samples_in_flight_together_are_tested_once_the_last_is_back() -> None:
    with LoopbackServer(OPENAI, latency_s=0.3) as server:
        seen: list[tuple[str, UnitState]] = []
        settings = ProviderSettings(base_url=f"{server.url}/v1", api_key="sk-test")
        provider = Watched(OpenAIProvider(settings), lambda *state: seen.append(state))

        async def run() -> None:
            async with provider:
                await asyncio.gather(*(provider.complete(Request(ASK, UNIT)) for _ in range(3)))

        asyncio.run(run())
        assert server.max_in_flight == 3
    assert seen == [(UNIT, UnitState.ASKING)] * 3 + [(UNIT, UnitState.TESTING)]


def test_a_failed_call_still_leaves_its_unit_to_the_pipeline(tmp_path: Path) -> None:
    provider, seen = watched(tmp_path, {})
    with pytest.raises(NoReply):
        asyncio.run(provider.complete(Request(ASK, UNIT)))
    assert seen == [(UNIT, UnitState.ASKING), (UNIT, UnitState.TESTING)]
