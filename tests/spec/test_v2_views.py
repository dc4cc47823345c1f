"""The skeleton views of spec v2: what the template places for exceptions, enums, constants,
dataclass fields, `__init__` that only stores fields, method kinds, decorators and async."""

from __future__ import annotations

import ast
from typing import Any

from filler.spec.model import validate_spec
from filler.spec.views import ClassStub, FeatureView, Stub, build_view
from tests.spec.test_v2_spec import changed, inventory, with_record


def views() -> dict[str, FeatureView]:
    return {f.name: f for f in build_view(validate_spec(inventory())).features}


def by_name(stubs: tuple[Any, ...], name: str) -> Any:
    return next(s for s in stubs if s.name == name)


def test_exceptions_are_whole_classes_with_their_bases() -> None:
    errors = views()["errors"]
    assert [e.header for e in errors.exceptions] == [
        "class InventoryError(Exception):",
        "class ParseError(InventoryError, ValueError):",
        "class UnknownItemError(InventoryError, LookupError):",
        "class OutOfStockError(InventoryError):",
    ]
    assert all(e.methods == () and e.fields == () for e in errors.exceptions)
    assert errors.exceptions[0].docstring == '"""The base of every error inventory raises."""'


def test_enums_list_their_members_in_the_class_and_in_the_attributes_section() -> None:
    (unit,) = views()["items"].enums
    assert unit.header == "class Unit(enum.StrEnum):"
    assert unit.fields == ("PIECE = 'piece'", "KILOGRAM = 'kg'", "LITRE = 'l'")
    assert unit.docstring.endswith(
        'Attributes:\n    PIECE: \'piece\'\n    KILOGRAM: Weighed items.\n    LITRE: Liquids.\n"""'
    )


def test_an_enum_member_without_a_value_is_auto() -> None:
    members = [{"name": "RED"}, {"name": "GREEN", "value": 7}]
    data = changed("features.1.enums.0", {"name": "Unit", "doc": "d", "members": members})
    data["features"][1]["enums"][0]["kind"] = "IntEnum"
    (unit,) = build_view(validate_spec(data)).feature("items").enums
    assert unit.header == "class Unit(enum.IntEnum):"
    assert unit.fields == ("RED = enum.auto()", "GREEN = 7")


def test_constants_are_assignments_with_an_optional_annotation_and_docstring() -> None:
    items = views()["items"]
    assert [(c.line, c.docstring) for c in items.constants] == [
        ("MAX_SKU_LENGTH: int = 12", '"""The longest SKU accepted, in characters."""'),
        ("DEFAULT_UNIT = Unit.PIECE", '"""The unit of an item that does not name one."""'),
    ]
    (version,) = views()["errors"].constants
    assert (version.line, version.docstring) == ("__version__: str = '1.0.0'", "")


def test_a_dataclass_gets_its_decorator_field_lines_and_no_init() -> None:
    item: ClassStub = views()["items"].classes[0]
    assert item.decorators == ("dataclasses.dataclass(frozen=True)",)
    assert item.fields == (
        "sku: str",
        "name: str",
        "unit: Unit = DEFAULT_UNIT",
        "price: float = 0.0",
        "tags: tuple[str, ...] = ()",
    )
    assert "__init__" not in [m.name for m in item.methods]
    assert "Attributes:\n    sku (str): The stock-keeping unit code.\n" in item.docstring
    assert "    unit (Unit):\n" in item.docstring


def test_a_mutable_dataclass_default_becomes_a_default_factory() -> None:
    stock = views()["stock"].classes[0]
    assert stock.decorators == ("dataclasses.dataclass",)
    assert stock.fields[1] == "counts: dict[str, int] = dataclasses.field(default_factory=dict)"
    data = inventory()
    data["features"][2]["classes"][0]["fields"].append(
        {"name": "tags", "type": "list[str]", "default": "['a']"}
    )
    (stock,) = build_view(validate_spec(data)).feature("stock").classes
    assert stock.fields[2] == ("tags: list[str] = dataclasses.field(default_factory=lambda: ['a'])")


