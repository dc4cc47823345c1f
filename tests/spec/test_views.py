"""filler.spec.views: the views the template renders, checked as Python text."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

import filler.spec.views
from filler.source.formatting import format_python
from filler.spec.model import validate_spec
from filler.spec.views import build_view, clean_docstring, docstring_literal


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


# A clean-clone `make test` found "0\r\r": `str.splitlines` (and `inspect.cleandoc`'s tab
# expansion) changed the text on its way into the docstring.
@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1))
@example("0\r\r")
@example("a\rb")
@example("tab\tinside\n\tand leading")
@example("  indented\n    continuation\n  lines  \n")
def test_a_docstring_keeps_its_text_through_ruff_format(text: str) -> None:
    clean = clean_docstring(text)
    if not clean.strip():
        return
    literal = textwrap.indent(docstring_literal(clean), "    ").lstrip()
    source = format_python(f"def f() -> None:\n    {literal}\n    raise NotImplementedError\n")
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    raw = ast.get_docstring(func, clean=False)
    assert raw is not None
    assert clean_docstring(raw) == clean


def test_a_spec_docstring_keeps_carriage_returns_and_tabs() -> None:
    doc = "First line\twith a tab.\r\nSecond\rline."
    spec = validate_spec(one_feature(functions=[fn("f") | {"doc": doc}]))
    literal = build_view(spec).features[0].functions[0].docstring
    assert ast.literal_eval(literal).rstrip("\n") == doc


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
        functions=[fn("f", {"call": "f(1, d=2)", "expect": "1"}, params="a,/,b=2,*c,d,**e")],
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
            fn("f", {"call": "f(load('1'))", "raises": "JSONDecodeError"}, params="x: object"),
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
    view = view_of(functions=[fn("f", {"call": "f(1)  # one", "expect": "2"}, params="x: int")])
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


def test_the_public_surface() -> None:
    for name in filler.spec.views.__all__:
        assert hasattr(filler.spec.views, name)
