"""Fill a project: choose the units, drive each unit's repair loop, write what passed.

The layers, outermost first: `fill_project` (concurrency over a `Selection`, the run record) ->
`_Run.attempt` (one unit: context, driving `flow.fill_flow`) and `_Run.finish` (writing what
passed) -> `_Run._ask` and `_Run._verify` (the I/O the flow asks for) -> `Provider.complete` and
`runner`.
"""

from __future__ import annotations

import ast
import asyncio
import difflib
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import Protocol

from filler.errors import NoReply, ProviderError, ProviderSetupError, QuotaExhausted
from filler.fill.context import (
    VisibleTest,
    module_imports,
    package_api,
    visible_tests_source,
)
from filler.fill.extract import reply_too_long
from filler.fill.flow import (
    AskDesigner,
    AskModel,
    Check,
    FlowOptions,
    FlowResult,
    RunCandidate,
    Subject,
    evaluate_reply,
    fill_flow,
)
from filler.fill.holdback import hide_examples, split_held_back, unit_examples
from filler.fill.runner import return_checked, run_script
from filler.fill.sandbox import fallback_notice
from filler.fill.selection import FillOptions, Job, Selection, select_jobs
from filler.fill.warm import WarmRunner
from filler.fill.workers import Workers
from filler.gates.judge import AllowedImports, Fits, Pending, carry_in_turn, judge_in_turn
from filler.lockfile import (
    Lock,
    LockEntry,
    LockOutcome,
    write_lock,
)
from filler.project import Module, ModuleKind, Project
from filler.prompts import PromptContext, Prompts, prompt_too_long
from filler.providers.base import Message, PromptStyle, Provider, Purpose, Reply, Request
from filler.report import CallStats, Outcome, Rejection, RunRecord, UnitRecord
from filler.source.formatting import Linted
from filler.source.units import Unit, find_unit, reset_to_stub, unit_source
from filler.writer import Baseline, FileLocks, atomic_write

__all__ = ["FillOptions", "Job", "Progress", "fill_project", "select_jobs"]

DESIGNED_FILE = Path("tests") / "test__filler_designed.py"


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def unit_done(self, record: UnitRecord) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class EndedFlow:
    """A unit whose flow has ended, before its result is written."""

    job: Job
    result: FlowResult
    stats: CallStats
    errors: tuple[str, ...]  # provider failures: not a verdict on the unit
    started: float  # time.monotonic() when the unit began


@dataclass(frozen=True)
class _Queued:
    """An accepted unit waiting for its module's file lock; `written` gets why it was not
    written, or ""."""

    ended: EndedFlow
    seconds: float  # the unit's time when it was queued, for its lock entry
    written: asyncio.Future[str]

    def pending(self) -> Pending:
        accepted = self.ended.result.accepted
        assert accepted is not None and accepted.candidate is not None
        assert accepted.verdict is not None
        qualname = self.ended.job.unit.qualname
        return Pending(qualname, accepted.candidate, accepted.judged_on, accepted.verdict)


