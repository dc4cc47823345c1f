"""Aliases of spec v2 (issue 19): `name = of` for a feature's definitions and a class's methods,
validated with their paths (the target exists, the name is free) and resolved like their target
where that is safe. The real-Copier render is in test_v2_overloads.py."""

from __future__ import annotations

import pytest

from filler.spec.model import spec_errors, validate_spec
from filler.spec.views import build_view
from tests.spec.test_v2_overloads import OVKIT, with_change

ALIASES = "features[0].aliases"
CLASS_ALIASES = "features[0].classes[0].aliases"


def problems(path: str, value: object) -> list[str]:
    return [str(p) for p in spec_errors(with_change(path, value))]


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        (
            [{"name": "load", "of": "parse_file"}],
            f"{ALIASES}[0].of: 'parse_file' is not defined (name a function, class, exception or "
            "enum of the feature, or an imported name)",
        ),
        (
            [{"name": "load", "of": "parse"}, {"name": "read", "of": "load"}],
            f"{ALIASES}[1].of: 'load' is another alias",
        ),
        (
            [{"name": "parse", "of": "Money"}],
            f"{ALIASES}[0].name: 'parse' is already defined by features[0].functions[0].name",
        ),
        (
            [{"name": "open", "of": "parse"}],
            f"{ALIASES}[0].name: 'open' would hide the builtin of that name in the module",
        ),
        (
            [{"name": "conv", "of": "parse"}],
            f"{ALIASES}[0].name: 'conv' is also a feature (module) name",
        ),
        ([{"name": "load", "of": "parse.x"}], f"{ALIASES}[0].of: 'parse.x' is not a valid"),
        ([{"name": "_load", "of": "parse"}], f"{ALIASES}[0].name: '_load' is not a valid"),
    ],
)
def test_a_feature_alias_names_a_definition_and_takes_a_free_name(
    aliases: object, message: str
) -> None:
    found = problems("features.0.aliases", aliases)
    assert any(p.startswith(message) for p in found), found


def test_an_alias_of_a_constant_is_refused_and_of_an_import_accepted() -> None:
    data = with_change("features.0.aliases", [{"name": "LIMIT", "of": "MAX"}])
    data["features"][0]["constants"] = [{"name": "MAX", "value": 3}]
    found = [str(p) for p in spec_errors(data)]
    assert (
        f"{ALIASES}[0].of: 'MAX' is a constant (name a function, class, exception or enum of "
        "the feature, or an imported name)" in found
    )
    data["features"][0]["imports"] = ["from decimal import Decimal"]
    data["features"][0]["aliases"] = [
        {"name": "load", "of": "parse"},
        {"name": "Number", "of": "Decimal"},
    ]
    assert spec_errors(data) == []


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        (
            [{"name": "__radd__", "of": "__sub__"}],
            f"{CLASS_ALIASES}[0].of: '__sub__' is not a method of Money",
        ),
        (
            [{"name": "scaled", "of": "__add__"}],
            f"{CLASS_ALIASES}[0].name: 'scaled' is already a member of Money (choose another name)",
        ),
        (
            [{"name": "__radd__", "of": "__add__"}, {"name": "__radd__", "of": "scaled"}],
            f"{CLASS_ALIASES}[1].name: '__radd__' is already a member of Money",
        ),
        (
            [{"name": "__init__", "of": "scaled"}],
            f"{CLASS_ALIASES}[0].name: '__init__' is written by the class's 'init'",
        ),
    ],
)
def test_a_class_alias_names_one_of_its_methods_and_takes_a_free_name(
    aliases: object, message: str
) -> None:
    found = problems("features.0.classes.0.aliases", aliases)
    assert any(p.startswith(message) for p in found), found


def test_an_alias_is_no_base_but_raises_and_calls_follow_it() -> None:
    data = with_change("features.0.exceptions", [{"name": "ConvError", "doc": "Bad input."}])
    data["features"][0]["aliases"].append({"name": "ConversionError", "of": "ConvError"})
    example = {"call": "parse('x')", "raises": "ConversionError"}
    data["features"][0]["functions"][0]["examples"].append(example)
    assert spec_errors(data) == []  # an alias of an exception is an exception
    data["features"][0]["classes"][0]["bases"] = ["Cash"]
    found = [str(p) for p in spec_errors(data)]
    assert found == [
        "features[0].classes[0].bases[0]: 'Cash' is an alias, defined at the end of the module "
        "(name its target)"
    ]


def test_aliases_are_exported_last_in_spec_order_and_documented() -> None:
    spec = validate_spec(OVKIT)
    (feature,) = spec.features
    assert feature.public_names == ("parse", "Money", "load", "Cash")
    (conv,) = build_view(spec).features
    assert [(a.line, a.docstring) for a in conv.aliases] == [
        ("load = parse", '"""Alias of `parse`."""'),
        ("Cash = Money", '"""Money under its other name."""'),
    ]
    assert conv.classes[0].aliases == ("__radd__ = __add__",)


def test_example_calls_through_an_alias_are_checked_against_its_target() -> None:
    data = with_change("features.0.functions.0.examples.1.call", "load(b'7', 8)")
    assert [str(p) for p in spec_errors(data)] == [
        "features[0].functions[0].examples[1].call: calls load() with arguments that do not "
        "fit (value) (too many positional arguments) (match the call to the signature)"
    ]
    calls = [
        {"setup": "m = Money(1)", "call": "(m.__radd__(m)).cents", "expect": 2},
        {"call": "Cash(3).cents", "expect": 3},
    ]
    data = with_change("features.0.classes.0.methods.0.examples", calls)
    assert spec_errors(data) == []  # a class alias is a method, an alias of a class its class
    data["features"][0]["classes"][0]["methods"][0]["examples"] = [
        {"call": "Cash().cents", "expect": 0}
    ]
    found = [str(p) for p in spec_errors(data)]
    assert len(found) == 1 and "calls Cash() with arguments that do not fit (cents)" in found[0]
