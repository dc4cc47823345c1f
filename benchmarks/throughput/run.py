"""Throughput: fill N units with --jobs J against a loopback model that answers after L seconds.

For N in 10, 50, 200 and J in 1, 4, 16 it renders N one-line function stubs (no examples, so
no test runs: this measures the filler and the provider wait, not pytest), serves an
OpenAI-compatible model on 127.0.0.1 that answers every call after exactly L seconds, and runs
the real `filler fill`. It reports the wall time against the ideal ceil(N/J) * L and the
filler's own time per unit (the run's wall time minus the time spent waiting on the model,
from the J=1 runs, where nothing overlaps). Wall times on this kind of machine move by about
0.05 s between identical runs, which is 5% of a 1-second cell: a cell whose ideal time is under
10 s runs --repeat times and reports its median run (every wall time is in `walls_s`).

    python -m benchmarks.throughput.run            # writes benchmarks/throughput/results.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from filler import api
from tests.helpers.wire import OPENAI, LoopbackServer

PACKAGE = "bench"
PER_FEATURE = 10
REPEAT_UNDER_S = 10.0


def spec(n: int) -> dict[str, Any]:
    features = []
    for f in range(math.ceil(n / PER_FEATURE)):
        count = min(PER_FEATURE, n - f * PER_FEATURE)
        functions = [
            {
                "name": f"f{f}_{i}",
                "params": "x: int",
                "returns": "int",
                "doc": f"Return x plus {i}.",
            }
            for i in range(count)
        ]
        features.append(
            {"name": f"feature{f}", "description": "Generated.", "functions": functions}
        )
    return {"package_name": PACKAGE, "description": "Throughput benchmark.", "features": features}


def answer(body: dict[str, Any]) -> str:
    name = re.findall(r"def (\w+)\(", body["messages"][-1]["content"])[-1]
    return f"```python\ndef {name}(x: int) -> int:\n    return x + 1\n```"


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


def warm_up(tmp: Path, url: str, jobs: int) -> float:
    spec_path = tmp / "spec-warm-up.json"
    spec_path.write_text(json.dumps(spec(PER_FEATURE)))
    project = api.new(spec_path, tmp / "warm-up").root
    return fill(project, url, jobs)[0]


def table(result: dict[str, Any]) -> str:
    """The runs as the Markdown table of README.md and docs/benchmarks.md."""
    rows = [
        "| units | jobs | wall (s) | ideal (s) | speed-up vs ideal |",
        "|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        rows.append(
            f"| {run['units']} | {run['jobs']} | {run['wall_s']:.1f} | {run['ideal_s']:.0f} | "
            f"{100 * run['speedup_vs_ideal']:.0f}% |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per model call (L)")
    parser.add_argument("--units", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help=f"runs of a cell whose ideal time is under {REPEAT_UNDER_S:.0f} s (median reported)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="filler-throughput-") as tmp,
        LoopbackServer(OPENAI, latency_s=args.latency, respond=answer) as server,
    ):
        # One-time costs of the process (importing the provider's SDK, compiling the prompt
        # templates, starting the worker pool's fork server) go to a warm-up fill, not to the
        # first run of the grid; the result records how long it took.
        warmup_s = warm_up(Path(tmp), server.url, max(args.jobs))
        for n in args.units:
            spec_path = Path(tmp) / f"spec-{n}.json"
            spec_path.write_text(json.dumps(spec(n)))
            base = api.new(spec_path, Path(tmp) / f"base-{n}").root
            for jobs in args.jobs:
                ideal = math.ceil(n / jobs) * args.latency
                runs_of_cell = []
                for repetition in range(args.repeat if ideal < REPEAT_UNDER_S else 1):
                    project = Path(tmp) / f"n{n}-j{jobs}-{repetition}"
                    shutil.copytree(base, project, symlinks=True)
                    wall, record = fill(project, server.url, jobs)
                    filled = len(record.filled)
                    assert filled == n, f"only {filled}/{n} units filled: {record.to_json()}"
                    runs_of_cell.append((wall, record))
                walls = sorted(wall for wall, _ in runs_of_cell)
                wall, record = sorted(runs_of_cell, key=lambda r: r[0])[len(runs_of_cell) // 2]
                waited = record.stats.provider_seconds
                run = {
                    "units": n,
                    "jobs": jobs,
                    "wall_s": round(wall, 3),
                    "walls_s": [round(w, 3) for w in walls],
                    "ideal_s": round(ideal, 3),
                    "speedup_vs_ideal": round(ideal / wall, 3),
                    "provider_wait_s": round(waited, 3),
                    "filler_ms_per_unit": round((wall - waited) / n * 1000, 1)
                    if jobs == 1
                    else None,
                }
                runs.append(run)
                print(json.dumps(run), flush=True)

    serial = [r["filler_ms_per_unit"] for r in runs if r["filler_ms_per_unit"] is not None]
    at16 = [r["speedup_vs_ideal"] for r in runs if r["jobs"] == 16]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()[0],
        },
        "latency_s": args.latency,
        "warmup_s": round(warmup_s, 3),
        "command": shlex.join(["python", "-m", "benchmarks.throughput.run", *sys.argv[1:]]),
        "runs": runs,
        "summary": {
            "min_speedup_vs_ideal_at_16_jobs": min(at16) if at16 else None,
            "max_filler_ms_per_unit": max(serial) if serial else None,
            "targets": {"speedup_vs_ideal_at_16_jobs": 0.9, "filler_ms_per_unit": 50},
        },
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))
    print(table(result))


if __name__ == "__main__":
    main()
