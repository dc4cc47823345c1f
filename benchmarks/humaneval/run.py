"""HumanEval quality benchmark: how many of the 164 problems the filler solves.

    python -m benchmarks.humaneval.run          # or: make bench-humaneval
    python -m benchmarks.humaneval.run --provider groq --model llama-3.3-70b-versatile
    python -m benchmarks.humaneval.run --limit 40 --only-config loop --loop-flags "..." --out X

The problems become one spec (convert.py), rendered with `filler new --no-fill` into
benchmarks/humaneval/work/base (git-ignored); the prompts' helper functions are inserted as
hand-written code and committed. Each configuration then fills a fresh copy through the real CLI
(`python -m filler fill`), and every unit is scored with its problem's hidden `test` and
`check(entry_point)` in a subprocess with a timeout. The hidden tests live only in work/scoring/,
outside every project the filler reads. Results go to benchmarks/humaneval/results.json.

Configurations: `reference` fills every unit with the problem's canonical solution through the
`replay` provider (a check of the harness: conversion, gates, visible tests and scoring must all
let a right answer through), `single-shot` asks once, `loop` runs the repair loop.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from benchmarks.humaneval.convert import (
    PACKAGE,
    Conversion,
    Problem,
    convert,
    load_problems,
    reference_code,
)
from benchmarks.machine import machine

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SCORE_TIMEOUT_S = 20.0
# The local model answers one call at a time and uses both cores while it does; more jobs
# would only interleave test runs with it.
DEFAULT_JOBS = 1


@dataclass(frozen=True)
class Config:
    name: str
    flags: tuple[str, ...]
    reference: bool = False  # the canonical solutions through `replay`, not a model


CONFIGS = {
    config.name: config
    for config in (
        Config("reference", ("--max-rounds", "1", "--no-design-tests"), reference=True),
        Config(
            "single-shot",
            ("--max-rounds", "1", "--samples", "1", "--no-design-tests", "--temperature", "0"),
        ),
        Config(
            "loop",
            ("--max-rounds", "1", "--samples", "10", "--no-design-tests", "--temperature", "0.5"),
        ),
    )
}

# Runs the hidden test the way HumanEval's own harness does: in the namespace of the module
# (its helpers and imports), with the entry point's original name bound to the filled function.
_SCORE_SCRIPT = """
import importlib, sys
module_name, name, entry_point, test_path = sys.argv[1:]
module = importlib.import_module(module_name)
namespace = dict(vars(module))
namespace[entry_point] = getattr(module, name)
with open(test_path, encoding="utf-8") as handle:
    exec(compile(handle.read(), test_path, "exec"), namespace)
namespace["check"](getattr(module, name))
"""


def unit_id(problem: Problem) -> str:
    return f"{PACKAGE}.{problem.feature}:{problem.name}"


def _environ(work: Path) -> dict[str, str]:
    """The environment of every child: git stops at the work dir, so `filler new` makes the
    render a repository of its own instead of adding it to the checkout around it."""
    return {**os.environ, "GIT_CEILING_DIRECTORIES": str(work)}


def _scoring_environ(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "KEY" not in k and "TOKEN" not in k}
    return {**env, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}


def _git(root: Path, *args: str, env: Mapping[str, str]) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=dict(env), capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def insert_helpers(source: str, helpers: str) -> str:
    """The module with the prompt's helpers placed right after `__all__`, before the stub."""
    if not helpers:
        return source
    tree = ast.parse(source)
    end = next(
        node.end_lineno
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    )
    lines = source.splitlines(keepends=True)
    assert end is not None
    return "".join([*lines[:end], "\n\n", helpers.strip("\n"), "\n", *lines[end:]])


