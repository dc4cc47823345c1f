"""filler.fill.extract: every shape of reply the issue lists, repaired or refused with a reason."""

from __future__ import annotations

import time

import pytest

import filler.fill.extract
from filler.fill.extract import (
    MAX_REPLY_CHARS,
    Candidate,
    ExtractFailure,
    extract,
    fenced_blocks,
    reply_too_long,
)
from tests.helpers.merge_cases import clean

CODE = clean("""
    def word_tokens(text: str) -> list[str]:
        words = text.split()
        return [word.strip(".,") for word in words]
""")


def candidate(text: str, qualname: str = "word_tokens", finish_reason: str = "stop") -> Candidate:
    result = extract(text, qualname, finish_reason)
    assert isinstance(result, Candidate), result
    return result


def failure(
    text: str, qualname: str = "word_tokens", finish_reason: str = "stop"
) -> ExtractFailure:
    result = extract(text, qualname, finish_reason)
    assert isinstance(result, ExtractFailure), result
    assert result.reason and "\n" not in result.reason
    return result


def test_public_surface() -> None:
    assert filler.fill.extract.__all__ == [
        "MAX_REPLY_CHARS",
        "Candidate",
        "ExtractFailure",
        "extract",
        "fenced_blocks",
        "reply_too_long",
    ]


def test_one_fence_with_prose_around_it() -> None:
    text = f"Sure! Here is the function:\n\n```python\n{CODE}```\n\nIt splits on spaces."
    assert candidate(text) == Candidate(CODE, ())


@pytest.mark.parametrize("opening", ["```", "```py", "``` python", "~~~python", "````python3"])
def test_any_fence_language_or_none(opening: str) -> None:
    closing = opening.split("python")[0].split("py")[0].strip()
    assert candidate(f"{opening}\n{CODE}{closing}\n").code == CODE


def test_no_fence_drops_prose_before_between_and_after() -> None:
    text = clean("""
        You need a regular expression first:

        import re

        _WORD = re.compile(r"\\w+")

        Now the function itself:

        def word_tokens(text: str) -> list[str]:
            return _WORD.findall(text)

        This works because \\w matches letters and digits.
        Output
    """)
    result = candidate(text)
    assert result.code == clean("""
        import re

        _WORD = re.compile(r"\\w+")


        def word_tokens(text: str) -> list[str]:
            return _WORD.findall(text)
    """)
    assert result.notes == ("the reply had no code fence", "removed prose around the code")


def test_no_fence_keeps_constants_above_the_first_definition() -> None:
    text = (
        "_LIMIT = 3\n\ndef word_tokens(text: str) -> list[str]:\n    return text.split()[:_LIMIT]\n"
    )
    assert candidate(text).code == text


def test_several_fences_prefer_the_one_defining_the_target() -> None:
    text = (
        f"Usage:\n```python\nprint(word_tokens('a b'))\n```\nCode:\n```python\n{CODE}```\n"
        "And a test:\n```python\ndef test_it():\n    assert word_tokens('a') == ['a']\n```\n"
    )
    result = candidate(text)
    assert result.code == CODE
    assert "took the code block that defines word_tokens" in result.notes


def test_several_defining_fences_take_the_largest_that_parses() -> None:
    draft = "def word_tokens(text: str) -> list[str]:\n    return text.split(\n"
    short = "def word_tokens(text: str) -> list[str]:\n    return []\n"
    text = f"```python\n{draft}```\n```python\n{CODE}```\n```python\n{short}```\n"
    assert candidate(text).code == CODE


def test_a_lone_closing_fence_ends_the_code() -> None:
    result = candidate(f"{CODE}```\n\nThis splits the text.")
    assert result.code == CODE
    assert "the reply closed a code fence it never opened" in result.notes


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (
            f"<think>\nMaybe def word_tokens(x)?\n</think>\n```python\n{CODE}```",
            "removed a <think>",
        ),
        (f"I should split.\n</think>\n\n```python\n{CODE}```", "removed reasoning before"),
        (f"<think>\n```python\n{CODE}```", "removed an unterminated <think> tag"),
    ],
)
def test_think_blocks_are_removed(text: str, note: str) -> None:
    result = candidate(text)
    assert result.code == CODE
    assert any(n.startswith(note) for n in result.notes), result.notes


@pytest.mark.parametrize(("indent", "note"), [("  ", "2 spaces"), ("\t", "tabs")])
def test_two_space_and_tab_indentation_are_kept_and_noted(indent: str, note: str) -> None:
    code = CODE.replace("    ", indent)
    result = candidate(f"```python\n{code}```")
    assert result.code == code
    assert any(note in n for n in result.notes)


def test_uniformly_indented_code_is_dedented() -> None:
    indented = "".join(f"    {line}\n" for line in CODE.splitlines())
    result = candidate(f"1. Add this:\n\n    ```python\n{indented}    ```\n")
    assert result.code == CODE
    assert "removed the indentation common to every line" in result.notes


