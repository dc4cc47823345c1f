"""filler.source.units: which units a module holds, their targets, and when the two hashes move."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import filler.source.units
from filler.errors import ProjectError
from filler.source.formatting import format_python
from filler.source.units import (
    Unit,
    body_sha,
    find_unit,
    find_units,
    legacy_body_sha,
    member_key,
    members_by_key,
    reset_to_stub,
    unit_source,
)
from tests.helpers.merge_cases import clean

PATH = Path("src/textkit/tokenize.py")

TOKENIZE = clean('''
    """Split text into tokens."""

    from collections.abc import Iterable

    __all__ = ["Vocabulary", "word_tokens"]


    def word_tokens(text: str, *, lower: bool = False) -> list[str]:
        """Split text into word tokens, dropping punctuation.

        Examples:
            >>> word_tokens("Hello, world!")
            ['Hello', 'world']
        """
        raise NotImplementedError


    class Vocabulary:
        """A growing token-to-id mapping."""

        def __init__(self, tokens: Iterable[str] = ()) -> None:
            """Create a Vocabulary."""
            raise NotImplementedError

        def add(self, token: str) -> int:
            """Add a token if new and return its id."""
            raise NotImplementedError()
''')


def units(source: str) -> dict[str, Unit]:
    return {unit.qualname: unit for unit in find_units(source, "textkit.tokenize", PATH)}


def fill_word_tokens(source: str, body: str = "return text.split()") -> str:
    return source.replace(
        "        ['Hello', 'world']\n    \"\"\"\n    raise NotImplementedError",
        f"        ['Hello', 'world']\n    \"\"\"\n    {body}",
    )


def test_public_surface() -> None:
    assert filler.source.units.__all__ == [
        "Unit",
        "body_sha",
        "find_unit",
        "find_units",
        "implementation",
        "is_overload",
        "legacy_body_sha",
        "member_key",
        "members_by_key",
        "reset_to_stub",
        "signature_dump",
        "unit_source",
        "version_2_hashes",
    ]


def test_find_unit_is_find_units_for_one_name() -> None:
    every = {unit.qualname: unit for unit in find_units(TOKENIZE, "textkit.tokenize", PATH)}
    for name, unit in every.items():
        assert find_unit(TOKENIZE, "textkit.tokenize", PATH, name) == unit
    assert find_unit(TOKENIZE, "textkit.tokenize", PATH, "nope") is None


def test_the_stub_convention_example() -> None:
    found = find_units(TOKENIZE, "textkit.tokenize", PATH)
    assert [(u.id, u.kind, u.targets, u.is_stub, u.line) for u in found] == [
        ("textkit.tokenize:word_tokens", "function", ("word_tokens",), True, 8),
        ("textkit.tokenize:Vocabulary", "class", ("__init__", "add"), True, 18),
    ]
    assert all(u.module == "textkit.tokenize" and u.path == PATH for u in found)
    assert all(len(u.spec_hash) == len(u.body_sha) == 64 for u in found)


def test_a_filled_function_is_still_a_unit() -> None:
    unit = units(fill_word_tokens(TOKENIZE))["word_tokens"]
    assert not unit.is_stub
    assert unit.targets == ("word_tokens",)


def test_a_class_with_stub_methods_targets_only_the_stubs() -> None:
    source = TOKENIZE.replace(
        '        """Create a Vocabulary."""\n        raise NotImplementedError',
        '        """Create a Vocabulary."""\n        self._ids = {}',
    )
    assert units(source)["Vocabulary"].targets == ("add",)


def test_a_filled_class_targets_its_public_and_dunder_methods() -> None:
    source = clean('''
        class Counter:
            """Counts."""

            def __init__(self) -> None:
                self.n = 0

            def __len__(self) -> int:
                return self.n

            def bump(self) -> None:
                self.n += 1

            def _helper(self) -> None:
                pass
    ''')
    unit = units(source)["Counter"]
    assert unit.targets == ("__init__", "__len__", "bump")
    assert not unit.is_stub


def test_what_is_never_a_unit() -> None:
    source = clean('''
        from abc import ABC, abstractmethod
        from typing import Protocol, overload
        import typing


        def _private() -> None:
            raise NotImplementedError


        class Shape(ABC):
            @abstractmethod
            def area(self) -> float:
                raise NotImplementedError

            def describe(self) -> str:
                raise NotImplementedError


        class Sized(Protocol):
            def size(self) -> int:
                raise NotImplementedError


        class Generic(typing.Protocol[int]):
            def get(self) -> int: ...


        class Plain:
            """No methods at all."""

            limit = 3


        @overload
        def parse(x: int) -> int: ...


        class Twice:
            def size(self) -> int:
                raise NotImplementedError

            def size(self) -> int:
                raise NotImplementedError
    ''')
    found = units(source)
    assert list(found) == ["Shape"]
    assert found["Shape"].targets == ("describe",)


def test_async_and_decorated_functions_are_units() -> None:
    source = clean('''
        import functools


        @functools.cache
        async def fetch(url: str) -> bytes:
            """Fetch."""
            raise NotImplementedError
    ''')
    unit = units(source)["fetch"]
    assert (unit.is_stub, unit.line) == (True, 5)


def test_spec_hash_ignores_formatting_comments_and_bodies() -> None:
    before = units(TOKENIZE)
    reformatted = TOKENIZE.replace(
        "def word_tokens(text: str, *, lower: bool = False) -> list[str]:",
        "def word_tokens(\n    text: str,  # the input\n    *,\n    lower: bool=False,\n)"
        " -> list[str]:",
    ).replace('__all__ = ["Vocabulary", "word_tokens"]', "# a comment")
    filled = fill_word_tokens(reformatted, "return [w for w in text.split()]  # done")
    after = units(filled)
    assert after["word_tokens"].spec_hash == before["word_tokens"].spec_hash
    assert after["Vocabulary"].spec_hash == before["Vocabulary"].spec_hash


def test_spec_hash_stays_when_a_class_is_filled() -> None:
    filled = TOKENIZE.replace("raise NotImplementedError()", "return 0").replace(
        '"""Create a Vocabulary."""\n        raise NotImplementedError',
        '"""Create a Vocabulary."""\n        self._ids = {}',
    )
    assert units(filled)["Vocabulary"].spec_hash == units(TOKENIZE)["Vocabulary"].spec_hash
    assert units(filled)["Vocabulary"].targets == ("__init__", "add")


@pytest.mark.parametrize(
    ("old", "new", "moved"),
    [
        ("dropping punctuation.", "keeping punctuation.", "word_tokens"),
        ("lower: bool = False", "lower: bool = True", "word_tokens"),
        ("-> list[str]:", "-> tuple[str, ...]:", "word_tokens"),
        ("def word_tokens", "async def word_tokens", "word_tokens"),
        ('"""Split text into tokens."""', '"""Tokens."""', "word_tokens"),
        ('"""Split text into tokens."""', '"""Tokens."""', "Vocabulary"),
        ("token: str) -> int", "token: str, *, strict: bool = False) -> int", "Vocabulary"),
        ("Create a Vocabulary.", "Make one.", "Vocabulary"),
        ('"""A growing token-to-id mapping."""', '"""Ids."""', "Vocabulary"),
    ],
)
def test_spec_hash_moves_with_the_spec(old: str, new: str, moved: str) -> None:
    assert old in TOKENIZE
    changed = units(TOKENIZE.replace(old, new))
    assert changed[moved].spec_hash != units(TOKENIZE)[moved].spec_hash


def test_body_sha_moves_with_the_code_not_the_docstring_or_formatting() -> None:
    filled = fill_word_tokens(TOKENIZE, "return text.split()")
    sha = units(filled)["word_tokens"].body_sha
    assert (
        units(filled.replace("dropping punctuation", "keeping it"))["word_tokens"].body_sha == sha
    )
    assert units(filled.replace("text.split()", "text.split( )"))["word_tokens"].body_sha == sha
    assert units(filled.replace("text.split()", "text.split(',')"))["word_tokens"].body_sha != sha
    assert body_sha(filled, "word_tokens") == sha


def test_body_sha_counts_comments_but_not_how_they_are_written() -> None:
    filled = fill_word_tokens(TOKENIZE, "# split on spaces\n    return text.split()  # plain")
    sha = units(filled)["word_tokens"].body_sha
    assert sha != units(fill_word_tokens(TOKENIZE))["word_tokens"].body_sha
    assert units(filled.replace("# plain", "#plain   "))["word_tokens"].body_sha == sha
    edited = filled.replace("# plain", "# plain: checked by hand")
    assert units(edited)["word_tokens"].body_sha != sha
    # The comment of the signature line and those after the body's indentation are not its.
    outside = filled.replace("-> list[str]:", "-> list[str]:  # header") + "# after\n"
    assert units(outside)["word_tokens"].body_sha == sha
    assert legacy_body_sha(edited, "word_tokens") == legacy_body_sha(filled, "word_tokens")


def test_body_sha_counts_a_comment_right_above_the_first_statement_without_docstring() -> None:
    source = "def f(\n    x: int,  # the input\n) -> int:\n    # twice\n    return 2 * x\n"
    without = "def f(\n    x: int,\n) -> int:\n    return 2 * x\n"
    assert body_sha(source, "f") != body_sha(without, "f")
    assert body_sha(source, "f") == body_sha(source.replace("  # the input", ""), "f")


def test_body_sha_of_a_class_covers_every_method_also_private_ones() -> None:
    filled = TOKENIZE.replace(
        "raise NotImplementedError()",
        "return self._next()\n\n    def _next(self) -> int:\n        return 0",
    )
    sha = units(filled)["Vocabulary"].body_sha
    assert units(filled.replace("return 0", "return 1"))["Vocabulary"].body_sha != sha
    with pytest.raises(ProjectError):
        body_sha(filled, "Missing")


def test_unit_source_is_the_unit_as_written() -> None:
    assert (
        unit_source(TOKENIZE, units(TOKENIZE)["Vocabulary"]) == TOKENIZE[TOKENIZE.index("class") :]
    )
    assert unit_source(TOKENIZE, units(TOKENIZE)["word_tokens"]).startswith(
        "def word_tokens(text: str, *, lower: bool = False) -> list[str]:\n"
    )


def test_reset_to_stub_restores_the_stub_and_keeps_docstrings() -> None:
    filled = fill_word_tokens(TOKENIZE, "words = text.split()\n    return words")
    unit = units(filled)["word_tokens"]
    assert reset_to_stub(filled, unit) == TOKENIZE


def test_reset_to_stub_of_a_filled_class_stubs_every_target() -> None:
    filled = TOKENIZE.replace("raise NotImplementedError()", "return 0").replace(
        '"""Create a Vocabulary."""\n        raise NotImplementedError',
        '"""Create a Vocabulary."""\n        self._ids = {}',
    )
    reset = reset_to_stub(filled, units(filled)["Vocabulary"])
    assert reset == TOKENIZE.replace("raise NotImplementedError()", "raise NotImplementedError")
    assert units(reset)["Vocabulary"].is_stub


def test_a_unit_that_is_gone_is_a_project_error() -> None:
    unit = units(TOKENIZE)["word_tokens"]
    with pytest.raises(ProjectError, match=r"textkit\.tokenize:word_tokens is no longer defined"):
        unit_source("x = 1\n", unit)
    with pytest.raises(ProjectError):
        reset_to_stub("x = 1\n", unit)


def test_unit_source_keeps_the_module_indentation() -> None:
    source = 'def f() -> int:\n\t"""Doc."""\n\tif True:\n\t\treturn 1\n\treturn 0\n'
    assert unit_source(source, units(source)["f"]) == source


# Statements written loosely, as a reply might; `ruff format` rewrites every one of them.
LOOSE_STATEMENTS = st.sampled_from(
    [
        "total=0",
        "for item in ( items ) :\n{i}    total+=item",
        "if total>10 :\n{i}    total = 10\n{i}else:\n{i}    total-=1",
        "values = [1,\n{i}    2,3]",
        "result = {{ 'a':total }}",
        "while False : pass",
        "text = 'it''s'",
    ]
)
COMMENT_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=8)


@st.composite
def loose_functions(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A module with one filled function: its body's lines, comments between and after them
    at any indentation ruff keeps in the body, in whatever spacing."""
    indent = draw(st.sampled_from(["    ", "  ", "\t"]))
    lines = []
    for statement in draw(st.lists(LOOSE_STATEMENTS, min_size=1, max_size=4)):
        if draw(st.booleans()):
            pad = draw(st.sampled_from(["", "  ", "    ", "\t"]))
            lines.append(f"{pad}#{draw(st.sampled_from(['', ' ', '   ']))}{draw(COMMENT_TEXT)}")
        trailing = f"  #{draw(COMMENT_TEXT)}" if draw(st.booleans()) else ""
        lines.append(indent + statement.format(i=indent) + trailing)
    lines.append(f"{indent}return total")
    if draw(st.booleans()):
        lines.append(f"{indent}# {draw(COMMENT_TEXT)}")
    return f'def f(items: list[int]) -> int:\n{indent}"""Doc."""\n', lines


