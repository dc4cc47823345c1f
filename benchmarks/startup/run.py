"""Startup: the wall time of whole `filler` processes that do little, median of ten runs each.

Issue 17's targets, on the reference machine: `filler --help` under 0.3 s and `filler status`
of the demo under 0.5 s. `filler fill --dry-run` on a filled, up-to-date demo (nothing to do)
is measured beside them. The demo spec (examples/specs/strkit.yml) is rendered once into a
temporary folder and filled with the `replay` provider from the test suite's replies.

    python -m benchmarks.startup.run      # writes benchmarks/startup/results.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.machine import machine
from filler import api
from tests.helpers.replies import STRKIT, write_replies

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[1] / "examples" / "specs" / "strkit.yml"
FILLER = [sys.executable, "-m", "filler"]
TARGETS_S = {"--help": 0.3, "status": 0.5}


def timed(argv: list[str], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr}")
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="filler-startup-") as tmp:
        root = api.new(SPEC, Path(tmp) / "strkit").root
        replies = write_replies(Path(tmp) / "replies.json", STRKIT)
        flags = api.FillFlags(provider="replay", replies=str(replies))
        stub = api.new(SPEC, Path(tmp) / "stubs").root
        api.fill(root, flags)
        commands = {
            "--help": [*FILLER, "--help"],
            "status": [*FILLER, "status", str(stub)],
            "fill --dry-run (up to date)": [
                *FILLER, "fill", str(root), "--dry-run", "--provider", "replay",
                "--replies", str(replies),
            ],
        }  # fmt: skip
        cells = []
        for name, argv in commands.items():
            walls = timed(argv, args.runs)
            median = statistics.median(walls)
            target = TARGETS_S.get(name)
            cells.append(
                {
                    "command": name,
                    "median_s": round(median, 3),
                    "min_s": round(min(walls), 3),
                    "walls_s": [round(w, 3) for w in walls],
                    "target_s": target,
                    "met": None if target is None else median < target,
                }
            )
            print(f"{name:30} median {median:.3f} s  min {min(walls):.3f} s  target {target}")
    result = {
        "benchmark": "startup",
        "command": "python -m benchmarks.startup.run",
        "measured_at": datetime.now(UTC).isoformat(timespec="minutes"),
        "machine": machine(),
        "runs": args.runs,
        "cells": cells,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
