"""filler.spec.model: one validator for every answer, with the field named as a path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import filler.spec.model
from filler.errors import SpecError
from filler.spec.model import Spec, load_spec, spec_errors, validate_spec

CHECKOUT = Path(__file__).resolve().parents[2]

VALID: dict[str, Any] = {
    "package_name": "textkit",
    "description": "Small text utilities.",
    "features": [
        {
            "name": "tokenize",
            "description": "Split text into tokens.",
            "imports": ["from collections.abc import Iterable"],
            "functions": [
                {
                    "name": "word_tokens",
                    "params": "text: str, *, lower: bool = False",
                    "returns": "list[str]",
                    "doc": "Split text into word tokens.",
                    "examples": [
                        {"call": "word_tokens('a b')", "expect": "['a', 'b']"},
                        {"call": "word_tokens(3)", "raises": "TypeError"},
                    ],
                }
            ],
            "classes": [
                {
                    "name": "Vocabulary",
                    "doc": "A growing token-to-id mapping.",
                    "init": "tokens: Iterable[str] = ()",
                    "methods": [
                        {
                            "name": "add",
                            "params": "token: str",
                            "returns": "int",
                            "doc": "Add a token.",
                            "examples": [
                                {"setup": "v = Vocabulary()", "call": "v.add('a')", "expect": "0"}
                            ],
                        }
                    ],
                }
            ],
        },
        {
            "name": "stats",
            "description": "Counts.",
            "imports": ["from textkit.tokenize import word_tokens"],
            "functions": [
                {
                    "name": "count",
                    "params": "text: str",
                    "returns": "int",
                    "doc": "Count words.",
                    "examples": [{"call": "count('a b')", "expect": 2}],
                }
            ],
        },
    ],
}


def with_change(path: str, value: object) -> dict[str, Any]:
    """VALID with the value at a dotted path ("features.0.name") replaced (or deleted for ...)."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return data


def problems(data: object) -> list[str]:
    return [str(p) for p in spec_errors(data)]


def fields(data: object) -> list[str]:
    return [p.field for p in spec_errors(data)]


def test_a_valid_spec_has_no_problems_and_fills_defaults() -> None:
    spec = validate_spec(VALID)
    assert spec_errors(VALID) == []
    assert spec.project_name == "textkit"
    assert (spec.license, spec.python_min, spec.dependencies) == ("MIT", "3.10", ())
    assert spec.feature("tokenize").public_names == ("word_tokens", "Vocabulary")
    assert spec.features[0].classes[0].methods[0].examples[0].setup == ("v = Vocabulary()",)


def test_the_shipped_example_specs_are_valid() -> None:
    for path in sorted((CHECKOUT / "examples" / "specs").glob("*.yml")):
        assert load_spec(path).features, path


