"""Throughput: fill N units with --jobs J against a loopback model that answers after L seconds.

For N in 10, 50, 200 and J in 1, 4, 16 it renders N one-line function stubs (no examples, so
no test runs: this measures the filler and the provider wait, not pytest; `--with-tests` gives
each unit two examples and one `raises` example, so every candidate's tests run), serves an
OpenAI-compatible model on 127.0.0.1 that answers every call after exactly L seconds, and runs
the real `filler fill`. It reports the wall time against the ideal ceil(N/J) * L and the
filler's own time per unit (the run's wall time minus the time spent waiting on the model,
from the J=1 runs, where nothing overlaps). Wall times on this kind of machine move by about
0.05 s between identical runs, which is 5% of a 1-second cell: a cell whose ideal time is under
10 s runs --repeat times and reports its median run (every wall time is in `walls_s`).

    python -m benchmarks.throughput.run            # writes benchmarks/throughput/results.json
    python -m benchmarks.throughput.run --with-tests --latency 0.5 1   # results-tests.json

With tests, each cell also reports the verification time per candidate (median and p95, from
the runner's own clock: preparing the run, the tests, reading the results), the CPU time of
each candidate's test process (median), and the correct units lost: every reply is correct, so
a unit left as a stub was lost to a timeout or a limit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from filler import api
from filler.fill.runner import TestRun
from filler.fill.warm import WarmRunner
from tests.helpers.wire import OPENAI, LoopbackServer

PACKAGE = "bench"
PER_FEATURE = 10
REPEAT_UNDER_S = 10.0


def spec(n: int, with_tests: bool = False) -> dict[str, Any]:
    features = []
    for f in range(math.ceil(n / PER_FEATURE)):
        count = min(PER_FEATURE, n - f * PER_FEATURE)
        functions = [
            {
                "name": f"f{f}_{i}",
                "params": "x: int",
                "returns": "int",
                "doc": f"Return x plus {i}.",
                "examples": examples(f"f{f}_{i}", i) if with_tests else [],
            }
            for i in range(count)
        ]
        features.append(
            {"name": f"feature{f}", "description": "Generated.", "functions": functions}
        )
    return {"package_name": PACKAGE, "description": "Throughput benchmark.", "features": features}


def examples(name: str, plus: int) -> list[dict[str, Any]]:
    return [
        {"call": f"{name}(1)", "expect": 1 + plus},
        {"call": f"{name}(-3)", "expect": -3 + plus},
        {"call": f"{name}('a')", "raises": "TypeError"},
    ]


def answer(body: dict[str, Any]) -> str:
    """The correct body of the function the prompt asks for: x plus its index."""
    name = re.findall(r"def (\w+)\(", body["messages"][-1]["content"])[-1]
    plus = name.rpartition("_")[2]
    return f"```python\ndef {name}(x: int) -> int:\n    return x + {plus}\n```"


class Verifications:
    """Every warm runner's test runs in this process, as they end, to report on."""

    def __init__(self) -> None:
        self.runs: list[TestRun] = []
        run_tests = WarmRunner.run_tests

        async def recorded(runner: WarmRunner, *args: Any, **kwargs: Any) -> TestRun:
            run = await run_tests(runner, *args, **kwargs)
            self.runs.append(run)
            return run

        WarmRunner.run_tests = recorded  # type: ignore[method-assign,assignment]

    def take(self) -> list[TestRun]:
        runs, self.runs = self.runs, []
        return runs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


def fill(project: Path, url: str, jobs: int) -> tuple[float, Any]:
    flags = api.FillFlags(
        provider="openai",
        base_url=f"{url}/v1",
        jobs=jobs,
        max_rounds=1,
        design_tests=False,
        only=(f"{PACKAGE}.*",),
    )
    started = time.perf_counter()
    record = api.fill(project, flags, environ={**os.environ, "OPENAI_API_KEY": "sk-bench"})
    return time.perf_counter() - started, record


