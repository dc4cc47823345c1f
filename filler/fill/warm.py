"""Warm test runs: sandboxed processes that imported pytest once fork a fresh child per candidate.

A cold run (`runner.run_tests`) copies the project, starts an interpreter, imports pytest and
its plugins (hypothesis alone takes a second), and only then runs the unit's two or three tests.
Here, per run and per interpreter, a few zygotes (`zygote`, as many as there are cores) each
start once inside their own bubblewrap sandbox, with the same confinement as a cold run except
that the project is shown read-only instead of copied (only what a copy would hold: no `.git`,
no `.filler`), and import pytest, its plugins and hypothesis but nothing of the project. For
each candidate a zygote forks a child: the child
runs in a view of the project made for it in the zygote's one writable directory (the
candidate's files written, every other entry a symlink into the read-only project), with the
candidate's environment and rlimits (CPU time from the timeout, memory, file size), runs
`pytest.main` on the unit's node ids only, and sends back the cases pytest's junit reporter
recorded, so the results are those of a cold run. Then the zygote kills whatever the candidate
left running and removes whatever it wrote, and takes the next one.

A zygote that dies, hangs or answers nonsense is killed and its candidate re-run cold; the next
candidate starts a new zygote. Where no zygote can start (no bubblewrap, `--sandbox none`, an
interpreter without pytest) every run is cold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from filler.fill.runner import (
    COPY_IGNORE,
    RETURN_CHECK,
    RETURN_CHECK_SOURCE,
    Case,
    Ended,
    TestRun,
    finished_run,
    project_python,
    pytest_args,
    results_of,
    run_tests,
    wall_limit,
    with_return_check,
)
from filler.fill.sandbox import (
    Layout,
    Limit,
    Limits,
    SandboxMode,
    bwrap_argv,
    bwrap_for,
    host_layout,
    limit_of_signal,
    passed_env,
    private_env,
)

__all__ = ["WarmRunner"]

_ZYGOTE = Path(__file__).with_name("zygote.py").read_text(encoding="utf-8")
_START_SECONDS = 60.0  # importing pytest and its plugins on a loaded machine
_GRACE_SECONDS = 10.0  # past the candidate's own wall limit, which the zygote enforces
_LINE_LIMIT = 64 * 1024 * 1024  # one reply: the output tail and the recorded cases
_PRELOAD = ("hypothesis",)  # a second of imports, which every candidate's tests would pay
_LIMITS = Limits()
# Zygotes of one interpreter lost mid-run before its runs go cold for the rest of the fill:
# one killed by a hostile candidate is replaced, one that cannot work here is not retried.
_LOSSES_TO_GIVE_UP = 3


@dataclass
class _Zygote:
    process: asyncio.subprocess.Process
    scratch: Path  # its one writable directory, where each candidate's view is made

    async def ask(self, request: Mapping[str, Any], wait: float) -> dict[str, Any] | None:
        """The zygote's reply to `request`, or None if it died, hung or answered nonsense."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            await self.process.stdin.drain()
            line = await asyncio.wait_for(self.process.stdout.readline(), wait)
            reply = json.loads(line)
        except (OSError, TimeoutError, ValueError):
            return None
        return reply if isinstance(reply, dict) else None

    async def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        await asyncio.to_thread(shutil.rmtree, self.scratch, True)


@dataclass
class _Pool:
    slots: asyncio.Semaphore
    idle: list[_Zygote] = field(default_factory=list)
    starting: list[asyncio.Task[_Zygote | None]] = field(default_factory=list)


