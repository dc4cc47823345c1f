"""What filler uses of a provider's batch API, whatever its wire: submit many requests as one
job, look at the job, read its results, cancel it.

A provider that has a batch API says so by having `batches()` (`BatchCapable`); its module
builds the wire (OpenAI/Groq JSONL files, Gemini's batch jobs) and translates its errors at
that boundary, as `complete` does.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from filler.errors import BatchGone, ModelNotFound
from filler.providers.base import Reply, Request

__all__ = [
    "BatchApi",
    "BatchCapable",
    "BatchJob",
    "BatchLine",
    "BatchStatus",
    "LineResult",
    "batch_gone",
    "on_batch",
]

T = TypeVar("T")


class BatchStatus(enum.StrEnum):
    """Where a batch job stands; the OpenAI/Groq words, which Gemini's states map onto."""

    VALIDATING = "validating"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    FAILED = "failed"  # refused as a whole: `BatchJob.errors` says why
    EXPIRED = "expired"  # the completion window closed: some lines have results, the rest none
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self in (self.COMPLETED, self.FAILED, self.EXPIRED, self.CANCELLED)


@dataclass(frozen=True)
class BatchJob:
    id: str
    status: BatchStatus
    total: int = 0
    completed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()  # why the job failed as a whole, one line each
    # Where the provider keeps the results (OpenAI/Groq: the output and error files).
    output_file: str = ""
    error_file: str = ""


@dataclass(frozen=True)
class BatchLine:
    """One request of a batch; `custom_id` maps its result back to the call."""

    custom_id: str
    request: Request


@dataclass(frozen=True)
class LineResult:
    """One line's result: a reply, or `error` (one line) when that request failed."""

    custom_id: str
    reply: Reply | None = None
    error: str = ""


class BatchApi(ABC):
    """One provider's batch endpoints. Every method makes real calls and raises
    `ProviderError`s; `submit` raises `BatchTooLarge` when the provider refuses the size."""

    # The provider's limit of requests per job: larger rounds are split before they are sent;
    # a job refused for its size in bytes is split when it is refused.
    max_requests: int = 50_000

    @abstractmethod
    async def submit(self, lines: Sequence[BatchLine]) -> BatchJob:
        """Send `lines` as one job."""

    @abstractmethod
    async def poll(self, job_id: str) -> BatchJob:
        """The job as it stands; `BatchGone` when the provider does not know it."""

    @abstractmethod
    async def results(self, job: BatchJob, custom_ids: Sequence[str]) -> list[LineResult]:
        """Every line's result of an ended job whose lines were `custom_ids`, in the order
        sent; lines it never ran have none."""

    @abstractmethod
    async def cancel(self, job_id: str) -> BatchJob:
        """Ask the provider to stop the job; lines already done keep their results."""


def batch_gone(job_id: str, provider: str, then: str = "") -> BatchGone:
    """The error of a batch the provider answers 404 for; `then` says what happens to it."""
    message = (
        f"batch {job_id} is gone: {provider} answers 404 for it (deleted on {provider}'s side, "
        "or made with another account or key)"
    )
    return BatchGone(f"{message}; {then}" if then else message, provider=provider)


async def on_batch(call: Awaitable[T], job_id: str, provider: str) -> T:
    """Await a translated call on the batch `job_id`: a 404 there, which the provider's
    translation reads as a model not found, is the batch's."""
    try:
        return await call
    except ModelNotFound as exc:
        raise batch_gone(job_id, provider) from exc


@runtime_checkable
class BatchCapable(Protocol):
    """A provider with a batch API."""

    def batches(self) -> BatchApi: ...
