"""What the model is shown: visible tests by marker (with the fixtures and helpers they use),
public signatures, module imports."""

from __future__ import annotations

from pathlib import Path

from filler.fill.context import (
    API_BUDGET_CHARS,
    module_imports,
    package_api,
    public_signatures,
    spec_tests_by_unit,
    visible_tests_source,
)

TESTS = """import pytest

from textkit.tokenize import Vocabulary, word_tokens


@pytest.mark.spec("textkit.tokenize:word_tokens")
def test_word_tokens_1() -> None:
    assert word_tokens("Hello, world!") == ["Hello", "world"]


@pytest.mark.spec("textkit.tokenize:Vocabulary")
def test_vocabulary_add_1() -> None:
    v = Vocabulary()
    assert v.add("a") == 0


def test_unmarked() -> None:
    assert word_tokens("") == []


@pytest.mark.spec("textkit.tokenize:word_tokens")
class TestByHand:
    def test_lower(self) -> None:
        assert word_tokens("A", lower=True) == ["a"]
"""

MODULE = '''"""Split text into tokens."""

from collections.abc import Iterable
import re as _re

__all__ = ["Vocabulary", "word_tokens"]


def word_tokens(text: str, *, lower: bool = False) -> list[str]:
    """Split text into word tokens, dropping punctuation.

    Examples:
        >>> word_tokens("Hello, world!")
    """
    raise NotImplementedError


def _private() -> None:
    pass


class Vocabulary:
    """A growing token-to-id mapping."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        raise NotImplementedError

    def add(self, token: str) -> int:
        """Add a token if new and return its id."""
        raise NotImplementedError

    def _grow(self) -> None:
        pass
'''


def test_visible_tests_are_the_ones_marked_with_the_unit_id() -> None:
    by_unit = spec_tests_by_unit({Path("tests/test_tokenize.py"): TESTS})
    assert set(by_unit) == {"textkit.tokenize:word_tokens", "textkit.tokenize:Vocabulary"}
    found = by_unit["textkit.tokenize:word_tokens"]
    assert [t.node_id for t in found] == [
        "tests/test_tokenize.py::test_word_tokens_1",
        "tests/test_tokenize.py::TestByHand::test_lower",
    ]
    assert found[0].source.startswith("def test_word_tokens_1() -> None:")
    assert 'assert word_tokens("Hello, world!")' in found[0].source


def test_a_test_shows_what_its_decorators_say_but_not_its_spec_mark() -> None:
    # The model must see the values a property draws; which unit a test is for says nothing.
    source = (
        "import pytest\nfrom hypothesis import given, strategies as st\n\n\n"
        '@pytest.mark.spec("pkg.m:f")\n@given(n=st.integers(min_value=1, max_value=6))\n'
        "def test_f_1(n) -> None:\n    assert f(n) > 0\n"
    )
    (test,) = spec_tests_by_unit({Path("tests/test_m.py"): source})["pkg.m:f"]
    assert test.source == (
        "@given(n=st.integers(min_value=1, max_value=6))\n"
        "def test_f_1(n) -> None:\n    assert f(n) > 0"
    )


def test_a_test_file_that_does_not_parse_is_skipped() -> None:
    files = {Path("tests/a.py"): "def (", Path("tests/b.py"): TESTS}
    found = spec_tests_by_unit(files)["textkit.tokenize:Vocabulary"]
    assert [t.node_id for t in found] == ["tests/b.py::test_vocabulary_add_1"]


def test_public_signatures_list_public_names_with_their_first_doc_line() -> None:
    assert public_signatures(MODULE, "textkit.tokenize") == (
        "# textkit.tokenize\n"
        "def word_tokens(text: str, *, lower: bool=False) -> list[str]: ...  "
        "# Split text into word tokens, dropping punctuation.\n"
        "class Vocabulary:  # A growing token-to-id mapping.\n"
        "    def __init__(self, tokens: Iterable[str]=()) -> None: ...\n"
        "    def add(self, token: str) -> int: ...  # Add a token if new and return its id."
    )


def test_package_api_falls_back_to_the_own_module_when_too_long() -> None:
    big = "\n".join(f"def f{i}(x: int) -> int:\n    return x\n" for i in range(400))
    modules = {"pkg.big": big, "pkg.small": "def g() -> None:\n    pass\n"}
    assert package_api(modules, "pkg.small") == "# pkg.small\ndef g() -> None: ..."
    both = package_api({"pkg.a": "def a() -> None: ...", "pkg.b": "def b() -> None: ..."}, "pkg.a")
    assert both == "# pkg.a\ndef a() -> None: ...\n\n# pkg.b\ndef b() -> None: ..."


def test_module_imports_are_quoted_as_written() -> None:
    assert module_imports(MODULE) == "from collections.abc import Iterable\nimport re as _re"
    assert module_imports("def broken(:") == ""


INVENTORY = '''"""Stock levels."""

from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

__all__ = ["MAX_ITEMS", "Inventory", "Item", "Kind", "OutOfStock"]

MAX_ITEMS: int = 100
"""The most items an inventory holds."""
DEFAULT_NAMES = ("bolt", "nut", "screw", "washer", "rivet", "pin", "spring", "clip", "hinge")
T = TypeVar("T")
_CACHE: dict[str, int] = {}


class OutOfStock(LookupError):
    """Raised when there is not enough of an item."""


class Kind(Enum):
    """What an item is."""

    TOOL = "tool"
    PART = "part"


@dataclass(frozen=True)
class Item:
    """One kind of thing in stock."""

    name: str
    kind: Kind = Kind.PART
    tags: list[str] = field(default_factory=list)
    _secret: int = 0


class Inventory(dict[Item, int], metaclass=type):
    """Items and how many of each."""

    limit = MAX_ITEMS

    @property
    def total(self) -> int:
        """How many items in all."""
        raise NotImplementedError

    @staticmethod
    def parse(line: str) -> Item:
        """The item a line names."""
        raise NotImplementedError

    async def refill(self) -> None:
        """Order what is missing."""
        raise NotImplementedError
'''


