"""filler.template_ext: the filters and the extension, inside a sandboxed Jinja environment."""

from __future__ import annotations

import tomllib
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

import filler.template_ext
from filler.template_ext import SpecExtension, md_cell, quoted, ruff_target


def one_feature(**feature: Any) -> dict[str, Any]:
    base = {"name": "mod", "description": "A module."}
    return {"package_name": "pkg", "description": "A package.", "features": [base | feature]}


def fn(name: str, *examples: dict[str, Any], params: str = "", returns: str = "None") -> Any:
    return {"name": name, "params": params, "returns": returns, "doc": "Doc.", "examples": examples}


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
