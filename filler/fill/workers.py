"""CPU-bound pure work (extract, format, gate, merge) off the event loop.

With several units in flight, judging replies in the event loop's thread would stall every
other unit's provider traffic; a process pool also puts the second core to work. The pool takes
about half a second to start (its fork server imports the core), so it starts in the background
and work runs inline until it is ready; with one unit in flight there is nothing to overlap and
no pool. It starts a moment after the run does: the run's first requests go out meanwhile, and a
process importing the core on one of two cores delayed them by ~30 ms.

Like any code using multiprocessing, a script calling `filler.api.fill` with several jobs must
do so under `if __name__ == "__main__":`, and should call `settle()` before it exits (the CLI
does): a run does not wait for a pool that is still starting, but a process that exits while a
worker is being spawned leaves that worker to fail on semaphores that are gone, printing a
traceback.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Self, TypeVar

__all__ = ["Workers", "settle"]

T = TypeVar("T")

# Sending the first requests of a run takes the event loop about 30 ms.
_START_AFTER_S = 0.05

# Threads bringing a pool up; each removes itself once the pool is up (and shut down, if its
# run has ended meanwhile).
_starting: set[threading.Thread] = set()
# Pools shut down without waiting. Python 3.11's exit hook for process pools can write to the
# wake-up pipe of one whose manager thread is closing it at that moment (EBADF, printed as an
# ignored exception): `settle` lets them finish first.
_closing: list[ProcessPoolExecutor] = []


def settle(timeout_s: float = 60.0) -> None:
    """Wait until no pool is still starting or closing, so none is left half-done at exit."""
    for thread in list(_starting):
        thread.join(timeout_s)
    while _closing:
        _closing.pop().shutdown(wait=True)


def _close(pool: ProcessPoolExecutor) -> None:
    pool.shutdown(wait=False, cancel_futures=True)
    _closing.append(pool)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the parent decides what stops, not each worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    return None


def _start_pool(processes: int, warm_up: Callable[[], object]) -> ProcessPoolExecutor:
    # forkserver: never fork a process that has threads; it imports the core once and forks
    # the workers from there.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["filler.fill.flow"])
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_ignore_interrupts)
    # One task per worker, each busy long enough that the next goes to another worker; one
    # that fails only leaves that worker cold.
    wait([pool.submit(warm_up) for _ in range(processes)])
    return pool


class Workers:
    """Runs pure functions in a pool of `processes` workers once it is up, inline before.

    `warm_up` runs in each worker as the pool starts, while the run's first calls are out: what
    a worker would otherwise start on the first reply it judges (its ruff servers) is ready.
    """

    def __init__(self, processes: int, warm_up: Callable[[], object] = _ready) -> None:
        self._processes = processes
        self._warm_up = warm_up
        self._pool: Future[ProcessPoolExecutor] | None = None
        self._launch: asyncio.TimerHandle | None = None
        self._closed = threading.Event()

    @classmethod
    def for_jobs(cls, jobs: int, warm_up: Callable[[], object] = _ready) -> Workers:
        return cls(min(jobs, os.cpu_count() or 1), warm_up)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self._pool is None or not self._pool.done():
            return function(*args)
        pool = self._pool.result()
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)

    def _start(self, started: Future[ProcessPoolExecutor]) -> None:
        try:
            pool = _start_pool(self._processes, self._warm_up)
            started.set_result(pool)
            if self._closed.is_set():  # the run ended while the pool was starting
                _close(pool)
        finally:
            _starting.discard(threading.current_thread())

    def _start_in_background(self, started: Future[ProcessPoolExecutor]) -> None:
        # A thread of its own, not the loop's executor: a short run must not wait for it.
        thread = threading.Thread(target=self._start, args=(started,), daemon=True)
        _starting.add(thread)
        thread.start()

    async def __aenter__(self) -> Self:
        if self._processes > 1:
            self._pool = Future()
            self._launch = asyncio.get_running_loop().call_later(
                _START_AFTER_S, self._start_in_background, self._pool
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed.set()
        if self._launch is not None:
            self._launch.cancel()  # a run shorter than the delay needs no pool
        if self._pool is not None and self._pool.done():
            # Every result is in; the workers exit on their own (the interpreter joins them at
            # exit), so a run does not also wait for that.
            _close(self._pool.result())
