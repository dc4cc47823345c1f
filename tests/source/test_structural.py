"""filler.source.structural: the new render's structure, the project's bodies; text in and out."""

from __future__ import annotations

import ast

from filler.source.structural import MergeOutcome, structural_merge
from tests.helpers.arith import MODULE, PATH, code_of

OLD = '''"""Integer arithmetic."""

from __future__ import annotations

__all__ = ["Counter", "add", "double"]


def add(a: int, b: int) -> int:
    """Return a plus b."""
    raise NotImplementedError


def double(x: int) -> int:
    """Return twice x."""
    raise NotImplementedError


class Counter:
    """Counts up."""

    def __init__(self, start: int = 0) -> None:
        """Create a new Counter."""
        raise NotImplementedError

    def incr(self) -> int:
        """Add one."""
        raise NotImplementedError
'''

# What fills (and a person) made of OLD: an import, helpers, bodies, a helper method, a function.
OURS = '''"""Integer arithmetic."""

from __future__ import annotations
import operator

__all__ = ["Counter", "add", "double"]


def _plus(a: int, b: int) -> int:
    return operator.add(a, b)


def add(a: int, b: int) -> int:
    """Return a plus b."""
    # the helper keeps the body short
    return _plus(a, b)


def double(x: int) -> int:
    """Return twice x."""
    return x * 2


class Counter:
    """Counts up."""

    def __init__(self, start: int = 0) -> None:
        """Create a new Counter."""
        self._count = start

    def incr(self) -> int:
        """Add one."""
        self._bump()
        return self._count

    def _bump(self) -> None:
        self._count += 1


def triple(x: int) -> int:
    return 3 * x
'''


def merged(theirs: str, ours: str = OURS, old: str = OLD) -> MergeOutcome:
    outcome = structural_merge(old, ours, theirs, MODULE, PATH)
    ast.parse(outcome.source)
    assert "<<<<<<<" not in outcome.source
    return outcome


def body_of(source: str, name: str) -> str:
    """The unit's code without its docstrings."""
    tree = ast.parse(code_of(source, name))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and ast.get_docstring(node):
            node.body = node.body[1:]
    return ast.unparse(tree)


def test_an_unchanged_render_keeps_the_module_and_an_unfilled_module_takes_the_render() -> None:
    assert merged(OLD).source == OURS
    theirs = OLD.replace("Return a plus b.", "Return the sum.")
    assert merged(theirs, ours=OLD).source == theirs


def test_a_changed_docstring_takes_the_new_doc_and_keeps_every_body_helper_and_import() -> None:
    theirs = OLD.replace("Return a plus b.", "Return the sum of a and b.").replace(
        '"""Counts up."""', '"""Counts up from a start."""'
    )
    outcome = merged(theirs)
    assert outcome.set_aside == ()
    assert '"""Return the sum of a and b."""' in outcome.source
    assert '"""Counts up from a start."""' in outcome.source
    for name in ("add", "double", "Counter", "triple"):
        assert body_of(outcome.source, name) == body_of(OURS, name)
    assert "    # the helper keeps the body short\n    return _plus(a, b)\n" in outcome.source
    assert "import operator\n" in outcome.source
    assert outcome.source.index("def _plus(") < outcome.source.index("def add(")


def test_a_changed_signature_makes_a_stub_and_sets_the_old_body_aside_with_its_helpers() -> None:
    theirs = OLD.replace("def add(a: int, b: int)", "def add(a: int, b: int, c: int = 0)")
    outcome = merged(theirs)
    assert code_of(outcome.source, "add") == code_of(theirs, "add")
    (aside,) = outcome.set_aside
    assert (aside.name, aside.reason) == ("calc.arith:add", "signature changed")
    assert aside.source.startswith("import operator\n")
    assert "def _plus(a: int, b: int) -> int:" in aside.source
    assert "return _plus(a, b)" in aside.source
    ast.parse(aside.source)
    # _plus served only the old body, which is set aside with it; the import goes too.
    assert "_plus" not in outcome.source and "operator" not in outcome.source
    for name in ("double", "Counter", "triple"):
        assert body_of(outcome.source, name) == body_of(OURS, name)


def test_a_class_keeps_its_helper_methods_unless_a_rendered_method_changed() -> None:
    kept = merged(OLD.replace("Counts up.", "Counts."))
    assert "def _bump(self) -> None:" in kept.source
    assert body_of(kept.source, "Counter") == body_of(OURS, "Counter")

    theirs = OLD.replace("def incr(self) -> int:", "def incr(self, by: int = 1) -> int:")
    outcome = merged(theirs)
    assert code_of(outcome.source, "Counter") == code_of(theirs, "Counter")
    assert [(a.name, a.reason) for a in outcome.set_aside] == [
        ("calc.arith:Counter", "signature changed")
    ]
    assert "def _bump(self) -> None:" in outcome.set_aside[0].source


