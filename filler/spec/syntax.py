"""The Python inside a spec's strings: parse it, and tell which names it reads and binds.

A spec holds code as text: parameter lists, annotations, example calls and setup statements,
import lines. `filler.spec.model` checks each field with these parsers, `filler.spec.checks`
checks the names they use across the whole spec, and `filler.template_ext` renders the same code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = [
    "annotation_names",
    "import_bindings",
    "parse_expression",
    "parse_params",
    "parse_statements",
    "read_and_bound",
    "signature_names",
    "unbound_names",
]


def parse_params(text: str, *, method: bool = False, receiver: str = "self") -> ast.arguments:
    """Parse a `params` string as the inside of a def's parentheses (after the `receiver`,
    `self` or `cls`, for methods).

    Raises SyntaxError when it is not exactly one parameter list.
    """
    head = f"{receiver}, " if method and text.strip() else (receiver if method else "")
    source = f"def _f({head}{text}):\n    pass\n"
    module = ast.parse(source)
    compile(module, "<params>", "exec")
    match module.body:
        case [ast.FunctionDef(body=[ast.Pass()], returns=None, decorator_list=[]) as func]:
            return func.args
    raise SyntaxError("not a single parameter list")


def parse_expression(text: str) -> ast.expr:
    """Parse one Python expression; SyntaxError if it is anything else."""
    return ast.parse(text.strip(), mode="eval").body


def parse_statements(text: str) -> list[ast.stmt]:
    """Parse statements; SyntaxError if they do not parse or there are none."""
    body = ast.parse(text).body
    if not body:
        raise SyntaxError("no statement")
    return body


def import_bindings(node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    """The names an import statement binds: `import a.b` binds `a`, `... as x` binds `x`."""
    return tuple(alias.asname or alias.name.split(".")[0] for alias in node.names)


def read_and_bound(nodes: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """(names read, names bound) anywhere in the nodes; scoping is ignored: close enough here."""
    read: set[str] = set()
    bound: set[str] = set()
    for tree in nodes:
        for node in ast.walk(tree):
            match node:
                case ast.Name(id=name, ctx=ast.Load()):
                    read.add(name)
                case ast.Name(id=name) | ast.arg(arg=name) | ast.ExceptHandler(name=str(name)):
                    bound.add(name)
                case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name):
                    bound.add(name)
                case ast.ClassDef(name=name):
                    bound.add(name)
                case ast.Import() | ast.ImportFrom():
                    bound.update(import_bindings(node))
    return read, bound


def unbound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names the nodes read but do not bind themselves."""
    read, bound = read_and_bound(nodes)
    return read - bound


def annotation_names(node: ast.expr | None) -> set[str]:
    """Names an annotation reads, including inside string (forward-reference) annotations."""
    if node is None:
        return set()
    names = unbound_names([node])
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            try:
                names |= annotation_names(parse_expression(sub.value))
            except SyntaxError:
                continue
    return names


def signature_names(args: ast.arguments) -> tuple[set[str], set[str]]:
    """(names the parameter annotations read, names the default values read)."""
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    annotations: set[str] = set()
    for arg in every:
        annotations |= annotation_names(arg.annotation)
    defaults = [d for d in [*args.defaults, *args.kw_defaults] if d is not None]
    return annotations, unbound_names(defaults)