def test_plain_fields_give_an_init_that_only_stores_them_and_is_no_stub() -> None:
    report = views()["reports"].classes[0]
    init: Stub = report.methods[0]
    assert init.header == "def __init__(self, title: str, stock: Stock) -> None:"
    assert init.body == "self.title = title\nself.stock = stock"
    assert report.decorators == () and report.fields == ()
    assert report.header == "class Report:"


def test_method_kinds_are_decorators_and_set_the_receiver() -> None:
    item = views()["items"].classes[0]
    label, from_row, valid_sku = item.methods
    assert (label.decorators, label.header) == (("property",), "def label(self) -> str:")
    assert from_row.decorators == ("classmethod",)
    assert from_row.header == "def from_row(cls, row: str) -> Item:"
    assert valid_sku.decorators == ("staticmethod",)
    assert valid_sku.header == "def valid_sku(sku: str) -> bool:"
    assert all(m.body == "raise NotImplementedError" for m in item.methods)


def test_a_property_setter_is_a_second_stub_of_the_same_name() -> None:
    getter, setter = views()["reports"].classes[0].methods[1:3]
    assert getter.name == setter.name == "heading"
    assert setter.decorators == ("heading.setter",)
    assert setter.header == "def heading(self, value: str) -> None:"
    assert setter.docstring == '"""Set heading."""'
    assert setter.body == "raise NotImplementedError"


def test_function_decorators_and_async_are_in_the_stub() -> None:
    reports = views()["reports"]
    cached, counted = reports.functions
    assert cached.decorators == ("functools.cache",)
    assert counted.header == "async def count_all(stocks: list[Stock]) -> int:"


def test_the_template_imports_dataclasses_and_enum_once_and_first() -> None:
    assert views()["items"].imports == (
        "import dataclasses",
        "import enum",
        "from inventory.errors import ParseError  # noqa: F401",
    )
    data = changed("features.1.imports", ["import enum", "from inventory.errors import ParseError"])
    imports = build_view(validate_spec(data)).feature("items").imports
    assert imports == (
        "import dataclasses",
        "import enum",
        "from inventory.errors import ParseError  # noqa: F401",
    )


def test_imports_the_module_code_uses_get_no_noqa() -> None:
    # functools (a decorator), Unit and Stock (annotations) are read by the module itself
    assert views()["reports"].imports == (
        "import functools",
        "from inventory.items import Unit",
        "from inventory.stock import Stock",
    )


def test_tests_import_the_package_exceptions_their_examples_raise() -> None:
    parsing = views()["parsing"]
    assert "from inventory.errors import ParseError" in parsing.test_imports
    raised = next(t for t in parsing.tests if "pytest.raises" in t.body)
    assert ast.unparse(ast.parse(raised.body)) == (
        "with pytest.raises(ParseError):\n    list(read_items('A1'))"
    )


def test_private_methods_get_tests_under_their_class_unit() -> None:
    stock = views()["stock"]
    names = [(t.name, t.unit_id) for t in stock.tests]
    assert ("test_stock_check_quantity_1", "inventory.stock:Stock") in names


def test_a_demo_shows_the_callables_and_a_feature_of_exceptions_only_names_them() -> None:
    assert views()["items"].main_docstring == (
        '"""Show Item at work on small inputs, printing each result."""'
    )
    assert "InventoryError, ParseError, UnknownItemError and OutOfStockError" in (
        views()["errors"].main_docstring
    )


def test_a_scenario_renders_as_its_statements_in_the_test_and_the_docstring() -> None:
    stock = views()["stock"]
    test = next(t for t in stock.tests if t.name == "test_stock_remove_4")
    assert test.body == (
        "s = Stock(capacity=5)\n"
        "assert s.add(Item('A1', 'Apple'), 2) == 2\n"
        "assert s.remove('A1') == 1\n"
        "assert s.total == 1"
    )
    remove = by_name(stock.classes[0].methods, "remove")
    assert (
        "    >>> s = Stock(capacity=5)\n"
        "    >>> assert s.add(Item('A1', 'Apple'), 2) == 2\n"
        "    >>> assert s.remove('A1') == 1\n"
        "    >>> assert s.total == 1\n"
        "    >>> # for all n"
    ) in remove.docstring


