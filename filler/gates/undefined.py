"""The names a module reads but never defines: `undefined_names(source)`.

The names gate of `filler.gates.judge` compares the merged module with the skeleton: a name the
merge made undefined is one the reply used without importing or defining it. Python's own `symtable`
resolves the scopes, so a function's own locals and parameters never count.
"""

from __future__ import annotations

import builtins
import functools
import symtable
from collections.abc import Iterator

__all__ = ["undefined_names"]

_MODULE_GLOBALS = frozenset(
    {"__annotations__", "__builtins__", "__cached__", "__file__", "__path__"}
).union(dir(builtins))


# The gates ask twice per reply, for the skeleton and the merged module: compute each once.
@functools.lru_cache(maxsize=32)
def undefined_names(source: str) -> frozenset[str]:
    """Names the module reads but never binds, and that are not builtins."""
    top = symtable.symtable(source, "<module>", "exec")
    bound: set[str] = set()
    read: set[str] = set()
    for table in _tables(top):
        for symbol in table.get_symbols():
            name = symbol.get_name()
            at_top = table is top
            if (at_top or symbol.is_declared_global()) and (
                symbol.is_assigned() or symbol.is_imported()
            ):
                bound.add(name)
            if symbol.is_referenced() and (at_top or symbol.is_global()):
                read.add(name)
    return frozenset(read - bound - _MODULE_GLOBALS)


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _tables(child)
