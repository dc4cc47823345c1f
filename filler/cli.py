"""The `filler` command line. Each command is a thin call into `filler.api`; `main` is the one
place where exceptions become one-line messages and exit codes:

    0  every requested unit filled (or nothing to do)
    1  some units left as stubs (the summary says why)
    2  bad input or configuration (the message says what to change)
  130  interrupted: Ctrl-C, SIGTERM or SIGHUP (every file untouched or fully written)
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from rich.console import Console
from rich.table import Table

from filler import __version__
from filler.errors import FillerError, UserError

if TYPE_CHECKING:
    from filler.batch.session import BatchProgress
    from filler.report import RunRecord, UnitRecord

# Each command imports `filler.api` when it runs: `filler --help` needs none of it.

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 160  # logs and pipes: wide tables, one line per message
    return console


err = _console(stderr=True)
out = _console(stderr=False)


_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _apply(command: F, options: Sequence[_Decorator]) -> F:
    decorated: Callable[..., Any] = command
    for option in reversed(options):
        decorated = option(decorated)
    return cast(F, decorated)


_PROVIDER_OPTIONS: list[_Decorator] = [
    click.option("--provider", help="groq | gemini | ollama | openai | local | replay."),
    click.option("--model", help="Model name; each provider has a documented default."),
    click.option("--base-url", help="Provider endpoint (OpenAI-compatible servers, Ollama)."),
    click.option("--model-path", help="local: a GGUF file instead of the bundled SmolLM2."),
    click.option("--replies", type=click.Path(dir_okay=False), help="replay: the replies JSON."),
    click.option("--record", type=click.Path(dir_okay=False), help="Save every raw reply."),
    click.option("--max-rounds", type=click.IntRange(1), help="Model rounds per unit (or draft)."),
    click.option("--temperature", type=click.FloatRange(0, 2), help="Sampling temperature."),
]

_FILL_OPTIONS: list[_Decorator] = [
    click.option("--only", multiple=True, metavar="GLOB", help="Fill only matching unit ids."),
    click.option("--force", multiple=True, metavar="GLOB", help="Re-fill matching units."),
    click.option("--retry", is_flag=True, help="Try again units this model failed before."),
    click.option("--dry-run", is_flag=True, help="Print a unified diff; write nothing."),
    click.option("--jobs", type=click.IntRange(1), help="Units in flight at once."),
    click.option("--samples", type=click.IntRange(1), help="Candidates per round."),
    click.option(
        "--test-timeout",
        type=click.FloatRange(0.1),
        help="CPU seconds per test run (its wall-clock limit is 3x + 10 s).",
    ),
    click.option(
        "--sandbox",
        type=click.Choice(["auto", "bwrap", "none"]),
        help="Where generated code runs: bubblewrap, or resource limits only (default: auto).",
    ),
    click.option(
        "--design-tests/--no-design-tests",
        default=None,
        help="Ask the model for extra tests first (advisory; default: on, off for local).",
    ),
    click.option(
        "--keep-designed-tests", is_flag=True, help="Write designed tests into tests/designed/."
    ),
    click.option(
        "--report",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the run record JSON.",
    ),
    click.option("--batch", is_flag=True, help="Send each round through the provider's batch API."),
    click.option(
        "--wait/--no-wait",
        default=True,
        help="With --batch: poll until each batch is done, or submit and exit (run again).",
    ),
]


def provider_options(command: F) -> F:
    """Which model to ask, shared by every command that calls one."""
    return _apply(command, _PROVIDER_OPTIONS)


def fill_options(command: F) -> F:
    """The options shared by `fill`, `new` and `update`."""
    return _apply(command, [*_PROVIDER_OPTIONS, *_FILL_OPTIONS])


class _LineProgress:
    """One plain line per unit, for logs and pipes."""

    def start(self, total: int) -> None:
        err.print(f"filling {total} unit{'s' if total != 1 else ''}")

    def unit_done(self, record: UnitRecord) -> None:
        detail = f"{record.tests_passed}/{record.tests_total} tests" if record.tests_total else ""
        why = f" - {record.reason}" if record.reason else ""
        err.print(f"{record.outcome:8} {record.unit} {detail}{why}")

    def finish(self) -> None:
        return None


class _BarProgress:
    """A rich progress bar, on a terminal."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("filling"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        )
        self._task = self._bar.add_task("", total=0)

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total)
        self._bar.start()

    def unit_done(self, record: UnitRecord) -> None:
        self._bar.update(self._task, advance=1, description=f"{record.outcome} {record.unit}")

    def finish(self) -> None:
        self._bar.stop()


def _progress() -> _LineProgress | _BarProgress:
    return _BarProgress() if err.is_terminal else _LineProgress()


