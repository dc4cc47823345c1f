"""The repair loop, driven by hand: no provider, no subprocess, no file.

Each test plays the driver: it answers `AskModel` with replies and `RunCandidate` with a
`Check`, and reads what the flow asks next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from filler.fill.flow import (
    AskDesigner,
    AskModel,
    Check,
    FlowOptions,
    FlowResult,
    JudgedReply,
    RunCandidate,
    Subject,
    designed_tests_from,
    evaluate_reply,
    fill_flow,
)
from filler.fill.runner import CaseOutcome, ScriptRun, TestResult
from filler.gates.judge import AllowedImports
from filler.prompts import PromptContext, Prompts
from filler.providers.base import Reply, Usage
from filler.source.units import Unit, UnitKind, find_units

MODULE = '''"""Arithmetic."""


def add(a: int, b: int) -> int:
    """Return the sum of a and b."""
    raise NotImplementedError
'''
UNIT: Unit = find_units(MODULE, "pkg.arith", Path("src/pkg/arith.py"))[0]
CTX = PromptContext(
    package="pkg",
    package_description="",
    module="pkg.arith",
    feature_description="Arithmetic.",
    qualname="add",
    kind=UnitKind.FUNCTION,
    demo=False,
    unit_source=MODULE.split("\n\n\n")[1],
    module_imports="",
    tests="def test_add_1() -> None:\n    assert add(2, 3) == 5",
    siblings="",
    third_party=(),
)
ALLOWED = AllowedImports(package="pkg")
GOOD = "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```"
WRONG = "```python\ndef add(a: int, b: int) -> int:\n    return a - b\n```"


def reply(text: str, finish_reason: str = "stop") -> Reply:
    return Reply(text, finish_reason, Usage(10, 10), 0.0, "test-model")


def results(*outcomes: str) -> tuple[TestResult, ...]:
    return tuple(
        TestResult(
            f"tests/test_arith.py::test_add_{i}",
            CaseOutcome(o),
            "assert 1 == 5",
            "> assert add(2, 3) == 5",
        )
        for i, o in enumerate(outcomes, 1)
    )


def drive(
    options: FlowOptions,
    replies: Sequence[Sequence[Reply]],
    checks: Sequence[Check],
    ctx: PromptContext = CTX,
    unit: Unit = UNIT,
    module: str = MODULE,
) -> tuple[FlowResult, list[object]]:
    """Answer every step from the scripts, as the pipeline does; return the result and steps."""
    subject = Subject(unit, module, ALLOWED, lambda code: code)
    generator = fill_flow(ctx, unit, options, Prompts())
    replies_left, checks_left, steps = list(replies), list(checks), []
    step: object = next(generator)
    try:
        while True:
            steps.append(step)
            if isinstance(step, AskDesigner):
                step = generator.send(replies_left.pop(0))
            elif isinstance(step, AskModel):
                answers = replies_left.pop(0)
                step = generator.send([evaluate_reply(r, step.round, subject) for r in answers])
            else:
                assert isinstance(step, RunCandidate)
                step = generator.send(checks_left.pop(0))
    except StopIteration as done:
        return done.value, steps


def test_a_good_first_reply_is_verified_and_accepted() -> None:
    result, steps = drive(
        FlowOptions(max_rounds=3), [[reply(GOOD)]], [Check(spec=results("passed"))]
    )
    ask, run = steps
    assert isinstance(ask, AskModel) and ask.key == "pkg.arith:add" and ask.samples == 1
    assert isinstance(run, RunCandidate) and "return a + b" in run.module_source
    assert result.accepted is not None and result.rounds == 1 and result.reason == ""


def test_a_failing_candidate_goes_back_with_the_failing_assertion() -> None:
    result, steps = drive(
        FlowOptions(max_rounds=3),
        [[reply(WRONG)], [reply(GOOD)]],
        [Check(spec=results("failed")), Check(spec=results("passed"))],
    )
    second_ask = steps[2]
    assert isinstance(second_ask, AskModel)
    *_, previous, feedback = second_ask.messages
    assert previous.role == "assistant" and previous.content == WRONG
    assert "1 of 1 tests failed" in feedback.content and "assert 1 == 5" in feedback.content
    assert result.accepted is not None and result.rounds == 2
    assert "return a + b" in (result.accepted.module_source or "")


def test_a_rejected_reply_is_never_run_and_the_reason_goes_back() -> None:
    placeholder = "```python\ndef add(a: int, b: int) -> int:\n    pass\n```"
    result, steps = drive(
        FlowOptions(max_rounds=2),
        [[reply(placeholder)], [reply(WRONG)]],
        [Check(spec=results("failed"))],
    )
    assert [type(s).__name__ for s in steps] == ["AskModel", "AskModel", "RunCandidate"]
    assert isinstance(steps[1], AskModel) and "not used" in steps[1].messages[-1].content
    assert result.accepted is None
    assert result.reason == "best candidate passed 0/1 spec tests"
    assert result.attempts[0].rejection is not None


def test_a_truncated_reply_is_asked_again_for_less() -> None:
    cut = "```python\ndef add(a: int, b: int) -> int:\n    # first we"
    _, steps = drive(FlowOptions(max_rounds=2), [[reply(cut, "length")], [reply(GOOD)]],
                     [Check(spec=results("passed"))])  # fmt: skip
    assert isinstance(steps[1], AskModel) and "cut off" in steps[1].messages[-1].content


def test_the_best_of_several_samples_wins_spec_tests_first() -> None:
    result, steps = drive(
        FlowOptions(max_rounds=1, samples=2),
        [[reply(WRONG), reply(GOOD)]],
        [Check(spec=results("failed", "passed")), Check(spec=results("passed", "passed"))],
    )
    assert isinstance(steps[0], AskModel) and steps[0].samples == 2
    assert result.accepted is not None and result.accepted.reply.text == GOOD


def test_designed_tests_come_first_rank_candidates_and_never_block_acceptance() -> None:
    designed = "```python\ndef test_zero():\n    assert add(0, 0) == 0\n\nprint('x')\n```"
    result, steps = drive(
        FlowOptions(max_rounds=1, samples=2, design_tests=True),
        [[reply(designed)], [reply(WRONG), reply(GOOD)]],
        [
            Check(spec=results("passed"), designed=results("failed")),
            Check(spec=results("passed"), designed=results("passed")),
        ],
    )
    ask_tests = steps[0]
    assert isinstance(ask_tests, AskDesigner) and ask_tests.key == "pkg.arith:add"
    run = steps[2]
    assert isinstance(run, RunCandidate)
    assert (
        run.designed_tests
        == "from pkg.arith import add\ndef test_zero():\n    assert add(0, 0) == 0\n"
    )
    assert result.accepted is not None and result.accepted.reply.text == GOOD
    # A candidate passing every spec test but no designed one is still acceptable.
    only_spec, _ = drive(
        FlowOptions(max_rounds=1, design_tests=True),
        [[reply(designed)], [reply(WRONG)]],
        [Check(spec=results("passed"), designed=results("failed"))],
    )
    assert only_spec.accepted is not None


def test_no_reply_for_the_designer_means_no_designed_tests() -> None:
    result, steps = drive(
        FlowOptions(max_rounds=1, design_tests=True),
        [[], [reply(GOOD)]],
        [Check(spec=results("passed"))],
    )
    run = steps[2]
    assert isinstance(run, RunCandidate) and run.designed_tests is None
    assert result.accepted is not None


def test_a_demo_must_run_and_must_use_the_feature() -> None:
    demo_module = (
        '"""Demo."""\n\n\ndef main() -> None:\n    """Show add."""\n    raise NotImplementedError\n'
    )
    demo_unit = find_units(demo_module, "examples.arith_demo", Path("examples/arith_demo.py"))[0]
    ctx = PromptContext(**{**CTX.__dict__, "qualname": "main", "demo": True,
                           "feature_module": "pkg.arith", "feature_names": ("add",)})  # fmt: skip
    idle = "```python\ndef main() -> None:\n    print('hello')\n```"
    uses = (
        "```python\nfrom pkg.arith import add\n\n\ndef main() -> None:\n    print(add(1, 2))\n```"
    )
    result, steps = drive(
        FlowOptions(max_rounds=2),
        [[reply(idle)], [reply(uses)]],
        [Check(script=ScriptRun(0, False, 0.1, "3"))],
        ctx=ctx,
        unit=demo_unit,
        module=demo_module,
    )
    second = steps[1]
    assert isinstance(second, AskModel) and "main() must call" in second.messages[-1].content
    assert isinstance(steps[2], RunCandidate)
    assert result.accepted is not None


def test_evaluate_reply_records_the_text_it_judged_on() -> None:
    subject = Subject(UNIT, MODULE, ALLOWED, str.strip)
    attempt = evaluate_reply(reply(GOOD), 1, subject)
    assert isinstance(attempt, JudgedReply) and attempt.judged_on == MODULE
    assert attempt.module_source is not None and "return a + b" in attempt.module_source
    refused = evaluate_reply(reply("no code"), 2, subject)
    assert refused.round == 2 and refused.rejection and refused.module_source is None


def test_designed_tests_from_keeps_only_tests_and_imports() -> None:
    code = "import math\n\ndef helper():\n    pass\n\ndef test_a():\n    assert math.pi\n"
    text = f"Sure:\n```python\n{code}```"
    assert designed_tests_from(text, "pkg.m", "f") == (
        "from pkg.m import f\nimport math\n\ndef test_a():\n    assert math.pi\n"
    )
    assert designed_tests_from("no tests here", "pkg.m", "f") is None


HIDDEN = TestResult(
    "tests/test_arith.py::test_add_3",
    CaseOutcome.FAILED,
    "assert 4242 == 12345",
    ">       assert add(7, 5) == 12345\nE       assert 4242 == 12345",
)


def test_a_failing_held_back_example_blocks_acceptance_and_only_its_count_goes_back() -> None:
    failing = Check(spec=results("passed", "passed"), held_back=(HIDDEN,))
    result, steps = drive(
        FlowOptions(max_rounds=2), [[reply(WRONG)], [reply(WRONG)]], [failing, failing]
    )
    second_ask = steps[2]
    assert isinstance(second_ask, AskModel)
    feedback = second_ask.messages[-1].content
    assert "1 held-back example of the spec failed" in feedback
    conversation = "\n".join(m.content for m in second_ask.messages)
    for secret in ("test_add_3", "12345", "4242", "add(7, 5)"):
        assert secret not in conversation
    assert result.accepted is None
    assert result.reason == (
        "best candidate passed 2/3 spec tests (held-back examples failed: test_add_3)"
    )
    passing = Check(spec=results("passed"), held_back=results("passed"))
    accepted, _ = drive(FlowOptions(max_rounds=1), [[reply(GOOD)]], [passing])
    assert accepted.accepted is not None


def test_held_back_designed_tests_are_counted_not_shown() -> None:
    designed = "```python\ndef test_zero():\n    assert add(0, 0) == 0\n```"
    shown = TestResult("tests/test__filler_designed.py::test_zero", CaseOutcome.PASSED)
    hidden = replace(HIDDEN, node_id="tests/test__filler_designed.py::test_big")
    check = Check(spec=results("failed"), designed=(shown, shown, hidden))
    _, steps = drive(
        FlowOptions(max_rounds=2, design_tests=True),
        [[reply(designed)], [reply(WRONG)], [reply(GOOD)]],
        [check, Check(spec=results("passed"))],
    )
    ask = steps[3]
    assert isinstance(ask, AskModel)
    feedback = ask.messages[-1].content
    assert "1 of 3 tests failed" in feedback and "test_add_1" in feedback
    assert "1 held-back designed test failed" in feedback
    assert "test_big" not in feedback and "12345" not in feedback
