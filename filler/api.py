"""The operations behind the CLI, as plain functions: `new`, `fill`, `status`, `update`, `plan`.

This is the one orchestrator: it loads settings, opens the provider and runs the event loop,
and composes the pure steps of `filler.plan`, `filler.update` and `filler.fill.pipeline`. Each
function takes paths and settings and returns data; none prints. The CLI (`filler.cli`) turns
their results into tables and their exceptions into exit codes.

Copier, libcst and the provider SDKs are imported by the function that uses them, so that
`filler --help` and `filler status` start at once.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from filler.config import Overrides, load_settings
from filler.errors import ProjectError, UserError
from filler.git import FILLER_IDENTITY, git, run_git
from filler.lockfile import State, UnitStatus, read_lock, unit_status, write_lock
from filler.project import Project, load_project
from filler.writer import project_lock

if TYPE_CHECKING:
    from filler.batch.session import BatchProgress
    from filler.fill.pipeline import Progress
    from filler.fill.selection import FillOptions, Selection
    from filler.plan import Draft, NoDraft, PlanFlow, PlanResult, Reviewer
    from filler.providers.base import Provider
    from filler.report import RunRecord, UnitRecord
    from filler.source.formatting import Linted
    from filler.update import UpdateResult

__all__ = [
    "FillFlags",
    "StatusRow",
    "batches_in_flight",
    "cancel_batches",
    "fill",
    "mark_manual",
    "new",
    "plan",
    "status",
    "update",
]


@dataclass(frozen=True)
class FillFlags(Overrides):
    """What to fill and how, on top of the settings; None or empty: not given."""

    only: tuple[str, ...] = ()  # unit id globs
    force: tuple[str, ...] = ()  # unit id globs filled whatever their state
    retry: bool = False
    dry_run: bool = False
    design_tests: bool | None = None
    keep_designed_tests: bool = False
    report: Path | None = None
    batch: bool = False  # each round through the provider's batch API (filler.batch)
    wait: bool = True  # with batch: poll until done, or submit and return


class _Silent:
    def start(self, total: int) -> None:
        return None

    def unit_done(self, record: UnitRecord) -> None:
        return None

    def finish(self) -> None:
        return None


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _code_tools(project: Project) -> tuple[partial[str], partial[Linted]]:
    """How candidates are formatted and linted: like the rest of the project (ruff, the
    project's line length), held to its own `ruff check` with its safe fixes applied."""
    from filler.source.formatting import format_or_keep, lint_fixed

    line_length = _ruff_line_length(project.root)
    return (
        partial(format_or_keep, line_length=line_length),
        partial(lint_fixed, root=project.root, line_length=line_length),
    )


def _ruff_line_length(root: Path) -> int:
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return 88
    value = data.get("tool", {}).get("ruff", {}).get("line-length", 88)
    return value if isinstance(value, int) else 88


def fill(
    path: Path,
    flags: FillFlags | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    on_batch: Callable[[BatchProgress], None] | None = None,
    watch: Callable[[Provider], Provider] | None = None,
) -> RunRecord:
    """Fill the project at or above `path`; `flags` are the CLI's fill options; `on_batch`
    hears how each batch stands (with `flags.batch`); `watch` wraps the provider, to follow
    its calls (`filler ui` shows what each unit is doing).

    Raises `ProjectError` when another fill or update of the project is running.
    """
    project = load_project(path)
    with project_lock(project.root, project.state_dir):
        return _fill(project, flags, progress, environ, on_batch, watch)


def _fill(
    project: Project,
    flags: FillFlags | None,
    progress: Progress | None,
    environ: Mapping[str, str] | None,
    on_batch: Callable[[BatchProgress], None] | None = None,
    watch: Callable[[Provider], Provider] | None = None,
) -> RunRecord:
    from filler.fill.selection import FillOptions, select
    from filler.providers import open_provider
    from filler.readme import sync_project_readme

    flags = flags or FillFlags()
    settings = load_settings(project.root, flags, _environ(environ))
    options = FillOptions(
        only=flags.only,
        force=flags.force,
        dry_run=flags.dry_run,
        max_rounds=settings.max_rounds,
        samples=settings.samples,
        jobs=settings.jobs,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        test_timeout=settings.test_timeout,
        design_tests=flags.design_tests,
        keep_designed_tests=flags.keep_designed_tests,
        retry=flags.retry,
        report_path=flags.report,
        sandbox=settings.sandbox,
    )

    if flags.batch:  # its own provider stack, around the provider's batch API
        from filler.batch.run import BatchFlags, fill_in_batches

        batch_flags = BatchFlags(flags.wait, on_batch or (lambda progress: None), watch)
        record = asyncio.run(
            fill_in_batches(project, settings, options, progress or _Silent(),
                            *_code_tools(project), batch_flags, _environ(environ))
        )  # fmt: skip
    else:
        provider = open_provider(settings)  # opened only when there is work
        if watch is not None:
            provider = watch(provider)
        # Its name and model count for the selection: a unit this model failed on waits.
        selection = select(project, options, (provider.name, provider.model))
        if selection.jobs:
            record = asyncio.run(
                _fill_with(project, provider, options, selection, progress or _Silent())
            )
        else:
            record = _nothing_to_fill(project, provider, options)
    if not options.dry_run:
        sync_project_readme(project)
    return record


async def _fill_with(
    project: Project,
    provider: Provider,
    options: FillOptions,
    selection: Selection,
    progress: Progress,
) -> RunRecord:
    from filler.fill.pipeline import fill_project
    from filler.report import save_run

    async with provider:
        record = await fill_project(
            project, provider, options, selection, progress, *_code_tools(project)
        )
    save_run(record, project.state_dir, dry_run=options.dry_run, report_path=options.report_path)
    return record


def _nothing_to_fill(project: Project, provider: Provider, options: FillOptions) -> RunRecord:
    """The record of a fill that selects no unit: answered without the pipeline (libcst, the
    gates, the test runner), the provider's SDK or the sandbox."""
    from datetime import UTC, datetime

    from filler.report import RunRecord, save_run

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    record = RunRecord(provider.name, provider.model, started_at, seconds=0.0, units=())
    save_run(record, project.state_dir, dry_run=options.dry_run, report_path=options.report_path)
    return record


def cancel_batches(
    path: Path, flags: FillFlags | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Cancel the batches a batch fill of the project has running; one line per batch."""
    from filler.batch.run import cancel_batches as cancel

    project = load_project(path)
    with project_lock(project.root, project.state_dir):
        settings = load_settings(project.root, flags or FillFlags(), _environ(environ))
        return asyncio.run(cancel(project, settings))


def batches_in_flight(path: Path) -> list[str]:
    """One line per batch a batch fill of the project has running (`filler status`)."""
    from filler.batch.state import in_flight

    return in_flight(load_project(path).state_dir)


def plan(
    idea: str,
    features: Sequence[str],
    output: Path,
    *,
    force: bool = False,
    flags: Overrides | None = None,
    reviewer: Reviewer | None = None,
    environ: Mapping[str, str] | None = None,
) -> PlanResult:
    """Draft a spec for `idea` with the model the settings choose and write it to `output`.

    Raises `UserError` for an empty or refused idea or an existing `output` without `force`
    (all before any model call) and when the model refuses; `PlanFailed` when no draft passes
    within the settings' `max_rounds`. Nothing is written unless a draft passes and `reviewer`
    (if any) accepts it.
    """
    from filler.plan import (
        Accept,
        NoDraft,
        PlanResult,
        Quit,
        Regenerate,
        draft_flow,
        no_draft_error,
        plan_messages,
        regenerate_temperature,
    )
    from filler.prompts import Prompts
    from filler.providers import open_provider
    from filler.spec.yaml_writer import commented_yaml
    from filler.writer import atomic_write

    settings = load_settings(None, flags or Overrides(), _environ(environ))
    prompts = Prompts()
    first = plan_messages(idea, features, prompts)
    if output.exists() and not force:
        raise UserError(f"{output} already exists; pass --force to overwrite it")

    async def run() -> PlanResult:
        temperature = settings.temperature
        calls = 0
        async with open_provider(settings) as provider:
            while True:
                flow = draft_flow(first, prompts.plan_repair, settings.max_rounds)
                outcome = await _drive_plan(provider, flow, temperature, settings.max_tokens)
                calls += outcome.rounds
                if isinstance(outcome, NoDraft):
                    raise no_draft_error(outcome, output)
                model = f"{provider.name}/{outcome.model}"
                text = commented_yaml(outcome.spec, idea=idea, model=model, path=str(output))
                decision = Accept(text, outcome.spec) if reviewer is None else reviewer(text)
                if isinstance(decision, Regenerate):
                    temperature = regenerate_temperature(temperature)
                    continue
                if isinstance(decision, Quit):
                    return PlanResult(output, None, calls, provider.name, outcome.model)
                atomic_write(output, decision.text)
                return PlanResult(output, decision.spec, calls, provider.name, outcome.model)

    return asyncio.run(run())


async def _drive_plan(
    provider: Provider, flow: PlanFlow, temperature: float, max_tokens: int
) -> Draft | NoDraft:
    """Send what the plan flow asks for to the provider until it has an outcome."""
    from filler.plan import plan_request

    messages = next(flow)
    try:
        while True:
            reply = await provider.complete(plan_request(messages, temperature, max_tokens))
            messages = flow.send(reply)
    except StopIteration as done:
        outcome: Draft | NoDraft = done.value
        return outcome


def new(
    spec: Path,
    dest: Path,
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
) -> Project:
    """Render `spec` into `dest` and commit the render in a new git repository.

    The commit is what `filler update` later diffs against; the fill that follows is left
    uncommitted for review.
    """
    from filler.render import render_new

    root = render_new(spec, dest, template=template, vcs_ref=vcs_ref)
    _git_init_and_commit(root, f"Render {spec.name} with copier-filler")
    return load_project(root)


def _git_init_and_commit(root: Path, message: str) -> None:
    if run_git(root, "rev-parse", "--is-inside-work-tree").returncode == 0:
        return  # already part of a repository the user manages
    # The user's identity where the environment sets one, else filler's.
    env = {key: os.environ.get(key, value) for key, value in FILLER_IDENTITY.items()}
    for args in (("init", "-q", "-b", "main"), ("add", "-A"),
                 ("commit", "-q", "--no-verify", "-m", message)):  # fmt: skip
        git(root, *args, error=ProjectError, env=env)


def update(
    path: Path,
    *,
    data_file: Path | None = None,
    vcs_ref: str | None = None,
    flags: FillFlags | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    watch: Callable[[Provider], Provider] | None = None,
    on_batch: Callable[[BatchProgress], None] | None = None,
) -> UpdateResult:
    """Update the project at or above `path` to a new spec and/or template version, then fill.

    `data_file` is the edited spec; `vcs_ref` the template version (tag, branch or commit).
    See `filler.update` for how every filled body is kept.
    """
    from filler.update import Retest, carry_over, update_result

    project = load_project(path)
    # Read first: the kept bodies' tests run as the fill's would, and a bad setting changes nothing.
    settings = load_settings(project.root, flags or FillFlags(), _environ(environ))
    with project_lock(project.root, project.state_dir):
        retest = Retest(settings.test_timeout, settings.sandbox)
        carried = carry_over(project, data_file, vcs_ref, retest)
        run = _fill(load_project(project.root), flags, progress, environ, on_batch, watch)
    return update_result(load_project(project.root), carried, run)


@dataclass(frozen=True)
class StatusRow:
    unit: str
    state: State
    file: str
    model: str = ""
    tests_passed: int = 0
    tests_total: int = 0
    spec_changed: bool = False
    tokens: int = 0
    seconds: float = 0.0
    reason: str = ""  # why the last fill that tried it left it a stub

    @property
    def label(self) -> str:
        return UnitStatus(self.state, self.spec_changed).label


def mark_manual(path: Path, unit_ids: Sequence[str]) -> None:
    """Hand the bodies of `unit_ids` over to the person: their lock entries go, so each counts
    as written by hand (`manual`) and no fill or update replaces it without `--force`.

    Raises UserError, and changes nothing, for a unit the project does not have or that is
    still a stub (there is nothing to keep).
    """
    project = load_project(path)
    with project_lock(project.root, project.state_dir):
        states = {row.unit: row.state for row in status(project.root)}
        for unit_id in unit_ids:
            if unit_id not in states:
                raise UserError(f"{unit_id}: no such unit; `filler status` lists them")
            if states[unit_id] is State.STUB:
                raise UserError(f"{unit_id} is still a stub: write its body, then mark it")
        lock = read_lock(project.lock_path)
        write_lock(project.lock_path, lock.without(set(unit_ids)))


def status(path: Path) -> list[StatusRow]:
    """Every unit of the project at or above `path` and where it stands against the lock."""
    project = load_project(path)
    lock = read_lock(project.lock_path)
    rows = []
    for module, unit in project.units():
        entry = lock.get(unit.id)
        state = unit_status(unit, entry)
        rows.append(
            StatusRow(
                unit=unit.id,
                state=state.state,
                file=module.path.as_posix(),
                model=entry.model if entry else "",
                tests_passed=entry.tests_passed if entry else 0,
                tests_total=entry.tests_total if entry else 0,
                spec_changed=state.spec_changed,
                tokens=entry.tokens if entry else 0,
                seconds=entry.seconds if entry else 0.0,
                reason=entry.reason if entry and entry.failed and unit.is_stub else "",
            )
        )
    return rows
