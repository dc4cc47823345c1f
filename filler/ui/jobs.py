"""One fill (or update) at a time, run in a thread, its progress turned into events for the page.

The fill reports through the same `Progress` the CLI's bar uses (`filler.fill.pipeline`): the
count when it starts, then each unit's record; in between, its provider, wrapped by
`filler.ui.watch`, tells what each unit is doing. `JobBoard` numbers those events so a page that
reconnects asks only for what it missed. Stopping cancels the fill's task on its own event loop,
which is exactly what Ctrl-C does to `filler fill`: test runs are killed, temporary copies
removed, every file untouched or fully written.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from filler.errors import FillerError, UserError
from filler.ui.watch import UnitState, Watched

if TYPE_CHECKING:
    from filler.providers.base import Provider
    from filler.report import UnitRecord

__all__ = ["Event", "EventKind", "JobBoard", "JobKind", "Reporter", "Work"]


class JobKind(StrEnum):
    FILL = "fill"
    UPDATE = "update"


class EventKind(StrEnum):
    STARTED = "started"  # a job began: its kind and project
    TOTAL = "total"  # the fill selected its units: how many
    STATE = "state"  # what a unit is doing meanwhile: asking, repairing, testing
    UNIT = "unit"  # one unit is done: its record
    DONE = "done"  # the job ended: its summary
    STOPPED = "stopped"  # the job was stopped: nothing half-written
    FAILED = "failed"  # the job raised: the one-line message


@dataclass(frozen=True)
class Event:
    seq: int
    job: int
    kind: EventKind
    data: Mapping[str, object] = field(default_factory=dict)

    def sse(self) -> str:
        """The event as one server-sent event; its id lets a reconnecting page resume."""
        payload = json.dumps({"job": self.job, **self.data})
        return f"id: {self.seq}\nevent: {self.kind}\ndata: {payload}\n\n"


# What a job runs: it reports through the `Reporter` it is given and returns its summary.
Work = Callable[["Reporter"], Mapping[str, object]]


class Reporter:
    """The fill's `Progress` and its provider's watcher: forwards to the board, and holds the
    fill's task to cancel."""

    def __init__(self, emit: Callable[[EventKind, Mapping[str, object]], None]) -> None:
        self._emit = emit
        self._lock = threading.Lock()
        self._task: tuple[asyncio.AbstractEventLoop, asyncio.Task[object]] | None = None
        self.stop_asked = False

    def start(self, total: int) -> None:
        task = asyncio.current_task()
        assert task is not None  # `fill_project` calls this from inside its own task
        with self._lock:
            self._task = (asyncio.get_running_loop(), task)
            stop_now = self.stop_asked
        self._emit(EventKind.TOTAL, {"total": total})
        if stop_now:  # asked before the fill got this far: it stops before any unit starts
            task.cancel()

    def unit_done(self, record: UnitRecord) -> None:
        self._emit(EventKind.UNIT, _record_data(record))

    def watch(self, provider: Provider) -> Provider:
        """The fill's provider, reporting what each unit's calls are doing."""

        def report(unit: str, state: UnitState) -> None:
            self._emit(EventKind.STATE, {"unit": unit, "state": state})

        return Watched(provider, report)

    def finish(self) -> None:
        return None

    def stop(self) -> None:
        with self._lock:
            self.stop_asked = True
            if self._task is not None:
                loop, task = self._task
                loop.call_soon_threadsafe(task.cancel)

    def close(self) -> None:
        """The fill's loop is gone: nothing is left to cancel."""
        with self._lock:
            self._task = None


def _record_data(record: UnitRecord) -> dict[str, object]:
    data = asdict(record)
    data["tokens"] = record.stats.tokens
    return data


class JobBoard:
    """The one job that may run, and every event so far, numbered from 1."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._guard = threading.RLock()  # start() emits while holding it
        self._thread: threading.Thread | None = None
        self._reporter: Reporter | None = None
        self._job = 0

    @property
    def running(self) -> bool:
        with self._guard:
            return self._reporter is not None

    @property
    def last_seq(self) -> int:
        with self._guard:
            return len(self._events)

    def start(self, kind: JobKind, project: str, work: Work) -> int:
        """Run `work` in a thread; its id. A `UserError` while another job runs."""
        with self._guard:
            if self.running:
                raise UserError("a fill or update is running; stop it or wait for it to end")
            self._job += 1
            job = self._job
            self._reporter = Reporter(lambda kind, data: self._emit(job, kind, data))
            self._emit(job, EventKind.STARTED, {"kind": kind, "project": project})
            self._thread = threading.Thread(
                target=self._run, args=(job, work, self._reporter), name=f"filler-ui-{kind}"
            )
            self._thread.start()
        return job

    def stop(self) -> bool:
        """Ask the running job to stop, as Ctrl-C would; False when none runs."""
        with self._guard:
            if self._reporter is None:
                return False
            self._reporter.stop()
            return True

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def events_since(self, seq: int) -> list[Event]:
        with self._guard:
            return self._events[max(seq, 0) :]

    def _emit(self, job: int, kind: EventKind, data: Mapping[str, object]) -> None:
        with self._guard:
            self._events.append(Event(len(self._events) + 1, job, kind, data))

    def _run(self, job: int, work: Work, reporter: Reporter) -> None:
        end = self._outcome(work, reporter)
        reporter.close()
        # As `filler.cli.main` does: a short fill ends before its worker pool is up.
        workers = sys.modules.get("filler.fill.workers")
        if workers is not None:
            workers.settle()
        with self._guard:
            self._reporter = None  # the next job may start once the page hears of the end
            self._emit(job, *end)

    @staticmethod
    def _outcome(work: Work, reporter: Reporter) -> tuple[EventKind, Mapping[str, object]]:
        try:
            summary = work(reporter)
        except (asyncio.CancelledError, KeyboardInterrupt):
            return EventKind.STOPPED, {"message": _STOPPED}
        except FillerError as exc:
            return EventKind.FAILED, {"message": str(exc)}
        except Exception as exc:  # the page must hear of it, whatever it is
            return EventKind.FAILED, {"message": f"{type(exc).__name__}: {exc}"}
        if reporter.stop_asked:
            return EventKind.STOPPED, {"message": _STOPPED, **summary}
        return EventKind.DONE, summary


_STOPPED = "stopped: files are either untouched or fully written; fill again to resume"