def test_public_signatures_show_fields_bases_members_exceptions_and_constants() -> None:
    assert public_signatures(INVENTORY, "stock.items") == (
        "# stock.items\n"
        "MAX_ITEMS: int = 100  # The most items an inventory holds.\n"
        "DEFAULT_NAMES = ...\n"
        "T = TypeVar('T')\n"
        "class OutOfStock(LookupError):  # Raised when there is not enough of an item.\n"
        "class Kind(Enum):  # What an item is.\n"
        "    TOOL = 'tool'\n"
        "    PART = 'part'\n"
        "@dataclass(frozen=True)\n"
        "class Item:  # One kind of thing in stock.\n"
        "    name: str\n"
        "    kind: Kind = Kind.PART\n"
        "    tags: list[str] = field(default_factory=list)\n"
        "class Inventory(dict[Item, int], metaclass=type):  # Items and how many of each.\n"
        "    limit = MAX_ITEMS\n"
        "    @property\n"
        "    def total(self) -> int: ...  # How many items in all.\n"
        "    @staticmethod\n"
        "    def parse(line: str) -> Item: ...  # The item a line names.\n"
        "    async def refill(self) -> None: ...  # Order what is missing."
    )


def test_package_api_outlines_the_other_modules_when_the_whole_is_too_long() -> None:
    doc = "A long explanation of what this does. " * 4
    big = "\n".join(f'def f{i}(x: int) -> int:\n    """{doc}"""\n' for i in range(30))
    errors = (
        "class StockError(Exception):\n"
        '    """The base of every error, with a doc line that the outline leaves out."""\n'
        "\n\nclass OutOfStock(StockError):\n"
        "    def explain(self) -> str:\n"
        '        """A member the outline leaves out."""\n'
        "        return ''\n"
        "\n\nLIMIT: int = 3\n"
    )
    modules = {"pkg.big": big, "pkg.errors": errors, "pkg.own": "def g() -> None:\n    pass\n"}
    assert len(public_signatures(big, "pkg.big")) > API_BUDGET_CHARS  # too long in full
    api = package_api(modules, "pkg.own")
    assert api.startswith("# pkg.big\ndef f0(x: int) -> int: ...\ndef f1(x: int) -> int: ...\n")
    assert api.endswith(
        "# pkg.errors\n"
        "class StockError(Exception):\n"
        "class OutOfStock(StockError):\n"
        "LIMIT: int = 3\n\n"
        "# pkg.own\n"
        "def g() -> None: ..."
    )


FIXTURE_TESTS = """import contextlib

import pytest

from kit.counting import Tally, total_of


@contextlib.contextmanager
def fresh_tally():
    t = Tally()
    try:
        yield t
    finally:
        t.total = 0


@pytest.fixture
def tally():
    with fresh_tally() as value:
        yield value


@pytest.fixture
def pair(tally):
    yield (tally, Tally())


@pytest.fixture
def unused():
    yield 1


def _twice(n):
    return 2 * n


@pytest.mark.spec("kit.counting:Tally")
def test_tally_add_1(tally) -> None:
    assert tally.add(2) == 2


@pytest.mark.spec("kit.counting:Tally")
def test_tally_add_2(n=3) -> None:
    with fresh_tally() as tally:
        assert tally.add(_twice(n)) == 6


@pytest.mark.spec("kit.counting:total_of")
def test_total_of_1(pair) -> None:
    assert total_of(pair) == 0


@pytest.mark.spec("kit.counting:total_of")
def test_total_of_2() -> None:
    assert total_of(()) == 0
"""


def test_a_visible_test_brings_the_fixtures_and_helpers_it_uses() -> None:
    by_unit = spec_tests_by_unit({Path("tests/test_counting.py"): FIXTURE_TESTS})
    first, second = by_unit["kit.counting:Tally"]
    fresh, tally = FIXTURE_TESTS.split("\n\n\n")[1:3]
    assert first.helpers == (fresh, tally)  # through the fixture, in file order
    assert second.helpers == (fresh, "def _twice(n):\n    return 2 * n")
    with_pair, alone = by_unit["kit.counting:total_of"]
    assert [h.split("\n")[1] for h in with_pair.helpers] == [
        "def fresh_tally():",
        "def tally():",
        "def pair(tally):",
    ]
    assert alone.helpers == ()


def test_the_prompt_s_tests_show_each_helper_once_above_the_tests() -> None:
    tests = spec_tests_by_unit({Path("tests/test_counting.py"): FIXTURE_TESTS})
    shown = visible_tests_source(tests["kit.counting:Tally"])
    assert shown.count("def fresh_tally():") == 1 and "def unused():" not in shown
    assert shown.index("@contextlib.contextmanager\ndef fresh_tally") < shown.index("def tally")
    assert shown.index("def _twice") < shown.index("def test_tally_add_1")
    assert shown.endswith("assert tally.add(_twice(n)) == 6")
    # only what the tests given use: one without fixtures brings none
    assert visible_tests_source(tests["kit.counting:total_of"][1:]) == (
        "def test_total_of_2() -> None:\n    assert total_of(()) == 0"
    )
