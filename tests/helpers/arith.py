"""The `calc.arith` module that the structural-merge and update tests share, and its units' code."""

from __future__ import annotations

from pathlib import Path

from filler.source.units import find_units, unit_source

MODULE, PATH = "calc.arith", Path("src/calc/arith.py")


def code_of(source: str, name: str) -> str:
    (unit,) = [u for u in find_units(source, MODULE, PATH) if u.qualname == name]
    return unit_source(source, unit)