@given(loose_functions())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_body_sha_holds_under_ruff_format_and_moves_with_a_new_comment(
    function: tuple[str, list[str]],
) -> None:
    header, lines = function
    source = header + "\n".join(lines) + "\n"
    sha = body_sha(source, "f")
    assert body_sha(format_python(source), "f") == sha
    indent = lines[-1][: len(lines[-1]) - len(lines[-1].lstrip())]
    commented = header + "\n".join([*lines[:-1], f"{indent}# why", lines[-1]]) + "\n"
    assert body_sha(commented, "f") != sha


# Issue 19: the stubs real packages have.
SHAPES = clean('''
    """Temperatures."""

    from collections.abc import Iterator


    class Thermometer:
        """Reads a temperature."""

        def __init__(self, celsius: float = 0.0) -> None:
            """Start at `celsius`."""
            raise NotImplementedError

        @property
        def celsius(self) -> float:
            """The temperature."""
            raise NotImplementedError

        @celsius.setter
        def celsius(self, value: float) -> None:
            """Set the temperature."""
            raise NotImplementedError

        @staticmethod
        def to_fahrenheit(celsius: float) -> float:
            """`celsius` in Fahrenheit."""
            raise NotImplementedError

        @classmethod
        def freezing(cls) -> "Thermometer":
            """A thermometer at 0 degrees."""
            raise NotImplementedError

        async def read(self) -> float:
            """Read it, waiting for the sensor."""
            raise NotImplementedError

        def ticks(self, to: float) -> Iterator[float]:
            """Whole degrees towards `to`."""
            raise NotImplementedError

        def _parse_line(self, line: str) -> float:
            """The degrees a sensor line holds."""
            raise NotImplementedError


    async def poll(thermometer: Thermometer) -> float:
        """One reading."""
        raise NotImplementedError


    def readings(thermometer: Thermometer) -> Iterator[float]:
        """Readings for ever."""
        raise NotImplementedError
''')

