"""The gates on `@overload` groups and aliases (issue 19): a correct body is accepted with the
overloads echoed or not, and a reply that changes, drops, adds or reorders an overload, or
changes an alias, is refused by the definitions gate with what to keep."""

from __future__ import annotations

import ast

import pytest

from filler.gates.judge import Accepted, Gate, Rejected
from filler.gates.signatures import overload_problem
from tests.helpers.merge_cases import clean, fill

SKELETON = clean('''
    """Convert things."""

    from __future__ import annotations

    import typing

    __all__ = ["Money", "load", "parse"]


    @typing.overload
    def parse(value: str) -> int: ...


    @typing.overload
    def parse(value: bytes) -> int: ...


    def parse(value: str | bytes) -> int:
        """Parse an int from text or bytes."""
        raise NotImplementedError


    class Money:
        """An amount of cents."""

        def __init__(self, cents: int) -> None:
            """Create a new Money."""
            self.cents = cents

        @typing.overload
        def scaled(self, factor: int) -> int: ...

        @typing.overload
        def scaled(self, factor: float) -> float: ...

        def scaled(self, factor: int | float) -> int | float:
            """The cents times factor."""
            raise NotImplementedError

        def __add__(self, other: Money) -> Money:
            """The sum."""
            return Money(self.cents + other.cents)

        __radd__ = __add__


    load = parse
    """Alias of `parse`."""
''')

OVERLOADS = clean("""
    @typing.overload
    def parse(value: str) -> int: ...


    @typing.overload
    def parse(value: bytes) -> int: ...
""")
IMPLEMENTATION = clean('''
    def parse(value: str | bytes) -> int:
        """Parse an int from text or bytes."""
        return int(value)
''')
METHOD_OVERLOADS = """\
    @typing.overload
    def scaled(self, factor: int) -> int: ...

    @typing.overload
    def scaled(self, factor: float) -> float: ...

"""
MONEY = clean('''
    class Money:
        """An amount of cents."""

        def scaled(self, factor: int | float) -> int | float:
            return self.cents * factor

        __radd__ = __add__
''').replace(
    "    def scaled(self, factor: int |", METHOD_OVERLOADS + "    def scaled(self, factor: int |"
)


def reply(code: str) -> str:
    return f"```python\n{code}\n```"


def accepted(code: str, qualname: str = "parse") -> str:
    verdict = fill(SKELETON, reply(code), qualname)
    assert isinstance(verdict, Accepted), verdict
    return verdict.module_source


def refused(code: str, qualname: str = "parse") -> Rejected:
    verdict = fill(SKELETON, reply(code), qualname)
    assert isinstance(verdict, Rejected), verdict
    assert verdict.gate is Gate.DEFINITIONS, verdict
    return verdict


@pytest.mark.parametrize("echoed", [False, True])
def test_a_correct_body_is_merged_into_the_implementation_alone(echoed: bool) -> None:
    merged = accepted(OVERLOADS + "\n\n" + IMPLEMENTATION if echoed else IMPLEMENTATION)
    assert merged == SKELETON.replace(
        '"""Parse an int from text or bytes."""\n    raise NotImplementedError',
        '"""Parse an int from text or bytes."""\n    return int(value)',
    )
    namespace: dict[str, object] = {}
    exec(compile(merged, "conv.py", "exec"), namespace)  # the group still works as Python
    assert namespace["load"] is namespace["parse"]


def test_overloads_echoed_with_overload_imported_by_name_or_other_bodies_are_accepted() -> None:
    # How people write them: `from typing import overload`, `@overload`, `pass` or a docstring.
    echoed = (
        OVERLOADS.replace("@typing.overload", "@overload")
        .replace("str) -> int: ...", 'str) -> int:\n    """From text."""')
        .replace("bytes) -> int: ...", "bytes) -> int:\n    pass")
    )
    merged = accepted("from typing import overload\n\n\n" + echoed + "\n\n\n" + IMPLEMENTATION)
    assert merged == accepted(IMPLEMENTATION)  # the module's own lines, no new import


@pytest.mark.parametrize(
    ("overloads", "reason"),
    [
        (OVERLOADS.replace("bytes) -> int", "bytes) -> str"), "keep the `@overload` signatures"),
        (OVERLOADS.split("\n\n\n")[0], "keep the `@overload` signatures of parse as given"),
        (
            OVERLOADS + "\n\n@typing.overload\ndef parse(value: float) -> int: ...",
            "(`def parse(value: str) -> int: ...`; `def parse(value: bytes) -> int: ...`)",
        ),
    ],
    ids=["changed", "dropped", "added"],
)
def test_an_echoed_group_that_differs_is_refused(overloads: str, reason: str) -> None:
    assert reason in refused(overloads + "\n\n\n" + IMPLEMENTATION).reason


def test_overloads_after_the_implementation_and_overloads_of_another_name_are_refused() -> None:
    after = refused(IMPLEMENTATION + "\n\n" + OVERLOADS)
    assert after.reason == "put the `@overload` signatures of parse before its code"
    assert after.line == 7  # the caret is under the first overload that comes too late
    invented = refused("@typing.overload\ndef _helper(x: int) -> int: ...\n\n\n" + IMPLEMENTATION)
    assert invented.reason.startswith("_helper has no `@overload` signatures")


def test_a_method_group_is_kept_echoed_or_not_and_refused_when_changed() -> None:
    merged = accepted(MONEY, "Money")
    assert "        return self.cents * factor\n" in merged
    assert merged.count("@typing.overload") == 4
    without = MONEY.replace(METHOD_OVERLOADS, "")
    assert accepted(without, "Money") == merged
    changed = refused(MONEY.replace("factor: float) -> float", "factor: float) -> int"), "Money")
    assert "keep the `@overload` signatures of scaled" in changed.reason


def test_an_alias_changed_or_replaced_by_a_def_is_refused_and_an_echo_is_ignored() -> None:
    assert accepted(IMPLEMENTATION + '\n\nload = parse\n"""Alias of `parse`."""\n') == accepted(
        IMPLEMENTATION
    )
    other = refused(IMPLEMENTATION + "\n\nload = int\n")
    assert other.reason == "leave load as the module defines it; change only parse"
    as_def = refused(IMPLEMENTATION + "\n\ndef load(value: str | bytes) -> int:\n    return 1\n")
    assert as_def.reason == "leave load as the module defines it; change only parse"
    in_class = refused(MONEY.replace("__radd__ = __add__", "__radd__ = scaled"), "Money")
    assert in_class.reason.startswith("leave the class body of Money as it is")


def test_overload_problem_compares_groups_of_two_statement_lists() -> None:
    given = ast.parse(SKELETON).body
    assert overload_problem(given, ast.parse(OVERLOADS).body) is None
    assert overload_problem(given, ast.parse(IMPLEMENTATION).body) is None
    problem = overload_problem(given, ast.parse(OVERLOADS.replace("str)", "bytes)")).body)
    assert problem is not None
    reason, node = problem
    assert reason.startswith("keep the `@overload` signatures of parse as given")
    assert getattr(node, "lineno", None) == 2  # the first signature that differs