def test_the_textkit_example_is_large_and_the_strkit_one_small() -> None:
    textkit = load_spec(CHECKOUT / "examples" / "specs" / "textkit.yml")
    strkit = load_spec(CHECKOUT / "examples" / "specs" / "strkit.yml")
    assert len(textkit.features) >= 4
    assert sum(len(f.public_names) for f in textkit.features) >= 20
    assert any(f.classes for f in textkit.features)
    assert sum(len(f.functions) for f in strkit.features) <= 6
    assert not any(f.classes for f in strkit.features)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("package_name", "Text-Kit", "package_name: 'Text-Kit' is not a valid import name"),
        ("package_name", "class", "package_name: 'class' is a Python keyword"),
        ("package_name", "json", "package_name: 'json' is a standard library module"),
        ("package_name", "tests", "package_name: 'tests' would shadow the project's own"),
        ("project_name", "-bad-", "project_name: '-bad-' is not a valid distribution name"),
        ("description", "two\nlines", "description: must be one line"),
        ("description", " ", "description: must not be empty"),
        ("author_email", "nobody", "author_email: 'nobody' is not an email address"),
        ("license", "GPL-3.0", "license: 'GPL-3.0' is not one of"),
        (
            "python_min",
            "3.1",
            "python_min: '3.1' is not a supported Python version (3.9 to 3.14) "
            '(quote it in YAML: "3.10"',
        ),
        ("python_min", 3.1, "python_min: '3.1' is not a supported"),
        ("dependencies", ["requests >=="], "dependencies[0]: 'requests >==' is not a PEP 508"),
        ("features", [], "features: must not be empty"),
        ("features.0.name", "__init__", "features[0].name: '__init__' is not a valid module name"),
        ("features.0.name", "my feature", "features[0].name: 'my feature' is not a valid module"),
        ("features.0.name", "import", "features[0].name: 'import' is a Python keyword"),
        ("features.0.description", "", "features[0].description: must not be empty"),
        (
            "features.0.functions.0.name",
            "_private",
            "features[0].functions[0].name: '_private' is not a valid public name",
        ),
        (
            "features.0.functions.0.name",
            "lambda",
            "features[0].functions[0].name: 'lambda' is a Python keyword",
        ),
        (
            "features.0.functions.0.params",
            "a: int,, b",
            "features[0].functions[0].params: 'a: int,, b' is not a parameter list",
        ),
        (
            "features.0.functions.0.params",
            "a, a",
            "features[0].functions[0].params: 'a, a' is not a parameter list (duplicate argument",
        ),
        (
            "features.0.functions.0.params",
            "a=1, b",
            "features[0].functions[0].params: 'a=1, b' is not a parameter list",
        ),
        ("features.0.functions.0.params", "a): pass\ndef g(b", "is not a parameter list"),
        (
            "features.0.functions.0.params",
            "l: int",
            "features[0].functions[0].params: parameter name 'l' is ambiguous (ruff E741)",
        ),
        (
            "features.0.functions.0.returns",
            "list[",
            "features[0].functions[0].returns: 'list[' is not a type expression",
        ),
        ("features.0.functions.0.doc", "", "features[0].functions[0].doc: must not be empty"),
        (
            "features.0.functions.0.examples.0.call",
            "word_tokens(",
            "examples[0].call: 'word_tokens(' is not a Python expression",
        ),
        (
            "features.0.functions.0.examples.0.call",
            "x = 1",
            "examples[0].call: 'x = 1' is not a Python expression",
        ),
        (
            "features.0.functions.0.examples.0.call",
            "(yield 1)",
            "examples[0].call: '(yield 1)' uses 'yield'",
        ),
        (
            "features.0.functions.0.examples.0.expect",
            "1 +",
            "examples[0].expect: '1 +' is not a Python expression",
        ),
        (
            "features.0.functions.0.examples.0.expect",
            ...,
            "examples[0]: an example needs exactly one of 'expect' and 'raises'",
        ),
        (
            "features.0.functions.0.examples.1.raises",
            "RuntimeError",
            "examples[1].raises: 'RuntimeError' also catches the stub's NotImplementedError",
        ),
        (
            "features.0.functions.0.examples.1.raises",
            "Value Error",
            "examples[1].raises: 'Value Error' is not an exception name",
        ),
        (
            "features.0.classes.0.name",
            "my class",
            "features[0].classes[0].name: 'my class' is not a valid public name",
        ),
        (
            "features.0.classes.0.init",
            "self, x",
            "features[0].classes[0].init: 'self, x' lists self",
        ),
        ("features.0.classes.0.methods", [], "features[0].classes[0].methods: must not be empty"),
        (
            "features.0.classes.0.methods.0.name",
            "__init__",
            "methods[0].name: '__init__' is written by the class's 'init'",
        ),
        ("features.0.classes.0.methods.0.params", "self", "methods[0].params: 'self' lists self"),
        (
            "features.0.classes.0.methods.0.examples.0.setup",
            "v =",
            "examples[0].setup[0]: 'v =' is not a Python statement",
        ),
        (
            "features.0.classes.0.methods.0.examples.0.setup",
            ["v = Vocabulary()", "return v"],
            "setup[1]: 'return v' uses 'return'",
        ),
        (
            "features.0.imports",
            ["import json, os; print(1)"],
            "features[0].imports[0]: 'import json, os; print(1)' is not one import statement",
        ),
        (
            "features.0.imports",
            ["from .x import y"],
            "features[0].imports[0]: 'from .x import y' is a relative import",
        ),
        (
            "features.0.imports",
            ["from os import *"],
            "features[0].imports[0]: 'from os import *' is a star import",
        ),
        (
            "features.0.imports",
            ["from __future__ import annotations"],
            "features[0].imports[0]: __future__ imports are added",
        ),
        ("features.0.bogus", 1, "features[0].bogus: is not a known key"),
    ],
)
def test_each_bad_answer_names_its_field(path: str, value: object, message: str) -> None:
    found = problems(with_change(path, value))
    assert any(message in p for p in found), found


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (
            "features.1.name",
            "tokenize",
            "features[1].name",
            "feature 'tokenize' is already defined by features[0].name",
        ),
        (
            "features.0.classes.0.name",
            "word_tokens",
            "features[0].classes[0].name",
            "'word_tokens' is already defined by features[0].functions[0].name",
        ),
        (
            "features.1.functions.0.name",
            "word_tokens",
            "features[1].functions[0].name",
            "already defined by features[0].functions[0].name "
            "(rename one: the package's __init__ re-exports every public name)",
        ),
        (
            "features.1.functions.0.name",
            "tokenize",
            "features[1].functions[0].name",
            "'tokenize' is also a feature (module) name",
        ),
        (
            "features.0.classes.0.methods",
            [{"name": "m", "doc": "d", "examples": [{"call": "1", "expect": "1"}]}] * 2,
            "features[0].classes[0].methods[1].name",
            "method 'm' is already defined",
        ),
        (
            "features.0.imports",
            ["from textkit.tokenize import word_tokens"],
            "features[0].imports[0]",
            "imports 'word_tokens', which the feature defines",
        ),
        (
            "features.0.imports",
            ["import json", "from json import loads as json"],
            "features[0].imports[1]",
            "'json' is already imported by features[0].imports[0]",
        ),
        (
            "features.0.imports",
            ["import numpy"],
            "features[0].imports[0]",
            "'numpy' is not in the standard library (list the distribution",
        ),
        (
            "features.1.imports",
            ["import textkit"],
            "features[1].imports[0]",
            "an import from the package must name a feature module",
        ),
        (
            "features.1.imports",
            ["from textkit.nothing import x"],
            "features[1].imports[0]",
            "'nothing' is not another feature",
        ),
        (
            "features.1.imports",
            ["from textkit.tokenize import nope"],
            "features[1].imports[0]",
            "feature 'tokenize' defines no 'nope'",
        ),
        (
            "features.0.functions.0.params",
            "text: Text",
            "features[0].functions[0].params",
            "annotation uses undefined name 'Text'",
        ),
        (
            "features.0.functions.0.params",
            "text: 'Text'",
            "features[0].functions[0].params",
            "annotation uses undefined name 'Text'",
        ),
        (
            "features.0.functions.0.params",
            "text: str = DEFAULT",
            "features[0].functions[0].params",
            "default value uses undefined name 'DEFAULT'",
        ),
        (
            "features.0.functions.0.returns",
            "Sequence[str]",
            "features[0].functions[0].returns",
            "annotation uses undefined name 'Sequence'",
        ),
        (
            "features.0.functions.0.examples.0.call",
            "tokens('a')",
            "features[0].functions[0].examples[0].call",
            "uses undefined name 'tokens'",
        ),
        (
            "features.0.functions.0.examples.0.expect",
            "hello",
            "features[0].functions[0].examples[0].expect",
            "uses undefined name 'hello' (to expect the string, quote it",
        ),
        (
            "features.0.functions.0.examples.1.raises",
            "ParseError",
            "features[0].functions[0].examples[1].raises",
            "'ParseError' is not a built-in exception",
        ),
        (
            "features.0.functions.0.examples.1.raises",
            "Vocabulary",
            "features[0].functions[0].examples[1].raises",
            "'Vocabulary' is defined by this feature",
        ),
        (
            "features.0.classes.0.methods.0.examples.0.setup",
            ["w = Vocabulary()"],
            "features[0].classes[0].methods[0].examples[0].call",
            "uses undefined name 'v'",
        ),
    ],
)
def test_whole_spec_problems_name_the_exact_field(
    path: str, value: object, field: str, message: str
) -> None:
    found = spec_errors(with_change(path, value))
    assert any(p.field == field and message in str(p) for p in found), [str(p) for p in found]