def test_the_whole_module_echoed_back_is_one_candidate() -> None:
    module = f'"""Tokens."""\n\nimport re\n\n__all__ = ["word_tokens"]\n\n\n{CODE}'
    assert candidate(f"```python\n{module}```").code == module


def test_windows_line_endings() -> None:
    assert candidate(f"```python\n{CODE}```".replace("\n", "\r\n")).code == CODE


def test_a_reply_for_a_different_name_names_both() -> None:
    result = failure(f"```python\n{CODE.replace('word_tokens', 'tokens')}```")
    assert result.reason.startswith("the reply defines tokens, not word_tokens")
    assert not result.truncated


def test_a_nested_definition_is_not_the_target() -> None:
    nested = "class Helper:\n    def word_tokens(self):\n        return []\n"
    assert "defines Helper, not word_tokens" in failure(f"```python\n{nested}```").reason


def test_a_reply_without_code() -> None:
    result = failure("I cannot help with that.")
    assert "no Python code defining word_tokens" in result.reason


def test_finish_reason_length_is_truncation() -> None:
    result = failure(f"```python\n{CODE}```", finish_reason="length")
    assert result.truncated
    assert "cut off at the token limit" in result.reason


def test_an_unterminated_fence_that_does_not_parse_is_truncation() -> None:
    result = failure(f"```python\n{CODE}def word_tokens(text):\n    return [w for w in")
    assert result.truncated


def test_an_unterminated_fence_that_parses_is_accepted_with_a_note() -> None:
    result = candidate(f"Here:\n```python\n{CODE}")
    assert result.code == CODE
    assert "the code block was never closed" in result.notes


def test_a_closed_block_that_does_not_parse_is_left_to_the_parse_gate() -> None:
    broken = "def word_tokens(text: str) -> list[str]:\n    return (\n"
    assert candidate(f"```python\n{broken}```").code == broken


def test_async_and_class_targets() -> None:
    assert candidate("```\nasync def main() -> None:\n    pass\n```", "main").code
    assert candidate("```\nclass Vocabulary:\n    pass\n```", "Vocabulary").code


def test_fenced_blocks_lists_every_block_in_order() -> None:
    text = "```python\na = 1\n```\ntext\n```\n    b = 2\n```\n"
    assert fenced_blocks(text) == ["a = 1", "b = 2"]
    assert fenced_blocks("no fences here") == []


def test_an_unterminated_fence_ending_mid_line_is_truncation_even_if_it_parses() -> None:
    cut = "```python\ndef word_tokens(text: str) -> list[str]:\n    return text.sp"
    assert failure(cut).truncated


def test_imports_sent_in_a_fence_of_their_own_are_kept() -> None:
    text = f"First:\n```python\nimport re\n```\nThen:\n```python\n{CODE}```\n"
    result = candidate(text)
    assert result.code == f"import re\n{CODE}"
    assert "added the imports of another code block" in result.notes


def test_code_no_file_can_hold_is_refused_with_its_line() -> None:
    text = '```python\ndef word_tokens(text: str) -> list[str]:\n    return ["\ud800"]\n```\n'
    assert failure(text).reason == (
        "line 2 of the code holds '\\ud800', a lone surrogate that no source file can hold: "
        "write it as an escape sequence or leave it out"
    )
    # In prose around the code, it harms nothing: only the code is written.
    assert candidate("\ud800 here:\n" + text.replace("\ud800", "x")).code.endswith('["x"]\n')


def test_a_reply_over_the_limit_is_refused_unread() -> None:
    started = time.perf_counter()
    for text in (f"```python\n{CODE}```\n" + "x" * 50_000_000, "a\n" * 2_500_000):
        refused = failure(text)
        assert refused.reason == (
            f"the reply is {len(text):,} characters, over the limit of 200,000; send only the code"
        )
        assert fenced_blocks(text) == []
    assert time.perf_counter() - started < 1  # no per-line work on what is refused
    assert reply_too_long("x" * MAX_REPLY_CHARS) == ""


@pytest.mark.parametrize(
    "line",
    [
        "import os\nx = (\n",  # every span parses only up to its first line
        "X = 1\n",  # constants above a def, all of them
        "def word_tokens(\n",  # a def that never closes
        "Some prose.\ndef f(): return 1\n",
        "    import os\n    x = [\n",  # indented, so every parse dedents first
    ],
)
def test_extraction_stays_linear_up_to_the_limit(line: str) -> None:
    text = line * (MAX_REPLY_CHARS // len(line)) + CODE
    text = text[-MAX_REPLY_CHARS:]
    started = time.perf_counter()
    extract(text, "word_tokens")
    # Before the parse budget, the first shape took over 100 s at a tenth of this size.
    assert time.perf_counter() - started < 5
