"""filler.source.syntax: each question about source has one answer, and the parse caches share."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

import filler.source.syntax
from filler.source.concrete import parsed
from filler.source.syntax import (
    body_after_docstring,
    definition_names,
    imports_itself,
    is_docstring,
    is_main_guard,
    is_public,
    is_public_or_dunder,
    is_stub,
    methods_by_name,
    methods_of,
    raises_not_implemented,
    top_definition,
    tree_of,
)


def test_public_surface() -> None:
    assert sorted(filler.source.syntax.__all__) == filler.source.syntax.__all__


def statement(code: str) -> ast.stmt:
    return ast.parse(code).body[0]


def function(code: str) -> ast.FunctionDef:
    node = statement(code)
    assert isinstance(node, ast.FunctionDef)
    return node


def test_syntax_answers_with_ast_alone() -> None:
    """`filler status` finds units through this module: it must not need libcst."""
    code = "import sys, filler.source.syntax; print('libcst' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_parse_caches_give_one_tree_per_text() -> None:
    assert tree_of("x = 1\n") is tree_of("x = 1\n")
    assert parsed("x = 1\n") is parsed("x = 1\n")


@pytest.mark.parametrize(
    ("name", "public", "public_or_dunder"),
    [("add", True, True), ("_add", False, False), ("__init__", False, True), ("__x", False, False)],
)
def test_public_names_and_dunders(name: str, public: bool, public_or_dunder: bool) -> None:
    assert is_public(name) is public
    assert is_public_or_dunder(name) is public_or_dunder


@pytest.mark.parametrize(
    ("body", "stub"),
    [
        ('    """Doc."""\n    raise NotImplementedError\n', True),
        ("    raise NotImplementedError()\n", True),
        ('    raise NotImplementedError("later")\n', False),
        ("    raise NotImplementedError from None\n", False),
        ("    raise ValueError\n", False),
        ("    x = 1\n    raise NotImplementedError\n", False),
    ],
)
def test_the_stub_is_a_bare_raise_not_implemented_after_the_docstring(
    body: str, stub: bool
) -> None:
    assert is_stub(function(f"def f():\n{body}")) is stub


def test_raises_not_implemented_with_a_message_unless_bare() -> None:
    with_message = statement('raise NotImplementedError("no lower")\n')
    assert raises_not_implemented(with_message)
    assert not raises_not_implemented(with_message, bare=True)
    assert raises_not_implemented(statement("raise NotImplementedError()\n"), bare=True)
    assert not raises_not_implemented(statement("x = 1\n"))


def test_body_after_docstring_and_docstrings() -> None:
    documented = function('def f():\n    """Doc."""\n    return 1\n')
    assert [ast.unparse(s) for s in body_after_docstring(documented)] == ["return 1"]
    plain = function("def f():\n    return 1\n")
    assert body_after_docstring(plain) == plain.body
    assert is_docstring(statement('"""Doc."""\n'))
    assert not is_docstring(statement("1\n"))


def test_methods_and_top_level_definitions() -> None:
    tree = ast.parse("class C:\n    def a(self): ...\n    x = 1\n    def a(self, y): ...\n")
    klass = top_definition(tree, "C")
    assert isinstance(klass, ast.ClassDef)
    assert [m.name for m in methods_of(klass)] == ["a", "a"]
    assert len(methods_by_name(klass)["a"].args.args) == 2  # the last, as Python keeps it
    assert top_definition(tree, "D") is None


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("def f(): ...\n", {"f"}),
        ("A, (B, *C) = 1, (2, 3)\n", {"A", "B", "C"}),
        ("X: int = 1\n", {"X"}),
        ("x.y = 1\n", None),
        ("import os\n", None),
    ],
)
def test_definition_names(code: str, names: set[str] | None) -> None:
    found = definition_names(statement(code))
    assert (set(found) if found is not None else None) == names


@pytest.mark.parametrize(
    ("code", "itself"),
    [
        ("import pkg.mod\n", True),
        ("from pkg import mod\n", True),
        ("from . import mod\n", True),
        ("from .mod import x\n", True),
        ("from pkg import other\n", False),
        ("from ... import mod\n", False),
    ],
)
def test_imports_itself(code: str, itself: bool) -> None:
    node = statement(code)
    assert isinstance(node, ast.Import | ast.ImportFrom)
    assert imports_itself(node, "pkg.mod") is itself


def test_main_guard() -> None:
    assert is_main_guard(statement('if __name__ == "__main__":\n    main()\n'))
    assert is_main_guard(statement('if "__main__" == __name__:\n    main()\n'))
    assert not is_main_guard(statement('if __name__ != "x":\n    main()\n'))