def test_a_unit_removed_from_the_spec_is_set_aside_and_a_hand_written_one_stays() -> None:
    double = (
        '\n\ndef double(x: int) -> int:\n    """Return twice x."""\n    raise NotImplementedError\n'
    )
    theirs = OLD.replace(double, "").replace('"Counter", "add", "double"', '"Counter", "add"')
    outcome = merged(theirs)
    assert "def double" not in outcome.source
    assert [(a.name, a.reason) for a in outcome.set_aside] == [
        ("calc.arith:double", "removed from the spec")
    ]
    assert "return x * 2" in outcome.set_aside[0].source
    assert body_of(outcome.source, "triple") == body_of(OURS, "triple")
    assert '__all__ = ["Counter", "add"]' in outcome.source


def test_code_with_no_place_in_the_new_render_is_set_aside() -> None:
    ours = OURS.replace('__all__ = ["Counter", "add", "double"]', '__all__ = ["add"]\nprint(1)')
    theirs = OLD.replace("Return a plus b.", "Return the sum.")
    outcome = merged(theirs, ours=ours)
    (aside,) = outcome.set_aside
    assert (aside.name, aside.reason) == (MODULE, "no place in the new render")
    assert aside.source == '__all__ = ["add"]\n\n\nprint(1)\n'
    assert '__all__ = ["Counter", "add", "double"]' in outcome.source


def test_a_new_base_and_a_new_field_keep_the_class_bodies() -> None:
    def restructured(source: str) -> str:
        return source.replace("class Counter:", "class Counter(object):").replace(
            '    """Counts up."""\n', '    """Counts up."""\n\n    step: int = 1\n'
        )

    outcome = merged(restructured(OLD))
    assert outcome.set_aside == ()
    assert "class Counter(object):\n" in outcome.source
    assert "    step: int = 1\n" in outcome.source
    assert body_of(outcome.source, "Counter") == body_of(restructured(OURS), "Counter")


PROPERTY_OLD = OLD.replace(
    '''    def incr(self) -> int:
        """Add one."""
        raise NotImplementedError
''',
    '''    @property
    def count(self) -> int:
        """The count."""
        raise NotImplementedError

    @count.setter
    def count(self, value: int) -> None:
        """Set the count."""
        raise NotImplementedError
''',
)


def test_a_property_and_its_setter_are_carried_apart() -> None:
    ours = (
        PROPERTY_OLD.replace(
            '"""Create a new Counter."""\n        raise NotImplementedError',
            '"""Create a new Counter."""\n        self._count = start',
        )
        .replace(
            '"""The count."""\n        raise NotImplementedError',
            '"""The count."""\n        return self._count',
        )
        .replace(
            '"""Set the count."""\n        raise NotImplementedError',
            '"""Set the count."""\n        self._count = value',
        )
    )
    kept = merged(PROPERTY_OLD.replace("Counts up.", "Counts."), ours, PROPERTY_OLD)
    assert kept.set_aside == ()
    assert body_of(kept.source, "Counter") == body_of(ours, "Counter")

    theirs = PROPERTY_OLD.replace("def count(self, value: int)", "def count(self, value: float)")
    outcome = merged(theirs, ours, PROPERTY_OLD)
    assert [(a.name, a.reason) for a in outcome.set_aside] == [
        ("calc.arith:Counter", "signature changed")
    ]


OVERLOADED_OLD = '''"""Integer arithmetic."""

from __future__ import annotations

import typing

__all__ = ["parse"]


@typing.overload
def parse(value: str) -> int: ...
@typing.overload
def parse(value: bytes) -> int: ...
def parse(value: str | bytes) -> int:
    """Read an int."""
    raise NotImplementedError
'''


def test_an_overloaded_function_is_kept_by_its_implementation_signature() -> None:
    stub = '"""Read an int."""\n    raise NotImplementedError'
    ours = OVERLOADED_OLD.replace(stub, '"""Read an int."""\n    return int(value)')
    bytes_overload = "def parse(value: bytes) -> int: ...\n"
    float_overload = "@typing.overload\ndef parse(value: float) -> int: ...\n"
    # A new overload: the implementation still fits (the spec_hash sees the overloads).
    theirs = OVERLOADED_OLD.replace(bytes_overload, bytes_overload + float_overload)
    outcome = merged(theirs, ours, OVERLOADED_OLD)
    assert outcome.set_aside == ()
    assert "return int(value)" in outcome.source
    assert "def parse(value: float) -> int: ..." in outcome.source
    # The implementation's own signature changed: set aside, as any function's would be.
    changed = merged(theirs.replace("value: str | bytes)", "value: str | bytes | float)"), ours,
                     OVERLOADED_OLD)  # fmt: skip
    assert [(a.name, a.reason) for a in changed.set_aside] == [
        ("calc.arith:parse", "signature changed")
    ]
