"""`Batching`: a provider layer that answers a fill's calls through the provider's batch API.

The pipeline drives every unit's flow as it always does and calls `complete`; this layer holds
each call until every unit of the current phase (the package's units, then the demos) is
waiting on the provider, or on the units its tests call (`selection.waits_for`: it asks no more
before they are done), and sends what it holds as one batch: the first such batch holds every
unit's first prompt, the next the repair prompts of the units that need one, and so on up to
`--max-rounds`. A batch's results go back to the calls that wait on them, and through the same
extract -> gates -> verify path as any reply.

Every call first looks in the state (`filler.batch.state`): a reply already in is answered at
once, a call that a batch still runs waits on that batch; only the others are sent. So a run
killed at any point, run again, sends nothing twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filler.batch.jobs import (
    BatchApi,
    BatchJob,
    BatchLine,
    BatchStatus,
    LineResult,
    batch_gone,
)
from filler.batch.state import (
    STATE_FILE,
    BatchState,
    Sent,
    StoredReply,
    custom_id,
    digest,
    write_state,
)
from filler.errors import (
    BadRequest,
    BatchGone,
    BatchPending,
    BatchTooLarge,
    ProviderError,
    QuotaExhausted,
)
from filler.providers.base import Provider, Reply, Request
from filler.providers.retry import RetryPolicy, with_retries

__all__ = ["BatchOptions", "BatchProgress", "Batching", "refusal"]

# Words of a job refused for its size, and of one refused for the account's quota.
_TOO_LARGE = ("too large", "too many", "exceeds the maximum", "maximum size", "file size")
_QUOTA = ("quota", "token_limit_exceeded", "enqueued token limit", "billing")


@dataclass(frozen=True)
class BatchOptions:
    wait: bool = True  # poll until each batch ends; False: send, then stop the run
    poll_s: float = 15.0  # between looks at a running batch
    settle_s: float = 60.0  # send what is held after this long without a new call, regardless
    # A unit's calls start together (its samples; the designer's and the first round's) but
    # reach this layer one by one: a round goes once none has come for this long.
    gather_s: float = 0.2


@dataclass(frozen=True)
class BatchProgress:
    """How one batch stands, for the progress line."""

    batch_id: str
    status: BatchStatus
    total: int
    completed: int
    failed: int
    elapsed_s: float

    @property
    def line(self) -> str:
        minutes, seconds = divmod(int(self.elapsed_s), 60)
        return (
            f"batch {self.batch_id}: {self.status} {self.completed}/{self.total} done, "
            f"{self.failed} failed, {minutes}m{seconds:02d}s"
        )


def refusal(job: BatchJob, provider: str) -> ProviderError:
    """Why the provider refused a job as a whole, as the error its calls get."""
    reasons = "; ".join(job.errors) or "no reason given"
    words = reasons.lower()
    if any(word in words for word in _TOO_LARGE):
        return BatchTooLarge(f"batch {job.id} refused: {reasons}", provider=provider)
    if any(word in words for word in _QUOTA):
        return QuotaExhausted(
            f"batch {job.id} refused for the account's quota: {reasons}; wait for running "
            "batches to end, or raise the limit",
            provider=provider,
        )
    return BadRequest(f"batch {job.id} refused: {reasons}", provider=provider)


@dataclass
class _Call:
    request: Request
    digest: str
    future: asyncio.Future[Reply]


class Batching(Provider):
    """`inner`'s model, answered through `api` round by round; state kept at `state_path`."""

    def __init__(
        self,
        inner: Provider,
        api: BatchApi,
        state_path: Path,
        state: BatchState,
        options: BatchOptions,
        retry: RetryPolicy,
        on_progress: Callable[[BatchProgress], None] = lambda progress: None,
    ) -> None:
        super().__init__(inner.settings)
        self.name = inner.name
        self.prompt_style = inner.prompt_style
        self.inner = inner
        self.api = api
        self.state_path = state_path
        self.state = state
        self.options = options
        self.retry = retry
        self.on_progress = on_progress
        self.stopped = ""  # why no more calls go out in this run (a batch left running)
        self.followed: set[str] = set()  # the batches this run polled or sent
        self._ordinals: Counter[str] = Counter()
        self._held: dict[str, _Call] = {}  # calls waiting for the round to be sent
        self._calls: dict[str, _Call] = {}  # every call not yet answered, by custom_id
        self._waiting: Counter[str] = Counter()  # unanswered calls per unit
        self._phases: list[frozenset[str]] = []
        self._waits: Mapping[str, frozenset[str]] = {}
        self._done: set[str] = set()
        self._answered: set[str] = set()  # units that had a reply (their flow is under way)
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending = False
        self._settle: asyncio.TimerHandle | None = None
        self._arrived = 0  # calls held so far

    @property
    def model(self) -> str:
        return self.inner.model

    # -- who takes part in a round ------------------------------------------------------------

    def expect(self, phases: Sequence[frozenset[str]], waits: Mapping[str, frozenset[str]]) -> None:
        """The units of the fill, phase by phase (a phase starts when the one before is done),
        and the units each waits for before it tests its candidates (`Selection.waits`)."""
        self._phases = [phase for phase in phases if phase]
        self._waits = waits

    def unit_done(self, unit_id: str) -> None:
        """The unit's flow has ended: a round no longer waits for it."""
        self._done.add(unit_id)
        self._maybe_send()

    def _participants(self) -> set[str]:
        current = next((p for p in self._phases if not p <= self._done), frozenset())
        busy = {unit for unit, n in self._waiting.items() if n}
        return {unit for unit in current - self._done if not self._blocked(unit)} | busy

    def _blocked(self, unit: str) -> bool:
        """Whether the unit, answered, waits for units of the fill that are not done: it tests
        its candidates, and asks again, only after them, so a round does not wait for it."""
        answered = unit in self._answered and not self._waiting[unit]
        return answered and not self._waits.get(unit, frozenset()) <= self._done

    def _maybe_send(self) -> None:
        participants = self._participants()
        if self._held and not self._sending and all(self._waiting[u] for u in participants):
            self._spawn(self._send_held())

    # -- the calls ----------------------------------------------------------------------------

    async def complete(self, request: Request) -> Reply:
        key = request.replies_key
        cid = custom_id(key, self._ordinals[key])
        self._ordinals[key] += 1
        request_digest = digest(request, self.model)
        stored = self.state.stored(cid, request_digest)
        if stored is not None:
            self._answered.add(request.unit_id)
            return stored
        running = self.state.running(cid, request_digest)
        if running is None and self.stopped:
            raise BatchPending(self.stopped, provider=self.name)
        call = _Call(request, request_digest, asyncio.get_running_loop().create_future())
        self._calls[cid] = call
        self._waiting[request.unit_id] += 1
        try:
            if running is not None:
                self._follow(running.id)
            else:
                self._held[cid] = call
                self._arrived += 1
                self._restart_settle()
                self._maybe_send()
            return await call.future
        finally:
            self._answered.add(request.unit_id)
            self._waiting[request.unit_id] -= 1
            self._calls.pop(cid, None)
            self._held.pop(cid, None)

    def _restart_settle(self) -> None:
        if self._settle is not None:
            self._settle.cancel()
        loop = asyncio.get_running_loop()
        self._settle = loop.call_later(
            self.options.settle_s, lambda: self._spawn(self._send_held())
        )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- sending ------------------------------------------------------------------------------

    async def _send_held(self) -> None:
        if self._sending:
            return
        self._sending = True
        try:
            arrived = -1
            while arrived != self._arrived:
                arrived = self._arrived
                await asyncio.sleep(self.options.gather_s)
            held, self._held = self._held, {}
            if self.stopped:  # a batch was left running: this run sends no more
                self._fail(list(held), BatchPending(self.stopped, provider=self.name))
            elif held:
                lines = [BatchLine(cid, call.request) for cid, call in held.items()]
                for chunk in _chunks(lines, self.api.max_requests):
                    await self._submit(chunk)
        finally:
            self._sending = False
        self._maybe_send()

    async def _submit(self, lines: Sequence[BatchLine]) -> None:
        try:
            job = await with_retries(lambda: self.api.submit(lines), self.retry)
        except BatchTooLarge as exc:
            if len(lines) == 1:
                self._fail([line.custom_id for line in lines], exc)
            else:
                await self._split(lines)
            return
        except ProviderError as exc:
            self._fail([line.custom_id for line in lines], exc)
            return
        cids = tuple(line.custom_id for line in lines)
        sent = Sent(job.id, cids, datetime.now(UTC).isoformat(timespec="seconds"), job.status)
        digests = {cid: self._calls[cid].digest for cid in cids if cid in self._calls}
        self._save(self.state.with_sent(sent, digests))
        self._follow(job.id)

    async def _split(self, lines: Sequence[BatchLine]) -> None:
        """Send `lines` again as two batches: the provider refused them as one."""
        half = len(lines) // 2
        await self._submit(lines[:half])
        await self._submit(lines[half:])

    def _follow(self, batch_id: str) -> None:
        if batch_id not in self.followed:
            self.followed.add(batch_id)
            self._spawn(self._poll(batch_id))

    # -- waiting ------------------------------------------------------------------------------

    async def _poll(self, batch_id: str) -> None:
        started = time.monotonic()
        while True:
            try:
                job = await with_retries(lambda: self.api.poll(batch_id), self.retry)
            except BatchGone:
                self._gone(batch_id)
                return
            except ProviderError as exc:
                self._fail(self._cids_of(batch_id), exc)
                return
            self._save(self.state.with_job(job))
            total = job.total or len(self._cids_of(batch_id))  # Gemini gives no counts
            elapsed = time.monotonic() - started
            self.on_progress(
                BatchProgress(batch_id, job.status, total, job.completed, job.failed, elapsed)
            )
            if job.status.ended:
                break
            if not self.options.wait:
                self.stopped = (
                    f"batch {batch_id} is running ({job.completed}/{total} done); run the "
                    "same command again to pick up its results"
                )
                self._fail(self._cids_of(batch_id), BatchPending(self.stopped, provider=self.name))
                return
            await asyncio.sleep(self.options.poll_s)
        await self._ended(job)

    async def _ended(self, job: BatchJob) -> None:
        cids = self._cids_of(job.id)
        if job.status is BatchStatus.FAILED:
            error = refusal(job, self.name)
            waiting = [cid for cid in cids if cid in self._calls]
            if isinstance(error, BatchTooLarge) and len(waiting) > 1:
                await self._split([BatchLine(cid, self._calls[cid].request) for cid in waiting])
            else:
                self._fail(cids, error)
            return
        try:
            results = await with_retries(lambda: self.api.results(job, cids), self.retry)
        except BatchGone:
            self._gone(job.id)
            return
        except ProviderError as exc:
            self._fail(cids, exc)
            return
        self._deliver(job, results)

    def _deliver(self, job: BatchJob, results: Sequence[LineResult]) -> None:
        by_id = {result.custom_id: result for result in results}
        stored = {
            r.custom_id: StoredReply.of(r.reply, self.state.digests[r.custom_id])
            for r in results
            if r.reply is not None and r.custom_id in self.state.digests
        }
        self._save(self.state.with_replies(stored))
        for cid in self._cids_of(job.id):
            call = self._calls.get(cid)
            if call is None or call.future.done():
                continue
            result = by_id.get(cid)
            if result is not None and result.reply is not None:
                call.future.set_result(result.reply)
            elif result is not None:
                failed = f"batch {job.id}: {cid} failed: {result.error}; run again to retry it"
                call.future.set_exception(ProviderError(failed, provider=self.name))
            else:
                call.future.set_exception(ProviderError(_unanswered(job), provider=self.name))

    def _gone(self, batch_id: str) -> None:
        """The provider does not know the batch: nothing will come of it. Its calls fail (their
        units stay stubs, as for any failed request) and the state forgets it, so that the
        next run sends them again instead of asking after it again."""
        cids = self._cids_of(batch_id)
        then = f"its {len(cids)} requests were dropped from {STATE_FILE}: run again to send them"
        self.forget(batch_id)
        self._fail(cids, batch_gone(batch_id, self.name, then))

    def _cids_of(self, batch_id: str) -> list[str]:
        sent = next((s for s in self.state.batches if s.id == batch_id), None)
        return list(sent.custom_ids) if sent is not None else []

    def _fail(self, cids: Sequence[str], error: ProviderError) -> None:
        for cid in cids:
            call = self._calls.get(cid)
            if call is not None and not call.future.done():
                call.future.set_exception(error)

    def forget(self, batch_id: str) -> None:
        """Drop a batch from the state: nothing of this fill will read it."""
        self._save(self.state.without(batch_id))

    def _save(self, state: BatchState) -> None:
        self.state = state
        write_state(self.state_path, state)

    async def aclose(self) -> None:
        if self._settle is not None:
            self._settle.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.inner.aclose()


def _unanswered(job: BatchJob) -> str:
    match job.status:
        case BatchStatus.EXPIRED:
            return f"batch {job.id} expired before this request ran; run again to send it anew"
        case BatchStatus.CANCELLED:
            return f"batch {job.id} was cancelled before this request ran"
        case _:
            return f"batch {job.id} ended without a result for this request"


def _chunks(lines: Sequence[BatchLine], size: int) -> list[Sequence[BatchLine]]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]
