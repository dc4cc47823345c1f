"""The worker pool: inline until it is up, then other processes; one process means inline."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from filler.fill.workers import Workers, _starting

# A run that ends while its pool is still starting, in a process that then exits.
SHORT_RUN = """
import asyncio
from filler.fill.workers import Workers, settle

async def main():
    async with Workers(2) as workers:
        await workers.run(sum, [1, 2])
        await asyncio.sleep(0.2)

if __name__ == "__main__":
    asyncio.run(main())
    settle()
"""


def test_work_moves_to_the_pool_once_it_is_up() -> None:
    async def main() -> tuple[int, set[int]]:
        async with Workers(2) as workers:
            first = await workers.run(os.getpid)  # the pool takes a while to start
            seen: set[int] = set()
            deadline = time.monotonic() + 60
            while not seen - {os.getpid()} and time.monotonic() < deadline:
                seen.add(await workers.run(os.getpid))
                await asyncio.sleep(0.05)
            return first, seen

    first, seen = asyncio.run(main())
    assert first == os.getpid()
    assert seen - {os.getpid()}, "the pool never took any work"


def _warmed(marks: Path) -> None:
    (marks / str(os.getpid())).touch()
    time.sleep(0.2)  # as long as starting a ruff server, so the next worker takes the next one


def test_each_worker_warms_up_before_its_first_task(tmp_path: Path) -> None:
    async def main() -> set[int]:
        async with Workers(2, partial(_warmed, tmp_path)) as workers:
            deadline = time.monotonic() + 60
            seen: set[int] = set()
            while len(seen) < 2 and time.monotonic() < deadline:
                seen.add(await workers.run(os.getpid))
                seen.discard(os.getpid())  # inline, before the pool is up
                await asyncio.sleep(0.05)
            return seen

    workers = asyncio.run(main())
    assert len(workers) == 2, "the pool never used both workers"
    assert {int(mark.name) for mark in tmp_path.iterdir()} == workers


def test_one_process_runs_inline() -> None:
    async def main() -> int:
        async with Workers(1) as workers:
            return await workers.run(os.getpid)

    assert asyncio.run(main()) == os.getpid()


def test_a_run_that_ends_before_the_pool_is_up_does_not_wait_for_it() -> None:
    async def main() -> float:
        started = time.monotonic()
        async with Workers(2) as workers:
            await workers.run(sum, [1, 2])
        return time.monotonic() - started

    assert asyncio.run(main()) < 0.5


def test_a_run_shorter_than_the_start_delay_starts_no_pool() -> None:
    async def main() -> None:
        async with Workers(2) as workers:
            assert await workers.run(os.getpid) == os.getpid()

    asyncio.run(main())
    assert not _starting, "a pool is starting for a run that is over"


def test_a_process_that_settles_exits_without_a_half_spawned_worker(tmp_path: Path) -> None:
    """Without `settle`, a worker spawned as the process exits finds its semaphores gone and
    prints a FileNotFoundError traceback; the CLI settles before it exits."""
    script = tmp_path / "short_run.py"
    script.write_text(SHORT_RUN)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert done.stderr == ""
    assert time.monotonic() - started < 60
