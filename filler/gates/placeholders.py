"""Find what stands in for code in a function a reply wrote: `find_placeholder`.

A model that has not written a body leaves a placeholder: nothing but a docstring, `pass` or
`...`, a bare `raise NotImplementedError`, or a comment such as `# rest of the code here`. (An
`__init__` that is only `pass` is no placeholder: a class may have nothing to set up.) The
stub gate of `filler.gates.judge` asks about each target; the answer names the placeholder and
where it is, so the rejection can put a caret under it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

from filler.source.syntax import FunctionNode, body_after_docstring, raises_not_implemented

__all__ = ["Position", "comments_of", "find_placeholder"]

_PLACEHOLDER_COMMENT = re.compile(
    r"""\#\s*(?:\.\.\.|…)
      | rest\ of\ (?:the\ )?(?:code|implementation|function|method|body|logic)
      | (?:your|actual)\ (?:code|implementation|logic)\ (?:goes\ )?here
      | implement(?:ation)?\ (?:this|me|here|goes\ here)
      | (?:code|logic)\ goes\ here
      | fill\ (?:this\ )?in
      | existing\ code
      | same\ as\ (?:before|above)
      | placeholder""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class Position:
    """A place in the source where no node stands (a comment): its line and UTF-8 byte column."""

    lineno: int
    col_offset: int


def comments_of(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """Every comment in `lines`, as (line, UTF-8 byte column, text)."""
    found: list[tuple[int, int, str]] = []
    readline = io.StringIO("\n".join(lines)).readline
    for token in tokenize.generate_tokens(readline):
        if token.type == tokenize.COMMENT:
            line, column = token.start
            found.append((line, len(lines[line - 1][:column].encode()), token.string))
    return found


def find_placeholder(
    function: FunctionNode, comments: Sequence[tuple[int, int, str]]
) -> tuple[str, ast.AST | Position] | None:
    """What stands in for the function's code, and where; None when it has real code.

    `comments` are the source's comments, as `comments_of` finds them.
    """
    body = body_after_docstring(function)
    if not body:
        return "only a docstring", function
    # A constructor with nothing to set up is complete with `pass` (a placeholder comment
    # beside it still counts, below).
    idle_constructor = function.name == "__init__" and [type(s) for s in body] == [ast.Pass]
    if not idle_constructor and all(
        isinstance(s, ast.Pass) or _is_constant_expression(s) for s in body
    ):
        return "no code (`pass`, `...`)", body[0]
    if len(body) == 1 and raises_not_implemented(body[0]):
        return "`raise NotImplementedError`", body[0]
    for node in (n for statement in body for n in ast.walk(statement)):
        if _is_ellipsis(node):
            return "`...`", node
        # With a message it may be a real "not supported"; bare, it is an unwritten branch
        # (and the project's conftest reports it as "not filled yet").
        if raises_not_implemented(node, bare=True):
            return "`raise NotImplementedError`", node
    end = function.end_lineno or function.lineno
    for line, column, text in comments:
        if function.lineno <= line <= end and _PLACEHOLDER_COMMENT.search(text):
            return f"a placeholder comment (`{text.strip()}`)", Position(line, column)
    return None


def _is_constant_expression(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _is_ellipsis(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and node.value.value is Ellipsis
    )
