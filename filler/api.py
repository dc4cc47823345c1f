"""The operations behind the CLI, as plain functions: `new`, `fill`, `status`, `update`, `plan`.

Each takes paths and settings and returns data; none prints. The CLI (`filler.cli`) turns their
results into tables and their exceptions into exit codes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from filler.config import Settings, load_settings
from filler.errors import ProjectError
from filler.fill.pipeline import FillOptions, Progress, fill_project, project_units
from filler.git import FILLER_IDENTITY, git, run_git
from filler.lockfile import read_lock, unit_status
from filler.plan import PlanResult, Reviewer
from filler.plan import plan as draft_spec
from filler.project import Project, load_project
from filler.providers import open_provider
from filler.readme import sync_project_readme
from filler.render import render_new
from filler.report import RunRecord, UnitRecord
from filler.source.formatting import format_or_keep

if TYPE_CHECKING:
    from filler.update import UpdateResult

__all__ = ["StatusRow", "fill", "new", "plan", "status", "update"]


class _Silent:
    def start(self, total: int) -> None:
        return None

    def unit_done(self, record: UnitRecord) -> None:
        return None

    def finish(self) -> None:
        return None


def _options(settings: Settings, flags: Mapping[str, object]) -> FillOptions:
    report = flags.get("report")
    return FillOptions(
        only=_globs(flags.get("only")),
        force=_globs(flags.get("force")),
        dry_run=bool(flags.get("dry_run")),
        max_rounds=settings.max_rounds,
        samples=settings.samples,
        jobs=settings.jobs,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        test_timeout=settings.test_timeout,
        design_tests=_optional_bool(flags.get("design_tests")),
        keep_designed_tests=bool(flags.get("keep_designed_tests")),
        retry=bool(flags.get("retry")),
        report_path=Path(str(report)) if report else None,
    )


def _optional_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def _globs(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _formatter(project: Project) -> partial[str]:
    """Candidates are formatted like the rest of the project (ruff, the project's line length)."""
    line_length = _ruff_line_length(project.root)
    return partial(format_or_keep, line_length=line_length)


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
    flags: Mapping[str, object],
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunRecord:
    """Fill the project at or above `path`; `flags` are the CLI's fill options (None: not given)."""
    project = load_project(path)
    settings = load_settings(project.root, flags, os.environ if environ is None else environ)
    options = _options(settings, flags)

    async def run() -> RunRecord:
        async with open_provider(settings) as provider:
            return await fill_project(
                project, provider, options, progress or _Silent(), _formatter(project)
            )

    record = asyncio.run(run())
    if not options.dry_run:
        sync_project_readme(project)
    return record


def plan(
    idea: str,
    features: Sequence[str],
    output: Path,
    *,
    force: bool,
    flags: Mapping[str, object],
    reviewer: Reviewer | None = None,
    environ: Mapping[str, str] | None = None,
) -> PlanResult:
    """Draft a spec for `idea` and write it to `output` (see `filler.plan.plan`)."""
    settings = load_settings(None, flags, os.environ if environ is None else environ)
    return draft_spec(
        idea,
        features,
        output,
        force=force,
        settings=settings,
        max_rounds=settings.max_rounds,
        reviewer=reviewer,
    )


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
    flags: Mapping[str, object] | None = None,
    progress: Progress | None = None,
) -> UpdateResult:
    """`filler update`: see `filler.update.update` (imported here, as it fills through `fill`)."""
    from filler.update import update as update_project

    return update_project(
        path, data_file=data_file, vcs_ref=vcs_ref, flags=flags, progress=progress
    )


@dataclass(frozen=True)
class StatusRow:
    unit: str
    state: str  # stub | filled | stale | edited | manual
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
        return "edited, stale" if self.state == "edited" and self.spec_changed else self.state


def status(path: Path) -> list[StatusRow]:
    project = load_project(path)
    lock = read_lock(project.lock_path)
    rows = []
    for module, unit in project_units(project):
        entry = lock.get(unit.id)
        state = unit_status(unit, entry)
        rows.append(
            StatusRow(
                unit=unit.id,
                state=str(state.state),
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
