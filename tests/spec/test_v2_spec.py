"""Spec v2 (issue 19): fields, bases, exceptions, method kinds, decorators, async, constants,
enums; each new field validated with its path, cross-feature references and example calls
checked against the signatures before anything is written."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from filler.spec.kinds import EnumKind, MethodKind
from filler.spec.model import Spec, load_spec, spec_errors, validate_spec
from filler.spec.yaml_writer import commented_yaml
from tests.helpers.projects import CHECKOUT

INVENTORY = CHECKOUT / "examples" / "specs" / "inventory.yml"


def inventory() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(INVENTORY.read_text("utf-8"))
    return data


def changed(path: str, value: object) -> dict[str, Any]:
    """The inventory spec with the value at `path` (dotted, list indexes as numbers) replaced."""
    data = inventory()
    *parents, last = re.findall(r"\w+", path)
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = copy.deepcopy(value)
    return data


def test_the_inventory_spec_states_every_construct() -> None:
    spec = load_spec(INVENTORY)
    errors, items, stock, reports, parsing = spec.features
    assert [e.name for e in errors.exceptions][:2] == ["InventoryError", "ParseError"]
    assert errors.exceptions[0].bases == ("Exception",)  # the default base
    assert errors.constants[0].name == "__version__"
    assert "__version__" not in errors.public_names
    assert items.enums[0].kind is EnumKind.STR
    item = items.classes[0]
    assert item.dataclass is not None and item.dataclass.frozen
    assert [m.kind for m in item.methods] == [
        MethodKind.PROPERTY,
        MethodKind.CLASS,
        MethodKind.STATIC,
    ]
    assert item.fields[2].default == "DEFAULT_UNIT"
    assert item.fields[3].default == "0.0"  # a YAML number is the Python value it denotes
    assert stock.classes[0].fields[1].default == "{}"
    assert stock.classes[0].methods[-1].name == "_check_quantity"
    assert reports.functions[0].decorators == ("functools.cache",)
    assert reports.functions[1].asynchronous
    assert reports.classes[0].stores_fields and reports.classes[0].methods[0].setter
    assert parsing.callable_names == ("read_items", "count_skus", "Line")
    assert parsing.classes[0].record_base == "NamedTuple"
    assert items.public_names == ("Item", "Unit", "MAX_SKU_LENGTH", "DEFAULT_UNIT")


def test_absent_keys_keep_the_v1_meaning() -> None:
    spec = load_spec(CHECKOUT / "examples" / "specs" / "textkit.yml")
    for feature in spec.features:
        assert (feature.constants, feature.exceptions, feature.enums) == ((), (), ())
        for klass in feature.classes:
            assert (klass.bases, klass.fields, klass.dataclass) == ((), (), None)
            assert all(m.kind is MethodKind.METHOD and not m.setter for m in klass.methods)


def test_dataclass_true_means_default_options_and_false_none() -> None:
    on = validate_spec(changed("features.3.classes.0.dataclass", True)).features[3].classes[0]
    assert on.dataclass is not None and not on.dataclass.frozen and not on.stores_fields
    off = [str(p) for p in spec_errors(changed("features.2.classes.0.dataclass", False))]
    assert off == [
        "features[2].classes[0].fields[1].default: '{}' would be one object shared by every "
        "instance (make the class a dataclass (it copies it per instance), or use a tuple)"
    ]


def test_field_default_null_is_the_value_none_and_absent_is_no_default() -> None:
    fields = [{"name": "a", "type": "int | None", "default": None}, {"name": "b", "type": "int"}]
    data = changed("features.3.classes.0.fields", fields)
    problems = [str(p) for p in spec_errors(data)]
    assert problems == [
        "features[3].classes[0].fields[1]: field 'b' has no default but follows 'a', which has "
        "one (list the fields without defaults first)"
    ]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # fields
        (
            "features.3.classes.0.fields.1.name",
            "title",
            "features[3].classes[0].fields[1].name: field 'title' is listed twice",
        ),
        (
            "features.3.classes.0.fields.0.name",
            "render",
            "features[3].classes[0].fields[0].name: 'render' is also a method of the class",
        ),
        (
            "features.3.classes.0.fields.0.name",
            "__x__",
            "features[3].classes[0].fields[0].name: '__x__' is a dunder name, not a field",
        ),
        (
            "features.3.classes.0.fields.0.type",
            "Missing",
            "features[3].classes[0].fields[0].type: annotation uses undefined name 'Missing'",
        ),
        (
            "features.3.classes.0.fields.0.default",
            "[]",
            "features[3].classes[0].fields[0].default: '[]' would be one object shared by every "
            "instance",
        ),
        (
            "features.3.classes.0.fields.1.default",
            "make_stock()",
            "features[3].classes[0].fields[1].default: uses undefined name 'make_stock'",
        ),
        (
            "features.3.classes.0.init",
            "a: int",
            "features[3].classes[0].init: the template writes __init__ from 'fields'",
        ),
        (
            "features.3.classes.0.methods",
            [],
            "",  # a class with fields needs no method
        ),
        # bases
        (
            "features.0.exceptions.0.bases",
            ["ParseError"],
            "features[0].exceptions[0].bases[0]: 'InventoryError' would inherit from itself "
            "through 'ParseError'",
        ),
        (
            "features.0.exceptions.1.bases",
            ["InventoryError", "int"],
            "features[0].exceptions[1].bases[1]: 'int' is not an exception",
        ),
        (
            "features.0.exceptions.1.bases",
            ["Exception", "ValueError"],
            "features[0].exceptions[1].bases: these bases cannot be combined (Cannot create a "
            "consistent method resolution order (MRO)",
        ),
        (
            "features.0.exceptions.1.bases",
            ["UnknownItemError"],
            "features[0].exceptions[1].bases[0]: 'UnknownItemError' is defined after "
            "'ParseError' (list 'UnknownItemError' before 'ParseError')",
        ),
        (
            "features.0.exceptions.1.bases",
            ["InventoryError", "InventoryError"],
            "features[0].exceptions[1].bases[1]: 'InventoryError' is listed twice",
        ),
        (
            "features.0.exceptions.1.bases",
            [],
            "features[0].exceptions[1].bases: must not be empty",
        ),
        (
            "features.1.classes.0.bases",
            ["Unit"],
            "features[1].classes[0].bases[0]: 'Unit' is an enum with members",
        ),
        (
            "features.1.classes.0.bases",
            ["len"],
            "features[1].classes[0].bases[0]: 'len' is not a class",
        ),
        (
            "features.1.classes.0.bases",
            ["Stock"],
            "features[1].classes[0].bases[0]: 'Stock' is not defined (import it: from "
            "inventory.stock import Stock)",
        ),
        (
            "features.1.classes.0.bases",
            ["bad name"],
            "features[1].classes[0].bases[0]: 'bad name' is not a class name",
        ),
        (
            "features.4.classes",
            [
                {"name": "Aa", "doc": "d", "bases": ["Bb"]},
                {"name": "Bb", "doc": "d", "bases": ["Aa"]},
            ],
            "features[4].classes[0].bases[0]: 'Aa' would inherit from itself through 'Bb'",
        ),
        # raises across features
        (
            "features.4.functions.0.examples.1.raises",
            "Item",
            "features[4].functions[0].examples[1].raises: 'Item' is defined by the spec as a "
            "class, not an exception",
        ),
        (
            "features.4.functions.0.examples.1.raises",
            "UnknownItemError",
            "features[4].functions[0].examples[1].raises: 'UnknownItemError' is not a built-in "
            "exception (import it: from inventory.errors import UnknownItemError)",
        ),
        # methods: kinds, setters, decorators, async
        (
            "features.1.classes.0.methods.0.params",
            "x: int",
            "features[1].classes[0].methods[0].params: a property takes no parameters",
        ),
        (
            "features.1.classes.0.methods.1.params",
            "cls, row: str",
            "features[1].classes[0].methods[1].params: params list cls",
        ),
        (
            "features.1.classes.0.methods.2.setter",
            True,
            "features[1].classes[0].methods[2].setter: only a property has a setter",
        ),
        (
            "features.1.classes.0.methods.0.setter",
            True,
            "features[1].classes[0].methods[0].setter: a frozen dataclass cannot set attributes",
        ),
        (
            "features.1.classes.0.methods.0.asynchronous",
            True,
            "features[1].classes[0].methods[0].asynchronous: a property cannot be async",
        ),
        (
            "features.1.classes.0.methods.0.kind",
            "abstract",
            "features[1].classes[0].methods[0].kind: 'abstract' is not one of",
        ),
        (
            "features.3.functions.0.decorators",
            ["cache"],
            "features[3].functions[0].decorators[0]: uses undefined name 'cache' (import it",
        ),
        (
            "features.3.functions.0.decorators",
            ["property"],
            "features[3].functions[0].decorators[0]: 'property' is a method kind (give it as "
            "'kind: property')",
        ),
        (
            "features.3.functions.0.decorators",
            ["@functools.cache"],
            "features[3].functions[0].decorators[0]: '@functools.cache' starts with @",
        ),
        (
            "features.3.functions.0.decorators",
            ["functools.cache("],
            "features[3].functions[0].decorators[0]: 'functools.cache(' is not a decorator",
        ),
        # constants
        (
            "features.1.constants.1.value",
            "MAX_SKU_LENGTH + LATER",
            "features[1].constants[1].value: uses undefined name 'LATER'",
        ),
        (
            "features.1.constants.0.value",
            "DEFAULT_UNIT",
            "features[1].constants[0].value: uses undefined name 'DEFAULT_UNIT'",
        ),
        (
            "features.1.constants.0.name",
            "__all__",
            "features[1].constants[0].name: '__all__' is set by Python or the template",
        ),
        (
            "features.1.constants.0.type",
            "Sized",
            "features[1].constants[0].type: annotation uses undefined name 'Sized'",
        ),
        (
            "features.1.constants.0.name",
            "Item",
            "features[1].constants[0].name: 'Item' is already defined by "
            "features[1].classes[0].name",
        ),
        # enums
        (
            "python_min",
            "3.10",
            "features[1].enums[0].kind: StrEnum needs Python 3.11, and python_min is 3.10",
        ),
        (
            "features.1.enums.0.members.0.value",
            1,
            "features[1].enums[0].members[0].value: a StrEnum member must be a string",
        ),
        (
            "features.1.enums.0.members.1.name",
            "PIECE",
            "features[1].enums[0].members[1].name: member 'PIECE' is listed twice",
        ),
        (
            "features.1.enums.0.members.0.value",
            "colour",
            "features[1].enums[0].members[0].value: uses undefined name 'colour'",
        ),
        (
            "features.1.enums.0.members",
            [],
            "features[1].enums[0].members: must not be empty",
        ),
        (
            "features.1.imports",
            ["from inventory.errors import ParseError", "from enum import Enum as enum"],
            "features[1].imports[1]: binds 'enum', which the template imports for the "
            "feature's enums",
        ),
        # a feature with only constants has nothing to render
        (
            "features.0.exceptions",
            [],
            "features[0]: a feature needs at least one function, class, exception or enum",
        ),
    ],
)
def test_each_new_field_is_checked_with_its_path(path: str, value: object, message: str) -> None:
    problems = [str(p) for p in spec_errors(changed(path, value))]
    if not message:
        assert problems == []
    else:
        assert any(p.startswith(message) for p in problems), problems


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("s.add()", "calls Stock.add() with arguments that do not fit (item, quantity=...) "),
        ("s.add(Item('A1', 'Apple'), 1, 2)", "too many positional arguments"),
        ("s.add(Item('A1', 'Apple'), count=2)", "got an unexpected keyword argument 'count'"),
        ("Stock.add(Item('A1', 'Apple'))", "calls Stock.add() through the class, but it is an"),
        ("s.put(1)", "calls Stock.put(), which the spec does not list (add 'put' to the methods)"),
        ("s.total()", "calls Stock.total(), but 'total' is a property"),
        ("Stock(1, {}, 3)", "calls Stock() with arguments that do not fit (capacity=..., counts"),
        ("[s.low()]", "calls Stock.low() with arguments that do not fit (threshold)"),
        ("Item('A1')", "calls Item() with arguments that do not fit (sku, name, unit=..."),
    ],
)
def test_example_calls_are_checked_against_the_rendered_signatures(call: str, message: str) -> None:
    data = changed("features.2.classes.0.methods.0.examples.0.call", call)
    problems = [str(p) for p in spec_errors(data)]
    field = "features[2].classes[0].methods[0].examples[0].call: "
    assert any(p.startswith(field) and message in p for p in problems), problems


@pytest.mark.parametrize(
    "call",
    [
        "s.add(Item('A1', 'Apple'), quantity=2)",
        "s.add(*args)",  # not certain: left alone
        "Stock(capacity=3).add(Item('A1', 'Apple'))",
        "s.counts.get('A1')",  # a field's own methods
        "s.__eq__(s)",  # object's methods
        "Item.valid_sku('x') and Item.from_row('a,b')",
        "unknown.add()",
    ],
)
def test_calls_that_fit_or_cannot_be_known_pass(call: str) -> None:
    data = changed("features.2.classes.0.methods.0.examples.0.call", call)
    data["features"][2]["classes"][0]["methods"][0]["examples"][0]["setup"] = [
        "s = Stock()",
        "args = ()",
        "unknown = object()",
    ]
    data["features"][2]["imports"].append("from inventory.items import Item as _Item")
    assert [str(p) for p in spec_errors(data)] == []


def test_a_decorated_function_is_not_checked_as_its_signature_may_change() -> None:
    data = changed("features.3.functions.0.examples.0.call", "unit_symbol(Unit.PIECE, 2)")
    assert spec_errors(data) == []
    data["features"][3]["functions"][0]["decorators"] = []
    assert [p.field for p in spec_errors(data)] == ["features[3].functions[0].examples[0].call"]


def test_a_name_the_setup_rebinds_is_no_longer_taken_for_the_class() -> None:
    data = changed("features.2.classes.0.methods.0.examples.0.call", "s.anything()")
    data["features"][2]["classes"][0]["methods"][0]["examples"][0]["setup"] = [
        "s = Stock()",
        "s = [s]",
    ]
    assert spec_errors(data) == []


def test_file_in_a_setup_and_a_package_beside_its_submodule_are_accepted() -> None:
    data = changed(
        "features.4.functions.1.examples.0.setup", ["from pathlib import Path", "p = __file__"]
    )
    assert [str(p) for p in spec_errors(data)] == []
    imports = validate_spec(data).features[4].imports
    assert imports[1:3] == ("import collections", "import collections.abc")


def test_a_raises_naming_an_exception_imported_from_another_feature_is_valid() -> None:
    spec = validate_spec(inventory())
    example = spec.features[4].functions[0].examples[1]
    assert example.raises == "ParseError"
    assert "from inventory.errors import ParseError" in spec.features[4].imports


@pytest.mark.parametrize(
    ("klass", "message"),
    [
        (
            {
                "name": "Perishable",
                "doc": "d",
                "bases": ["Item"],
                "fields": [{"name": "days", "type": "int"}],
            },
            "features[4].classes[0].fields: the __init__ written from these fields would not set "
            "up the base 'Item'",
        ),
        (
            {
                "name": "Perishable",
                "doc": "d",
                "bases": ["Item"],
                "dataclass": True,
                "fields": [{"name": "days", "type": "int", "default": 3}],
            },
            "features[4].classes[0].dataclass: a dataclass cannot be frozen when its base 'Item' "
            "is not, nor the reverse",
        ),
        (
            {
                "name": "Perishable",
                "doc": "d",
                "bases": ["Item"],
                "dataclass": {"frozen": True},
                "fields": [{"name": "days", "type": "int"}],
            },
            "features[4].classes[0].fields[0]: field 'days' has no default, but it follows the "
            "fields of 'Item', and 'unit' has one (give it a default)",
        ),
        (
            {"name": "NotImplementedError", "doc": "d", "bases": ["Exception"]},
            "features[4].classes[0].name: 'NotImplementedError' would hide the builtin",
        ),
    ],
)
def test_fields_must_still_make_a_valid_init_with_the_bases(
    klass: dict[str, Any], message: str
) -> None:
    problems = [str(p) for p in spec_errors(changed("features.4.classes", [klass]))]
    assert any(p.startswith(message) for p in problems), problems


def with_record(base: str, line: str, **klass: Any) -> dict[str, Any]:
    fields = [{"name": "a", "type": "int"}, {"name": "b", "type": "str", "default": "''"}]
    row = {"name": "Row", "doc": "d", "bases": [base], "fields": fields, **klass}
    data = changed("features.4.classes", [row])
    imports = data["features"][4]["imports"]
    data["features"][4]["imports"] = [i for i in imports if "typing" not in i] + [line]
    data["dependencies"] = ["typing-extensions"]
    return data


@pytest.mark.parametrize(
    ("line", "base", "kind"),
    [
        ("from typing import NamedTuple", "NamedTuple", "NamedTuple"),
        ("import typing as t", "t.Protocol", "Protocol"),
        ("from typing_extensions import NamedTuple", "NamedTuple", "NamedTuple"),
    ],
)
def test_fields_of_a_typing_record_are_annotations_not_an_init(
    line: str, base: str, kind: str
) -> None:
    spec = validate_spec(with_record(base, line))
    row = spec.features[4].classes[0]
    assert (row.record_base, row.stores_fields) == (kind, False)


@pytest.mark.parametrize(
    ("base", "line", "klass", "message"),
    [
        (
            "NamedTuple",
            "from collections import namedtuple as NamedTuple",
            {},
            "features[4].classes[0].bases[0]: 'NamedTuple' is not typing's NamedTuple",
        ),
        (
            "TypedDict",
            "from typing import TypedDict",
            {},
            "features[4].classes[0].fields[1].default: a TypedDict key has no default",
        ),
        (
            "TypedDict",
            "from typing import TypedDict",
            {"fields": [{"name": "a", "type": "int"}], "methods": [{"name": "f", "doc": "d"}]},
            "features[4].classes[0].methods: a TypedDict has no methods",
        ),
        (
            "NamedTuple",
            "from typing import NamedTuple",
            {"dataclass": True},
            "features[4].classes[0].dataclass: a NamedTuple is not a dataclass",
        ),
    ],
)
def test_a_typing_record_is_checked(
    base: str, line: str, klass: dict[str, Any], message: str
) -> None:
    problems = [str(p) for p in spec_errors(with_record(base, line, **klass))]
    assert any(p.startswith(message) for p in problems), problems


def test_a_frozen_dataclass_may_extend_a_frozen_one_with_defaulted_fields() -> None:
    klass = {
        "name": "Perishable",
        "doc": "d",
        "bases": ["Item"],
        "dataclass": {"frozen": True},
        "fields": [{"name": "days", "type": "int", "default": 3}],
    }
    assert spec_errors(changed("features.4.classes", [klass])) == []


def test_new_kinds_of_names_may_not_hide_builtins() -> None:
    problems = [str(p) for p in spec_errors(changed("features.0.exceptions.1.name", "ValueError"))]
    assert (
        "features[0].exceptions[1].name: 'ValueError' would hide the builtin of that name in "
        "the module (choose another name)"
    ) in problems


SCENARIO_PATH = "features.2.classes.0.methods.1.examples.3"
SCENARIO_FIELD = "features[2].classes[0].methods[1].examples[3]"


def test_a_scenario_example_is_statements_and_asserts_in_order() -> None:
    example = validate_spec(inventory()).features[2].classes[0].methods[1].examples[3]
    assert example.call is None and example.scenario[0] == "s = Stock(capacity=5)"


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (
            {"scenario": ["s = Stock()", "s.total"]},
            f"{SCENARIO_FIELD}.scenario: a scenario must check something",
        ),
        (
            {"scenario": ["assert s.total == 0"], "call": "s.total"},
            f"{SCENARIO_FIELD}: a scenario example has no 'call', 'expect' or 'raises'",
        ),
        (
            {"scenario": ["s = Stock()", "assert s.totl == 0", "assert t == 0"]},
            f"{SCENARIO_FIELD}.scenario[2]: uses undefined name 't'",
        ),
        (
            {"scenario": ["s = Stock()", "assert s.remove() == 0"]},
            f"{SCENARIO_FIELD}.scenario[1]: calls Stock.remove() with arguments that do not fit",
        ),
        (
            {"scenario": ["s = Stock()", "yield s"]},
            f"{SCENARIO_FIELD}.scenario[1]: 'yield s' uses 'yield'",
        ),
        ({"expect": "1"}, f"{SCENARIO_FIELD}.call: is required"),
    ],
)
def test_a_bad_scenario_is_refused_with_its_path(example: dict[str, Any], message: str) -> None:
    problems = [str(p) for p in spec_errors(changed(SCENARIO_PATH, example))]
    assert any(p.startswith(message) for p in problems), problems


def test_a_scenario_raising_through_pytest_checks_something() -> None:
    steps = ["s = Stock()", "with pytest.raises(UnknownItemError):\n    s.remove('Z9')"]
    assert spec_errors(changed(SCENARIO_PATH, {"scenario": steps})) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("features.2.fixtures.0.name", "Stocked", "features[2].fixtures[0].name: 'Stocked' is not"),
        (
            "features.2.fixtures.0.name",
            "request",
            "features[2].fixtures[0].name: 'request' is a name the tests already use",
        ),
        (
            "features.2.fixtures.0.name",
            "test_stock",
            "features[2].fixtures[0].name: 'test_stock' is a name the tests already use",
        ),
        (
            "features.2.fixtures.0.name",
            "len",
            "features[2].fixtures[0].name: 'len' would hide a name the examples already see",
        ),
        (
            "features.2.fixtures.0.teardown",
            "t.close()",
            "features[2].fixtures[0].teardown[0]: uses undefined name 't'",
        ),
        (
            "features.2.fixtures.0.value",
            "stock",
            "features[2].fixtures[0].value: uses undefined name 'stock'",
        ),
        (
            "features.2.fixtures.0.setup",
            ["s = Stock(capacity=10)", "s.add()"],
            "features[2].fixtures[0].setup[1]: calls Stock.add() with arguments that do not fit",
        ),
        (
            "features.2.fixtures.0.setup",
            ["s = Stock()", "yield s"],
            "features[2].fixtures[0].setup[1]: 'yield s' uses 'yield'",
        ),
        (
            "features.2.fixtures",
            [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}],
            "features[2].fixtures[1].name: fixture 'a' is listed twice",
        ),
        (
            "features.2.classes.0.methods.2.examples.1.call",
            "stocked.size",
            "",  # attribute reads are not calls
        ),
        (
            "features.2.classes.0.methods.2.examples.1.call",
            "stocked.size()",
            "features[2].classes[0].methods[2].examples[1].call: calls Stock.size(), which the "
            "spec does not list",
        ),
    ],
)
def test_fixtures_are_checked_like_examples_with_their_paths(
    path: str, value: object, message: str
) -> None:
    problems = [str(p) for p in spec_errors(changed(path, value))]
    if not message:
        assert problems == []
    else:
        assert any(p.startswith(message) for p in problems), problems


def test_an_example_may_use_a_fixture_by_name_and_only_a_listed_one() -> None:
    spec = validate_spec(inventory())
    assert spec.features[2].fixtures[0].name == "stocked"
    data = changed("features.3.functions.1.examples.0.call", "stocked.total")
    assert [str(p) for p in spec_errors(data)] == [
        "features[3].functions[1].examples[0].call: uses undefined name 'stocked' (define it in "
        "setup or list its import in the feature's imports)"
    ]


PROPERTY_PATH = "features.3.functions.0.examples.1"
PROPERTY_FIELD = "features[3].functions[0].examples[1]"


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ({"given": {"u": "st.sampled_from(Unit)"}, "check": "len(unit_symbol(u)) > 0"}, ""),
        ({"given": {"u": "st.sampled_from(Unit)"}}, f"{PROPERTY_FIELD}: a property needs both"),
        ({"check": "True"}, f"{PROPERTY_FIELD}: a property needs both 'given' and 'check'"),
        (
            {"given": {"u": "st.none()"}, "check": "u is None", "call": "1"},
            f"{PROPERTY_FIELD}: a property example has no 'call', 'expect', 'raises' or",
        ),
        (
            {"given": {"U x": "st.none()"}, "check": "True"},
            f"{PROPERTY_FIELD}.given: 'U x' is not a parameter name",
        ),
        (
            {"given": {"u": "strategies.none()"}, "check": "True"},
            f"{PROPERTY_FIELD}.given.u: uses undefined name 'strategies'",
        ),
        (
            {"given": {"u": "st.none()"}, "check": "v is None"},
            f"{PROPERTY_FIELD}.check: uses undefined name 'v'",
        ),
        (
            {"given": {"u": "st.none()"}, "check": "count_all() == u"},
            f"{PROPERTY_FIELD}.check: calls count_all() with arguments that do not fit",
        ),
        (
            {"given": {"u": "st.sampled_from(Unit)"}, "check": "stocked.total == 0"},
            f"{PROPERTY_FIELD}.check: uses undefined name 'stocked'",
        ),
    ],
)
def test_a_property_example_is_checked_with_its_path(example: dict[str, Any], message: str) -> None:
    problems = [str(p) for p in spec_errors(changed(PROPERTY_PATH, example))]
    if not message:
        assert problems == []
    else:
        assert any(p.startswith(message) for p in problems), problems


def test_a_property_may_take_a_fixture_but_not_hide_hypothesis_names() -> None:
    example = {"given": {"n": "st.integers(1, 3)"}, "check": "stocked.total >= n"}
    data = changed("features.2.classes.0.methods.2.examples.1", example)
    assert spec_errors(data) == []  # a fresh one per drawn value: see test_v2_fixtures.py
    data = changed(PROPERTY_PATH, {"given": {"u": "st.none()"}, "check": "u is None"})
    data["features"][3]["constants"].append({"name": "st", "value": 1})
    assert any("'st' is a name of the feature" in str(p) for p in spec_errors(data))


def test_the_json_schema_describes_the_new_fields() -> None:
    schema = Spec.model_json_schema()
    defs = schema["$defs"]
    assert set(defs["Feature"]["properties"]) >= {"constants", "exceptions", "enums"}
    assert set(defs["ClassSpec"]["properties"]) >= {"bases", "dataclass", "fields"}
    assert set(defs["Method"]["properties"]) >= {"kind", "setter", "decorators", "asynchronous"}
    assert defs["MethodKind"]["enum"] == ["method", "staticmethod", "classmethod", "property"]
    assert set(defs["FieldSpec"]["required"]) == {"name", "type"}


def test_the_written_yaml_of_the_inventory_spec_loads_back_to_it() -> None:
    spec = load_spec(INVENTORY)
    text = commented_yaml(spec, idea="stock", model="m", path="inventory.yml")
    assert Spec.model_validate(yaml.safe_load(text)) == spec


def test_the_written_yaml_keeps_properties_and_classes_without_methods_or_examples() -> None:
    data = changed(PROPERTY_PATH, {"given": {"u": "st.sampled_from(Unit)"}, "check": "u.value"})
    data["features"][3]["functions"][1]["examples"] = []
    data["features"][4]["classes"] = [{"name": "Marker", "doc": "d", "bases": ["ValueError"]}]
    spec = validate_spec(data)
    text = commented_yaml(spec, idea="stock", model="m", path="inventory.yml")
    assert Spec.model_validate(yaml.safe_load(text)) == spec
    assert "{given: {u: st.sampled_from(Unit)}, check: u.value}" in text
