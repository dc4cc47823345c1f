"""Compare the signatures a reply wrote with the skeleton's: `signature_problem`.

A fill changes bodies only. A class keeps its header (decorators, bases, keywords) and every
target keeps its signature as `filler.source.units.signature_dump` sees it, except for annotations:
the merge keeps the skeleton's def line whatever the reply wrote, so an annotation left out or
written another way (`List[int]` for `list[int]`) changes nothing and is not compared. Names,
kinds, defaults, decorators and `async` are. For the same reason a function written without
any decorator, and a class written with a bare header (`class Sku:`), keep the skeleton's;
decorators and bases a reply does write must be the skeleton's. The answer says what to keep,
quoting the skeleton's line, and which node differs first, for the caret of the signature gate
in `filler.gates.judge`.

`@overload` signatures are the spec's whole: a reply may leave them out (the merge keeps the
module's), but one it writes must be the module's, all of a group in order and annotations
too, before the implementation; `overload_problem` says which is not.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterable, Sequence

from filler.source.syntax import DefinitionNode, FunctionNode
from filler.source.units import is_overload, signature_dump

__all__ = ["overload_problem", "signature_problem"]


def signature_problem(
    given: DefinitionNode,
    written: DefinitionNode,
    targets: Iterable[tuple[FunctionNode, FunctionNode]],
    module_source: str,
) -> tuple[str, ast.AST] | None:
    """Why the reply's `written` unit does not keep the signatures of the skeleton's `given`,
    and the node to put the caret under; None when it keeps them.

    `targets` are the target functions as (in the skeleton, in the reply); `module_source` is
    the skeleton's text, quoted in the reason.
    """
    if isinstance(given, ast.ClassDef) and isinstance(written, ast.ClassDef):
        header = [*given.decorator_list, *given.bases, *given.keywords]
        sent = [*written.decorator_list, *written.bases, *written.keywords]
        if sent and list(map(ast.dump, header)) != list(map(ast.dump, sent)):
            reason = f"keep the class header exactly as given: `{_class_header(given)}`"
            return reason, _first_difference(header, sent, written)
    for skeleton, reply in targets:
        if signature_dump(skeleton) != signature_dump(_annotated_like(reply, skeleton)):
            expected = _def_line(module_source.split("\n"), skeleton)
            reason = f"keep the signature exactly as given: `{expected}`; change only the body"
            return reason, _signature_difference(skeleton, reply)
    return None


def _annotated_like(written: FunctionNode, given: FunctionNode) -> FunctionNode:
    """`written` with the skeleton's annotations wherever parameter names line up, and its
    decorators when the reply wrote none.

    Small models drop annotations or spell them their own way (`List[int]`, `Optional[str]`),
    and drop decorators. The skeleton's signature is kept on merge whatever the reply says, so
    only the parts that change how the function is called are left to compare.
    """
    filled = copy.deepcopy(written)
    for arg, model in _parameter_pairs(filled, given):
        arg.annotation = model.annotation
    filled.returns = given.returns
    if not filled.decorator_list:
        filled.decorator_list = given.decorator_list
    return filled


def _parameter_pairs(
    written: FunctionNode, given: FunctionNode
) -> Iterable[tuple[ast.arg, ast.arg]]:
    """The parameters of both, paired by kind and position, where their names agree."""
    for mine, theirs in zip(_parameter_groups(written), _parameter_groups(given), strict=True):
        yield from (
            (arg, model) for arg, model in zip(mine, theirs, strict=False) if arg.arg == model.arg
        )


def _parameter_groups(function: FunctionNode) -> list[list[ast.arg]]:
    args = function.args
    return [
        args.posonlyargs,
        args.args,
        args.kwonlyargs,
        [args.vararg] if args.vararg else [],
        [args.kwarg] if args.kwarg else [],
    ]


def _def_line(source_lines: Sequence[str], node: FunctionNode) -> str:
    """The function's header as the skeleton writes it, on one line and without its comment."""
    last = max(node.lineno, node.body[0].lineno - 1)
    text = " ".join(line.strip() for line in source_lines[node.lineno - 1 : last])
    text = re.sub(r":\s*#.*$", ":", text)
    text = re.sub(r"([(\[])\s+", r"\1", re.sub(r",?\s+([)\]])", r"\1", text))
    decorators = "".join(f"@{ast.unparse(d)} " for d in node.decorator_list)
    return decorators + text


