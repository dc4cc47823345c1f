"""The Review page's data: per unit, its lock state (`filler.api.status`), its body as a diff
against its stub, and what a run record (`.filler/last-run.json`, or another) says of it.

A run record is read as the JSON `RunRecord.to_json` writes; a record that cannot be read is a
`UserError` naming the file, and a record of an older layout shows what it has.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filler.api import status
from filler.errors import UserError
from filler.project import Module, load_project
from filler.report import Rejection
from filler.source.units import Unit, reset_to_stub

__all__ = ["RUN_RECORD", "RunSummary", "RunUnit", "UnitReview", "read_run", "unit_reviews"]

RUN_RECORD = Path(".filler") / "last-run.json"


@dataclass(frozen=True)
class RunUnit:
    """What one run did to one unit, as its record says."""

    outcome: str
    tests_passed: int = 0
    tests_total: int = 0
    rounds: int = 0
    tokens: int = 0
    seconds: float = 0.0
    cost_usd: float | None = None
    reason: str = ""
    rejections: tuple[Rejection, ...] = ()  # every refused candidate, in order


@dataclass(frozen=True)
class UnitReview:
    unit: str
    file: str
    state: str  # the lock state as `filler status` labels it
    model: str
    tests_passed: int
    tests_total: int
    diff: str  # the body against the stub; empty for a stub
    run: RunUnit | None = None  # None: the run record does not name this unit


@dataclass(frozen=True)
class RunSummary:
    provider: str = ""
    model: str = ""
    started_at: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    units: Mapping[str, RunUnit] = field(default_factory=dict)


def read_run(path: Path) -> RunSummary:
    """The run record at `path`; an empty summary when there is none yet."""
    if not path.is_file():
        return RunSummary()
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return RunSummary(
            provider=str(data.get("provider", "")),
            model=str(data.get("model", "")),
            started_at=str(data.get("started_at", "")),
            seconds=float(data.get("seconds", 0.0)),
            notes=tuple(map(str, data.get("notes", ()))),
            units={str(u["unit"]): _run_unit(u) for u in data.get("units", ())},
        )
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UserError(f"{path} is not a run record filler wrote ({exc}); open another") from None


def _run_unit(data: Mapping[str, Any]) -> RunUnit:
    stats = data.get("stats") or {}
    cost = stats.get("cost_usd")
    return RunUnit(
        outcome=str(data["outcome"]),
        tests_passed=int(data.get("tests_passed", 0)),
        tests_total=int(data.get("tests_total", 0)),
        rounds=int(data.get("rounds", 0)),
        tokens=int(stats.get("prompt_tokens", 0)) + int(stats.get("completion_tokens", 0)),
        seconds=float(data.get("seconds", 0.0)),
        cost_usd=None if cost is None else float(cost),
        reason=str(data.get("reason", "")),
        rejections=tuple(map(_rejection, data.get("rejections", ()))),
    )


def _rejection(data: object) -> Rejection:
    """A refused candidate as a run record holds it; records before the gate was kept held
    only the reason."""
    if isinstance(data, Mapping):
        return Rejection(str(data.get("gate", "")), str(data.get("reason", "")))
    return Rejection("", str(data))


def unit_reviews(project_root: Path, run: RunSummary) -> list[UnitReview]:
    """Every unit of the project, in `filler status` order, with its diff and its run."""
    project = load_project(project_root)
    diffs = {unit.id: _stub_diff(module, unit) for module, unit in project.units()}
    return [
        UnitReview(
            unit=row.unit,
            file=row.file,
            state=row.label,
            model=row.model,
            tests_passed=row.tests_passed,
            tests_total=row.tests_total,
            diff=diffs.get(row.unit, ""),
            run=run.units.get(row.unit),
        )
        for row in status(project.root)
    ]


def _stub_diff(module: Module, unit: Unit) -> str:
    """The unit's body against its stub; empty for a stub."""
    if unit.is_stub:
        return ""
    path = module.path.as_posix()
    return "".join(
        difflib.unified_diff(
            reset_to_stub(module.source, unit).splitlines(keepends=True),
            module.source.splitlines(keepends=True),
            fromfile=f"{path} (stub)",
            tofile=path,
        )
    )