@dataclass
class _Run:
    project: Project
    provider: Provider
    options: FillOptions
    format_code: Callable[[str], str]
    lint_code: Callable[[str], Linted]
    lock: Lock
    tests: dict[str, tuple[VisibleTest, ...]]  # by unit id
    api_sources: dict[str, str]
    prompts: Prompts
    workers: Workers
    allowed: AllowedImports
    design_tests: bool
    warm: WarmRunner  # the test runs of this fill: its zygotes end with it
    baseline: Baseline  # the modules and test files as the run saw them: writes check them
    guarded_tests: tuple[Path, ...]  # the test files and conftests a unit's write depends on
    api_cache: dict[str, str] = field(default_factory=dict)
    file_locks: FileLocks = field(default_factory=FileLocks)
    queued: defaultdict[Path, list[_Queued]] = field(default_factory=lambda: defaultdict(list))
    lock_mutex: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Test runs are CPU work: as many at once as there are cores, whatever --jobs says, so that
    # a run's limits measure its candidate and not the runs queued beside it.
    test_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(_cores()))
    # --jobs: the units asking the model at once. A unit gives its slot back while its replies
    # are judged and tested, so the next unit's call is out meanwhile.
    asking: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    # A unit's candidates are tested once the units its tests call are settled (`waits_for`).
    waits: dict[str, frozenset[str]] = field(default_factory=dict)
    settled: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    stop_reason: str = ""

    # -- one unit -----------------------------------------------------------------------------

    async def attempt(self, job: Job) -> EndedFlow | UnitRecord:
        """Drive the unit's flow to its result; a record right away if it is not attempted."""
        started = time.monotonic()
        if self.stop_reason:
            record = UnitRecord(
                job.unit.id, job.module.path.as_posix(), job.status.label, Outcome.STUB
            )
            return replace(record, reason=f"not attempted: {self.stop_reason}")
        ctx = self._context(job)
        allowed = self.allowed
        flow_options = FlowOptions(
            max_rounds=self.options.max_rounds,
            samples=self.options.samples,
            design_tests=self.design_tests,
            timeout=self.options.test_timeout,
        )
        flow = fill_flow(ctx, job.unit, flow_options, self.prompts)
        stats = CallStats()
        errors: list[str] = []
        # The first round's prompt, asked with the test designer's: a batch fill sends them in
        # one batch, an interactive one has them out at once.
        ahead: asyncio.Task[tuple[list[Reply], CallStats]] | None = None
        step = next(flow)
        try:
            while True:
                if isinstance(step, AskDesigner):
                    if (first := step.first_round) is not None:
                        asking = self._ask(
                            first.messages, first.key, Purpose.FILL, first.samples, CallStats(),
                            errors,
                        )  # fmt: skip
                        ahead = asyncio.ensure_future(asking)
                    replies, stats = await self._ask(
                        step.messages, step.key, Purpose.DESIGN_TESTS, 1, stats, errors
                    )
                    step = flow.send(replies)
                elif isinstance(step, AskModel):
                    if ahead is not None:  # the first round, asked with the designer
                        replies, asked = await ahead
                        stats, ahead = stats.plus(asked), None
                    else:
                        replies, stats = await self._ask(
                            step.messages, step.key, Purpose.FILL, step.samples, stats, errors
                        )
                    for unit_id in self.waits.get(job.unit.id, ()):
                        await self.settled[unit_id].wait()
                    subject = await self._subject(job, allowed)
                    attempts = await asyncio.gather(
                        *(self.workers.run(evaluate_reply, r, step.round, subject) for r in replies)
                    )
                    step = flow.send(attempts)
                else:
                    step = flow.send(await self._verify(job, step))
        except StopIteration as done:
            result: FlowResult = done.value
        finally:
            if ahead is not None:  # the designer's call raised: the first round goes unread
                ahead.cancel()
        return EndedFlow(job, result, stats, tuple(errors), started)

    def _package_api(self, own_module: str) -> str:
        if own_module not in self.api_cache:
            self.api_cache[own_module] = package_api(self.api_sources, own_module)
        return self.api_cache[own_module]

    def _context(self, job: Job) -> PromptContext:
        unit, source = job.unit, job.module.source
        own = f"{self.project.package}.{job.module.feature}" if job.is_demo else unit.module
        tests, held_back = split_held_back(self.tests.get(unit.id, ()))
        stub = unit_source(source if unit.is_stub else reset_to_stub(source, unit), unit)
        examples = unit_examples(self.project.answers, self.project.package, unit.id)
        return PromptContext(
            package=self.project.package,
            package_description=self.project.description,
            module=unit.module,
            feature_description=self.project.feature_description(job.module.feature),
            qualname=unit.qualname,
            kind=unit.kind,
            demo=job.is_demo,
            unit_source=hide_examples(stub, examples, held_back),
            module_imports=module_imports(source),
            tests=visible_tests_source(tests),
            siblings=self._package_api(own),
            third_party=tuple(sorted(self.allowed.third_party)),
            feature_module=own,
            feature_names=_public_names(self.api_sources.get(own, "")),
        )

    async def _ask(
        self,
        messages: tuple[Message, ...],
        unit_id: str,
        purpose: Purpose,
        samples: int,
        stats: CallStats,
        errors: list[str],
    ) -> tuple[list[Reply], CallStats]:
        too_long = prompt_too_long(messages)
        if too_long:  # not sent: the unit stays a stub, and says why (once)
            errors.extend([too_long] if too_long not in errors else [])
            return [], stats
        request = Request(
            messages=messages,
            unit_id=unit_id,
            purpose=purpose,
            temperature=self.options.temperature,
            max_tokens=self.options.max_tokens,
        )
        async with self.asking:
            if self.stop_reason:  # the quota ran out while this unit waited for its slot
                stopped = f"not attempted: {self.stop_reason}"
                errors.extend([stopped] if stopped not in errors else [])
                return [], stats
            outcomes = await asyncio.gather(
                *(self.provider.complete(request) for _ in range(samples)),
                return_exceptions=True,
            )
        replies: list[Reply] = []
        for outcome in outcomes:
            if isinstance(outcome, Reply):
                stats = stats.add(self.provider.name, outcome)
                too_long = reply_too_long(outcome.text)
                if too_long:  # refused unread: neither judged nor sent back to the model
                    errors.append(too_long)
                    continue
                replies.append(outcome)
            elif isinstance(outcome, ProviderSetupError):
                raise outcome
            elif isinstance(outcome, NoReply) and purpose is Purpose.DESIGN_TESTS:
                continue  # no designed tests recorded for this unit: not an error
            elif isinstance(outcome, ProviderError):
                if isinstance(outcome, QuotaExhausted):
                    self.stop_reason = str(outcome)
                errors.append(str(outcome))
            else:
                raise outcome
        return replies, stats

    async def _verify(self, job: Job, step: RunCandidate) -> Check:
        files = {job.module.path: step.module_source}
        timeout = self.options.test_timeout
        if job.is_demo:
            async with self.test_slots:
                script = await run_script(
                    self.project.root,
                    files,
                    job.module.path,
                    timeout=timeout,
                    sandbox=self.options.sandbox,
                )
            return Check(script=script)
        shown, held_back = split_held_back(self.tests.get(job.unit.id, ()))
        spec_ids = [t.node_id for t in shown]
        held_ids = [t.node_id for t in held_back]
        designed_ids: list[str] = []
        if step.designed_tests:
            files[DESIGNED_FILE] = step.designed_tests
            designed_ids = [
                f"{DESIGNED_FILE.as_posix()}::{name}" for name in _test_names(step.designed_tests)
            ]
        async with self.test_slots:
            run = await self.warm.run_tests(
                files,
                [*spec_ids, *held_ids, *designed_ids],
                timeout=timeout,
                checked=return_checked(job.unit),
            )
        by_id = {r.node_id: r for r in run.results}
        return Check(
            spec=tuple(by_id[n] for n in spec_ids),
            designed=tuple(by_id[n] for n in designed_ids),
            held_back=tuple(by_id[n] for n in held_ids),
            timed_out=run.timed_out,
        )

    # -- writing ------------------------------------------------------------------------------

    async def finish(self, ended: EndedFlow) -> UnitRecord:
        """Write what the attempt accepted (or remember why not); the unit's record."""
        job, result, stats = ended.job, ended.result, ended.stats
        started = ended.started
        record = _summary(job, result, stats)
        if result.accepted is None:
            if ended.errors:  # the provider failed: not a verdict on the unit, not remembered
                reasons = [result.reason] if result.attempts else []
                reason = "; ".join([*reasons, *ended.errors])
                return _timed(replace(record, reason=reason), started)
            if not self.options.dry_run:
                await self._remember_failure(job, result, stats, time.monotonic() - started)
            return _timed(replace(record, reason=result.reason), started)
        if self.options.dry_run:
            diff = _diff(job.module, result.accepted.module_source or "")
            return _timed(replace(record, outcome=Outcome.DRY_RUN, diff=diff), started)
        problem = await self._write(ended, time.monotonic() - started)
        return _timed(
            replace(record, outcome=Outcome.STUB if problem else Outcome.FILLED, reason=problem),
            started,
        )

    async def _write(self, ended: EndedFlow, seconds: float) -> str:
        """Merge the accepted candidate into the file as it is now; return why not, or "".

        Units of one module that finish while it is being written wait together and are
        written in one go by whichever of them gets the file lock first.
        """
        path = self.project.root / ended.job.module.path
        mine = _Queued(ended, seconds, asyncio.get_running_loop().create_future())
        self.queued[path].append(mine)
        async with self.file_locks(path):
            if not mine.written.done():
                batch, self.queued[path] = self.queued[path], []
                try:
                    await self._write_batch(path, batch)
                except BaseException as exc:
                    for queued in batch:  # this unit raises it; the others' _write re-raise it
                        if queued is not mine and not queued.written.done():
                            queued.written.set_exception(exc)
                    raise
        return mine.written.result()

    async def _write_batch(self, path: Path, batch: list[_Queued]) -> None:
        current = await asyncio.to_thread(path.read_text, encoding="utf-8")
        module = batch[0].ended.job.module
        pending = [queued.pending() for queued in batch]
        # Mostly nothing the verdicts rest on has changed: then no reason to queue behind the
        # workers' other replies.
        outcomes = carry_in_turn(current, module.name, module.path, pending)
        if outcomes is None:
            outcomes = await self.workers.run(
                judge_in_turn, current, module.name, module.path, pending, self.allowed
            )
        entries: dict[str, LockEntry] = {}
        final = current
        for queued, outcome in zip(batch, outcomes, strict=True):
            if not isinstance(outcome, Fits):
                continue
            unit, verdict = outcome.unit, outcome.verdict
            result, stats = queued.ended.result, queued.ended.stats
            entry = _lock_entry(unit, result, stats, queued.seconds, self.provider)
            entries[unit.id] = replace(entry, body_sha=verdict.body_sha)
            final = verdict.module_source
        if entries:
            # What the unit was verified with, and the text it merges into, must still be there.
            changed = await asyncio.to_thread(
                self.baseline.changed, [module.path, *self.guarded_tests]
            )
            if changed:
                reason = _changed_reason(changed)
                for queued in batch:
                    queued.written.set_result(reason)
                return
            # The lock entries go first: a crash between the two writes leaves stubs with lock
            # entries (filled again next run), never a filled body the lock calls hand-written.
            await self._set_lock_entries(entries)
            await asyncio.to_thread(atomic_write, path, final)
            self.baseline.wrote(module.path, final)
        for queued, outcome in zip(batch, outcomes, strict=True):
            designed = queued.ended.result.designed_tests
            if isinstance(outcome, Fits) and designed:
                await asyncio.to_thread(self._keep_designed, queued.ended.job, designed)
            queued.written.set_result("" if isinstance(outcome, Fits) else outcome.reason)

    async def _subject(self, job: Job, allowed: AllowedImports) -> Subject:
        """Replies are judged on the module as it is now, which other units may have filled
        since the run began: then the writer rarely has to judge them again."""
        path = self.project.root / job.module.path
        current = await asyncio.to_thread(path.read_text, encoding="utf-8")
        unit = _unit_now(current, job) or job.unit
        return Subject(unit, current, allowed, self.format_code, self.lint_code)

    async def _remember_failure(
        self, job: Job, result: FlowResult, stats: CallStats, seconds: float
    ) -> None:
        entry = _lock_entry(job.unit, result, stats, seconds, self.provider)
        failed = replace(entry, body_sha="", outcome=LockOutcome.FAILED, reason=result.reason)
        await self._set_lock_entries({job.unit.id: failed})

    async def _set_lock_entries(self, entries: dict[str, LockEntry]) -> None:
        async with self.lock_mutex:
            for unit_id, entry in entries.items():
                self.lock = self.lock.with_entry(unit_id, entry)
            await asyncio.to_thread(write_lock, self.project.lock_path, self.lock)

    def _keep_designed(self, job: Job, designed: str) -> None:
        name = f"{job.unit.module}.{job.unit.qualname}.py"
        atomic_write(self.project.state_dir / "designed" / name, designed)
        if self.options.keep_designed_tests:
            stem = f"test_{job.unit.module.rsplit('.', 1)[-1]}_{job.unit.qualname.lower()}_designed"
            atomic_write(self.project.root / "tests" / "designed" / f"{stem}.py", designed)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _warm_up(format_code: Callable[[str], str], lint_code: Callable[[str], Linted]) -> None:
    """Format and lint a line once, in a worker before its first reply: its ruff servers (and
    the probe of the project's settings) start during the first calls, not after them."""
    lint_code(format_code("x = 1\n"))


