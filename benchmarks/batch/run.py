"""Batch against interactive: the same N-unit fill through a loopback Batch API server
(`filler fill --batch`) and through the interactive path under a 30 requests/minute limit.

The units are the throughput benchmark's one-line stubs (no examples, so no test runs: this
measures the provider side, not pytest), one round each. Both servers answer every request with
the right body and bill 11 prompt and 7 completion tokens of `gpt-4o-mini`, so both runs are
priced by `filler/providers/prices.py`, the batch run at the batch rate. The interactive server
answers each call after `--latency` seconds; filler's own limiter holds it to `--rpm`
(`rpm` in `[tool.filler]`). The batch server finishes a job in three looks, one every
`--poll` seconds: a real provider takes minutes to hours, which this cannot measure; what it
does measure is the calls, the HTTP requests and the cost each path makes for the same fill.

    python -m benchmarks.batch.run       # writes benchmarks/batch/results.json (about 7 min)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from benchmarks.throughput.run import PACKAGE, answer, spec
from filler import api
from filler.batch.run import POLL_ENV
from tests.helpers.batch_wire import BatchServer, Json, LineError
from tests.helpers.wire import OPENAI, Canned, LoopbackServer

MODEL = "gpt-4o-mini"
PROMPT_TOKENS, COMPLETION_TOKENS = 11, 7


def render(tmp: Path, units: int, name: str, rpm: int | None = None) -> Path:
    spec_path = tmp / f"spec-{name}.json"
    spec_path.write_text(json.dumps(spec(units)))
    root = api.new(spec_path, tmp / name).root
    if rpm is not None:
        pyproject = root / "pyproject.toml"
        text = pyproject.read_text()
        pyproject.write_text(text.replace("[tool.filler]\n", f"[tool.filler]\nrpm = {rpm}\n", 1))
    return root


def fill(root: Path, flags: api.FillFlags, environ: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    record = api.fill(root, flags, environ={**os.environ, "OPENAI_API_KEY": "sk-bench", **environ})
    stats = record.stats
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "filled": len(record.filled),
        "stubs": len(record.stubs),
        "calls": stats.calls,
        "tokens": stats.tokens,
        "cost_usd": round(stats.cost_usd, 6) if stats.cost_usd is not None else None,
    }


def interactive(tmp: Path, units: int, rpm: int, latency: float) -> dict[str, Any]:
    def respond(body: Json) -> Canned:
        return OPENAI.ok(answer(body), model=MODEL, prompt_tokens=PROMPT_TOKENS,
                         completion_tokens=COMPLETION_TOKENS)  # fmt: skip

    root = render(tmp, units, "interactive", rpm=rpm)
    with LoopbackServer(OPENAI, latency_s=latency, respond=respond) as server:
        flags = _flags(server.url, batch=False)
        result = fill(root, flags, {})
        result["requests"] = len(server.completions)
    return {"path": "interactive", "rpm": rpm, "latency_s": latency, **result}


def batch(tmp: Path, units: int, poll_s: float) -> dict[str, Any]:
    def respond(cid: str, body: Json) -> str | LineError:
        return answer(body)

    root = render(tmp, units, "batch")
    with BatchServer(respond, model=MODEL) as server:
        result = fill(root, _flags(server.url, batch=True), {POLL_ENV: str(poll_s)})
        result["requests"] = server.requests
        result["batches"] = len(server.created)
    return {"path": "batch", "poll_s": poll_s, **result}


def _flags(url: str, *, batch: bool) -> api.FillFlags:
    return api.FillFlags(provider="openai", base_url=f"{url}/v1", model=MODEL, max_rounds=1,
                         design_tests=False, only=(f"{PACKAGE}.*",), batch=batch)  # fmt: skip


def table(result: dict[str, Any]) -> str:
    """The runs as the Markdown table of docs/providers.md."""
    rows = ["| path | wall (s) | model calls | HTTP requests | cost (USD) | filled |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for run in result["runs"]:
        label = (
            f"interactive, {run['rpm']} requests/min"
            if run["path"] == "interactive"
            else f"batch ({run['batches']} batch, a look every {run['poll_s']:g} s)"
        )
        cells = [label, f"{run['wall_s']:.1f}", str(run["calls"]), str(run["requests"]),
                 f"{run['cost_usd']:.6f}", f"{run['filled']}/{result['units']}"]  # fmt: skip
        rows.append(f"| {' | '.join(cells)} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--rpm", type=int, default=30, help="the interactive path's limit")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per interactive call")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between batch looks")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="filler-bench-batch-") as tmp:
        runs = [
            batch(Path(tmp), args.units, args.poll),
            interactive(Path(tmp), args.units, args.rpm, args.latency),
        ]
    result = {
        "benchmark": "batch",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "units": args.units,
        "model": MODEL,
        "runs": runs,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))


if __name__ == "__main__":
    main()