def test_names_that_an_example_binds_or_imports_are_defined() -> None:
    data = with_change(
        "features.0.functions.0.examples.0",
        {
            "setup": ["import json", "words = [w for w in 'a b'.split()]", "f = lambda t: t"],
            "call": "word_tokens(f(json.dumps('a')))",
            "expect": "pytest.approx(words) or words",
        },
    )
    assert problems(data) == []


def test_features_importing_each_other_in_a_cycle_are_refused() -> None:
    data = with_change("features.0.imports", ["from textkit.stats import count"])
    cycle = [p for p in spec_errors(data) if "import it back" in p.problem]
    assert {p.field for p in cycle} == {"features[0].imports", "features[1].imports"}


def test_third_party_imports_are_accepted_once_dependencies_are_listed() -> None:
    data = with_change(
        "features.0.imports", ["from collections.abc import Iterable", "import numpy"]
    )
    assert problems(data)
    data["dependencies"] = ["numpy>=2"]
    assert problems(data) == []


def test_yaml_scalars_given_as_expected_values_mean_those_python_values() -> None:
    examples = [
        {"call": "word_tokens('')", "expect": value}
        for value in (3, 0.5, True, None, [1, "a"], {"k": 2})
    ]
    data = with_change("features.0.functions.0.examples", examples)
    spec = validate_spec(data)
    expects = [e.expect for e in spec.features[0].functions[0].examples]
    assert expects == ["3", "0.5", "True", "None", "[1, 'a']", "{'k': 2}"]