def _guarded_tests(root: Path) -> tuple[Path, ...]:
    """The test modules and every conftest, present or where one would take effect."""
    tests = root / "tests"
    found = {p.relative_to(root) for p in tests.glob("test_*.py")}
    found |= {p.relative_to(root) for p in tests.rglob("conftest.py")}
    found |= {Path("conftest.py"), Path("src") / "conftest.py", Path("tests") / "conftest.py"}
    return tuple(sorted(found))


def _changed_reason(paths: Sequence[Path]) -> str:
    shown = ", ".join(p.as_posix() for p in paths)
    return (
        f"not written: {shown} changed during the run (by a person, or by code under test); "
        "run again"
    )


def _lock_entry(
    unit: Unit, result: FlowResult, stats: CallStats, seconds: float, provider: Provider
) -> LockEntry:
    check = result.best.check if result.best is not None else None
    return LockEntry(
        spec_hash=unit.spec_hash,
        body_sha=unit.body_sha,
        provider=provider.name,
        model=provider.model,
        rounds=result.rounds,
        tests_passed=check.spec_passed if check else 0,
        tests_total=check.spec_total if check else 0,
        seconds=round(seconds, 3),
        tokens=stats.tokens,
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        targets=unit.targets,
    )


def _summary(job: Job, result: FlowResult, stats: CallStats) -> UnitRecord:
    """The record of a unit that stayed a stub; `finish` adjusts what differs."""
    attempts = result.attempts
    best = result.best
    check = best.check if best is not None else None
    return UnitRecord(
        unit=job.unit.id,
        file=job.module.path.as_posix(),
        state_before=job.status.label,
        outcome=Outcome.STUB,
        rounds=result.rounds,
        candidates=len(attempts),
        tests_passed=check.spec_passed if check else 0,
        tests_total=check.spec_total if check else 0,
        designed_passed=check.designed_passed if check else 0,
        designed_total=len(check.designed) if check else 0,
        stats=stats,
        rejections=tuple(
            Rejection(str(a.gate), a.rejection) for a in attempts if a.rejection and a.gate
        ),
        repairs=best.candidate.notes if best is not None and best.candidate else (),
    )