SHAPE_TARGETS = (
    "__init__",
    "celsius",
    "celsius.setter",
    "to_fahrenheit",
    "freezing",
    "read",
    "ticks",
    "_parse_line",
)

SHAPE_BODIES = {
    "Start at `celsius`.": "self._celsius = celsius",
    "The temperature.": "return self._celsius",
    "Set the temperature.": "self._celsius = value",
    "`celsius` in Fahrenheit.": "return celsius * 9 / 5 + 32",
    "A thermometer at 0 degrees.": "return cls(0.0)",
    "Read it, waiting for the sensor.": "return self._celsius",
    "Whole degrees towards `to`.": "yield from range(int(self._celsius), int(to))",
    "The degrees a sensor line holds.": "return float(line.split()[0])",
}


def filled_shapes() -> str:
    source = SHAPES
    for docstring, body in SHAPE_BODIES.items():
        stub = f'"""{docstring}"""\n        raise NotImplementedError'
        assert stub in source
        source = source.replace(stub, f'"""{docstring}"""\n        {body}')
    return source


def test_every_kind_of_method_is_a_target_and_a_setter_is_one_of_its_own() -> None:
    found = units(SHAPES)
    assert found["Thermometer"].targets == SHAPE_TARGETS
    assert (found["poll"].targets, found["readings"].targets) == (("poll",), ("readings",))
    assert all(unit.is_stub for unit in found.values())