class WarmRunner:
    """One fill run's test runs: warm where a zygote can start, cold otherwise.

    At most `size` zygotes per interpreter; `close` ends them all.
    """

    def __init__(
        self,
        root: Path,
        *,
        size: int,
        sandbox: SandboxMode = SandboxMode.AUTO,
        limits: Limits = _LIMITS,
        preload: Sequence[str] = _PRELOAD,
    ) -> None:
        self.root = root
        self.size = max(1, size)
        self.sandbox = sandbox
        self.limits = limits
        self.preload = tuple(preload)
        self._pools: dict[str, _Pool] = {}
        self._cold: set[str] = set()  # interpreters where no zygote could start, or lasts
        self._lost: Counter[str] = Counter()  # zygotes lost mid-run, per interpreter
        self.cold_runs = 0  # runs that were meant to be warm and ran cold: a zygote was lost

    async def run_tests(
        self,
        files: Mapping[Path, str],
        node_ids: Sequence[str],
        *,
        timeout: float,
        python: str | None = None,
        checked: Sequence[str] = (),
    ) -> TestRun:
        """What `runner.run_tests` gives for the same arguments, warm when it can be.

        Raises ConfigError when the sandbox is `bwrap` and bubblewrap cannot start.
        """
        started = time.monotonic()
        python = python or project_python(self.root)
        bwrap = bwrap_for(self.sandbox)
        if node_ids and bwrap is not None and python not in self._cold:
            pool = self._pool(python)
            async with pool.slots:
                if pool.idle:
                    zygote: _Zygote | None = pool.idle.pop()
                elif pool.starting:
                    zygote = await pool.starting.pop(0)
                else:
                    zygote = await self._start(bwrap, python)
                if zygote is not None:
                    run = await self._run_warm(
                        zygote, pool, files, node_ids, timeout, started, checked
                    )
                    if run is not None:
                        return run
                    self._lost[python] += 1
                    if self._lost[python] >= _LOSSES_TO_GIVE_UP:
                        self._cold.add(python)
                self.cold_runs += 1
        return await run_tests(
            self.root, files, node_ids,
            timeout=timeout, python=python, sandbox=self.sandbox, limits=self.limits,
            checked=checked,
        )  # fmt: skip

    def start(self, python: str | None = None) -> None:
        """Start the zygotes of `python` (the project's) now, so that they are ready when the
        first candidate is: importing pytest and hypothesis takes longer than a model call."""
        python = python or project_python(self.root)
        bwrap = bwrap_for(self.sandbox)
        if bwrap is None or python in self._cold:
            return
        pool = self._pool(python)
        missing = self.size - len(pool.idle) - len(pool.starting)
        for _ in range(missing):
            pool.starting.append(asyncio.create_task(self._start(bwrap, python)))

    async def close(self) -> None:
        """End every zygote, started or starting, and remove its directory."""
        pools = list(self._pools.values())
        self._pools.clear()
        started = await asyncio.gather(*(t for p in pools for t in p.starting))
        zygotes = [*(z for p in pools for z in p.idle), *(z for z in started if z is not None)]
        await asyncio.gather(*(z.close() for z in zygotes))

    def _pool(self, python: str) -> _Pool:
        return self._pools.setdefault(python, _Pool(asyncio.Semaphore(self.size)))

    async def _start(self, bwrap: str, python: str) -> _Zygote | None:
        """A zygote of `python`, ready; None (and `python` runs cold from now on) if none can
        start."""
        scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="filler-warm-"))
        host = await asyncio.to_thread(host_layout, python)
        shown = await asyncio.to_thread(_project_layout, self.root)
        layout = Layout((*host.read_only, *shown.read_only), (*host.symlinks, *shown.symlinks))
        argv = [
            *bwrap_argv(bwrap, layout, scratch, scratch),
            python, "-c", _ZYGOTE, str(self.limits.memory), RETURN_CHECK, RETURN_CHECK_SOURCE,
            *self.preload,
        ]  # fmt: skip
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=passed_env() | {"HOME": str(scratch), "TMPDIR": str(scratch)},
                cwd=scratch,
                limit=_LINE_LIMIT,
                start_new_session=True,
            )
        except OSError:  # an interpreter or a bwrap gone: the cold runs say what is wrong
            self._cold.add(python)
            await asyncio.to_thread(shutil.rmtree, scratch, True)
            return None
        zygote = _Zygote(process, scratch)
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), _START_SECONDS)
            ready = json.loads(line).get("ready") is True
        except (TimeoutError, ValueError, AttributeError):
            ready = False
        except BaseException:
            await zygote.close()
            raise
        if not ready:
            self._cold.add(python)
            await zygote.close()
            return None
        return zygote

    async def _run_warm(
        self,
        zygote: _Zygote,
        pool: _Pool,
        files: Mapping[Path, str],
        node_ids: Sequence[str],
        timeout: float,
        started: float,
        checked: Sequence[str],
    ) -> TestRun | None:
        """The run in `zygote`, which goes back to `pool` if it stays usable; None if lost."""
        try:
            request = await asyncio.to_thread(
                self._request, zygote.scratch / "candidate", files, node_ids, timeout, checked
            )
            reply = await zygote.ask(request, wall_limit(timeout) + _GRACE_SECONDS)
            run = None if reply is None else self._read(reply, node_ids, timeout, started)
        except BaseException:  # cancelled mid-run: its state is unknown
            await zygote.close()
            raise
        if run is None or reply is None or reply.get("retire") is not False:
            await zygote.close()
        else:
            pool.idle.append(zygote)
        return run

    def _request(
        self,
        into: Path,
        files: Mapping[Path, str],
        node_ids: Sequence[str],
        timeout: float,
        checked: Sequence[str],
    ) -> dict[str, Any]:
        view = _view(self.root, with_return_check(files, checked), into)
        # As `python -m pytest` with PYTHONPATH=src:. in the view, the way a cold run starts.
        return {
            "cwd": str(view),
            "path": [str(view), str(view / "src"), str(view)],
            "env": private_env(into, [view / "src", view]),
            "args": pytest_args(node_ids, os.devnull, checked),
            "cpu": math.ceil(timeout),
            "memory": self.limits.memory,
            "file_size": self.limits.file_size,
            "wall": wall_limit(timeout),
            "output_cap": self.limits.output,
        }

    def _read(
        self, reply: Mapping[str, Any], node_ids: Sequence[str], timeout: float, started: float
    ) -> TestRun | None:
        """The run a zygote's reply describes; None if the reply is malformed."""
        try:
            returncode = reply["returncode"]
            timed_out = bool(reply["timed_out"])
            cases = [
                Case(str(c["classname"]), str(c["name"]), tuple(_part(p) for p in c["parts"]))
                for c in reply["cases"]
            ]
            killed = returncode is not None and returncode < 0
            limit = limit_of_signal(-returncode) if killed else None
            if limit is None and int(reply["seen"]) > self.limits.output:
                limit = Limit.OUTPUT
            output = "" if timed_out else str(reply["output"])
            cpu = float(reply["cpu"])
        except (KeyError, TypeError, ValueError):
            return None
        ended = Ended(returncode, timed_out, output, limit)
        run = finished_run(ended, results_of(cases, node_ids), timeout, self.limits, started)
        return replace(run, cpu_seconds=cpu)


