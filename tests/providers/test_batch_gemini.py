"""Gemini's batch mode through google-genai, against a loopback server speaking the endpoints
the SDK calls (`:batchGenerateContent`, `batches/<id>`, `batches/<id>:cancel`); and a whole
`filler fill --batch` through it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from filler import api
from filler.batch.jobs import BatchJob, BatchLine, BatchStatus, LineResult
from filler.batch.run import POLL_ENV
from filler.errors import BatchGone, ModelNotFound
from filler.providers.base import Message, ProviderSettings, Request
from filler.providers.gemini import GeminiProvider
from tests.helpers.batch_wire import BatchServer, Json, LineError
from tests.helpers.projects import CHECKOUT
from tests.helpers.replies import STRKIT

SPEC = CHECKOUT / "examples" / "specs" / "strkit.yml"


def gemini(url: str) -> GeminiProvider:
    return GeminiProvider(ProviderSettings(base_url=url, api_key="gm-test", model="gemini-test"))


def request(text: str) -> Request:
    messages = (Message("system", "You write Python."), Message("user", text))
    return Request(messages, unit_id="m:f", temperature=0.3, max_tokens=200)


def run_to_end(url: str, lines: list[BatchLine]) -> tuple[list[BatchJob], list[LineResult]]:
    async def go() -> tuple[list[BatchJob], list[LineResult]]:
        provider = gemini(url)
        try:
            batches = provider.batches()
            jobs = [await batches.submit(lines)]
            while not jobs[-1].status.ended:
                jobs.append(await batches.poll(jobs[-1].id))
            return jobs, await batches.results(jobs[-1], [line.custom_id for line in lines])
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_requests_go_inline_and_results_come_back_in_their_order() -> None:
    def answer(cid: str, body: Json) -> str | LineError:
        if cid == "m:f@1":
            return LineError(400, "Request contains an invalid argument.")
        return f"reply to {body['contents'][-1]['parts'][0]['text']}"

    lines = [BatchLine(f"m:f@{n}", request(f"ask {n}")) for n in range(3)]
    with BatchServer(answer) as server:
        jobs, results = run_to_end(server.url, lines)
        [sent] = server.created
    assert [job.status for job in jobs] == [
        BatchStatus.VALIDATING,  # BATCH_STATE_PENDING
        BatchStatus.IN_PROGRESS,  # BATCH_STATE_RUNNING
        BatchStatus.IN_PROGRESS,
        BatchStatus.COMPLETED,  # BATCH_STATE_SUCCEEDED
    ]
    assert jobs[0].id.startswith("batches/")
    assert [line["custom_id"] for line in sent] == ["m:f@0", "m:f@1", "m:f@2"]
    body = sent[0]["body"]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "ask 0"}]}]
    assert body["systemInstruction"]["parts"] == [{"text": "You write Python."}]
    assert body["generationConfig"] == {"temperature": 0.3, "maxOutputTokens": 200}
    assert [r.custom_id for r in results] == ["m:f@0", "m:f@1", "m:f@2"]
    first, failed, last = results
    assert first.reply is not None and first.reply.text == "reply to ask 0" and first.reply.batch
    assert (first.reply.usage.prompt_tokens, first.reply.usage.completion_tokens) == (11, 7)
    assert failed == LineResult("m:f@1", error="Request contains an invalid argument. (code 400)")
    assert last.reply is not None and last.reply.text == "reply to ask 2"


def test_an_expired_batch_answers_only_what_it_ran() -> None:
    lines = [BatchLine(f"m:f@{n}", request(f"ask {n}")) for n in range(3)]
    with BatchServer() as server:
        server.expire_after = 1
        jobs, results = run_to_end(server.url, lines)
    assert jobs[-1].status is BatchStatus.EXPIRED
    assert [r.custom_id for r in results] == ["m:f@0"]


def test_cancel_ends_the_batch_cancelled() -> None:
    async def go(url: str) -> tuple[BatchJob, BatchJob]:
        provider = gemini(url)
        try:
            batches = provider.batches()
            job = await batches.submit([BatchLine("m:f@0", request("ask"))])
            return await batches.cancel(job.id), await batches.poll(job.id)
        finally:
            await provider.aclose()

    with BatchServer() as server:
        cancelled, after = asyncio.run(go(server.url))
        assert len(server.cancels) == 1
    assert cancelled.status is BatchStatus.CANCELLED and after.status is BatchStatus.CANCELLED


def test_a_batch_gemini_does_not_know_is_gone_not_a_missing_model() -> None:
    async def go(url: str) -> tuple[BatchGone, BatchGone, BatchGone]:
        provider = gemini(url)
        try:
            batches = provider.batches()
            job = await batches.submit([BatchLine("m:f@0", request("ask"))])
            server.delete(job.id.removeprefix("batches/"))
            raised = []
            for call in (
                batches.poll(job.id),
                batches.results(job, ["m:f@0"]),
                batches.cancel(job.id),
            ):
                with pytest.raises(BatchGone) as gone:
                    await call
                raised.append(gone.value)
            polled, read, cancelled = raised
            return polled, read, cancelled
        finally:
            await provider.aclose()

    with BatchServer() as server:
        polled, read, cancelled = asyncio.run(go(server.url))
        [batch_id] = server.cancels
    assert not isinstance(polled, ModelNotFound)
    assert str(polled) == (
        f"gemini: batch batches/{batch_id} is gone: gemini answers 404 for it (deleted on "
        "gemini's side, or made with another account or key)"
    )
    assert str(read) == str(cancelled) == str(polled)


def test_a_batch_fill_through_gemini(tmp_path: Path) -> None:
    project = api.new(SPEC, tmp_path / "strkit").root
    wrong = "```python\ndef add(a: int, b: int) -> int:\n    return a - b\n```\n"

    def answer(cid: str, body: Json) -> str | LineError:
        return wrong if cid == "strkit.arith:add@0" else STRKIT[cid.rpartition("@")[0]]

    with BatchServer(answer) as server:
        flags = api.FillFlags(provider="gemini", base_url=server.url, model="gemini-test",
                              batch=True, design_tests=False, test_timeout=30)  # fmt: skip
        record = api.fill(project, flags, environ={"GEMINI_API_KEY": "gm", POLL_ENV: "0.02"})
        sent = [[line["custom_id"] for line in lines] for lines in server.created]
    why = {u.unit: u.reason for u in record.units if u.reason}  # said when this fails
    assert {u.unit: u.outcome for u in record.units} == dict.fromkeys(STRKIT, "filled"), why
    # Every package unit, the repair of add, the demos.
    assert [len(batch) for batch in sent] == [6, 1, 2], (sent, why)
    assert sent[1] == ["strkit.arith:add@1"]
