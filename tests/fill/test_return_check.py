"""A unit's results are checked against its return annotation, in cold and warm runs alike.

`conforms` is tested as a pure function; the plugin through real pytest sessions, both the cold
runner's subprocess and a warm zygote's forked child, on a small project.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NewType, Optional, Protocol, TypedDict, TypeVar
from unittest.mock import ANY

import pytest

from filler.fill.return_check import conforms
from filler.fill.runner import TestRun, run_tests
from filler.fill.sandbox import SandboxMode
from filler.fill.warm import WarmRunner
from tests.helpers.projects import build_file_tree

T = TypeVar("T")
UserId = NewType("UserId", int)


class Point(TypedDict):
    x: int


class Closeable(Protocol):
    def close(self) -> None: ...


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (3, int),
        (True, int),
        (3, float),
        (2.5, complex),
        ("a", str),
        (None, None),
        (None, Optional[int]),  # noqa: UP045 -- the spelling of older code
        (3, int | None),
        ([1, 2], list[int]),
        ((1, "a"), tuple[int, str]),
        ((1, 2, 3), tuple[int, ...]),
        ((), tuple[()]),
        ({"a": 1}, dict[str, int]),
        ({"a": [1]}, Mapping[str, Sequence[int]]),
        ({1, 2}, set[int]),
        (frozenset({1}), typing.FrozenSet[int]),  # noqa: UP006
        ("abc", Sequence[str]),
        (collections.Counter("ab"), dict[str, int]),
        ("r", Literal["r", "w"]),
        (len, Callable[[str], int]),
        (int, type[int]),
        (bool, type[int]),
        (UserId(3), UserId),
        ({"x": 1}, Point),
        (object(), Closeable),  # not runtime-checkable: not judged
        ("anything", T),
        (iter([1]), Iterator[str]),  # checking the items would consume them
        (3, Annotated[int, "positive"]),
        (ANY, Any),
    ],
)
def test_a_value_its_annotation_allows_conforms(value: object, hint: object) -> None:
    assert conforms(value, hint)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (ANY, int),
        (ANY, str),
        ("3", int),
        (3.5, int),
        (1, bool),
        (None, int),
        (3, None),
        ([1, "2"], list[int]),
        ([ANY], list[int]),
        ((1, 2), tuple[int, str]),
        ((1, 2, 3), tuple[int, int]),
        ((1, "a"), tuple[int, ...]),
        ({"a": "1"}, dict[str, int]),
        ({1: 1}, dict[str, int]),
        ([1], set[int]),
        ("x", Literal["r", "w"]),
        (1, Literal[True]),
        (3, Callable[[], int]),
        (str, type[int]),
        ("3", UserId),
        ([], Point),
        ("a", int | None),
    ],
)
def test_a_value_its_annotation_denies_does_not(value: object, hint: object) -> None:
    assert not conforms(value, hint)


MODULE = '''from __future__ import annotations


def double(x: int) -> int:
    """Twice x."""
    raise NotImplementedError


def fact(n: int) -> int:
    """n!"""
    return 1 if n <= 1 else n * fact(n - 1)


class Box:
    """Holds a value."""

    def __init__(self, value: int) -> None:
        self.value = value

    def get(self) -> int:
        """The value."""
        raise NotImplementedError

    @staticmethod
    def zero() -> int:
        """Zero."""
        return 0
'''

TESTS = """import pytest

from pkg.mod import Box, double, fact


def test_double() -> None:
    assert double(2) == 4


def test_double_refuses_text() -> None:
    with pytest.raises(TypeError):
        double("2")


def test_get() -> None:
    assert Box(3).get() == 3


def test_zero() -> None:
    assert Box.zero() == 0


def test_deep() -> None:
    assert fact(900) > 0
"""

ALL = [
    f"tests/test_mod.py::{name}"
    for name in ("test_double", "test_double_refuses_text", "test_get", "test_zero", "test_deep")
]
CHECKED = ["pkg.mod:double", "pkg.mod:Box.get", "pkg.mod:Box.zero", "pkg.mod:fact"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "project",
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
            "src/pkg/__init__.py": "from pkg.mod import double\n",
            "src/pkg/mod.py": MODULE,
            "tests/__init__.py": "",
            "tests/test_mod.py": TESTS,
        },
    )


def candidate(double: str, get: str = "return self.value", zero: str = "return 0") -> str:
    return (
        MODULE.replace("raise NotImplementedError", double, 1)
        .replace("raise NotImplementedError", get, 1)
        .replace("return 0", zero, 1)
    )


CORRECT = candidate("if not isinstance(x, int):\n        raise TypeError(x)\n    return 2 * x")
# Equal to everything, and so "passes" every `==`; returns text where it should raise.
GAMING = candidate(
    "from unittest.mock import ANY\n    return ANY if isinstance(x, int) else 'no'",
    get="from unittest.mock import ANY\n        return ANY",
    zero="from unittest.mock import ANY\n        return ANY",
)


def cold(project: Path, files: Mapping[Path, str], checked: Sequence[str]) -> TestRun:
    return asyncio.run(run_tests(project, files, ALL, timeout=20, checked=checked))


def warm(project: Path, files: Mapping[Path, str], checked: Sequence[str]) -> TestRun:
    async def main() -> TestRun:
        runner = WarmRunner(project, size=1, sandbox=SandboxMode.BWRAP)
        try:
            run = await runner.run_tests(files, ALL, timeout=20, checked=checked)
            assert runner.cold_runs == 0, "the warm run fell back to a cold one"
            return run
        finally:
            await runner.close()

    return asyncio.run(main())


RUNS = [pytest.param(cold, id="cold")]
if sys.platform == "linux":
    RUNS.append(pytest.param(warm, id="warm"))


def outcomes(run: TestRun) -> dict[str, str]:
    return {r.node_id.rpartition("::")[2]: r.outcome for r in run.results}


@pytest.mark.parametrize("run", RUNS)
def test_a_correct_body_passes_with_its_results_checked(
    project: Path, run: Callable[[Path, Mapping[Path, str], Sequence[str]], TestRun]
) -> None:
    result = run(project, {Path("src/pkg/mod.py"): CORRECT}, CHECKED)
    # fact(900) recurses 900 calls deep through the check: the limit was raised to match.
    assert set(outcomes(result).values()) == {"passed"}, result.results


@pytest.mark.parametrize("run", RUNS)
def test_a_body_returning_what_equals_everything_fails(
    project: Path, run: Callable[[Path, Mapping[Path, str], Sequence[str]], TestRun]
) -> None:
    files = {Path("src/pkg/mod.py"): GAMING}
    unchecked = outcomes(run(project, files, []))
    assert [name for name, outcome in unchecked.items() if outcome != "passed"] == [
        "test_double_refuses_text"
    ], "the gaming body no longer games its tests"

    result = run(project, files, CHECKED)

    assert outcomes(result) == {
        "test_double": "failed",
        # Had the check raised a TypeError, this test's `pytest.raises(TypeError)` would pass.
        "test_double_refuses_text": "failed",
        "test_get": "failed",
        "test_zero": "failed",
        "test_deep": "passed",
    }
    by_name = {r.node_id.rpartition("::")[2]: r for r in result.results}
    assert "double() returned _ANY <ANY>, but its return annotation is int" in (
        by_name["test_double"].message
    )
    assert "Box.get() returned _ANY" in by_name["test_get"].message
