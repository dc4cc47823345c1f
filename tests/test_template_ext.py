"""filler.template_ext: the views the template renders, checked as Python text."""

from __future__ import annotations

import ast
import inspect
import textwrap
import tomllib
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

import filler.template_ext
from filler.source.formatting import format_python
from filler.spec.model import validate_spec
from filler.template_ext import (
    SpecExtension,
    build_view,
    docstring_literal,
    md_cell,
    quoted,
    ruff_target,
)


def one_feature(**feature: Any) -> dict[str, Any]:
    base = {"name": "mod", "description": "A module."}
    return {"package_name": "pkg", "description": "A package.", "features": [base | feature]}


def fn(name: str, *examples: dict[str, Any], params: str = "", returns: str = "None") -> Any:
    return {"name": name, "params": params, "returns": returns, "doc": "Doc.", "examples": examples}


def view_of(**feature: Any) -> Any:
    return build_view(validate_spec(one_feature(**feature))).features[0]


# --- docstrings ---------------------------------------------------------------------------------


@given(st.text())
def test_a_docstring_literal_evaluates_back_to_its_text(text: str) -> None:
    closing = "\n" if "\n" in text else ""
    assert ast.literal_eval(docstring_literal(text)) == text + closing


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1))
def test_a_docstring_keeps_its_text_through_ruff_format(text: str) -> None:
    clean = inspect.cleandoc(text)
    clean = "\n".join(line.rstrip() for line in clean.splitlines())
    if not clean.strip():
        return
    literal = textwrap.indent(docstring_literal(clean), "    ").lstrip()
    source = format_python(f"def f() -> None:\n    {literal}\n    raise NotImplementedError\n")
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    assert ast.get_docstring(func) == clean


def test_unit_docstrings_show_the_examples_in_doctest_form() -> None:
    examples = [
        {"setup": ["x = [1,\n 2]", "if x:\n    y = 1"], "call": "f( x )", "expect": "[3]"},
        {"call": "f([])", "expect": "None"},
        {"call": "f(None)", "raises": "TypeError"},
    ]
    view = view_of(functions=[fn("f", *examples, params="x: list[int]", returns="object")])
    assert ast.literal_eval(view.functions[0].docstring) == textwrap.dedent(
        """\
        Doc.

        Examples:
            >>> x = [1, 2]
            >>> if x:
            ...     y = 1
            >>> f(x)
            [3]
            >>> f([])
            >>> f(None)
            Traceback (most recent call last):
            TypeError
        """
    )


def test_headers_are_normalised_signatures() -> None:
    klass = {
        "name": "Box",
        "doc": "A box.",
        "init": "size:int=3",
        "methods": [
            fn("grow", {"call": "1", "expect": "1"}, params="*, by: int=1", returns="'Box'")
        ],
    }
    view = view_of(
        functions=[fn("f", {"call": "f()", "expect": "1"}, params="a,/,b=2,*c,d,**e")],
        classes=[klass],
    )
    assert view.functions[0].header == "def f(a, /, b=2, *c, d, **e) -> None:"
    box = view.classes[0]
    assert [m.header for m in box.methods] == [
        "def __init__(self, size: int=3) -> None:",
        "def grow(self, *, by: int=1) -> 'Box':",
    ]
    assert box.methods[0].docstring == '"""Create a new Box."""'


# --- imports ------------------------------------------------------------------------------------


def test_imports_no_signature_uses_get_a_noqa_and_long_ones_are_wrapped_where_ruff_reads_it() -> (
    None
):
    long = (
        "from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Collection, Container"
    )
    view = view_of(
        imports=[
            "from collections.abc import Iterable",
            "import json",
            "from typing import Any, Optional",
            "import os.path",
            long,
        ],
        functions=[
            fn(
                "f",
                {"call": "f()", "expect": "1"},
                params="x: 'Iterable[Any]' = 'json'",
                returns="os.PathLike[str]",
            )
        ],
    )
    assert view.imports == (
        "from collections.abc import Iterable",
        "import json  # noqa: F401",
        "from typing import Any, Optional  # noqa: F401",
        "import os.path",
        "from collections.abc import (  # noqa: F401\n"
        "    AsyncIterable,\n    AsyncIterator,\n    Awaitable,\n"
        "    Collection,\n    Container,\n)",
    )


def test_tests_import_only_the_names_their_examples_use() -> None:
    view = view_of(
        imports=["from json import JSONDecodeError, dumps, loads as load", "import math"],
        functions=[
            fn("f", {"call": "f(load('1'))", "raises": "JSONDecodeError"}),
            fn("g", {"setup": "import math", "call": "math.pi", "expect": "3"}),
        ],
    )
    assert view.test_imports == (
        "from json import JSONDecodeError, loads as load",
        "",
        "import pytest",
        "",
        "from pkg.mod import f",
    )


