"""`.filler/batch.json`: what a batch fill has sent and received, so that a run killed at any
point resumes where it stood.

Every call of a batch fill has a `custom_id`, `<replies key>@<n>`: the unit (with `#tests` for
the test designer) and the how-many-th call of that key it is. The same command run again makes
the same calls in the same order, so a call finds its reply here (`replies`) or the batch still
running it (`requests`, `batches`) by that id, provided its messages are the same (`digest`).
The file is rewritten atomically after every change (`filler.writer.atomic_write`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from filler.batch.jobs import BatchJob, BatchStatus
from filler.errors import ProjectError
from filler.providers.base import Reply, Request, Usage
from filler.writer import atomic_write

__all__ = [
    "STATE_FILE",
    "BatchState",
    "Sent",
    "StoredReply",
    "custom_id",
    "digest",
    "in_flight",
    "read_state",
    "remove_state",
    "write_state",
]

STATE_FILE = "batch.json"
_VERSION = 1


def custom_id(replies_key: str, ordinal: int) -> str:
    return f"{replies_key}@{ordinal}"


def digest(request: Request, model: str) -> str:
    """What must be equal for a stored reply or a running request to answer `request`."""
    payload = json.dumps(
        [model, request.temperature, request.max_tokens, [asdict(m) for m in request.messages]]
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Sent:
    """A batch job this fill submitted, and the calls in it."""

    id: str
    custom_ids: tuple[str, ...]
    submitted_at: str
    status: BatchStatus = BatchStatus.VALIDATING
    completed: int = 0
    failed: int = 0

    def seen(self, job: BatchJob) -> Sent:
        return replace(self, status=job.status, completed=job.completed, failed=job.failed)


@dataclass(frozen=True)
class StoredReply:
    digest: str
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    model: str

    @classmethod
    def of(cls, reply: Reply, request_digest: str) -> StoredReply:
        usage = reply.usage
        return cls(request_digest, reply.text, reply.finish_reason,
                   usage.prompt_tokens, usage.completion_tokens, reply.model)  # fmt: skip

    def reply(self) -> Reply:
        usage = Usage(self.prompt_tokens, self.completion_tokens)
        return Reply(self.text, self.finish_reason, usage, 0.0, self.model, batch=True)


@dataclass(frozen=True)
class BatchState:
    provider: str
    model: str
    batches: tuple[Sent, ...] = ()
    digests: dict[str, str] = field(default_factory=dict)  # custom_id -> digest, as sent
    replies: dict[str, StoredReply] = field(default_factory=dict)  # custom_id -> its reply

    @property
    def in_flight(self) -> tuple[Sent, ...]:
        return tuple(sent for sent in self.batches if not sent.status.ended)

    def running(self, cid: str, request_digest: str) -> Sent | None:
        """The unended batch that is running this very call, if any."""
        if self.digests.get(cid) != request_digest:
            return None
        return next((s for s in self.in_flight if cid in s.custom_ids), None)

    def stored(self, cid: str, request_digest: str) -> Reply | None:
        kept = self.replies.get(cid)
        return kept.reply() if kept is not None and kept.digest == request_digest else None

    def with_sent(self, sent: Sent, digests: dict[str, str]) -> BatchState:
        return replace(self, batches=(*self.batches, sent), digests={**self.digests, **digests})

    def with_job(self, job: BatchJob) -> BatchState:
        batches = tuple(s.seen(job) if s.id == job.id else s for s in self.batches)
        return replace(self, batches=batches)

    def without(self, batch_id: str) -> BatchState:
        return replace(self, batches=tuple(s for s in self.batches if s.id != batch_id))

    def with_replies(self, replies: dict[str, StoredReply]) -> BatchState:
        return replace(self, replies={**self.replies, **replies})


def read_state(path: Path) -> BatchState | None:
    """The state at `path`, or None when no batch fill is under way."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ProjectError(
            f"{path} is damaged ({exc}); cancel its batches with `filler fill --batch --cancel` "
            "or delete the file"
        ) from exc
    if data.get("version") != _VERSION:
        raise ProjectError(f"{path} was written by another filler version; delete it")
    return BatchState(
        provider=data["provider"],
        model=data["model"],
        batches=tuple(
            Sent(
                b["id"],
                tuple(b["custom_ids"]),
                b["submitted_at"],
                BatchStatus(b["status"]),
                b["completed"],
                b["failed"],
            )
            for b in data["batches"]
        ),
        digests=dict(data["digests"]),
        replies={cid: StoredReply(**stored) for cid, stored in data["replies"].items()},
    )


def write_state(path: Path, state: BatchState) -> None:
    data = {"version": _VERSION, **asdict(state)}
    atomic_write(path, json.dumps(data, indent=1) + "\n")


def remove_state(path: Path) -> None:
    path.unlink(missing_ok=True)


def in_flight(state_dir: Path) -> list[str]:
    """One line per batch a project's batch fill has running, for `filler status` (which
    imports only this module of the batch machinery)."""
    state = read_state(state_dir / STATE_FILE)
    if state is None:
        return []
    return [
        f"batch {sent.id} ({state.provider}/{state.model}) {sent.status}: "
        f"{sent.completed}/{len(sent.custom_ids)} done, {sent.failed} failed, sent "
        f"{sent.submitted_at}; `filler fill --batch` picks it up, `--cancel` stops it"
        for sent in state.in_flight
    ]
