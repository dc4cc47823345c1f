"""How many problems any choice among the loop's recorded replies could have solved.

    python -m benchmarks.humaneval.ceiling      # after run.py; writes ceiling.json

The loop keeps, per unit, the candidate that passes most visible tests. Whether a better way of
choosing (designed tests, a stronger judge) could solve more is bounded by the replies
themselves. This replays each recorded reply of `work/loop-replies.json` alone through the real
CLI (`filler fill --provider replay`, one candidate, the loop's gates and visible tests) into a
fresh copy of the project, scores it with the hidden tests like run.py, and counts a problem
solvable when any of its replies passes. No model call; about 7 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat
from pathlib import Path

from benchmarks.humaneval.convert import convert, load_problems
from benchmarks.humaneval.run import WORK, Config, fill, prepare, score, unit_id
from benchmarks.machine import machine

HERE = Path(__file__).resolve().parent

# One candidate per replayed reply, judged and tested exactly as in the loop.
FLAGS = ("--max-rounds", "1", "--samples", "1", "--no-design-tests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=Path, default=WORK / "loop-replies.json")
    parser.add_argument("--jobs", type=int, default=2, help="Passed to `filler fill`.")
    parser.add_argument("--out", type=Path, default=HERE / "ceiling.json")
    args = parser.parse_args()
    recorded: dict[str, list[str]] = json.loads(args.replies.read_text(encoding="utf-8"))

    raw = load_problems()
    conversion = convert(raw)
    problems = [p for p in conversion.problems if unit_id(p) in recorded]
    work = WORK / "ceiling"  # prepare() starts it afresh; the recorded replies stay in WORK
    prepare(conversion, raw, work)
    passing: dict[str, list[int]] = {p.task_id: [] for p in problems}
    for index in range(max(len(texts) for texts in recorded.values())):
        replies = {unit: [texts[index]] for unit, texts in recorded.items() if len(texts) > index}
        path = work / f"replies-{index}.json"
        path.write_text(json.dumps(replies), encoding="utf-8")
        config = Config(f"reply-{index}", FLAGS)
        fill(
            work / "base", config, ["--provider", "replay", "--replies", str(path)], args.jobs, work
        )
        project = work / config.name
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            hidden = list(pool.map(score, repeat(project), problems, repeat(work / "scoring")))
        for problem, (passed, _) in zip(problems, hidden, strict=True):
            if passed:
                passing[problem.task_id].append(index)
        shutil.rmtree(project)
        print(f"reply {index}: {sum(passed for passed, _ in hidden)} pass the hidden tests")
    solvable = {task: indices for task, indices in passing.items() if indices}
    result = {
        "benchmark": "humaneval-ceiling",
        "command": "python -m benchmarks.humaneval.ceiling",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "replies_file": args.replies.name,
        "flags": [*FLAGS],
        "problems": len(problems),
        "replies": sum(len(texts) for texts in recorded.values()),
        "replies_passing": sum(len(indices) for indices in passing.values()),
        "solvable": len(solvable),
        "solvable_tasks": solvable,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"solvable by some recorded reply: {len(solvable)}/{len(problems)}")


if __name__ == "__main__":
    main()