def _class_header(node: ast.ClassDef) -> str:
    decorators = "".join(f"@{ast.unparse(d)} " for d in node.decorator_list)
    bases = ", ".join(ast.unparse(b) for b in [*node.bases, *node.keywords])
    return f"{decorators}class {node.name}" + (f"({bases}):" if bases else ":")


def _first_difference(
    given: Sequence[ast.AST], written: Sequence[ast.AST], whole: ast.AST
) -> ast.AST:
    for old, new in zip(given, written, strict=False):
        if ast.dump(old) != ast.dump(new):
            return new
    return written[len(given)] if len(written) > len(given) else whole


def _signature_difference(given: FunctionNode, written: FunctionNode) -> ast.AST:
    """The first part of the written signature that differs, to put the caret under."""
    if type(given) is not type(written):
        return written
    for old, new in zip(_signature_parts(given), _signature_parts(written), strict=True):
        if list(map(ast.dump, old)) != list(map(ast.dump, new)):
            return _first_difference(old, new, written)
    return written


def _signature_parts(function: FunctionNode) -> list[list[ast.AST]]:
    args = function.args
    groups: list[list[ast.AST] | list[ast.arg] | list[ast.expr]] = [
        function.decorator_list,
        args.posonlyargs,
        args.args,
        [args.vararg] if args.vararg else [],
        args.kwonlyargs,
        [args.kwarg] if args.kwarg else [],
        args.defaults,
        [default for default in args.kw_defaults if default is not None],
        [function.returns] if function.returns else [],
    ]
    return [list(group) for group in groups]


def overload_problem(
    given: Sequence[ast.stmt], written: Sequence[ast.stmt]
) -> tuple[str, ast.AST] | None:
    """Why the `@overload` signatures among the reply's statements `written` (a module's or a
    class's body) are not those of the skeleton's `given`, and where; None when they are, or
    when the reply leaves them out."""
    groups = _overload_groups(given)
    for name, sent in _overload_groups(written).items():
        kept = groups.get(name, [])
        if not kept:
            reason = f"{name} has no `@overload` signatures: remove the ones you added"
            return reason, sent[0]
        if list(map(_overload_key, kept)) != list(map(_overload_key, sent)):
            shown = "; ".join(f"`{_overload_line(k)}`" for k in kept)
            reason = f"keep the `@overload` signatures of {name} as given ({shown}), or omit them"
            return reason, _first_difference(kept, sent, sent[0])
    for index, statement in enumerate(written):
        if isinstance(statement, FunctionNode) and not is_overload(statement):
            later = _overload_groups(written[index + 1 :]).get(statement.name)
            if later:
                reason = f"put the `@overload` signatures of {statement.name} before its code"
                return reason, later[0]
    return None


# However `overload` was imported: the merge keeps the module's own lines either way.
_OVERLOAD_SPELLINGS = frozenset({"overload", "typing.overload", "typing_extensions.overload"})


def _overload_key(node: FunctionNode) -> tuple[object, ...]:
    """What must stay of an `@overload` signature: its kind, decorators, parameters and return,
    not how `overload` is spelled (`@overload`, `@typing.overload`) nor its body (`...`, `pass`,
    a docstring), which the merge never takes from a reply."""
    decorators = tuple(
        "overload" if ast.unparse(d) in _OVERLOAD_SPELLINGS else ast.dump(d)
        for d in node.decorator_list
    )
    returns = ast.dump(node.returns) if node.returns else None
    return type(node), decorators, ast.dump(node.args), returns


def _overload_groups(statements: Sequence[ast.stmt]) -> dict[str, list[FunctionNode]]:
    groups: dict[str, list[FunctionNode]] = {}
    for statement in statements:
        if isinstance(statement, FunctionNode) and is_overload(statement):
            groups.setdefault(statement.name, []).append(statement)
    return groups


def _overload_line(node: FunctionNode) -> str:
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"def {node.name}({ast.unparse(node.args)}){returns}: ..."