def warm_up(tmp: Path, url: str, jobs: int, with_tests: bool) -> float:
    tmp.mkdir()
    spec_path = tmp / "spec-warm-up.json"
    spec_path.write_text(json.dumps(spec(PER_FEATURE, with_tests)))
    project = api.new(spec_path, tmp / "warm-up").root
    return fill(project, url, jobs)[0]


def table(result: dict[str, Any]) -> str:
    """The runs as the Markdown table of README.md and docs/benchmarks.md."""
    with_tests = result.get("with_tests", False)
    head = "| units | jobs | wall (s) | ideal (s) | speed-up vs ideal |"
    rule = "|---:|---:|---:|---:|---:|"
    if with_tests:
        head = (
            "| L (s) | units | jobs | wall (s) | ideal (s) | speed-up vs ideal "
            "| verify median (ms) | verify p95 (ms) | CPU median (ms) | lost |"
        )
        rule = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    rows = [head, rule]
    for run in result["runs"]:
        cells = [
            str(run["units"]),
            str(run["jobs"]),
            f"{run['wall_s']:.1f}",
            f"{run['ideal_s']:.0f}",
            f"{100 * run['speedup_vs_ideal']:.0f}%",
        ]
        if with_tests:
            cells[3] = f"{run['ideal_s']:.1f}"  # half-second latencies: 6.5 s is not 6 s
            cells = [
                f"{run['latency_s']:g}",
                *cells,
                f"{run['verify_median_ms']:.0f}",
                f"{run['verify_p95_ms']:.0f}",
                f"{run['cpu_median_ms']:.0f}",
                str(run["lost"]),
            ]
        rows.append(f"| {' | '.join(cells)} |")
    return "\n".join(rows)


def verification(runs: list[TestRun]) -> dict[str, Any]:
    seconds = [r.seconds for r in runs]
    cpu = [r.cpu_seconds for r in runs if r.cpu_seconds is not None]
    return {
        "candidates": len(runs),
        "cold_candidates": len(runs) - len(cpu),
        "verify_median_ms": round(1000 * statistics.median(seconds), 1) if seconds else None,
        "verify_p95_ms": round(1000 * percentile(seconds, 0.95), 1) if seconds else None,
        "cpu_median_ms": round(1000 * statistics.median(cpu), 1) if cpu else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latency", type=float, nargs="+", default=[1.0], help="seconds per model call (L)"
    )
    parser.add_argument("--units", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help=f"runs of a cell whose ideal time is under {REPEAT_UNDER_S:.0f} s (median reported)",
    )
    parser.add_argument(
        "--with-tests",
        action="store_true",
        help="two examples and one raises example per unit: every candidate's tests run",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    name = "results-tests.json" if args.with_tests else "results.json"
    out = args.out or Path(__file__).with_name(name)
    load_before = os.getloadavg()[0]
    verifications = Verifications()

    runs: list[dict[str, Any]] = []
    warmups = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="filler-throughput-")))
        urls = {}
        for latency in args.latency:
            server = stack.enter_context(LoopbackServer(OPENAI, latency_s=latency, respond=answer))
            urls[latency] = server.url
            # One-time costs of the process (importing the provider's SDK, compiling the
            # prompt templates, starting the worker pool's fork server) go to a warm-up fill,
            # not to the first run of the grid; the result records how long it took.
            warmups.append(
                warm_up(tmp / f"l{latency:g}", server.url, max(args.jobs), args.with_tests)
            )
        verifications.take()
        # Smallest cells first: a grid cut short still has every latency of its first sizes.
        for n in args.units:
            spec_path = tmp / f"spec-{n}.json"
            spec_path.write_text(json.dumps(spec(n, args.with_tests)))
            base = api.new(spec_path, tmp / f"base-{n}").root
            for latency in args.latency:
                for jobs in args.jobs:
                    runs.append(cell(args, tmp, base, urls[latency], n, jobs, latency))
                    runs[-1] |= verification(verifications.take()) if args.with_tests else {}
                    print(json.dumps(runs[-1]), flush=True)
                    write(out, args, runs, warmups, load_before)

    result = write(out, args, runs, warmups, load_before)
    print(json.dumps(result["summary"], indent=2))
    print(table(result))