def test_the_inventory_property_gets_a_fresh_fixture_for_every_drawn_value() -> None:
    test = next(t for t in views()["stock"].tests if t.name == "test_stock_remove_5")
    assert (test.given, test.fixtures) == (("n",), ())
    assert test.decorators == ("given(n=st.integers(min_value=1, max_value=6))",)
    assert test.body == (
        "with fresh_stocked() as stocked:\n"
        "    before = stocked.total\n"
        "    stocked.add(Item('C3', 'Plum'), n)\n"
        "    stocked.remove('C3', n)\n"
        "    assert stocked.total == before"
    )


def test_a_fixture_yields_its_value_between_setup_and_teardown() -> None:
    # A property uses `stocked`, so its code is a context manager the pytest fixture enters.
    fresh, fixture = views()["stock"].fixtures
    assert (fresh.name, fresh.decorators, fresh.body) == (
        "fresh_stocked",
        ("contextlib.contextmanager",),
        "s = Stock(capacity=10)\n"
        "s.add(Item('A1', 'Apple'), 3)\n"
        "s.add(Item('B2', 'Pear'))\n"
        "try:\n"
        "    yield s\n"
        "finally:\n"
        "    s.counts.clear()",
    )
    assert (fixture.name, fixture.decorators, fixture.body) == (
        "stocked",
        ("pytest.fixture",),
        "with fresh_stocked() as value:\n    yield value",
    )


def test_only_tests_that_read_a_fixture_take_it() -> None:
    tests = {t.name: t for t in views()["stock"].tests}
    assert tests["test_stock_total_2"].fixtures == ("stocked",)
    assert tests["test_stock_total_2"].body == "assert stocked.total == 4"
    assert tests["test_stock_total_1"].fixtures == ()
    assert build_view(validate_spec(inventory())).has_fixtures
    without = changed("features.2.fixtures", [])
    for k, e in [(1, 4), (2, 1), (3, 2)]:
        del without["features"][2]["classes"][0]["methods"][k]["examples"][e]
    report = without["features"][3]["classes"][0]
    del report["fixtures"], report["methods"][0]["examples"][0]  # its class fixture's use
    assert not build_view(validate_spec(without)).has_fixtures


def test_the_tests_import_what_fixtures_use() -> None:
    data = changed("features.2.fixtures.0.setup", ["s = Stock(capacity=math.floor(10.5))"])
    data["features"][2]["imports"].append("import math")
    stock = build_view(validate_spec(data)).feature("stock")
    assert "import math" in stock.test_imports


def test_a_property_is_a_given_decorated_test_and_a_for_all_doctest() -> None:
    example = {"given": {"u": "st.sampled_from(Unit)"}, "setup": "n = 0", "check": "u.value"}
    reports = build_view(validate_spec(changed("features.3.functions.0.examples.1", example)))
    view = reports.feature("reports")
    test = view.tests[1]
    assert (test.given, test.decorators) == (("u",), ("given(u=st.sampled_from(Unit))",))
    assert test.body == "n = 0\nassert u.value"
    assert "from hypothesis import strategies as st" in view.test_imports
    assert reports.has_properties and build_view(validate_spec(inventory())).has_properties
    cached = view.functions[0].docstring
    assert ">>> # for all u = st.sampled_from(Unit):\n    >>> n = 0\n" in cached
    assert "    >>> u.value\n    True\n" in cached


def test_a_namedtuple_gets_its_fields_as_annotations_and_no_init() -> None:
    data = with_record("NamedTuple", "from typing import NamedTuple")
    (row,) = build_view(validate_spec(data)).feature("parsing").classes
    assert row.header == "class Row(NamedTuple):"
    assert row.fields == ("a: int", "b: str = ''")
    assert row.methods == () and row.decorators == ()
    assert "Attributes:\n    a (int):\n    b (str):\n" in row.docstring
