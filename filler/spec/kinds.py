"""The shared words of the spec's models: how a method is bound, which enum base an enum has.

Kept apart from `filler.spec.model` so that the checks it runs can name them too.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EnumKind", "MethodKind"]


class MethodKind(StrEnum):
    """How a method is bound: the decorator the template writes above it (none for METHOD)."""

    METHOD = "method"
    STATIC = "staticmethod"
    CLASS = "classmethod"
    PROPERTY = "property"


class EnumKind(StrEnum):
    """The `enum` base class of a spec enum."""

    ENUM = "Enum"
    INT = "IntEnum"
    STR = "StrEnum"