def write(
    out: Path,
    args: argparse.Namespace,
    runs: list[dict[str, Any]],
    warmups: list[float],
    load_before: float,
) -> dict[str, Any]:
    """The results so far, written to `out` after every cell."""
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()[0],
        },
        "latency_s": args.latency[0] if len(args.latency) == 1 else args.latency,
        "with_tests": args.with_tests,
        "warmup_s": round(warmups[0], 3) if len(warmups) == 1 else [round(w, 3) for w in warmups],
        "command": shlex.join(["python", "-m", "benchmarks.throughput.run", *sys.argv[1:]]),
        "runs": runs,
        "summary": summary(runs, args.with_tests),
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def cell(
    args: argparse.Namespace, tmp: Path, base: Path, url: str, n: int, jobs: int, latency: float
) -> dict[str, Any]:
    """One cell of the grid: its median run of --repeat, or its one run."""
    ideal = math.ceil(n / jobs) * latency
    runs_of_cell = []
    for repetition in range(args.repeat if ideal < REPEAT_UNDER_S else 1):
        project = tmp / f"l{latency:g}-n{n}-j{jobs}-{repetition}"
        shutil.copytree(base, project, symlinks=True)
        wall, record = fill(project, url, jobs)
        filled = len(record.filled)
        if not args.with_tests:
            assert filled == n, f"only {filled}/{n} units filled: {record.to_json()}"
        runs_of_cell.append((wall, record))
    walls = sorted(wall for wall, _ in runs_of_cell)
    wall, record = sorted(runs_of_cell, key=lambda r: r[0])[len(runs_of_cell) // 2]
    waited = record.stats.provider_seconds
    return {
        "latency_s": latency,
        "units": n,
        "jobs": jobs,
        "wall_s": round(wall, 3),
        "walls_s": [round(w, 3) for w in walls],
        "ideal_s": round(ideal, 3),
        "speedup_vs_ideal": round(ideal / wall, 3),
        "provider_wait_s": round(waited, 3),
        "filler_ms_per_unit": round((wall - waited) / n * 1000, 1) if jobs == 1 else None,
        # Every reply is correct: a unit left a stub was lost (to a timeout, or a limit).
        "lost": max(n - len(r.filled) for _, r in runs_of_cell),
        "lost_reasons": sorted({u.reason for _, r in runs_of_cell for u in r.units if u.reason}),
    }


def summary(runs: list[dict[str, Any]], with_tests: bool) -> dict[str, Any]:
    if not with_tests:
        serial = [r["filler_ms_per_unit"] for r in runs if r["filler_ms_per_unit"] is not None]
        at16 = [r["speedup_vs_ideal"] for r in runs if r["jobs"] == 16]
        return {
            "min_speedup_vs_ideal_at_16_jobs": min(at16) if at16 else None,
            "max_filler_ms_per_unit": max(serial) if serial else None,
            "targets": {"speedup_vs_ideal_at_16_jobs": 0.9, "filler_ms_per_unit": 50},
        }

    def speedups(jobs: int) -> list[float]:
        return [
            r["speedup_vs_ideal"]
            for r in runs
            if r["jobs"] == jobs and r["units"] >= 50 and r["latency_s"] == 1.0
        ]

    medians = [r["verify_median_ms"] for r in runs if r["verify_median_ms"] is not None]
    return {
        "max_verify_median_ms": max(medians) if medians else None,
        "min_speedup_at_4_jobs_n50_up_l1": min(speedups(4), default=None),
        "min_speedup_at_16_jobs_n50_up_l1": min(speedups(16), default=None),
        "units_lost": sum(r["lost"] for r in runs),
        "targets": {
            "verify_median_ms": 150,
            "speedup_at_4_jobs": 0.9,
            "speedup_at_16_jobs": 0.75,
            "units_lost": 0,
        },
    }


if __name__ == "__main__":
    main()