def test_a_filled_class_still_targets_its_setter_and_the_private_methods_the_spec_lists() -> None:
    filled = filled_shapes() + clean('''

        class Helped:
            """Has a helper a fill added (no docstring)."""

            def run(self) -> int:
                """Run."""
                return self._helper()

            def _helper(self) -> int:
                return 1
    ''')
    found = units(filled)
    assert found["Thermometer"].targets == SHAPE_TARGETS
    assert not found["Thermometer"].is_stub
    assert found["Helped"].targets == ("run",)


def test_spec_hash_of_a_class_with_private_methods_and_setters_stays_when_filled() -> None:
    assert units(filled_shapes())["Thermometer"].spec_hash == units(SHAPES)["Thermometer"].spec_hash


@pytest.mark.parametrize(
    "old, new",
    [
        ('"""Set the temperature."""', '"""Set it."""'),
        ("    @staticmethod\n", ""),
        ("async def read", "def read"),
    ],
)
def test_spec_hash_moves_with_setters_and_decorators(old: str, new: str) -> None:
    assert old in SHAPES
    for source in (SHAPES, filled_shapes()):
        moved = units(source.replace(old, new))["Thermometer"].spec_hash
        assert moved != units(source)["Thermometer"].spec_hash


def test_reset_to_stub_stubs_a_getter_and_its_setter_apart() -> None:
    filled = filled_shapes()
    assert reset_to_stub(filled, units(filled)["Thermometer"]) == SHAPES