def prepare(conversion: Conversion, raw: Mapping[str, Mapping[str, str]], work: Path) -> Path:
    """Render the spec, add the helpers as hand-written code, commit; write the hidden tests."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = _environ(work)
    spec = work / "spec.yml"
    spec.write_text(yaml.safe_dump(conversion.spec, sort_keys=False, allow_unicode=True))
    base = work / "base"
    subprocess.run(
        [sys.executable, "-m", "filler", "new", str(spec), str(base), "--no-fill"],
        env=env,
        check=True,
        capture_output=True,
    )
    if Path(_git(base, "rev-parse", "--show-toplevel", env=env)) != base:
        raise SystemExit(f"{base} is not a repository of its own; refusing to commit")
    for problem in conversion.problems:
        path = base / "src" / PACKAGE / f"{problem.feature}.py"
        path.write_text(insert_helpers(path.read_text(), problem.helpers))
    _git(base, "add", "-A", env=env)
    _git(base, "commit", "-q", "--no-verify", "-m", "The prompts' helpers, by hand", env=env)
    scoring = work / "scoring"
    scoring.mkdir()
    for problem in conversion.problems:
        (scoring / f"{problem.feature}.py").write_text(raw[problem.task_id]["test"])
    return base


def reference_flags(
    conversion: Conversion, raw: Mapping[str, Mapping[str, str]], work: Path
) -> list[str]:
    """`filler fill` flags that answer every unit with its canonical solution (`replay`)."""
    replies = {
        unit_id(p): [f"```python\n{reference_code(p, raw[p.task_id])}\n```"]
        for p in conversion.problems
    }
    path = work / "reference-input.json"
    path.write_text(json.dumps(replies, indent=1))
    return ["--provider", "replay", "--replies", str(path)]


def fill(
    base: Path, config: Config, provider_flags: Sequence[str], jobs: int, work: Path
) -> tuple[dict[str, Any], float, int]:
    """Fill a fresh copy of `base` through the CLI; return the run record, seconds, exit code."""
    project = work / config.name
    shutil.copytree(base, project)
    report = work / f"{config.name}-report.json"
    argv = [
        sys.executable, "-m", "filler", "fill", str(project), "--only", f"{PACKAGE}.*",
        "--report", str(report), "--record", str(work / f"{config.name}-replies.json"),
        *config.flags, *provider_flags, "--jobs", str(jobs),
    ]  # fmt: skip
    started = time.monotonic()
    with (work / f"{config.name}.log").open("w") as log:
        code = subprocess.run(argv, env=_environ(work), stdout=log, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    if code.returncode not in (0, 1):
        raise SystemExit(f"filler fill exited {code.returncode}; see {log.name}")
    return json.loads(report.read_text()), seconds, code.returncode


def score(project: Path, problem: Problem, scoring: Path) -> tuple[bool, str]:
    """Run the problem's hidden test against the function in `project`; (passed, why not)."""
    argv = [
        sys.executable, "-c", _SCORE_SCRIPT, f"{PACKAGE}.{problem.feature}", problem.name,
        problem.entry_point, str(scoring / f"{problem.feature}.py"),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            argv,
            cwd=scoring,
            env=_scoring_environ(project / "src"),
            capture_output=True,
            text=True,
            timeout=SCORE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {SCORE_TIMEOUT_S:g} s"
    if done.returncode == 0:
        return True, ""
    lines = done.stderr.strip().splitlines()
    return False, lines[-1][:200] if lines else f"exit {done.returncode}"


def _stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 2) if values else 0.0,
        "max": max(values, default=0),
    }


# Rejection reasons grouped by what went wrong, first match wins (the run record keeps reasons).
_REJECTION_KINDS = (
    ("syntax error", re.compile(r"^line \d+: ")),
    ("cut off at the token limit", re.compile(r"cut off")),
    ("signature changed", re.compile(r"keep the signature")),
    ("undefined name", re.compile(r"is not defined: import it")),
    ("no code for the target", re.compile(r"no Python code defining|defines \S+(, not| twice)")),
    ("placeholder body", re.compile(r"still has .* where its code should be")),
    ("import not allowed", re.compile(r"is not allowed: import only|import the names you use")),
    ("top-level statement", re.compile(r"remove the top-level")),
    ("public or clashing helper", re.compile(r"new public name|already exists")),
)


def _rejection_kind(reason: str) -> str:
    for kind, pattern in _REJECTION_KINDS:
        if pattern.search(reason):
            return kind
    return reason[:80]


