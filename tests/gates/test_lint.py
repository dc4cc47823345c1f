"""The lint gate: the project's own `ruff check`, with its safe fixes, on every candidate.

Real ruff on a project root holding the template's `[tool.ruff]`; the repair feedback through
`evaluate_reply` as the flow builds it.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import pytest

from filler.fill.flow import (
    AskModel,
    Check,
    FlowOptions,
    FlowResult,
    RunCandidate,
    Subject,
    evaluate_reply,
    fill_flow,
)
from filler.fill.runner import CaseOutcome, TestResult
from filler.gates.judge import AllowedImports, Gate
from filler.gates.lint import lint_rejection
from filler.prompts import Prompts
from filler.providers.base import Reply, Usage
from filler.source.formatting import Linted, LintProblem, format_or_keep, lint_fixed
from tests.fill.test_flow import CTX, MODULE, UNIT
from tests.helpers.projects import build_file_tree

PYPROJECT = """\
[tool.ruff]
line-length = 88
target-version = "py310"

[tool.ruff.lint]
select = ["E4", "E7", "E9", "F", "W"]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return build_file_tree(tmp_path / "project", {"pyproject.toml": PYPROJECT})


def test_safe_fixes_are_applied_and_the_rest_is_named(root: Path) -> None:
    code = (
        "def add(a: int, b: int) -> int:\n"
        "    unused = 1\n"
        "    try:\n"
        '        print(f"adding")\n'
        "        return a + b if (a == True) else b\n"
        "    except:\n"
        "        return 0\n"
    )
    linted = lint_fixed(code, root=root)
    assert 'print("adding")' in linted.code  # F541, a safe fix
    assert sorted((p.line, p.rule) for p in linted.problems) == [
        (2, "F841"),
        (5, "E712"),
        (6, "E722"),
    ]


def test_clean_code_comes_back_as_it_was(root: Path) -> None:
    code = "def add(a: int, b: int) -> int:\n    return a + b\n"
    assert lint_fixed(code, root=root) == Linted(code)


def test_what_needs_the_module_is_left_to_the_gates_and_the_merge(root: Path) -> None:
    # An unused import (the merge drops it), a name the module defines, two imports on a line.
    code = "import os, re\n\n\ndef add(a: int, b: int) -> int:\n    return OFFSET + a + b\n"
    assert lint_fixed(code, root=root) == Linted(code)


def test_code_ruff_cannot_read_is_left_to_the_parse_gate(root: Path) -> None:
    assert lint_fixed("def add(:\n", root=root) == Linted("def add(:\n")


def test_the_projects_own_settings_decide(root: Path) -> None:
    (root / "pyproject.toml").write_text(PYPROJECT.replace('"E4", "E7", ', ""))
    code = "def add(a: int, b: int) -> int:\n    if a == True:\n        return b\n    return a\n"
    assert lint_fixed(code, root=root).problems == ()


def test_a_fix_that_changes_the_layout_is_formatted_again(root: Path) -> None:
    code = "def add(a: int, b: int) -> int:\n    x = 1;\n    return a + b + x\n"
    linted = lint_fixed(code, root=root)
    assert linted == Linted(format_or_keep(linted.code))
    assert ";" not in linted.code


def test_the_refusal_names_rule_line_and_message_with_a_caret() -> None:
    code = "def f():\n    try:\n        pass\n    except:\n        pass\n"
    problems = [
        LintProblem("E722", 4, 5, "Do not use bare `except`"),
        LintProblem("F841", 2, 5, "Local variable `x` is assigned to but never used"),
    ]
    rejected = lint_rejection(code, problems)
    assert rejected is not None and rejected.gate is Gate.LINT
    assert rejected.reason.startswith(
        "the project's `ruff check` fails: line 2: F841 Local variable `x` is assigned to but "
        "never used; line 4: E722 Do not use bare `except`"
    )
    assert rejected.line == 2 and rejected.excerpt == "    try:\n    ^"
    assert lint_rejection(code, []) is None


LINT_FAILING = (
    "```python\ndef add(a: int, b: int) -> int:\n    try:\n        return a + b\n"
    "    except:\n        return 0\n```"
)
CLEAN = "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```"
PASSED = Check(spec=(TestResult("tests/test_arith.py::test_add_1", CaseOutcome.PASSED, "", ""),))


def run_flow(root: Path, replies: list[str], max_rounds: int) -> tuple[FlowResult, list[str]]:
    """The flow driven as the pipeline drives it, every candidate passing its tests; returns
    the result and the last message of every request to the model."""
    lint = partial(lint_fixed, root=root)
    subject = Subject(UNIT, MODULE, AllowedImports(package="pkg"), format_or_keep, lint)
    flow = fill_flow(CTX, UNIT, FlowOptions(max_rounds=max_rounds), Prompts())
    asked: list[str] = []
    step = next(flow)
    try:
        while True:
            if isinstance(step, AskModel):
                asked.append(step.messages[-1].content)
                text = replies[len(asked) - 1]
                attempt = evaluate_reply(Reply(text, "stop", Usage(1, 1), 0.0, "m"), 1, subject)
                step = flow.send([attempt])
            else:
                assert isinstance(step, RunCandidate)
                step = flow.send(PASSED)
    except StopIteration as stop:
        return stop.value, asked


def test_a_body_failing_the_lint_goes_back_as_repair_feedback(root: Path) -> None:
    result, asked = run_flow(root, [LINT_FAILING, CLEAN], max_rounds=3)
    assert len(asked) == 2
    assert "line 4: E722 Do not use bare `except`" in asked[1] and "except:" in asked[1]
    assert result.accepted is not None and result.accepted.lint is None
    assert result.accepted.module_source and "except" not in result.accepted.module_source


def test_a_body_passing_its_tests_is_not_lost_over_lint_at_the_last_round(root: Path) -> None:
    result, _ = run_flow(root, [LINT_FAILING], max_rounds=1)
    assert result.accepted is not None
    assert result.accepted.lint is not None and result.accepted.lint.gate is Gate.LINT


def test_linting_a_candidate_is_cheap(root: Path) -> None:
    code = "def add(a: int, b: int) -> int:\n    return a + b\n"
    lint_fixed(code, root=root)
    started = time.perf_counter()
    for _ in range(10):
        lint_fixed(code, root=root)
    per_call = (time.perf_counter() - started) / 10
    print(f"lint_fixed: {per_call * 1000:.1f} ms per candidate")
    assert per_call < 0.5
