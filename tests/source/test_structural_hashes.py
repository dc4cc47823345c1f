"""A class's structure (fields, bases) moves neither its hashes nor its bodies in a merge.

`spec_hash` and `body_sha` leave out what the template renders from a class's structure: its
bases, the Attributes section of its docstring and a constructor that only stores its fields.
So a new field or base keeps a filled class `filled`, and `structural_merge` keeps its bodies.
Lock files version 2 hashed that structure too (`version_2_hashes`, for their migration).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from filler.source.structural import structural_merge
from filler.source.units import Unit, find_units, version_2_hashes

MODULE, PATH = "shop.cart", Path("src/shop/cart.py")

RENDERED = textwrap.dedent('''\
    """Carts."""

    import dataclasses


    @dataclasses.dataclass
    class Line:
        """One line.

        Attributes:
            sku (str): The code.
            qty (int):
        """

        sku: str
        qty: int = 1

        def total(self, price: int) -> int:
            """Price times qty."""
            raise NotImplementedError


    class Bag:
        """A bag.

        Attributes:
            items (list[str]):
        """

        def __init__(self, items: list[str]) -> None:
            """Create a new Bag."""
            self.items = items

        def count(self) -> int:
            """How many."""
            raise NotImplementedError
''')
GROWN = (
    RENDERED.replace("        qty (int):\n", "        qty (int):\n        note (str):\n")
    .replace("    qty: int = 1\n", "    qty: int = 1\n    note: str = ''\n")
    .replace("class Bag:", "class Bag(dict):")
    .replace("        items (list[str]):\n", "        items (list[str]):\n        n (int):\n")
    .replace("items: list[str]) -> None:", "items: list[str], n: int = 0) -> None:")
    .replace("        self.items = items\n", "        self.items = items\n        self.n = n\n")
)


def fill(source: str) -> str:
    return source.replace(
        '"""Price times qty."""\n        raise NotImplementedError',
        '"""Price times qty."""\n        # whole line\n        return price * self.qty',
    ).replace(
        '"""How many."""\n        raise NotImplementedError',
        '"""How many."""\n        return len(self.items)',
    )


def units(source: str) -> dict[str, Unit]:
    return {unit.qualname: unit for unit in find_units(source, MODULE, PATH)}


def test_the_grown_render_differs_where_the_spec_grew() -> None:
    grown = (
        "    note: str = ''\n",
        "class Bag(dict):\n",
        "        self.n = n\n",
        "        n (int):\n",
    )
    for line in (*grown, "        note (str):\n"):
        assert line not in RENDERED and line in GROWN


@pytest.mark.parametrize("name", ["Line", "Bag"])
def test_new_fields_and_bases_move_neither_hash(name: str) -> None:
    for before, after in ((RENDERED, GROWN), (fill(RENDERED), fill(GROWN))):
        old, new = units(before)[name], units(after)[name]
        assert (new.spec_hash, new.body_sha) == (old.spec_hash, old.body_sha)
        assert version_2_hashes(after, name) != version_2_hashes(before, name)


@pytest.mark.parametrize(
    ("old", "new", "moved"),
    [
        ('"""Price times qty."""', '"""Price by qty."""', "Line"),
        ("(self, price: int)", "(self, price: float)", "Line"),
        ('"""One line.', '"""A line of a cart.', "Line"),
        ("@dataclasses.dataclass\n", "@dataclasses.dataclass(frozen=True)\n", "Line"),
        ('"""How many."""', '"""How many items."""', "Bag"),
    ],
)
def test_the_spec_of_the_methods_still_moves_the_spec_hash(old: str, new: str, moved: str) -> None:
    assert old in GROWN
    assert units(GROWN.replace(old, new))[moved].spec_hash != units(GROWN)[moved].spec_hash


def test_a_constructor_with_logic_counts_in_the_body() -> None:
    filled = fill(GROWN)
    logic = filled.replace("        self.n = n\n", "        self.n = max(n, 0)\n")
    assert units(logic)["Bag"].body_sha != units(filled)["Bag"].body_sha


def test_an_attributes_heading_of_the_doc_itself_still_counts() -> None:
    doc = '"""A bag.\n\n    Attributes:\n    are not listed here.\n\n    Attributes:\n'
    mine = GROWN.replace('"""A bag.\n\n    Attributes:\n', doc)
    changed = mine.replace("are not listed here.", "are elsewhere.")
    assert units(changed)["Bag"].spec_hash != units(mine)["Bag"].spec_hash


def test_a_class_without_fields_or_bases_hashes_as_version_2_did() -> None:
    plain = textwrap.dedent('''\
        """Counting."""


        class Counter:
            """Counts up."""

            def __init__(self, start: int = 0) -> None:
                """Start at start."""
                self.count = start + 0

            def incr(self) -> int:
                """Add one."""
                self.count += 1
                return self.count
    ''')
    unit = units(plain)["Counter"]
    assert version_2_hashes(plain, "Counter") == (unit.spec_hash, unit.body_sha)


def test_the_structural_merge_keeps_the_bodies_under_new_fields_and_a_base() -> None:
    ours = fill(RENDERED).replace("return len(self.items)", "return len(self.items)  # mine")
    merged = structural_merge(RENDERED, ours, GROWN, MODULE, PATH)
    assert merged.set_aside == ()
    assert merged.source == fill(GROWN).replace(
        "return len(self.items)", "return len(self.items)  # mine"
    )
