"""The run record: what a fill did, per unit, as JSON and as an HTML page people can open."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

import jinja2

from filler.providers.base import Reply
from filler.providers.prices import cost_usd
from filler.writer import atomic_write

__all__ = [
    "CallStats",
    "Outcome",
    "Rejection",
    "RunRecord",
    "UnitRecord",
    "save_run",
    "write_report",
]


class Outcome(StrEnum):
    """What a fill did to one unit; written to the run record as its value."""

    FILLED = "filled"
    STUB = "stub"  # left as a stub: `UnitRecord.reason` says why
    DRY_RUN = "dry-run"  # would have been filled: `UnitRecord.diff` shows how


@dataclass(frozen=True)
class CallStats:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    provider_seconds: float = 0.0
    cost_usd: float | None = None

    def add(self, provider: str, reply: Reply) -> CallStats:
        # A cost is known only when every call of the unit had a price table entry.
        cost = cost_usd(provider, reply.model, reply.usage, batch=reply.batch)
        known = cost is not None and (self.calls == 0 or self.cost_usd is not None)
        return CallStats(
            calls=self.calls + 1,
            prompt_tokens=self.prompt_tokens + reply.usage.prompt_tokens,
            completion_tokens=self.completion_tokens + reply.usage.completion_tokens,
            provider_seconds=self.provider_seconds + reply.latency_s,
            cost_usd=(self.cost_usd or 0.0) + cost if known and cost is not None else None,
        )

    def plus(self, other: CallStats) -> CallStats:
        """These calls and `other`'s together; a cost only when both have one."""
        costs = [stats.cost_usd for stats in (self, other) if stats.calls]
        known = [cost for cost in costs if cost is not None]
        return CallStats(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            provider_seconds=self.provider_seconds + other.provider_seconds,
            cost_usd=sum(known) if costs and len(known) == len(costs) else None,
        )

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Rejection:
    """A refused candidate: the gate that refused it (`filler.gates.judge.Gate`'s value;
    "extract" when the reply held no usable code) and its one-line reason."""

    gate: str
    reason: str


@dataclass(frozen=True)
class UnitRecord:
    unit: str
    file: str
    state_before: str
    outcome: Outcome
    rounds: int = 0
    candidates: int = 0
    tests_passed: int = 0
    tests_total: int = 0
    designed_passed: int = 0
    designed_total: int = 0
    seconds: float = 0.0
    stats: CallStats = field(default_factory=CallStats)
    reason: str = ""  # why the unit stayed a stub
    rejections: tuple[Rejection, ...] = ()  # every refused candidate, in order
    repairs: tuple[str, ...] = ()  # what extraction repaired in the reply it reports on
    diff: str = ""  # with --dry-run: what would have been written


@dataclass(frozen=True)
class RunRecord:
    provider: str
    model: str
    started_at: str
    seconds: float
    units: tuple[UnitRecord, ...]
    notes: tuple[str, ...] = ()  # run-wide events: a quota hit, units not attempted

    @property
    def filled(self) -> list[UnitRecord]:
        return [u for u in self.units if u.outcome is Outcome.FILLED]

    @property
    def stubs(self) -> list[UnitRecord]:
        return [u for u in self.units if u.outcome is Outcome.STUB]

    @property
    def stats(self) -> CallStats:
        return CallStats(
            calls=sum(u.stats.calls for u in self.units),
            prompt_tokens=sum(u.stats.prompt_tokens for u in self.units),
            completion_tokens=sum(u.stats.completion_tokens for u in self.units),
            provider_seconds=sum(u.stats.provider_seconds for u in self.units),
            cost_usd=_sum_costs(u.stats.cost_usd for u in self.units),
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["totals"] = {
            "units": len(self.units),
            "filled": len(self.filled),
            "stubs": len(self.stubs),
            **asdict(self.stats),
        }
        return json.dumps(data, indent=2) + "\n"

    def to_html(self) -> str:
        return _page().render(run=self, totals=self.stats)


@functools.cache
def _page() -> jinja2.Template:
    # Compiled once per process: compiling takes longer than rendering a run of many units.
    env = jinja2.Environment(loader=jinja2.PackageLoader("filler", "templates"), autoescape=True)
    return env.get_template("report.html.j2")


def _sum_costs(costs: Iterable[float | None]) -> float | None:
    values = [c for c in costs if c is not None]
    return sum(values) if values else None


LAST_RUN = "last-run.json"  # in the project's `.filler/`


def save_run(
    record: RunRecord, state_dir: Path, *, dry_run: bool, report_path: Path | None
) -> None:
    """Keep a fill's record: as the project's last run unless it was a dry run, and at
    `report_path` when one was asked for."""
    if not dry_run:
        write_report(record, state_dir / LAST_RUN)
    if report_path is not None:
        write_report(record, report_path)


def write_report(record: RunRecord, path: Path) -> tuple[Path, Path]:
    """Write the JSON record at `path` and the HTML page next to it; return both paths."""
    html_path = path.with_suffix(".html")
    atomic_write(path, record.to_json())
    atomic_write(html_path, record.to_html())
    return path, html_path