def summarize(
    config: Config,
    problems: Sequence[Problem],
    record: Mapping[str, Any],
    hidden: Sequence[tuple[bool, str]],
    seconds: float,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> dict[str, Any]:
    units = {u["unit"]: u for u in record["units"]}
    rows = []
    for problem, (hidden_pass, why) in zip(problems, hidden, strict=True):
        unit = units.get(unit_id(problem), {})
        stats = unit.get("stats", {})
        rows.append(
            {
                "task_id": problem.task_id,
                "unit": unit_id(problem),
                "visible_examples": len(problem.examples),
                "filled": unit.get("outcome") == "filled",
                "hidden_pass": hidden_pass,
                "calls": stats.get("calls", 0),
                "tokens": stats.get("prompt_tokens", 0) + stats.get("completion_tokens", 0),
                "rounds": unit.get("rounds", 0),
                "candidates": unit.get("candidates", 0),
                "visible_passed": f"{unit.get('tests_passed', 0)}/{unit.get('tests_total', 0)}",
                "reason": unit.get("reason", ""),
                "hidden_failure": why,
                "rejections": [_rejection_kind(r["reason"]) for r in unit.get("rejections", [])],
            }
        )
    total = len(rows)
    passed = sum(r["hidden_pass"] for r in rows)
    filled = [r for r in rows if r["filled"]]
    with_examples = [r for r in rows if r["visible_examples"]]
    rejections = Counter(kind for r in rows for kind in r["rejections"])
    return {
        "flags": [*config.flags],
        "command": "",  # set by the caller, which knows the provider flags
        "passed": passed,
        "total": total,
        "pass_rate": round(passed / total, 4) if total else 0.0,
        "filled": len(filled),
        "filled_hidden_pass": sum(r["hidden_pass"] for r in filled),
        "filled_hidden_fail": sum(not r["hidden_pass"] for r in filled),
        "with_visible_examples": {
            "units": len(with_examples),
            "filled": sum(r["filled"] for r in with_examples),
            "hidden_pass": sum(r["hidden_pass"] for r in with_examples),
        },
        "without_visible_examples": {
            "units": total - len(with_examples),
            "filled": sum(r["filled"] for r in rows if not r["visible_examples"]),
            "hidden_pass": sum(r["hidden_pass"] for r in rows if not r["visible_examples"]),
        },
        "calls_per_unit": _stats([r["calls"] for r in rows]),
        "tokens_per_unit": _stats([r["tokens"] for r in rows]),
        "calls": sum(r["calls"] for r in rows),
        "tokens": sum(r["tokens"] for r in rows),
        "wall_seconds": round(seconds, 1),
        "seconds_per_unit": round(seconds / total, 2) if total else 0.0,
        "loadavg_before": [round(x, 2) for x in load[0]],
        "loadavg_after": [round(x, 2) for x in load[1]],
        "rejections": dict(rejections.most_common()),
        "problems": rows,
    }


def run_config(
    config: Config,
    conversion: Conversion,
    raw: Mapping[str, Mapping[str, str]],
    args: argparse.Namespace,
    work: Path,
) -> tuple[dict[str, Any], str, str]:
    """Fill and score one configuration; return its summary, the provider and the model."""
    if config.reference:
        provider_flags = reference_flags(conversion, raw, work)
    else:
        provider_flags = [
            flag
            for name in ("provider", "model", "base_url")
            if getattr(args, name)
            for flag in (f"--{name.replace('_', '-')}", getattr(args, name))
        ]
    if config.name == "loop" and args.loop_flags:
        config = replace(config, flags=tuple(args.loop_flags))
    load_before = os.getloadavg()
    record, seconds, _ = fill(work / "base", config, provider_flags, args.jobs, work)
    project = work / config.name
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hidden = list(pool.map(lambda p: score(project, p, work / "scoring"), conversion.problems))
    summary = summarize(
        config, conversion.problems, record, hidden, seconds, (load_before, os.getloadavg())
    )
    shown = [f for f in [*config.flags, *provider_flags] if not f.startswith(str(work))]
    summary["command"] = shlex.join(["filler", "fill", "PROJECT", "--only", f"{PACKAGE}.*", *shown])
    return summary, record["provider"], record["model"]


def table(results: Mapping[str, Any]) -> str:
    """The results as the Markdown table of README.md."""
    rows = [
        "| configuration | passed (hidden tests) | pass rate | filled (visible tests pass) | "
        "filled, hidden fail | calls/unit mean (max) | tokens/unit mean (max) | wall time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, c in results["configurations"].items():
        calls, tokens = c["calls_per_unit"], c["tokens_per_unit"]
        rows.append(
            f"| {name} | {c['passed']}/{c['total']} | {100 * c['pass_rate']:.1f}% | "
            f"{c['filled']} | {c['filled_hidden_fail']} | {calls['mean']} ({calls['max']}) | "
            f"{tokens['mean']} ({tokens['max']}) | {c['wall_seconds'] / 60:.1f} min |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--provider", help="Passed to `filler fill` (default: local).")
    parser.add_argument("--model", help="Passed to `filler fill`.")
    parser.add_argument("--base-url", help="Passed to `filler fill`.")
    parser.add_argument("--limit", type=int, help="Only the first N problems (trials).")
    parser.add_argument(
        "--only-config", choices=list(CONFIGS), action="append", help="Run only these."
    )
    parser.add_argument(
        "--loop-flags", type=shlex.split, help="Try other fill flags for the loop (trials)."
    )
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="Passed to `filler fill`.")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    if args.provider is None:
        args.provider = "local"

    raw = load_problems()
    if args.limit:
        raw = dict(list(raw.items())[: args.limit])
    conversion = convert(raw)
    prepare(conversion, raw, WORK)
    results: dict[str, Any] = {
        "benchmark": "humaneval",
        "command": shlex.join(["python", "-m", "benchmarks.humaneval.run", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "problems": len(raw),
        "converted": len(conversion.problems),
        "dropped": [{"task_id": t, "reason": why} for t, why in conversion.dropped],
        "skipped_examples": {
            p.task_id: list(p.skipped_examples) for p in conversion.problems if p.skipped_examples
        },
        "configurations": {},
    }
    for name in args.only_config or list(CONFIGS):
        summary, provider, model = run_config(CONFIGS[name], conversion, raw, args, WORK)
        if not CONFIGS[name].reference:
            results.update(provider=provider, model=model)
        results["configurations"][name] = summary
        print(f"{name}: {summary['passed']}/{summary['total']} in {summary['wall_seconds']} s")
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
