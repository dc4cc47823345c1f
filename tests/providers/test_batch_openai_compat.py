"""The Batch API of the openai and groq providers against a loopback server speaking it:
the JSONL input file, the batch object's life, the output and error files."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from filler.batch.jobs import BatchJob, BatchLine, BatchStatus, LineResult
from filler.batch.session import refusal
from filler.errors import BadRequest, BatchGone, BatchTooLarge, ModelNotFound, QuotaExhausted
from filler.providers._openai_compat import ChatCompletionsProvider
from filler.providers.base import Message, ProviderSettings, Request
from filler.providers.groq import GroqProvider
from filler.providers.openai import OpenAIProvider
from tests.helpers.batch_wire import BatchServer, Json, LineError

Make = Callable[[str], ChatCompletionsProvider]

PROVIDERS: dict[str, Make] = {
    # OpenAI's base URL includes /v1; Groq's is the host root (its SDK adds /openai/v1).
    "openai": lambda url: OpenAIProvider(ProviderSettings(base_url=f"{url}/v1", api_key="sk")),
    "groq": lambda url: GroqProvider(ProviderSettings(base_url=url, api_key="gsk")),
}


def request(unit: str, text: str = "implement it", seed: int | None = None) -> Request:
    return Request(
        (Message("system", "You write Python."), Message("user", text)),
        unit_id=unit,
        temperature=0.2,
        max_tokens=300,
        seed=seed,
    )


def run_to_end(make: Make, url: str, lines: list[BatchLine]) -> tuple[BatchJob, list[LineResult]]:
    async def go() -> tuple[BatchJob, list[LineResult]]:
        provider = make(url)
        try:
            api = provider.batches()
            job = await api.submit(lines)
            assert job.status is BatchStatus.VALIDATING and job.total == len(lines)
            while not job.status.ended:
                job = await api.poll(job.id)
            return job, await api.results(job, [line.custom_id for line in lines])
        finally:
            await provider.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_batch_goes_out_as_jsonl_and_comes_back_by_custom_id(name: str) -> None:
    def answer(cid: str, body: Json) -> str | LineError:
        return f"reply to {cid}"

    lines = [BatchLine("a:f@0", request("a:f", seed=7)), BatchLine("a:g#tests@0", request("a:g"))]
    with BatchServer(answer) as server:
        job, results = run_to_end(PROVIDERS[name], server.url, lines)
        [upload] = server.uploads
        polls = len(server.polls)
    model = PROVIDERS[name]("http://unused").model
    sent = [json.loads(line) for line in upload.decode().splitlines()]
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": "You write Python."},
            {"role": "user", "content": "implement it"},
        ],
        "temperature": 0.2,
        "max_tokens": 300,
    }
    post = {"method": "POST", "url": "/v1/chat/completions"}
    assert sent == [
        {"custom_id": "a:f@0", **post, "body": {**body, "seed": 7}},
        {"custom_id": "a:g#tests@0", **post, "body": body},  # no seed asked: none sent
    ]
    assert polls == 3  # validating -> in_progress -> finalizing -> completed
    assert (job.status, job.total, job.completed, job.failed) == (BatchStatus.COMPLETED, 2, 2, 0)
    replies = {r.custom_id: r.reply for r in results}
    for cid in ("a:f@0", "a:g#tests@0"):
        reply = replies[cid]
        assert reply is not None and reply.text == f"reply to {cid}" and reply.batch
        assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 7)
        assert reply.model == model and reply.finish_reason == "stop"


@pytest.mark.parametrize("name", PROVIDERS)
def test_failed_and_expired_lines_carry_their_reasons(name: str) -> None:
    def answer(cid: str, body: Json) -> str | LineError:
        return (
            LineError(400, "Invalid 'messages': empty.", "invalid_value")
            if cid == "u:b@0"
            else "ok"
        )

    lines = [BatchLine(f"u:{x}@0", request(f"u:{x}")) for x in "abc"]
    with BatchServer(answer) as server:
        server.expire_after = 2
        job, results = run_to_end(PROVIDERS[name], server.url, lines)
    assert (job.status, job.completed, job.failed) == (BatchStatus.EXPIRED, 1, 2)
    by_id = {r.custom_id: r for r in results}
    assert by_id["u:a@0"].reply is not None
    assert by_id["u:b@0"] == LineResult("u:b@0", error="Invalid 'messages': empty. (invalid_value)")
    assert by_id["u:c@0"].reply is None
    assert by_id["u:c@0"].error == (
        "This request could not be executed before the completion window expired. (batch_expired)"
    )


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_cancelled_batch_ends_cancelled_and_its_lines_say_so(name: str) -> None:
    async def go(url: str) -> tuple[BatchJob, BatchJob, list[LineResult]]:
        provider = PROVIDERS[name](url)
        try:
            api = provider.batches()
            job = await api.submit([BatchLine("u:a@0", request("u:a"))])
            cancelling = await api.cancel(job.id)
            ended = await api.poll(job.id)
            return cancelling, ended, await api.results(ended, ["u:a@0"])
        finally:
            await provider.aclose()

    with BatchServer() as server:
        cancelling, ended, results = asyncio.run(go(server.url))
        assert server.cancels == [cancelling.id]
    assert cancelling.status is BatchStatus.CANCELLING and ended.status is BatchStatus.CANCELLED
    [line] = results
    assert line.reply is None and line.error.endswith("(batch_cancelled)")


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_upload_refused_for_its_size_says_split_it(name: str) -> None:
    async def go(url: str) -> None:
        provider = PROVIDERS[name](url)
        try:
            await provider.batches().submit([BatchLine("u:a@0", request("u:a"))])
        finally:
            await provider.aclose()

    with BatchServer() as server:
        server.refuse_upload = True
        with pytest.raises(BatchTooLarge, match="File is too large"):
            asyncio.run(go(server.url))
        assert server.created == []


def test_a_job_refused_whole_is_classified_by_its_reason() -> None:
    def failed(*errors: str) -> BatchJob:
        return BatchJob("batch_1", BatchStatus.FAILED, errors=errors)

    too_large = refusal(
        failed("The batch input file is too large (too_many_requests_in_file)"), "openai"
    )
    assert isinstance(too_large, BatchTooLarge)
    quota = refusal(
        failed("Enqueued token limit reached for gpt-4o-mini (token_limit_exceeded)"), "openai"
    )
    assert isinstance(quota, QuotaExhausted) and "wait for running batches to end" in str(quota)
    other = refusal(
        failed("Line 3: model must be the same on every line (invalid_request)"), "groq"
    )
    assert type(other) is BadRequest
    assert str(other) == (
        "groq: batch batch_1 refused: "
        "Line 3: model must be the same on every line (invalid_request)"
    )


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_batch_the_provider_does_not_know_is_gone_not_a_missing_model(name: str) -> None:
    async def go(url: str) -> tuple[BatchGone, BatchGone]:
        provider = PROVIDERS[name](url)
        try:
            api = provider.batches()
            job = await api.submit([BatchLine("m:f@0", request("m:f"))])
            server.delete(job.id)  # deleted on the provider's side, or another account's
            with pytest.raises(BatchGone) as polled:
                await api.poll(job.id)
            with pytest.raises(BatchGone) as cancelled:
                await api.cancel(job.id)
            return polled.value, cancelled.value
        finally:
            await provider.aclose()

    with BatchServer() as server:
        polled, cancelled = asyncio.run(go(server.url))
        [batch_id] = server.cancels
    assert not isinstance(polled, ModelNotFound)
    assert str(polled) == (
        f"{name}: batch {batch_id} is gone: {name} answers 404 for it (deleted on {name}'s "
        "side, or made with another account or key)"
    )
    assert str(cancelled) == str(polled)


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_result_file_that_is_gone_takes_its_batch_with_it(name: str) -> None:
    lines = [BatchLine("a:f@0", request("a:f"))]
    with BatchServer(lambda cid, body: "reply") as server:
        job, _ = run_to_end(PROVIDERS[name], server.url, lines)
        server.delete_file(job.output_file)

        async def results_again() -> None:
            provider = PROVIDERS[name](server.url)
            try:
                await provider.batches().results(job, ["a:f@0"])
            finally:
                await provider.aclose()

        with pytest.raises(BatchGone) as gone:
            asyncio.run(results_again())
    assert f"batch {job.id} is gone: {name} answers 404" in str(gone.value)