def _timed(record: UnitRecord, started: float) -> UnitRecord:
    return replace(record, seconds=round(time.monotonic() - started, 3))


def _unit_now(source: str, job: Job) -> Unit | None:
    return find_unit(source, job.unit.module, job.module.path, job.unit.qualname)


@lru_cache(maxsize=32)  # every unit of a feature asks, about the same text
def _public_names(source: str) -> tuple[str, ...]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    return tuple(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
    )


def _test_names(source: str) -> list[str]:
    return [
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test")
    ]


def _diff(module: Module, after: str) -> str:
    path = module.path.as_posix()
    return "".join(
        difflib.unified_diff(
            module.source.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


async def fill_project(
    project: Project,
    provider: Provider,
    options: FillOptions,
    selection: Selection,
    progress: Progress,
    format_code: Callable[[str], str] = str,
    lint_code: Callable[[str], Linted] = Linted,
) -> RunRecord:
    """Fill the jobs of `selection` (`selection.select`, made by the caller, which also keeps
    the run record this returns: `report.save_run`)."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    # Before any model call: a forced sandbox that cannot start is a ConfigError.
    sandbox_notice = fallback_notice(options.sandbox)
    units, jobs = selection.units, selection.jobs
    guarded_tests = _guarded_tests(project.root)
    baseline = Baseline.of(project.root, [*{m.path for m, _ in units}, *guarded_tests])
    warm_up = partial(_warm_up, format_code, lint_code)
    async with Workers.for_jobs(min(options.jobs, len(jobs)), warm_up) as workers:
        run = _Run(
            project=project,
            provider=provider,
            options=options,
            format_code=format_code,
            lint_code=lint_code,
            lock=selection.lock,
            tests=selection.tests,
            api_sources={m.name: m.source for m, _ in units if m.kind is ModuleKind.FEATURE},
            prompts=Prompts(provider.prompt_style),
            workers=workers,
            allowed=project.allowed_imports(),
            design_tests=(
                provider.prompt_style is PromptStyle.FULL
                if options.design_tests is None
                else options.design_tests
            ),
            warm=WarmRunner(project.root, size=_cores(), sandbox=options.sandbox),
            baseline=baseline,
            guarded_tests=guarded_tests,
            asking=asyncio.Semaphore(max(1, options.jobs)),
            waits=selection.waits,
        )
        if any(run.tests.get(job.unit.id) for job in jobs):
            run.warm.start()  # its zygotes import pytest while the first model calls are out
        progress.start(len(jobs))

        async def guarded(job: Job) -> UnitRecord:
            try:
                ended = await run.attempt(job)
                record = ended if isinstance(ended, UnitRecord) else await run.finish(ended)
            finally:
                run.settled[job.unit.id].set()
            progress.unit_done(record)
            return record

        # Demos call the package, so they are filled once the package's own units are done.
        records: list[UnitRecord] = []
        try:
            for batch in ([j for j in jobs if not j.is_demo], [j for j in jobs if j.is_demo]):
                records += await asyncio.gather(*(guarded(job) for job in batch))
        finally:
            progress.finish()
            await run.warm.close()
    record = RunRecord(
        provider=provider.name,
        model=provider.model,
        started_at=started_at,
        seconds=round(time.monotonic() - started, 3),
        units=tuple(records),
        notes=tuple(
            note
            for note in (sandbox_notice, run.stop_reason and f"stopped early: {run.stop_reason}")
            if note
        ),
    )
    return record
