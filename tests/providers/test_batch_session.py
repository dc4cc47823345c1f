"""`Batching`, the provider layer of `filler fill --batch`, driven by concurrent calls as the
pipeline makes them, with the real openai provider against the loopback Batch API server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from filler.batch.session import Batching, BatchOptions
from filler.batch.state import BatchState, read_state
from filler.errors import BatchPending, ProviderError
from filler.providers.base import Message, ProviderSettings, Reply, Request
from filler.providers.openai import OpenAIProvider
from filler.providers.retry import RetryPolicy
from tests.helpers.batch_wire import BatchServer, Json, LineError

T = TypeVar("T")


def echo(cid: str, body: Json) -> str | LineError:
    return f"{cid}: {body['messages'][-1]['content']}"


def request(unit: str, text: str = "implement it") -> Request:
    return Request((Message("user", text),), unit_id=unit)


def batching(server: BatchServer, state_path: Path, options: BatchOptions) -> Batching:
    inner = OpenAIProvider(ProviderSettings(base_url=f"{server.url}/v1", api_key="sk"))
    state = read_state(state_path) or BatchState(inner.name, inner.model)
    return Batching(inner, inner.batches(), state_path, state, options, RetryPolicy(max_attempts=1))


def run(
    server: BatchServer,
    state_path: Path,
    go: Callable[[Batching], Awaitable[T]],
    *,
    wait: bool = True,
    settle_s: float = 60.0,
) -> T:
    async def main() -> T:
        options = BatchOptions(wait=wait, poll_s=0.01, settle_s=settle_s)
        async with batching(server, state_path, options) as layer:
            return await go(layer)

    return asyncio.run(main())


def ids(server: BatchServer) -> list[list[str]]:
    return [[line["custom_id"] for line in lines] for lines in server.created]


def test_a_round_waits_for_every_unit_of_the_phase(tmp_path: Path) -> None:
    async def go(layer: Batching) -> list[Reply]:
        layer.expect([frozenset({"m:a", "m:b"}), frozenset({"demo:main"})], {})
        first = asyncio.ensure_future(layer.complete(request("m:a")))
        await asyncio.sleep(0.3)
        assert server.created == []  # m:b has not asked yet: the round is not complete
        second = asyncio.ensure_future(layer.complete(request("m:b")))
        replies = list(await asyncio.gather(first, second))
        layer.unit_done("m:a")
        layer.unit_done("m:b")
        # The next phase: the demos, in a batch of their own.
        replies.append(await layer.complete(request("demo:main")))
        return replies

    with BatchServer(echo) as server:
        replies = run(server, tmp_path / "batch.json", go)
        assert ids(server) == [["m:a@0", "m:b@0"], ["demo:main@0"]]
    assert [r.text for r in replies] == [
        "m:a@0: implement it",
        "m:b@0: implement it",
        "demo:main@0: implement it",
    ]


def test_a_unit_done_releases_the_round_and_samples_go_together(tmp_path: Path) -> None:
    async def go(layer: Batching) -> list[Reply]:
        layer.expect([frozenset({"m:a", "m:b"})], {})
        samples = asyncio.gather(*(layer.complete(request("m:a")) for _ in range(3)))
        await asyncio.sleep(0.2)
        layer.unit_done("m:b")  # its flow ended without a call (a prompt too long, say)
        return list(await samples)

    with BatchServer(echo) as server:
        replies = run(server, tmp_path / "batch.json", go)
        assert ids(server) == [["m:a@0", "m:a@1", "m:a@2"]]
    assert len(replies) == 3


def test_a_round_does_not_wait_for_a_unit_that_waits_for_others(tmp_path: Path) -> None:
    """m:b's tests call m:a: answered, m:b waits for m:a's flow to end before it tests and asks
    again, so m:a's repair goes out at once, not after the settle time (60 s here)."""

    async def unit_b(layer: Batching, a_done: asyncio.Event) -> list[str]:
        first = await layer.complete(request("m:b"))
        await a_done.wait()  # as the pipeline waits on `settled`, before testing its reply
        second = await layer.complete(request("m:b", "repair it"))
        layer.unit_done("m:b")
        return [first.text, second.text]

    async def go(layer: Batching) -> list[str]:
        layer.expect([frozenset({"m:a", "m:b"})], {"m:b": frozenset({"m:a"})})
        a_done = asyncio.Event()
        b = asyncio.ensure_future(unit_b(layer, a_done))
        first = await layer.complete(request("m:a"))
        second = await layer.complete(request("m:a", "repair it"))
        layer.unit_done("m:a")
        a_done.set()
        return [first.text, second.text, *await b]

    with BatchServer(echo) as server:
        started = time.monotonic()
        texts = run(server, tmp_path / "batch.json", go)
        assert time.monotonic() - started < 30, "a round waited for the settle time"
        assert ids(server) == [["m:a@0", "m:b@0"], ["m:a@1"], ["m:b@1"]]
    assert texts == [
        "m:a@0: implement it",
        "m:a@1: repair it",
        "m:b@0: implement it",
        "m:b@1: repair it",
    ]


