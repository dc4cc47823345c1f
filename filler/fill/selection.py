"""What a fill is asked to do, which units it takes and in what order their candidates are
tested: `FillOptions`, `Job`, `select_jobs`, `waits_for`, and `select`, which reads all that
once into the `Selection` every stage of the fill works from.

Light on purpose (the lock rules and the units' `ast` hashes; no libcst, no provider SDK, no
test runner): `api.fill` selects the jobs before it imports the pipeline, so that a fill with
nothing to do answers at once.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from filler.fill.context import VisibleTest, spec_tests_by_unit
from filler.fill.sandbox import SandboxMode
from filler.lockfile import Lock, UnitStatus, read_lock, unit_status
from filler.project import Module, ModuleKind, Project
from filler.source.units import Unit

__all__ = ["FillOptions", "Job", "Selection", "select", "select_jobs", "waits_for"]


@dataclass(frozen=True)
class FillOptions:
    # The fill loop's numbers come from `config.Settings`, which owns their defaults.
    max_rounds: int
    samples: int
    jobs: int
    temperature: float
    max_tokens: int
    test_timeout: float
    only: tuple[str, ...] = ()
    force: tuple[str, ...] = ()
    dry_run: bool = False
    # None: ask the test designer unless the model is one that gets compact prompts, whose
    # designed tests are mostly wrong and would only cost calls.
    design_tests: bool | None = None
    keep_designed_tests: bool = False
    retry: bool = False
    report_path: Path | None = None
    sandbox: SandboxMode = SandboxMode.AUTO


@dataclass(frozen=True)
class Job:
    unit: Unit
    status: UnitStatus
    module: Module

    @property
    def is_demo(self) -> bool:
        return self.module.kind is ModuleKind.DEMO


@dataclass(frozen=True)
class Selection:
    """What one fill works on, read once: the project's units and lock, the jobs chosen from
    them, the spec tests by unit id and the dependency waits among the jobs (`waits_for`)."""

    units: tuple[tuple[Module, Unit], ...]
    lock: Lock
    jobs: tuple[Job, ...]
    tests: dict[str, tuple[VisibleTest, ...]]
    waits: dict[str, frozenset[str]]


def select(project: Project, options: FillOptions, provider: tuple[str, str]) -> Selection:
    """The fill of `project` as `options` and `provider` (its name and model) select it; the
    test files are read only when there is a job."""
    units = tuple(project.units())
    lock = read_lock(project.lock_path)
    jobs = tuple(select_jobs(units, lock, options, provider))
    if not jobs:
        return Selection(units, lock, jobs, {}, {})
    tests = spec_tests_by_unit(
        {
            path.relative_to(project.root): path.read_text(encoding="utf-8")
            for path in sorted((project.root / "tests").glob("test_*.py"))
        }
    )
    # Demos wait for the package's units anyway: they are filled after them. A test's fixtures
    # and helpers call units too: a fixture's set-up or tear-down reaching a stub skips it.
    waits = waits_for(
        [job for job in jobs if not job.is_demo],
        {
            unit_id: [text for test in shown for text in (test.source, *test.helpers)]
            for unit_id, shown in tests.items()
        },
    )
    return Selection(units, lock, jobs, tests, waits)


def select_jobs(
    units: Sequence[tuple[Module, Unit]],
    lock: Lock,
    options: FillOptions,
    provider: tuple[str, str],
) -> list[Job]:
    """The units to fill: stubs and stale bodies, plus whatever `force` matches, within `only`.

    A stub that this provider and model already failed on, for this very spec, is skipped
    unless `retry` is set: at the same settings it would fail the same way and cost the same.
    """
    jobs = []
    for module, unit in units:
        if options.only and not any(fnmatch(unit.id, pattern) for pattern in options.only):
            continue
        entry = lock.get(unit.id)
        status = unit_status(unit, entry)
        forced = any(fnmatch(unit.id, pattern) for pattern in options.force)
        failed_before = (
            entry is not None
            and entry.failed
            and entry.spec_hash == unit.spec_hash
            and (entry.provider, entry.model) == provider
        )
        if forced or (status.should_fill and (options.retry or not failed_before)):
            jobs.append(Job(unit, status, module))
    return jobs


def waits_for(jobs: Sequence[Job], tests: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """For each unit of `jobs`, the other units of `jobs` its tests (`tests`: unit id -> test
    sources) call: its candidates are tested once those are written, or their stubs would make
    its tests skip. A cycle is cut: a unit waits only for units placed before it, in an order
    where every unit comes after the units it calls wherever that is possible.
    """
    ids: dict[str, str | None] = {}
    for job in jobs:  # a name two units share (in two modules) says nothing
        ids[job.unit.qualname] = None if job.unit.qualname in ids else job.unit.id
    calls: dict[str, set[str]] = {}
    for job in jobs:
        names = {name for source in tests.get(job.unit.id, ()) for name in _names_in(source)}
        called = {ids[name] for name in names if ids.get(name)}
        calls[job.unit.id] = {unit_id for unit_id in called if unit_id and unit_id != job.unit.id}
    placed: dict[str, int] = {}
    pending = dict(calls)
    while pending:
        ready = [u for u, called in pending.items() if called <= placed.keys()]
        for unit_id in ready or [next(iter(pending))]:  # none ready: a cycle, cut here
            placed[unit_id] = len(placed)
            del pending[unit_id]
    return {
        unit_id: frozenset(u for u in called if placed[u] < placed[unit_id])
        for unit_id, called in calls.items()
        if called
    }


def _names_in(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