def _part(part: Sequence[Any]) -> tuple[str, str | None, str | None]:
    tag, message, text = part
    return str(tag), None if message is None else str(message), None if text is None else str(text)


def _project_layout(root: Path) -> Layout:
    """What a zygote shows of the project, read-only: what a cold run's copy would hold (no
    `.git`, no `.filler`, no virtual environment), each top-level entry at its own path."""
    names = os.listdir(root)
    ignored = COPY_IGNORE(str(root), names)
    entries = [root / name for name in sorted(names) if name not in ignored]
    return Layout(
        tuple(p for p in entries if not p.is_symlink()),
        tuple((os.readlink(p), p) for p in entries if p.is_symlink()),
    )


def _view(root: Path, files: Mapping[Path, str], into: Path) -> Path:
    """The project as a run sees it, made in `into`: `files` written, every other entry a
    symlink into `root`. Only the directories that hold a file of `files` are real ones, so
    making it costs a few dozen symlinks, not a copy."""
    view = into / "project"
    holders = {Path("."), *(parent for relative in files for parent in relative.parents)}
    for directory in sorted(holders):
        target = view / directory
        target.mkdir(parents=True, exist_ok=True)
        source = root / directory
        names = os.listdir(source) if source.is_dir() else []
        ignored = COPY_IGNORE(str(source), names)
        for name in names:
            relative = directory / name
            if name not in ignored and relative not in holders and relative not in files:
                os.symlink(source / name, target / name)
    for relative, text in files.items():
        (view / relative).write_text(text, encoding="utf-8")
    return view