def test_a_unit_not_answered_yet_is_waited_for_whatever_it_waits_for(tmp_path: Path) -> None:
    async def go(layer: Batching) -> list[Reply]:
        layer.expect([frozenset({"m:a", "m:b"})], {"m:b": frozenset({"m:a"})})
        first = asyncio.ensure_future(layer.complete(request("m:a")))
        await asyncio.sleep(0.3)
        assert server.created == []  # m:b has not asked its first round yet
        return list(await asyncio.gather(first, layer.complete(request("m:b"))))

    with BatchServer(echo) as server:
        run(server, tmp_path / "batch.json", go)
        assert ids(server) == [["m:a@0", "m:b@0"]]


def test_held_calls_go_out_after_the_settle_time_whoever_is_missing(tmp_path: Path) -> None:
    async def go(layer: Batching) -> Reply:
        layer.expect([frozenset({"m:a", "m:never"})], {})
        return await layer.complete(request("m:a"))

    with BatchServer(echo) as server:
        run(server, tmp_path / "batch.json", go, settle_s=0.2)
        assert ids(server) == [["m:a@0"]]


def test_replies_in_the_state_answer_the_same_calls_again(tmp_path: Path) -> None:
    state = tmp_path / "batch.json"

    async def go(layer: Batching) -> list[str]:
        layer.expect([frozenset({"m:a"})], {})
        first = await layer.complete(request("m:a"))
        second = await layer.complete(request("m:a", "repair it"))
        return [first.text, second.text]

    with BatchServer(echo) as server:
        assert run(server, state, go) == ["m:a@0: implement it", "m:a@1: repair it"]
        kept = json.loads(state.read_text())
        assert sorted(kept["replies"]) == ["m:a@0", "m:a@1"]

        async def changed(layer: Batching) -> list[str]:
            layer.expect([frozenset({"m:a"})], {})
            first = await layer.complete(request("m:a"))
            # The second call's messages differ from the stored one's: it is sent anew.
            second = await layer.complete(request("m:a", "repair it differently"))
            return [first.text, second.text]

        assert run(server, state, changed) == [
            "m:a@0: implement it",
            "m:a@1: repair it differently",
        ]
        assert ids(server) == [["m:a@0"], ["m:a@1"], ["m:a@1"]]


def test_without_waiting_the_call_says_the_batch_is_pending_and_nothing_more_goes_out(
    tmp_path: Path,
) -> None:
    async def go(layer: Batching) -> tuple[str, str]:
        layer.expect([frozenset({"m:a"}), frozenset({"demo:main"})], {})
        with pytest.raises(BatchPending) as pending:
            await layer.complete(request("m:a"))
        layer.unit_done("m:a")
        with pytest.raises(BatchPending) as later:
            await layer.complete(request("demo:main"))
        return str(pending.value), str(later.value)

    with BatchServer(echo) as server:
        first, later = run(server, tmp_path / "batch.json", go, wait=False)
        assert len(server.created) == 1
    assert first.startswith("openai: batch batch_") and "run the same command again" in first
    assert later == first
    [sent] = json.loads((tmp_path / "batch.json").read_text())["batches"]
    assert sent["custom_ids"] == ["m:a@0"] and sent["status"] == "in_progress"


def test_a_batch_whose_poll_fails_stays_in_the_state_to_be_picked_up(tmp_path: Path) -> None:
    state = tmp_path / "batch.json"

    async def go(layer: Batching) -> str:
        layer.expect([frozenset({"m:a"})], {})
        with pytest.raises(ProviderError, match="server error \\(HTTP 503\\)"):
            await layer.complete(request("m:a"))
        return layer.state.in_flight[0].id

    with BatchServer(echo) as server:
        server.failing_polls = 1
        batch_id = run(server, state, go)
        kept_state = read_state(state)
        assert kept_state is not None
        [kept] = kept_state.in_flight
        assert kept.id == batch_id and kept.custom_ids == ("m:a@0",)

        async def again(layer: Batching) -> str:
            layer.expect([frozenset({"m:a"})], {})
            return (await layer.complete(request("m:a"))).text

        assert run(server, state, again) == "m:a@0: implement it"
        assert len(server.created) == 1  # picked up, not sent again