def _summary(record: RunRecord) -> int:
    for unit in record.units:
        if unit.diff:
            out.print(unit.diff, end="", markup=False, highlight=False)
    if not record.units:
        err.print("nothing to fill: every unit is filled, edited by hand, or failed before")
        return 0
    table = Table(title=f"filler · {record.provider} · {record.model}", title_justify="left")
    for column in ("unit", "outcome", "tests", "rounds", "tokens", "seconds", "why"):
        table.add_column(
            column, justify="right" if column in ("rounds", "tokens", "seconds") else "left"
        )
    for unit in record.units:
        tests = f"{unit.tests_passed}/{unit.tests_total}" if unit.tests_total else "-"
        table.add_row(unit.unit, unit.outcome, tests, str(unit.rounds), str(unit.stats.tokens),
                      f"{unit.seconds:.1f}", unit.reason)  # fmt: skip
    err.print(table)
    for note in record.notes:
        err.print(note, markup=False)
    stats = record.stats
    cost = f", ${stats.cost_usd:.4f}" if stats.cost_usd is not None else ""
    err.print(
        f"{len(record.filled)} filled and verified, {len(record.stubs)} left as stubs, "
        f"{stats.calls} calls, {stats.tokens} tokens{cost}, {record.seconds:.1f} s"
    )
    return 1 if record.stubs else 0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="filler")
def app() -> None:
    """Render a typed, tested package skeleton from a spec, and fill every stub with an LLM."""


@app.command("new")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--template", help="Template source: a git URL or a local checkout (default: bundled)."
)
@click.option("--vcs-ref", help="Template git ref (tag, branch or commit) to render.")
@click.option("--no-fill", is_flag=True, help="Render only; fill later with `filler fill`.")
@fill_options
def new_command(spec: Path, dest: Path, template: str | None, vcs_ref: str | None,
                no_fill: bool, **flags: Any) -> None:  # fmt: skip
    """Render SPEC into DEST with Copier, commit the render, then fill it."""
    from filler import api

    project = api.new(spec, dest, template=template, vcs_ref=vcs_ref)
    err.print(f"rendered {spec} into {project.root}")
    if not no_fill:
        fill_flags = api.FillFlags(**flags)
        sys.exit(_summary(api.fill(project.root, fill_flags, _progress(), on_batch=_BatchLine())))


@app.command("fill")
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path))
@fill_options
@click.option("--cancel", is_flag=True, help="With --batch: cancel the batches in flight.")
def fill_command(path: Path, cancel: bool, **flags: Any) -> None:
    """Implement every stub (and re-fill stale units) of the project at PATH."""
    from filler import api

    if cancel:
        if not flags["batch"]:
            raise UserError("--cancel cancels a batch fill: pass it with --batch")
        lines = api.cancel_batches(path, api.FillFlags(**flags))
        for line in lines or ["no batch in flight"]:
            err.print(line, markup=False)
        return
    on_batch = _BatchLine()
    sys.exit(_summary(api.fill(path, api.FillFlags(**flags), _progress(), on_batch=on_batch)))