# --- tests --------------------------------------------------------------------------------------


def test_test_bodies_compare_with_is_for_singletons_and_keep_precedence() -> None:
    examples = [
        {"call": "f(1)", "expect": None},
        {"call": "f(1) == 2", "expect": True},
        {"call": "f(1) if True else 0", "expect": "1 if True else 2"},
        {"call": "f(1)", "expect": "'None'"},
        {"setup": "v = 1", "call": "f(v)", "raises": "ValueError"},
    ]
    bodies = [case.body for case in view_of(functions=[fn("f", *examples, params="x")]).tests]
    assert bodies == [
        "assert f(1) is None",
        "assert (f(1) == 2) is True",
        "assert (f(1) if True else 0) == (1 if True else 2)",
        "assert f(1) == 'None'",
        "v = 1\nwith pytest.raises(ValueError):\n    f(v)",
    ]


def test_comments_in_expressions_cannot_swallow_the_check() -> None:
    view = view_of(functions=[fn("f", {"call": "f(1)  # one", "expect": "2"})])
    assert view.tests[0].body == "assert f(1) == 2"


def test_test_names_are_unique_and_carry_the_unit_id() -> None:
    klass = {
        "name": "HTTPVocabulary",
        "doc": "d",
        "methods": [
            fn("add", {"call": "1", "expect": "1"}),
            fn("__len__", {"call": "1", "expect": "1"}),
        ],
    }
    view = view_of(
        functions=[
            fn("http_vocabulary_add", {"call": "1", "expect": "1"}, {"call": "2", "expect": "2"})
        ],
        classes=[klass],
    )
    assert [(t.name, t.unit_id) for t in view.tests] == [
        ("test_http_vocabulary_add_1", "pkg.mod:http_vocabulary_add"),
        ("test_http_vocabulary_add_2", "pkg.mod:http_vocabulary_add"),
        ("test_http_vocabulary_add_1_", "pkg.mod:HTTPVocabulary"),
        ("test_http_vocabulary_len_1", "pkg.mod:HTTPVocabulary"),
    ]


def test_the_package_view_exports_every_public_name_sorted() -> None:
    data = one_feature(functions=[fn("zed", {"call": "1", "expect": "1"})])
    data["features"].append(
        {
            "name": "alpha",
            "description": "A.",
            "classes": [
                {"name": "Beta", "doc": "d", "methods": [fn("m", {"call": "1", "expect": "1"})]}
            ],
        }
    )
    view = build_view(validate_spec(data))
    assert view.public_names == ("Beta", "zed")
    assert view.feature("alpha").main_docstring == (
        '"""Show Beta at work on small inputs, printing each result."""'
    )
    assert view.feature("mod").demo_docstring == '"""Demo of pkg.mod: A module."""'


# --- filters and the extension ------------------------------------------------------------------


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_quoted_strings_read_back_in_toml_and_yaml(text: str) -> None:
    literal = quoted(text)
    assert tomllib.loads(f"x = {literal}")["x"] == text
    assert yaml.safe_load(f"x: {literal}")["x"] == text


def test_small_filters() -> None:
    assert ruff_target("3.10") == "py310"
    assert md_cell("a | b\n  c") == "a \\| b c"


def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(extensions=[SpecExtension])


def test_spec_error_reports_only_the_problems_of_its_question() -> None:
    template = environment().from_string("{{ spec_error(question) }}")
    data = one_feature(functions=[fn("f", {"call": "f(", "expect": "1"})])
    assert template.render(question="package_name", **data) == ""
    assert template.render(question="features", **data) == (
        "features[0].functions[0].examples[0].call: 'f(' is not a Python expression "
        "('(' was never closed) (write one expression, e.g. \"word_tokens('a b')\")"
    )
    assert template.render(question="package_name", package_name="json") == (
        "package_name: 'json' is a standard library module and would shadow it "
        "(choose another name)"
    )


def test_the_views_and_pyformat_work_inside_a_sandboxed_template() -> None:
    source = (
        "{% set f = feature_view('mod') %}{% filter pyformat %}"
        "x = {{ f.public_names | list }}\n{% endfilter %}"
    )
    data = one_feature(functions=[fn("f", {"call": "f()", "expect": "1"})])
    assert environment().from_string(source).render(python_min="3.12", **data) == 'x = ["f"]\n'


def test_the_public_surface() -> None:
    for name in filler.template_ext.__all__:
        assert hasattr(filler.template_ext, name)
