"""Verification time per candidate, warm against cold, on a rendered project with hypothesis.

It renders one unit with two examples and one `raises` example (the `--with-tests` spec of
`run.py`), then verifies the same correct candidate K times with the cold runner (a copy of the
project, a fresh sandboxed pytest each time) and K times with a warm runner (a zygote that has
imported pytest and hypothesis forks one child per candidate), one at a time, and reports the
median and p95 wall time per candidate and the CPU time per candidate. The interpreter is
filler's own, which has hypothesis installed, as every rendered project's test extra does.
Warm CPU is the candidate's own forked process (its rusage, which the zygote reads). Cold CPU
cannot be read from a sandboxed run (bubblewrap's init, not filler, reaps pytest), so it is
measured on the same cold runs without the sandbox (`--sandbox none`), one at a time, from
filler's children's rusage: the pytest process, its start and imports included. The warm
runner's zygote is started first and not charged to any candidate (`start_s` records it).

    python -m benchmarks.throughput.verify      # writes benchmarks/throughput/verify.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from benchmarks.throughput.run import PACKAGE, percentile, spec
from filler import api
from filler.fill.context import spec_tests_by_unit
from filler.fill.runner import TestRun, run_tests
from filler.fill.sandbox import SandboxMode
from filler.fill.warm import WarmRunner


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def figures(seconds: list[float], cpu: list[float]) -> dict[str, Any]:
    return {
        "median_ms": round(1000 * statistics.median(seconds), 1),
        "p95_ms": round(1000 * percentile(seconds, 0.95), 1),
        "cpu_median_ms": round(1000 * statistics.median(cpu), 1),
    }


async def measure(root: Path, files: dict[Path, str], ids: list[str], k: int) -> dict[str, Any]:
    cold_s = [passed(await run_tests(root, files, ids, timeout=10)).seconds for _ in range(k)]
    cold_cpu = []
    for _ in range(k):
        before = children_cpu()
        passed(await run_tests(root, files, ids, timeout=10, sandbox=SandboxMode.NONE))
        cold_cpu.append(children_cpu() - before)
    warm = WarmRunner(root, size=1)
    try:
        started = time.perf_counter()
        warm.start()
        passed(await warm.run_tests(files, ids, timeout=10))
        start_s = time.perf_counter() - started
        warm_runs = [passed(await warm.run_tests(files, ids, timeout=10)) for _ in range(k)]
    finally:
        await warm.close()
    assert warm.cold_runs == 0, "a zygote was lost"
    return {
        "cold": figures(cold_s, cold_cpu),
        "warm": figures([r.seconds for r in warm_runs], [r.cpu_seconds or 0 for r in warm_runs]),
        "start_s": round(start_s, 3),
    }


def passed(run: TestRun) -> TestRun:
    assert [r.outcome for r in run.results] == ["passed"] * len(run.results), run
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=40, help="K, per runner")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("verify.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="filler-verify-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec(1, with_tests=True)))
        root = api.new(spec_path, Path(tmp) / "project").root
        module = Path("src") / PACKAGE / "feature0.py"
        stub = (root / module).read_text()
        files = {module: stub.replace("raise NotImplementedError", "return x + 0")}
        tests = spec_tests_by_unit(
            {p.relative_to(root): p.read_text() for p in (root / "tests").glob("test_*.py")}
        )
        ids = [t.node_id for t in tests[f"{PACKAGE}.feature0:f0_0"]]
        figures_ = asyncio.run(measure(root, files, ids, args.candidates))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()[0],
        },
        "command": shlex.join(["python", "-m", "benchmarks.throughput.verify", *sys.argv[1:]]),
        "candidates": args.candidates,
        "tests_per_candidate": len(ids),
        **figures_,
        "target": {"warm_median_ms": 150},
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