class _BatchLine:
    """A line each time a batch's counts change: requests done and failed, time waited."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, int, int]] = {}

    def __call__(self, progress: BatchProgress) -> None:
        seen = (str(progress.status), progress.completed, progress.failed)
        if self._last.get(progress.batch_id) != seen:
            self._last[progress.batch_id] = seen
            err.print(progress.line, markup=False)


@app.command("status")
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def status_command(path: Path, as_json: bool) -> None:
    """Show every unit: stub, filled, stale, edited or manual."""
    from filler import api

    rows = api.status(path)
    if as_json:
        out.print_json(json.dumps([asdict(r) for r in rows]))
        return
    table = Table()
    for column in ("unit", "state", "model", "tests", "tokens", "seconds", "note"):
        table.add_column(column, justify="right" if column in ("tokens", "seconds") else "left")
    for row in rows:
        tests = f"{row.tests_passed}/{row.tests_total}" if row.tests_total else "-"
        table.add_row(row.unit, row.label, row.model, tests, str(row.tokens or "-"),
                      f"{row.seconds:.1f}" if row.seconds else "-", row.reason)  # fmt: skip
    out.print(table)
    states = Counter(row.label for row in rows)
    out.print(
        f"{', '.join(f'{n} {state}' for state, n in states.items())}; "
        f"{sum(r.tokens or 0 for r in rows)} tokens, {sum(r.seconds or 0 for r in rows):.1f} s "
        "summed over units",
        markup=False,
    )
    for line in api.batches_in_flight(path):
        out.print(line, markup=False)


@app.command("update")
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--data-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The edited spec (without --vcs-ref the template version stays).",
)
@click.option("--vcs-ref", help="Template version to move to (default: the latest tag).")
@fill_options
def update_command(path: Path, data_file: Path | None, vcs_ref: str | None, **flags: Any) -> None:
    """Take a spec edit or a new template version; keep every filled body; re-fill what changed."""
    from filler import api

    result = api.update(
        path,
        data_file=data_file,
        vcs_ref=vcs_ref,
        flags=api.FillFlags(**flags),
        progress=_progress(),
        on_batch=_BatchLine(),
    )
    for label, items in (
        ("added", result.added),
        ("re-filled", result.refilled),
        ("edited, stale", result.edited_stale),
        ("removed", result.removed),
        ("needs review", result.needs_review),
        ("tests fail, yours to fix", result.failing),
    ):
        if items:
            err.print(f"{label}: {', '.join(items)}", markup=False)
    err.print(f"kept: {len(result.kept)} units; {len(result.conflicted)} conflicts resolved")
    set_aside = (*result.stubbed_by_signature_change, *result.stubbed_by_failing_tests)
    for aside in (*set_aside, *result.dropped):
        err.print(
            f"{aside.reason}: {aside.name} (old code in .filler/replaced/{aside.name}.py)",
            markup=False,
        )
    sys.exit(_summary(result.run))


@app.command("plan")
@click.argument("idea")
@click.option("--feature", "features", multiple=True, metavar="TEXT", help="A feature to have.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.option("--interactive", is_flag=True, help="Review the draft: accept, edit, regenerate.")
@provider_options
def plan_command(idea: str, features: tuple[str, ...], output: Path, force: bool,
                 interactive: bool, **flags: Any) -> None:  # fmt: skip
    """Draft a spec for IDEA with a model, check it, and write it to OUTPUT for review."""
    from rich.syntax import Syntax

    from filler import api
    from filler.config import Overrides
    from filler.plan import review

    reviewer = partial(
        review,
        show_draft=lambda text: out.print(Syntax(text, "yaml", word_wrap=True)),
        show_problems=_show_problems,
        choose=lambda: click.prompt(
            "[a]ccept, [e]dit, [r]egenerate or [q]uit",
            type=click.Choice(["a", "e", "r", "q"]),
            default="a",
            show_choices=False,
        ),
        edit=lambda text: click.edit(text, extension=".yml"),
    )
    result = api.plan(
        idea, features, output, force=force, flags=Overrides(**flags),
        reviewer=reviewer if interactive else None,
    )  # fmt: skip
    if result.spec is None:
        err.print("nothing written")
        return
    err.print(
        f"wrote {result.path} ({result.provider}/{result.model}, {result.rounds} model call(s)); "
        f"review it, then render it with: filler new {result.path} {result.spec.package_name}",
        markup=False,
    )


@app.command("ui")
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Default: any free one.")
@click.option("--no-browser", is_flag=True, help="Print the URL; do not open a browser.")
def ui_command(path: Path, port: int, no_browser: bool) -> None:
    """Serve a web page on 127.0.0.1 for the folder PATH: spec, fill, review, update, zip."""
    from filler.ui.server import serve

    serve(
        path,
        port=port,
        open_browser=not no_browser,
        announce=lambda url: err.print(f"filler ui: {url} (Ctrl-C stops it)", markup=False),
    )


def _show_problems(problems: Sequence[str]) -> None:
    err.print("this draft cannot be used yet:")
    for problem in problems:
        err.print(f"  - {problem}", markup=False)


def _handle_exceptions(run: Callable[[], object]) -> int:
    try:
        run()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 0
    except click.exceptions.Abort:
        err.print("interrupted: files are either untouched or fully written; run again to resume")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        err.print("interrupted: files are either untouched or fully written; run again to resume")
        return 130
    except UserError as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    except FillerError as exc:
        err.print(f"error: {exc}", markup=False)
        return 1
    return 0


# A service manager or `kill` (SIGTERM) and a closed terminal (SIGHUP) stop a run.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _stops_interrupt() -> Iterator[None]:
    """Make SIGTERM and SIGHUP stop a run the way Ctrl-C does: test runs killed, temporary
    copies removed, every file untouched or fully written."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; its own ones stay
        return
    previous = {
        signum: signal.signal(signum, _interrupt)
        for signum in _STOP_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN  # nohup: ignored it stays
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Whatever handles Ctrl-C now (asyncio's, which cancels the run) handles this too.
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with _stops_interrupt():
            return _handle_exceptions(
                lambda: app.main(args=argv, prog_name="filler", standalone_mode=False)
            )
    finally:
        # A short fill ends before its worker pool is up: let it come up and go. Only a fill
        # imports the pool's module, so without it no pool can be starting.
        workers = sys.modules.get("filler.fill.workers")
        if workers is not None:
            workers.settle()


if __name__ == "__main__":
    sys.exit(main())