def test_member_key_names_a_setter_and_a_deleter_apart_from_their_getter() -> None:
    klass = ast.parse(
        clean("""
        class Box:
            @property
            def size(self) -> int: ...
            @size.setter
            def size(self, value: int) -> None: ...
            @size.deleter
            def size(self) -> None: ...
            @other.setter
            def size(self, value: int) -> None: ...
    """)
    ).body[0]
    assert isinstance(klass, ast.ClassDef)
    assert [member_key(method) for method in klass.body if isinstance(method, ast.FunctionDef)] == [
        "size",
        "size.setter",
        "size.deleter",
        "size",
    ]
    assert list(members_by_key(klass)) == ["size", "size.setter", "size.deleter"]


def test_a_constructor_that_only_stores_its_parameters_is_never_a_target() -> None:
    source = clean('''
        class Location:
            """Where a thing is: rendered whole, nothing to fill."""

            def __init__(self, aisle: str, shelf: int = 0) -> None:
                """Create a new Location."""
                self.aisle = aisle
                self.shelf = shelf


        class Report:
            """A report."""

            def __init__(self, title: str) -> None:
                """Create a new Report."""
                self.title = title

            def render(self) -> str:
                """The report."""
                return self.title


        class Tally:
            """Sets up more than it is given."""

            def __init__(self, start: int) -> None:
                self.start = start
                self.seen: list[int] = []

            def add(self, n: int) -> None:
                self.seen.append(n)


        class Swapped:
            def __init__(self, a: int, b: int) -> None:
                self.a = b
                self.b = a
    ''')
    found = units(source)
    assert "Location" not in found
    assert found["Report"].targets == ("render",)
    assert found["Tally"].targets == ("__init__", "add")
    assert found["Swapped"].targets == ("__init__",)


OVERLOADED = clean('''
    """Convert things."""

    import typing


    @typing.overload
    def parse(value: str) -> int: ...


    @typing.overload
    def parse(value: bytes) -> int: ...


    def parse(value: str | bytes) -> int:
        """Parse an int."""
        raise NotImplementedError


    class Money:
        """Cents."""

        @typing.overload
        def scaled(self, factor: int) -> int: ...

        @typing.overload
        def scaled(self, factor: float) -> float: ...

        def scaled(self, factor: int | float) -> int | float:
            """The cents times factor."""
            raise NotImplementedError

        __rmul__ = scaled


    load = parse
    """Alias of `parse`."""
''')


def test_the_implementation_after_its_overloads_is_the_unit_and_an_alias_is_none() -> None:
    found = units(OVERLOADED)
    assert list(found) == ["parse", "Money"]
    parse, money = found["parse"], found["Money"]
    assert (parse.targets, parse.is_stub, parse.line) == (("parse",), True, 14)
    assert (money.targets, money.is_stub) == (("scaled",), True)
    filled = OVERLOADED.replace('int."""\n    raise NotImplementedError', 'int."""\n    return 1')
    assert units(filled)["parse"].body_sha != parse.body_sha
    assert not units(filled)["parse"].is_stub
    assert body_sha(filled, "parse") == units(filled)["parse"].body_sha
    assert units(filled)["parse"].spec_hash == parse.spec_hash
    retyped = OVERLOADED.replace("def parse(value: bytes) -> int", "def parse(value: bytes) -> str")
    assert units(retyped)["parse"].spec_hash != parse.spec_hash  # the spec decides overloads
    assert units(retyped)["parse"].body_sha == parse.body_sha


def test_unit_source_brings_the_overloads_and_reset_to_stub_leaves_them_alone() -> None:
    parse = units(OVERLOADED)["parse"]
    shown = unit_source(OVERLOADED, parse)
    assert shown.startswith("@typing.overload\ndef parse(value: str) -> int: ...\n\n\n@typing")
    assert shown.endswith('"""Parse an int."""\n    raise NotImplementedError\n')
    filled = OVERLOADED.replace("raise NotImplementedError", "return 1")
    assert reset_to_stub(filled, units(filled)["parse"]) == OVERLOADED.replace(
        "        raise NotImplementedError", "        return 1"
    )
    money = units(filled)["Money"]
    assert reset_to_stub(filled, money) == OVERLOADED.replace(
        "    raise NotImplementedError\n\n\nclass", "    return 1\n\n\nclass"
    )
    assert reset_to_stub(filled, money).count(": ...") == 4  # every overload keeps its `...`
