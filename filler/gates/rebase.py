"""Carry an accepted definition onto a newer text of its module without judging it again.

Units of one module that finish at about the same time were each judged on the text their reply
found; the writer merges them one after another (`filler.gates.judge.judge_in_turn`). Judging each
again on the text the ones before it left costs a libcst merge apiece. Mostly only other units'
bodies have changed in between, and then the judged definition can be moved as it is:
`rebase(merged, judged_on, current, qualname)` gives `current` with the definition of `qualname`
as `merged` has it, or None unless all of this holds:

1. `merged` differs from `judged_on` in that definition only: no import, no helper added.
2. `current` has that definition as `judged_on` had it, line for line.
3. Both texts have one `outline`: what the gates read around the unit they judge. That is every
   top-level statement, except that a public function or class counts by its header and
   docstring only (a reply's copy of one is an echo, ignored whatever its body says), plus the
   `global` names its body declares (they bind module names) and the names the module reads but
   never defines (the names gate lets those be).
4. The new definition declares at least the `global` names the old one did, so no name another
   body reads goes unbound.

Then the gates say of the candidate on `current` what they said on `judged_on`, and since a
function or class compiles on its own, the result compiles when `current` does (the caller
checks). The moved definition is byte for byte the one that was judged and tested; merging again
would rebuild the same code with libcst, which could differ only in whitespace, in a module whose
first indented line is indented otherwise than in `judged_on`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from filler.gates.undefined import undefined_names
from filler.source.syntax import DefinitionNode, is_docstring, is_public, tree_of

__all__ = ["outline", "rebase"]

# The line breaks Python's tokenizer knows; str.splitlines also splits on form feeds and more,
# which would put ast's line numbers off.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class _Placed:
    """A top-level definition: its lines, 0-based [start, end), and the globals it declares."""

    start: int
    end: int
    declares: frozenset[str]


def rebase(merged: str, judged_on: str, current: str, qualname: str) -> str | None:
    """`current` with the definition of `qualname` as in `merged` (see the module docstring)."""
    old, new, now = (_placed(text).get(qualname) for text in (judged_on, merged, current))
    if old is None or new is None or now is None or not old.declares <= new.declares:
        return None
    before, after, lines = _lines(judged_on), _lines(merged), _lines(current)
    head, tail = before[: old.start], before[old.end :]
    only_it = (new.start, new.end) == (len(head), len(after) - len(tail))
    if not only_it or after[: new.start] != head or after[new.end :] != tail:
        return None
    if lines[now.start : now.end] != before[old.start : old.end]:
        return None
    if outline(current) != outline(judged_on):
        return None
    return "".join(lines[: now.start] + after[new.start : new.end] + lines[now.end :])


@lru_cache(maxsize=32)
def outline(source: str) -> str:
    """The module as the gates see it around one unit (see the module docstring)."""
    outer = ast.Module([_outer(statement, source) for statement in tree_of(source).body], [])
    return f"{ast.dump(outer)}\n{sorted(undefined_names(source))}"


def _outer(statement: ast.stmt, source: str) -> ast.stmt:
    if not isinstance(statement, DefinitionNode) or not is_public(statement.name):
        return statement
    docstring = statement.body[:1] if is_docstring(statement.body[0]) else []
    declared = sorted(_declared(statement, source))
    declarations = [ast.Global(names=declared)] if declared else []
    return type(statement)(**{**vars(statement), "body": [*docstring, *declarations]})


def _declared(definition: DefinitionNode, source: str) -> frozenset[str]:
    if "global" not in source:  # no keyword, no declaration: spare the walk
        return frozenset()
    return frozenset(
        name for node in ast.walk(definition) if isinstance(node, ast.Global) for name in node.names
    )


def _lines(text: str) -> list[str]:
    return _LINE.findall(text)


@lru_cache(maxsize=32)
def _placed(source: str) -> Mapping[str, _Placed]:
    """Each top-level definition by name; a name defined twice has none (it is no unit)."""
    placed: dict[str, _Placed] = {}
    twice: set[str] = set()
    for node in tree_of(source).body:
        if isinstance(node, DefinitionNode):
            if node.name in placed:
                twice.add(node.name)
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            assert node.end_lineno is not None
            placed[node.name] = _Placed(start, node.end_lineno, _declared(node, source))
    return {name: where for name, where in placed.items() if name not in twice}
