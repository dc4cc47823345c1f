"""`--record`: raw replies saved per unit, atomically, in call order; replaying reproduces them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from filler.errors import AuthFailed
from filler.providers.base import Message, Provider, ProviderSettings, Purpose, Request
from filler.providers.openai import OpenAIProvider
from filler.providers.recording import Recording
from filler.providers.replay import ReplayProvider
from tests.helpers.wire import OPENAI, LoopbackServer

# Replies whose every byte matters: fences, trailing spaces, tabs, non-ASCII, no final newline.
RAW = [
    "```python\ndef f(x):\n    return x  \n```\n",
    "Here you go:\n\tdef g(): return 'é ≠ e'",
    "",
]


def request(unit: str, purpose: Purpose = Purpose.FILL) -> Request:
    return Request((Message("user", f"implement {unit}"),), unit, purpose)


def recording(server: LoopbackServer, path: Path) -> Recording:
    inner = OpenAIProvider(ProviderSettings(base_url=f"{server.url}/v1", timeout_s=5))
    return Recording(inner, path)


async def ask_all(provider: Provider, units: list[str]) -> list[str]:
    return [(await provider.complete(request(unit))).text for unit in units]


def test_replaying_a_recording_gives_back_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "run" / "replies.json"
    units = ["pkg.a:f", "pkg.a:g", "pkg.a:f"]

    async def record() -> list[str]:
        async with recording(server, path) as provider:
            return await ask_all(provider, units)

    with LoopbackServer(OPENAI) as server:
        server.push(*(OPENAI.ok(text) for text in RAW))
        recorded = asyncio.run(record())
    assert recorded == RAW
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "pkg.a:f": [RAW[0], RAW[2]],
        "pkg.a:g": [RAW[1]],
    }
    replayed = asyncio.run(ask_all(ReplayProvider(ProviderSettings(replies_path=str(path))), units))
    assert replayed == RAW


def test_designed_tests_and_plans_are_recorded_under_their_own_keys(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    calls = [
        request("pkg.a:f", Purpose.DESIGN_TESTS),
        request("pkg.a:f"),
        request("", Purpose.PLAN),
    ]

    async def ask_each(provider: Provider) -> list[str]:
        async with provider:
            return [(await provider.complete(call)).text for call in calls]

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.ok("def test_f(): ..."), OPENAI.ok("def f(): ..."), OPENAI.ok("spec"))
        recorded = asyncio.run(ask_each(recording(server, path)))
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "pkg.a:f#tests": ["def test_f(): ..."],
        "pkg.a:f": ["def f(): ..."],
        "plan": ["spec"],
    }
    replay = ReplayProvider(ProviderSettings(replies_path=str(path)))
    assert asyncio.run(ask_each(replay)) == recorded


def test_the_file_is_written_after_each_call_and_no_temp_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"

    async def one_call_then_look() -> object:
        provider = recording(server, path)
        await provider.complete(request("pkg.a:f"))
        # Not closed yet: a crash from here on keeps what was recorded.
        on_disk = json.loads(path.read_text(encoding="utf-8"))
        await provider.aclose()
        return on_disk

    with LoopbackServer(OPENAI) as server:
        assert asyncio.run(one_call_then_look()) == {"pkg.a:f": ["ok"]}
    assert [p.name for p in tmp_path.iterdir()] == ["replies.json"]


def test_samples_of_one_unit_are_kept_in_call_order(tmp_path: Path) -> None:
    """The first call answers last; replay hands out replies in call order, so must the file."""
    path = tmp_path / "replies.json"

    async def two_samples() -> None:
        async with recording(server, path) as provider:
            first = asyncio.create_task(provider.complete(request("pkg.a:f")))
            await asyncio.sleep(0.05)  # so that the first call reaches the server first
            await asyncio.gather(first, provider.complete(request("pkg.a:f")))

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.slow(0.3, "first asked"), OPENAI.ok("second asked"))
        asyncio.run(two_samples())
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "pkg.a:f": ["first asked", "second asked"]
    }


def test_failed_calls_are_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"

    async def fail_then_succeed() -> None:
        async with recording(server, path) as provider:
            with pytest.raises(AuthFailed):
                await provider.complete(request("pkg.a:f"))
            await provider.complete(request("pkg.a:g"))

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.unauthorized())
        asyncio.run(fail_then_succeed())
    assert json.loads(path.read_text(encoding="utf-8")) == {"pkg.a:g": ["ok"]}


def test_a_run_without_calls_records_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    with LoopbackServer(OPENAI) as server:
        asyncio.run(recording(server, path).aclose())
    assert json.loads(path.read_text(encoding="utf-8")) == {}
