"""libcst's concrete trees: the parse cache, and the questions the transformers and the merge ask.

A block's docstring statement and the statements after it, a block's statements (also of a
one-line `def`), and the names a node reads. Read-only, like `filler.source.syntax`, which asks
the same kind of questions of `ast` trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import libcst as cst

__all__ = ["names_read", "parsed", "split_docstring", "statements_of"]


@lru_cache(maxsize=32)
def parsed(source: str) -> cst.Module:
    """`cst.parse_module`, once per text: the gates and the merge read a reply more than once,
    and every reply of a module is merged into the same text. libcst trees are immutable, so
    sharing one is safe."""
    return cst.parse_module(source)


def split_docstring(
    body: Sequence[cst.BaseStatement],
) -> tuple[cst.BaseStatement | None, list[cst.BaseStatement]]:
    """A block's docstring statement (or None) and the statements after it."""
    first = body[0] if body else None
    if (
        isinstance(first, cst.SimpleStatementLine)
        and len(first.body) == 1
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return first, list(body[1:])
    return None, list(body)


def statements_of(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """The statements of a block, also of a one-line `def f(): return 1`."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=[small]) for small in suite.body]


class _NamesRead(cst.CSTVisitor):
    """Collect the names a node reads (an attribute's own name is not a read of that name)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False


def names_read(node: cst.CSTNode) -> set[str]:
    """Every name a libcst node mentions, except attributes' own names (`x` of `a.x`)."""
    collector = _NamesRead()
    node.visit(collector)
    return collector.names