def test_python_min_read_as_a_yaml_number_is_taken_back_when_unambiguous() -> None:
    assert validate_spec(with_change("python_min", 3.12)).python_min == "3.12"


def test_every_problem_is_reported_not_just_the_first() -> None:
    data = with_change("package_name", "json")
    data["features"][0]["functions"][0]["params"] = "a,,b"
    data["license"] = "WTFPL"
    assert fields(data) == [
        "package_name",
        "license",
        "features[0].functions[0].params",
    ]


def test_a_list_whose_items_all_fail_is_not_also_called_empty() -> None:
    data = with_change("features.0.functions.0.examples", [{"call": "("}])
    assert fields(data) == ["features[0].functions[0].examples[0].call"]


def test_validate_spec_raises_the_first_problem_as_a_spec_error() -> None:
    with pytest.raises(SpecError) as raised:
        validate_spec(with_change("features.0.functions.0.params", "a,,b"))
    assert raised.value.field == "features[0].functions[0].params"
    assert "is not a parameter list" in raised.value.problem
    assert raised.value.fix


@pytest.mark.parametrize("data", [None, [], "package_name: x", 3])
def test_a_spec_that_is_not_a_mapping_is_refused(data: object) -> None:
    assert problems(data) == ["spec: must be a mapping"]


def test_missing_required_fields_are_named() -> None:
    assert fields({"package_name": "x"}) == ["description", "features"]


def test_load_spec_reports_unreadable_files_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot be read"):
        load_spec(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("features: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"broken.yml: is not valid YAML at line 2"):
        load_spec(broken)


def test_load_spec_reads_unquoted_yaml_versions_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "spec.yml"
    path.write_text(
        json.dumps(VALID).replace('"textkit"', '"textkit", "python_min": 3.10'), "utf-8"
    )
    with pytest.raises(SpecError, match=r'quote it in YAML: "3.10"'):
        load_spec(path)


def test_the_json_schema_describes_the_whole_spec() -> None:
    schema = Spec.model_json_schema()
    assert set(schema["required"]) == {"package_name", "description", "features"}
    assert schema["properties"]["license"]["enum"] == [
        "MIT",
        "Apache-2.0",
        "BSD-3-Clause",
        "Proprietary",
    ]
    assert {"Feature", "Function", "Method", "ClassSpec", "Example"} <= set(schema["$defs"])
    json.dumps(schema)


def test_a_spec_is_frozen() -> None:
    spec = validate_spec(VALID)
    with pytest.raises(ValueError, match="frozen"):
        spec.package_name = "other"  # type: ignore[misc]


def test_the_public_surface() -> None:
    assert filler.spec.model.__all__ == sorted(
        filler.spec.model.__all__, key=lambda n: (n[0].islower(), n)
    )
    for name in filler.spec.model.__all__:
        assert hasattr(filler.spec.model, name)
    assert filler.spec.model.Klass is filler.spec.model.ClassSpec


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("features", 0, "functions", 0, "doc"),
            "Split. " * 1_500_000,
            "features[0].functions[0].doc: is 10,500,000 characters long, "
            "over the limit of 10,000 (shorten it)",
        ),
        (
            ("features", 0, "description"),
            "x" * 10_001,
            "features[0].description: is 10,001 characters long, over the limit of 10,000",
        ),
        (
            ("features", 0, "functions", 0, "examples", 0, "expect"),
            list(range(2_000)),
            "features[0].functions[0].examples[0].expect: is 10,890 characters long, "
            "over the limit of 5,000",
        ),
        (
            ("features", 0, "functions", 0, "examples"),
            [{"call": "word_tokens('a')", "expect": "['a']"}] * 101,
            "features[0].functions[0].examples: has 101 items, over the limit of 100",
        ),
    ],
)
def test_fields_over_their_length_limit_name_the_field_and_the_limit(
    path: tuple[str | int, ...], value: object, message: str
) -> None:
    data = copy.deepcopy(VALID)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SpecError) as refused:
        validate_spec(data)
    assert str(refused.value).startswith(message)


def test_a_field_at_its_limit_is_accepted() -> None:
    data = copy.deepcopy(VALID)
    data["features"][0]["functions"][0]["doc"] = "x" * 10_000
    data["features"][0]["functions"][0]["examples"] = [
        {"call": "word_tokens('a')", "expect": "['a']"}
    ] * 100
    assert len(validate_spec(data).features[0].functions[0].examples) == 100
