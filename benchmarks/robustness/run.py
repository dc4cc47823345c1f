"""Robustness benchmark: how `extract` + `judge` handle replies broken in every known way.

    python -m benchmarks.robustness.run            # or: make bench-robustness

Every correct reply of the corpus (corpus.py) goes through every fault operator of
tests/helpers/merge_cases.py, each declared recoverable (the right verdict is a merge) or not
(the right verdict is a rejection). Each reply is extracted and judged exactly as the pipeline
does, and each accepted merge is checked twice: for structure (the independent oracle
`structure_problems`: every non-target line and statement byte-identical, every signature and
docstring unchanged) and for behaviour (the unit's examples run against the merged module).
Results go to benchmarks/robustness/results.json; a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
import time
import types
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from benchmarks.robustness.corpus import ENTRIES, Entry
from filler.fill.extract import ExtractFailure
from filler.gates.judge import Accepted
from tests.helpers.merge_cases import OPERATORS, Case, Operator, judge_reply, structure_problems

HERE = Path(__file__).resolve().parent


@dataclass
class Tally:
    """One operator's counts over the whole corpus."""

    recoverable: bool
    count: int = 0
    accepted: int = 0
    structure_preserved: int = 0
    behaviour_ok: int = 0
    rejected_by: Counter[str] = field(default_factory=Counter)

    def record(self, verdict: object, structure_ok: bool, behaviour_ok: bool) -> None:
        self.count += 1
        if isinstance(verdict, Accepted):
            self.accepted += 1
            self.structure_preserved += structure_ok
            self.behaviour_ok += behaviour_ok
        elif isinstance(verdict, ExtractFailure):
            self.rejected_by["extract (truncated)" if verdict.truncated else "extract"] += 1
        else:
            self.rejected_by[getattr(verdict, "gate", "?")] += 1

    def summary(self) -> dict[str, Any]:
        rejected = self.count - self.accepted
        return {
            "recoverable": self.recoverable,
            "count": self.count,
            "accepted": self.accepted,
            "rejected": rejected,
            "accepted_should_reject": 0 if self.recoverable else self.accepted,
            "rejected_recoverable": rejected if self.recoverable else 0,
            "structure_preserved_rate": _rate(self.structure_preserved, self.accepted),
            "behaviour_ok_rate": _rate(self.behaviour_ok, self.accepted),
            "rejected_by": dict(sorted(self.rejected_by.items())),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def behaves(module_source: str, entry: Entry) -> bool:
    """Whether the merged module runs the unit's examples right."""
    # A real module object, registered while it runs: dataclasses look their module up.
    module = types.ModuleType(entry.module)
    namespace: dict[str, Any] = module.__dict__
    namespace["asyncio"] = asyncio
    sys.modules[entry.module] = module
    try:
        exec(compile(module_source, entry.module, "exec"), namespace)
        return all(
            eval(expression, namespace) == expected for expression, expected in entry.examples
        )
    except Exception:
        return False
    finally:
        del sys.modules[entry.module]


def run_one(entry: Entry, operator: Operator) -> tuple[object, bool, bool]:
    case = Case(entry.skeleton, entry.qualname, entry.reply, entry.module)
    verdict = judge_reply(case, operator.apply(case))
    if not isinstance(verdict, Accepted):
        return verdict, False, False
    structure_ok = not structure_problems(case.skeleton, verdict.module_source, case.unit)
    return verdict, structure_ok, behaves(verdict.module_source, entry)


def run() -> dict[str, Any]:
    started = time.perf_counter()
    tallies = {operator.name: Tally(operator.recoverable) for operator in OPERATORS}
    for operator in OPERATORS:
        for entry in ENTRIES:
            tallies[operator.name].record(*run_one(entry, operator))
    seconds = time.perf_counter() - started
    operators = {name: tally.summary() for name, tally in tallies.items()}
    accepted = sum(t.accepted for t in tallies.values())
    return {
        "benchmark": "robustness",
        "command": "python -m benchmarks.robustness.run",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "seconds": round(seconds, 2),
        "corpus": {
            "modules": len({entry.module for entry in ENTRIES}),
            "units": len(ENTRIES),
            "classes": sum(entry.qualname[0].isupper() for entry in ENTRIES),
        },
        "totals": {
            "replies": sum(t.count for t in tallies.values()),
            "accepted": accepted,
            "accepted_should_reject": sum(o["accepted_should_reject"] for o in operators.values()),
            "rejected_recoverable": sum(o["rejected_recoverable"] for o in operators.values()),
            "structure_preserved_rate": _rate(
                sum(t.structure_preserved for t in tallies.values()), accepted
            ),
            "behaviour_ok_rate": _rate(sum(t.behaviour_ok for t in tallies.values()), accepted),
            "ms_per_reply": round(1000 * seconds / sum(t.count for t in tallies.values()), 1),
        },
        "operators": operators,
    }


def table(results: dict[str, Any]) -> str:
    """The results as the Markdown table of README.md."""
    rows = [
        "| operator | should be | replies | accepted | accepted, should reject | "
        "rejected, recoverable | structure preserved | behaviour ok | rejected by |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in results["operators"].items():
        gates = ", ".join(f"{gate} {n}" for gate, n in row["rejected_by"].items()) or "—"
        rows.append(
            f"| {name} | {'merged' if row['recoverable'] else 'rejected'} | {row['count']} | "
            f"{row['accepted']} | {row['accepted_should_reject']} | "
            f"{row['rejected_recoverable']} | {_percent(row['structure_preserved_rate'])} | "
            f"{_percent(row['behaviour_ok_rate'])} | {gates} |"
        )
    totals = results["totals"]
    rows.append(
        f"| **all** | | {totals['replies']} | {totals['accepted']} | "
        f"{totals['accepted_should_reject']} | {totals['rejected_recoverable']} | "
        f"{_percent(totals['structure_preserved_rate'])} | "
        f"{_percent(totals['behaviour_ok_rate'])} | |"
    )
    return "\n".join(rows)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    results = run()
    parser.parse_args().out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    totals = results["totals"]
    seconds, each = results["seconds"], totals["ms_per_reply"]
    print(f"\n{totals['replies']} replies in {seconds} s ({each} ms each)")


if __name__ == "__main__":
    main()
