"""A fill through the provider's batch API, and the cancelling of one: what `api.fill` runs
with `--batch`, and `filler fill --batch --cancel`.

The fill itself is `pipeline.fill_project`, unchanged: this module puts `Batching` where the
provider goes (inside `Recording` when `--record` is given, so a batch fill replays like any
other), tells it which units take part, phase by phase, and which wait for which (a unit whose
tests call others tests its candidates after them, and asks no more until then), and lets every
selected unit ask at once, since a call held out of a round would only make a round of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from filler.batch.jobs import BatchCapable
from filler.batch.session import Batching, BatchOptions, BatchProgress
from filler.batch.state import STATE_FILE, BatchState, read_state, remove_state
from filler.config import Settings
from filler.errors import ConfigError, ProviderError
from filler.fill.pipeline import Progress, fill_project
from filler.fill.selection import FillOptions, select
from filler.project import Project
from filler.providers import PROVIDERS
from filler.providers.base import Provider
from filler.providers.recording import Recording
from filler.report import RunRecord, UnitRecord, save_run
from filler.source.formatting import Linted

__all__ = ["POLL_ENV", "BatchFlags", "cancel_batches", "fill_in_batches"]

# Seconds between looks at a running batch (default 15); a loopback server wants less.
POLL_ENV = "FILLER_BATCH_POLL_S"


@dataclass(frozen=True)
class BatchFlags:
    wait: bool = True
    on_progress: Callable[[BatchProgress], None] = lambda progress: None
    # Wraps the provider stack, as `api.fill`'s `watch` does (`filler ui` follows the calls).
    watch: Callable[[Provider], Provider] | None = None


class _Tracking:
    """The run's progress, which also tells the batching layer when a unit's flow has ended."""

    def __init__(self, progress: Progress, batching: Batching) -> None:
        self.progress = progress
        self.batching = batching

    def start(self, total: int) -> None:
        self.progress.start(total)

    def unit_done(self, record: UnitRecord) -> None:
        self.batching.unit_done(record.unit)
        self.progress.unit_done(record)

    def finish(self) -> None:
        self.progress.finish()


def _state_path(project: Project) -> Path:
    return project.state_dir / STATE_FILE


def _open(settings: Settings) -> tuple[Provider, BatchCapable]:
    provider = PROVIDERS[settings.provider](settings.provider_settings)
    if not isinstance(provider, BatchCapable):
        raise ConfigError(
            f"--batch: the {settings.provider} provider has no batch API; use openai or groq, "
            "or fill without --batch"
        )
    return provider, provider


def _poll_seconds(environ: Mapping[str, str]) -> float:
    value = environ.get(POLL_ENV, "").strip()
    try:
        seconds = float(value) if value else BatchOptions.poll_s
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigError(f"{POLL_ENV}={value!r}: expected a positive number of seconds")
    return seconds


def _state_for(project: Project, provider: Provider) -> BatchState:
    state = read_state(_state_path(project))
    if state is None:
        return BatchState(provider.name, provider.model)
    if (state.provider, state.model) != (provider.name, provider.model):
        if state.in_flight:
            raise ConfigError(
                f"a batch fill with {state.provider}/{state.model} is under way; run it again "
                "with that provider and model, or cancel it with `filler fill --batch --cancel`"
            )
        return BatchState(provider.name, provider.model)
    return state


async def fill_in_batches(
    project: Project,
    settings: Settings,
    options: FillOptions,
    progress: Progress,
    format_code: Callable[[str], str],
    lint_code: Callable[[str], Linted],
    flags: BatchFlags,
    environ: Mapping[str, str],
) -> RunRecord:
    """Fill the project as `fill_project` does, each round of calls sent as a batch."""
    inner, capable = _open(settings)
    try:
        state = _state_for(project, inner)
        poll_s = _poll_seconds(environ)
        batching = Batching(
            inner,
            capable.batches(),
            _state_path(project),
            state,
            BatchOptions(wait=flags.wait, poll_s=poll_s),
            settings.retry,
            flags.on_progress,
        )
    except BaseException:
        await inner.aclose()
        raise
    provider: Provider = batching
    if settings.record_path is not None:
        provider = Recording(batching, settings.record_path)
    if flags.watch is not None:
        provider = flags.watch(provider)
    selection = select(project, options, (inner.name, inner.model))
    jobs = selection.jobs
    batching.expect(
        [
            frozenset(j.unit.id for j in jobs if not j.is_demo),
            frozenset(j.unit.id for j in jobs if j.is_demo),
        ],
        selection.waits,
    )
    async with provider:
        record = await fill_project(
            project,
            provider,
            # Every unit's calls at once: a unit asks its designer and first round together.
            replace(options, jobs=max(options.jobs, 2 * len(jobs))),
            selection,
            _Tracking(progress, batching),
            format_code,
            lint_code,
        )
        notes = await _settle(project, batching)
    record = replace(record, notes=(*record.notes, *notes))
    save_run(record, project.state_dir, dry_run=options.dry_run, report_path=options.report_path)
    return record


async def _settle(project: Project, batching: Batching) -> tuple[str, ...]:
    """After the fill: say what is left running, or end the batch state."""
    if batching.stopped:
        return (f"not waiting: {batching.stopped}",)
    # Batches of an earlier run whose calls this run no longer makes (their units were filled
    # or their prompts changed): nothing will read them.
    for sent in batching.state.in_flight:
        if sent.id not in batching.followed:
            with contextlib.suppress(ProviderError):  # else it ends when its window closes
                await batching.api.cancel(sent.id)
            batching.forget(sent.id)
    # A batch still running here lost its poll (the provider stopped answering): keep it.
    running = batching.state.in_flight
    if running:
        ids = ", ".join(sent.id for sent in running)
        return (f"batch {ids} still running: run the same command again to pick it up",)
    remove_state(_state_path(project))
    return ()


async def cancel_batches(project: Project, settings: Settings) -> list[str]:
    """Cancel every batch the project's batch fill has running; one line per batch."""
    state = read_state(_state_path(project))
    if state is None or not state.in_flight:
        remove_state(_state_path(project))
        return []
    inner, capable = _open(replace(settings, provider=state.provider))
    lines = []
    async with inner:
        api = capable.batches()
        for sent in state.in_flight:
            try:
                job = await api.cancel(sent.id)
            except ProviderError as exc:  # gone already, say: forgotten all the same
                lines.append(f"batch {sent.id}: not cancelled ({exc}); forgotten")
                continue
            lines.append(f"batch {sent.id}: {job.status} ({len(sent.custom_ids)} requests)")
    remove_state(_state_path(project))
    return lines
