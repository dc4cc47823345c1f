"""Prompts come from the Jinja templates; the shared part comes first, the unit last."""

from __future__ import annotations

from filler.prompts import (
    MAX_PROMPT_CHARS,
    Failure,
    Feedback,
    PromptContext,
    Prompts,
    prompt_too_long,
)
from filler.providers.base import Message, PromptStyle
from filler.source.units import UnitKind

CTX = PromptContext(
    package="textkit",
    package_description="Small text utilities.",
    module="textkit.tokenize",
    feature_description="Split text into tokens.",
    qualname="word_tokens",
    kind=UnitKind.FUNCTION,
    demo=False,
    unit_source=(
        'def word_tokens(text: str) -> list[str]:\n    """Split."""\n    raise NotImplementedError'
    ),
    module_imports="from collections.abc import Iterable",
    tests='def test_word_tokens_1() -> None:\n    assert word_tokens("a b") == ["a", "b"]',
    siblings="# textkit.stats\ndef mean(xs: list[float]) -> float: ...",
    third_party=("numpy",),
)


def test_fill_prompt_puts_the_shared_part_first_and_the_unit_last() -> None:
    system, user = Prompts().fill(CTX)
    assert system.role == "system" and user.role == "user"
    assert "`textkit`: Small text utilities." in system.content
    assert "numpy" in system.content
    text = user.content
    assert (
        text.index("def mean")
        < text.index("Module `textkit.tokenize`")
        < text.index('assert word_tokens("a b")')
        < text.index("def word_tokens(text: str)")
    )
    assert text.endswith("raise NotImplementedError\n```")


def test_the_system_prompt_is_the_same_for_every_unit_of_a_run() -> None:
    other = PromptContext(**{**CTX.__dict__, "qualname": "Vocabulary", "kind": UnitKind.CLASS})
    assert Prompts().fill(CTX)[0] == Prompts().fill(other)[0]


def test_repair_prompt_for_a_rejection_shows_the_reason_and_the_caret() -> None:
    feedback = Feedback(
        rejection="imports requests, which is not allowed", excerpt="import requests\n^"
    )
    message = Prompts().repair(CTX, feedback)
    assert message.role == "user"
    assert "not used: imports requests" in message.content
    assert "import requests\n^" in message.content
    assert "complete `word_tokens`" in message.content


def test_repair_prompt_for_failing_tests_lists_each_failure() -> None:
    feedback = Feedback(
        failures=(Failure("test_word_tokens_1", "assert ['a b'] == ['a', 'b']", "E  assert"),),
        total=2,
    )
    content = Prompts().repair(CTX, feedback).content
    assert "1 of 2 tests failed" in content
    assert "`test_word_tokens_1`: assert ['a b'] == ['a', 'b']" in content


def test_repair_prompt_for_a_timeout_and_for_a_failing_demo() -> None:
    assert "within 3 seconds" in Prompts().repair(CTX, Feedback(timed_out=True, timeout=3)).content
    demo = Prompts().repair(CTX, Feedback(script_output="Traceback ...\nNameError: x")).content
    assert "Running the demo failed" in demo and "NameError: x" in demo


def test_truncation_and_test_designer_prompts() -> None:
    assert "cut off" in Prompts().truncated(CTX).content
    _, user = Prompts().design_tests(CTX)
    assert "from textkit.tokenize import word_tokens" in user.content
    assert "raise NotImplementedError" in user.content
    assert (
        'assert word_tokens("a b")' not in user.content
    )  # the designer never sees the visible tests


def test_plan_prompts_carry_the_idea_features_and_the_schema() -> None:
    (message,) = Prompts().plan("IDEA TEXT", ["feature one", "feature two"], "OUTLINE")
    assert "IDEA TEXT" in message.content and "OUTLINE" in message.content
    assert "- feature one\n- feature two" in message.content
    fix = Prompts().plan_repair(["a: wrong", "b: wrong too"]).content
    assert "- a: wrong\n- b: wrong too" in fix


def test_compact_prompts_show_only_the_unit() -> None:
    (user,) = Prompts(PromptStyle.COMPACT).fill(CTX)
    assert user.role == "user"
    assert "def word_tokens(text: str)" in user.content
    assert "def mean" not in user.content and "assert" not in user.content
    demo = PromptContext(
        **{**CTX.__dict__, "demo": True, "feature_module": "textkit.tokenize"},
    )
    demo = PromptContext(**{**demo.__dict__, "feature_names": ("Vocabulary", "word_tokens")})
    (user,) = Prompts(PromptStyle.COMPACT).fill(demo)
    assert "import Vocabulary, word_tokens from `textkit.tokenize`" in user.content
    failure = Failure("test_word_tokens_1", "assert ['a b'] == ['a', 'b']", "", 'assert w("a b")')
    repair = (
        Prompts(PromptStyle.COMPACT).repair(CTX, Feedback(failures=(failure,), total=1)).content
    )
    assert 'This check fails:\n```python\nassert w("a b")\n```' in repair


def test_a_prompt_over_the_limit_is_named_with_its_size_and_the_limit() -> None:
    at_limit = (Message("system", "s" * 100_000), Message("user", "u" * 100_000))
    assert MAX_PROMPT_CHARS == 200_000
    assert prompt_too_long(at_limit) == ""
    over = (*at_limit, Message("user", "!"))
    assert prompt_too_long(over) == (
        "the prompt is 200,001 characters, over the limit of 200,000: "
        "shorten the unit's docstring, its module or its tests"
    )
