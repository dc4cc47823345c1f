"""filler.gates.judge on the class shapes real packages have (issue 19): static and class
methods, properties with setters, constructors that do nothing or that the spec leaves out,
async methods and generators, and the parts of a module the spec fixed whole.

The replies are correct reference code in the shape published solutions have; each was
refused before issue 19's fix, or must stay refused.
"""

from __future__ import annotations

import ast
import asyncio
import sys
import types
from typing import Any

import pytest

from filler.fill.extract import Candidate
from filler.gates.judge import Accepted, AllowedImports, Gate, Rejected, judge
from filler.project import import_names
from tests.helpers.merge_cases import clean, fill, structure_problems, unit_named

ARRANGEMENTS = '''
    """Count arrangements."""

    import itertools

    __all__ = ["ArrangementCalculator"]


    class ArrangementCalculator:
        """Arrangements of a list of items."""

        def __init__(self, datas: list[int]) -> None:
            """Keep the items."""
            raise NotImplementedError

        @staticmethod
        def count(n: int, m: int | None = None) -> int:
            """Arrangements of m out of n items (all n when m is None)."""
            raise NotImplementedError

        @staticmethod
        def factorial(n: int) -> int:
            """n!"""
            raise NotImplementedError

        def select(self, m: int | None = None) -> list[list[int]]:
            """Every arrangement of m of the items."""
            raise NotImplementedError
'''

ARRANGEMENTS_REPLY = """
    import itertools


    class ArrangementCalculator:
        def __init__(self, datas):
            self.datas = datas

        @staticmethod
        def count(n, m=None):
            if m is None or n == m:
                return ArrangementCalculator.factorial(n)
            return ArrangementCalculator.factorial(n) // ArrangementCalculator.factorial(n - m)

        @staticmethod
        def factorial(n):
            result = 1
            for i in range(2, n + 1):
                result *= i
            return result

        def select(self, m=None):
            if m is None:
                m = len(self.datas)
            return [list(p) for p in itertools.permutations(self.datas, m)]
"""

TEMPERATURE = '''
    """Temperatures."""

    from collections.abc import Iterator
    from typing import Self

    __all__ = ["Temperature"]


    class Temperature:
        """A temperature, kept in Celsius."""

        def __init__(self, celsius: float = 0.0) -> None:
            """Start at `celsius`."""
            raise NotImplementedError

        @classmethod
        def from_fahrenheit(cls, degrees: float) -> Self:
            """The temperature `degrees` Fahrenheit is."""
            raise NotImplementedError

        @property
        def fahrenheit(self) -> float:
            """The temperature in Fahrenheit."""
            raise NotImplementedError

        @fahrenheit.setter
        def fahrenheit(self, degrees: float) -> None:
            """Set it in Fahrenheit."""
            raise NotImplementedError

        async def settle(self) -> float:
            """Wait a moment and return the temperature."""
            raise NotImplementedError

        def steps(self, to: float) -> Iterator[float]:
            """Whole degrees from here towards `to`."""
            raise NotImplementedError
'''

TEMPERATURE_REPLY = """
    import asyncio


    class Temperature:
        def __init__(self, celsius=0.0):
            self._celsius = celsius

        @classmethod
        def from_fahrenheit(cls, degrees):
            return cls((degrees - 32) * 5 / 9)

        @property
        def fahrenheit(self):
            return self._celsius * 9 / 5 + 32

        @fahrenheit.setter
        def fahrenheit(self, degrees):
            self._celsius = (degrees - 32) * 5 / 9

        async def settle(self):
            await asyncio.sleep(0)
            return self._celsius

        def steps(self, to):
            step = 1 if to >= self._celsius else -1
            value = self._celsius
            while (to - value) * step > 0:
                yield value
                value += step
"""


def judged(skeleton: str, reply: str, qualname: str | None = None) -> Accepted | Rejected:
    verdict = fill(clean(skeleton), f"```python\n{clean(reply)}```\n", qualname)
    assert isinstance(verdict, Accepted | Rejected), verdict
    return verdict


def accepted(skeleton: str, reply: str, qualname: str | None = None) -> Accepted:
    verdict = judged(skeleton, reply, qualname)
    assert isinstance(verdict, Accepted), verdict
    unit = unit_named(clean(skeleton), qualname)
    assert structure_problems(clean(skeleton), verdict.module_source, unit) == []
    return verdict


def run(module_source: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The merged module's namespace, imported as a module (dataclasses look it up)."""
    module = types.ModuleType("textkit_merged")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(module_source, "merged.py", "exec"), module.__dict__)
    return module.__dict__


def test_a_class_of_static_methods_is_accepted_and_behaves(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = accepted(ARRANGEMENTS, ARRANGEMENTS_REPLY)
    calculator = run(verdict.module_source, monkeypatch)["ArrangementCalculator"]
    assert calculator.count(4, 2) == 12
    assert calculator([1, 2]).select() == [[1, 2], [2, 1]]
    assert "    @staticmethod\n    def count(n: int, m: int | None = None) -> int:" in (
        verdict.module_source
    )


def test_the_repair_advice_for_a_static_method_keeps_its_decorator() -> None:
    reply = ARRANGEMENTS_REPLY.replace(
        "@staticmethod\n        def count(n, m=None):", "def count(self, n, m=None):"
    )
    verdict = judged(ARRANGEMENTS, reply)
    assert isinstance(verdict, Rejected)
    assert verdict.gate is Gate.SIGNATURE
    assert "`@staticmethod def count(n: int, m: int | None = None) -> int:`" in verdict.reason


def test_class_methods_properties_with_setters_async_and_generators_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = unit_named(clean(TEMPERATURE))
    assert unit.targets == (
        "__init__",
        "from_fahrenheit",
        "fahrenheit",
        "fahrenheit.setter",
        "settle",
        "steps",
    )
    verdict = accepted(TEMPERATURE, TEMPERATURE_REPLY)
    temperature = run(verdict.module_source, monkeypatch)["Temperature"]
    warm = temperature.from_fahrenheit(212)
    assert warm.fahrenheit == 212
    warm.fahrenheit = 32
    assert asyncio.run(warm.settle()) == 0
    assert list(temperature(0).steps(3)) == [0, 1, 2]
    merged = verdict.module_source
    assert "    @fahrenheit.setter\n    def fahrenheit(self, degrees: float) -> None:\n" in merged
    assert '        """Set it in Fahrenheit."""\n        self._celsius = (degrees' in merged


def test_a_property_reply_without_its_setter_names_the_setter() -> None:
    reply = TEMPERATURE_REPLY.replace(
        "        @fahrenheit.setter\n"
        "        def fahrenheit(self, degrees):\n"
        "            self._celsius = (degrees - 32) * 5 / 9\n",
        "",
    )
    verdict = judged(TEMPERATURE, reply)
    assert isinstance(verdict, Rejected)
    assert (verdict.gate, verdict.reason) == (
        Gate.TARGET,
        "the class Temperature must also define `@fahrenheit.setter def fahrenheit`; write them",
    )


def test_a_setter_the_spec_does_not_give_is_a_new_public_method() -> None:
    skeleton = '''
        class Box:
            """A box."""

            def __init__(self) -> None:
                """Empty."""
                raise NotImplementedError

            @property
            def size(self) -> int:
                """How much it holds."""
                raise NotImplementedError
    '''
    reply = """
        class Box:
            def __init__(self):
                self._size = 0

            @property
            def size(self):
                return self._size

            @size.setter
            def size(self, value):
                self._size = value
    """
    verdict = judged(skeleton, reply)
    assert isinstance(verdict, Rejected)
    assert verdict.gate is Gate.HELPERS
    assert verdict.reason.startswith("Box.size.setter would be a new public method")


GREETER = '''
    class Greeter:
        """Says hello."""

        def __init__(self) -> None:
            """Nothing to set up."""
            raise NotImplementedError

        def hello(self, name: str) -> str:
            """A greeting for `name`."""
            raise NotImplementedError
'''


def test_a_constructor_that_correctly_does_nothing_is_not_a_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = """
        class Greeter:
            def __init__(self):
                pass

            def hello(self, name):
                return f"Hello, {name}!"
    """
    verdict = accepted(GREETER, reply)
    assert run(verdict.module_source, monkeypatch)["Greeter"]().hello("Ada") == "Hello, Ada!"


@pytest.mark.parametrize("body", ["...", "pass\n                ...", '"""Nothing."""'])
def test_a_constructor_of_dots_or_only_a_docstring_is_still_a_placeholder(body: str) -> None:
    reply = f"""
        class Greeter:
            def __init__(self):
                {body}

            def hello(self, name):
                return f"Hello, {{name}}!"
    """
    verdict = judged(GREETER, reply)
    assert isinstance(verdict, Rejected)
    assert verdict.gate is Gate.STUB
    assert verdict.reason.startswith("__init__ still has")


def test_other_methods_of_only_pass_stay_placeholders() -> None:
    reply = """
        class Greeter:
            def __init__(self):
                pass

            def hello(self, name):
                pass
    """
    verdict = judged(GREETER, reply)
    assert isinstance(verdict, Rejected)
    assert (verdict.gate, verdict.reason.split(" still")[0]) == (Gate.STUB, "hello")


COUNTER = '''
    class WordCounter:
        """Counts the words it is fed."""

        def feed(self, text: str) -> int:
            """Count the words of `text`; the total so far."""
            raise NotImplementedError
'''


def test_a_constructor_the_spec_leaves_out_is_not_a_new_public_method(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = """
        class WordCounter:
            def __init__(self):
                self.total = 0

            def feed(self, text):
                self.total += len(text.split())
                return self.total
    """
    verdict = accepted(COUNTER, reply)
    merged = verdict.module_source
    # The constructor goes first, where a reader looks for it.
    assert merged.index("def __init__") < merged.index("def feed")
    counter = run(merged, monkeypatch)["WordCounter"]()
    assert [counter.feed("a b"), counter.feed("c")] == [2, 3]


POINT = '''
    from dataclasses import dataclass


    @dataclass
    class Point:
        """A point."""

        x: int
        y: int

        def norm(self) -> int:
            """Manhattan norm."""
            raise NotImplementedError
'''


def test_a_data_class_gets_no_constructor_of_the_models() -> None:
    skeleton = POINT
    reply = """
        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y

            def norm(self):
                return abs(self.x) + abs(self.y)
    """
    # With its header left bare or written out, the class is the skeleton's dataclass.
    with_header = reply.replace("class Point:", "@dataclass\n        class Point:")
    for written in (reply, with_header):
        verdict = judged(skeleton, written)
        assert isinstance(verdict, Rejected)
        assert verdict.gate is Gate.HELPERS
        assert verdict.reason.startswith("Point.__init__ would be a new public method")


def test_a_second_constructor_is_still_refused_when_the_class_has_one() -> None:
    skeleton = GREETER.replace(
        '"""Nothing to set up."""\n            raise NotImplementedError',
        '"""Nothing to set up."""\n            self.n = 0',
    )
    reply = """
        class Greeter:
            def __init__(self):
                self.n = 1

            def hello(self, name):
                return name
    """
    # A filled constructor is no target: the reply's other one is ignored, never merged.
    verdict = accepted(skeleton, reply)
    assert "self.n = 0" in verdict.module_source
    assert "self.n = 1" not in verdict.module_source


INVENTORY = '''
    """Stock levels."""

    from dataclasses import dataclass
    from enum import Enum

    __all__ = ["Inventory", "Item", "Kind", "OutOfStock", "MAX_ITEMS"]

    MAX_ITEMS = 100


    class OutOfStock(LookupError):
        """Raised when there is not enough of an item."""


    class Kind(Enum):
        """What an item is."""

        TOOL = "tool"
        PART = "part"


    @dataclass(frozen=True)
    class Item:
        """One kind of thing in stock."""

        name: str
        kind: Kind = Kind.PART


    class Inventory:
        """Items and how many of each."""

        limit: int = MAX_ITEMS

        def __init__(self) -> None:
            """Empty."""
            self._stock: dict[Item, int] = {}

        def add(self, item: Item, count: int = 1) -> int:
            """Add `count` of `item`; how many there are now."""
            raise NotImplementedError

        def take(self, item: Item, count: int = 1) -> int:
            """Take `count` of `item` out; OutOfStock if there are fewer."""
            raise NotImplementedError
'''

INVENTORY_REPLY = """
    class Inventory:
        def add(self, item, count=1):
            total = self._stock.get(item, 0) + count
            if total > self.limit:
                raise ValueError(f"at most {MAX_ITEMS} of {item.name}")
            self._stock[item] = total
            return total

        def take(self, item, count=1):
            have = self._stock.get(item, 0)
            if have < count:
                raise OutOfStock(item.name)
            self._stock[item] = have - count
            return have - count
"""


def test_a_body_that_uses_the_fixed_exceptions_fields_enums_and_constants_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verdict = accepted(INVENTORY, INVENTORY_REPLY, "Inventory")
    namespace = run(verdict.module_source, monkeypatch)
    inventory = namespace["Inventory"]()
    hammer = namespace["Item"]("hammer", namespace["Kind"].TOOL)
    assert inventory.add(hammer, 2) == 2
    with pytest.raises(namespace["OutOfStock"]):
        inventory.take(hammer, 5)


def whole_inventory() -> str:
    """The whole module echoed back with both methods written, as many models reply."""
    return (
        clean(INVENTORY)
        .replace(
            '''"""Add `count` of `item`; how many there are now."""
        raise NotImplementedError''',
            '''"""Add `count` of `item`; how many there are now."""
        self._stock[item] = self._stock.get(item, 0) + count
        return self._stock[item]''',
        )
        .replace(
            '''"""Take `count` of `item` out; OutOfStock if there are fewer."""
        raise NotImplementedError''',
            '''"""Take `count` of `item` out; OutOfStock if there are fewer."""
        if self._stock.get(item, 0) < count:
            raise OutOfStock(item.name)
        self._stock[item] -= count
        return self._stock[item]''',
        )
    )


def test_the_whole_module_echoed_back_unchanged_is_accepted() -> None:
    assert "raise NotImplementedError" not in whole_inventory()
    accepted(INVENTORY, whole_inventory(), "Inventory")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "class OutOfStock(LookupError):",
            "class OutOfStock(KeyError):",
            "leave OutOfStock as the module defines it; change only Inventory",
        ),
        (
            'PART = "part"',
            'PART = "part"\n    SUPPLY = "supply"',
            "leave Kind as the module defines it; change only Inventory",
        ),
        (
            "kind: Kind = Kind.PART",
            "kind: Kind = Kind.TOOL",
            "leave Item as the module defines it; change only Inventory",
        ),
        (
            "@dataclass(frozen=True)",
            "@dataclass",
            "leave Item as the module defines it; change only Inventory",
        ),
        (
            "MAX_ITEMS = 100",
            "MAX_ITEMS = 1000",
            "leave MAX_ITEMS as the module defines it; change only Inventory",
        ),
        (
            "limit: int = MAX_ITEMS",
            "limit: int = 10",
            "leave the class body of Inventory as it is; write only its methods",
        ),
        (
            "class Inventory:",
            "class Inventory(dict):",
            "keep the class header exactly as given: `class Inventory:`",
        ),
    ],
)
def test_a_change_to_what_the_spec_fixed_is_refused(old: str, new: str, reason: str) -> None:
    reply = whole_inventory()
    assert old in reply
    verdict = judged(INVENTORY, reply.replace(old, new, 1), "Inventory")
    assert isinstance(verdict, Rejected)
    assert verdict.reason.startswith(reason), verdict.reason


def test_an_echo_of_a_fixed_definition_may_differ_in_docstrings_and_pass_not_in_code() -> None:
    undocumented = whole_inventory().replace(
        '''    """One kind of thing in stock."""

''',
        "",
    )
    accepted(INVENTORY, undocumented, "Inventory")
    marker = whole_inventory().replace('"""Raised when there is not enough of an item."""', "pass")
    accepted(INVENTORY, marker, "Inventory")
    with_code = whole_inventory().replace(
        '"""Raised when there is not enough of an item."""', "code = 404"
    )
    verdict = judged(INVENTORY, with_code, "Inventory")
    assert isinstance(verdict, Rejected)
    assert verdict.reason.startswith("leave OutOfStock as the module defines it")


@pytest.mark.parametrize(
    ("requirement", "module"),
    [("PyPDF2>=3", "PyPDF2"), ("python-docx", "docx"), ("python-pptx==1.0", "pptx")],
)
def test_a_dependency_not_installed_here_is_allowed_under_its_import_name(
    requirement: str, module: str
) -> None:
    skeleton = clean('''
        def page_count(path: str) -> int:
            """How many pages the document at `path` has."""
            raise NotImplementedError
    ''')
    allowed = AllowedImports(package="textkit", third_party=frozenset(import_names(requirement)))
    code = f"import {module}\n\n\ndef page_count(path):\n    return len({module}.open(path))\n"
    verdict = judge(skeleton, unit_named(skeleton), Candidate(code, ()), allowed)
    assert isinstance(verdict, Accepted), verdict
    first = ast.parse(verdict.module_source).body[0]
    assert isinstance(first, ast.Import)
    assert first.names[0].name == module


def test_a_constructor_of_pass_with_a_placeholder_comment_is_still_a_placeholder() -> None:
    reply = """
        class Greeter:
            def __init__(self):
                pass  # rest of code

            def hello(self, name):
                return f"Hello, {name}!"
    """
    verdict = judged(GREETER, reply)
    assert isinstance(verdict, Rejected)
    assert verdict.gate is Gate.STUB
    assert "placeholder comment" in verdict.reason


def test_attribute_docstrings_in_a_module_echoed_back_are_no_top_level_code() -> None:
    skeleton = '''
        """Reports."""

        __all__ = ["SEPARATOR", "Report"]

        SEPARATOR = " | "
        """Between the columns of a report line."""


        class Report:
            """A report."""

            width: int = 10
            """How wide a line is."""

            def line(self, sku: str, count: int) -> str:
                """One line."""
                raise NotImplementedError
    '''
    reply = clean(skeleton).replace(
        '"""One line."""\n        raise NotImplementedError',
        '"""One line."""\n        return f"{sku}{SEPARATOR}{count}"[: self.width]',
    )
    verdict = accepted(skeleton, reply)
    assert run_line(verdict.module_source) == "A1 | 2"
    # A string of the model's own between the class's fields is as harmless: it is dropped.
    chatty = reply.replace('"""How wide a line is."""', '"""The width."""')
    assert "The width" not in accepted(skeleton, chatty).module_source


def run_line(module_source: str) -> str:
    namespace: dict[str, Any] = {}
    exec(compile(module_source, "merged.py", "exec"), namespace)
    return str(namespace["Report"]().line("A1", 2))


def test_decorators_and_a_class_header_left_out_are_the_skeletons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bare = ARRANGEMENTS_REPLY.replace("        @staticmethod\n", "")
    verdict = accepted(ARRANGEMENTS, bare)
    assert verdict.module_source.count("    @staticmethod\n") == 2
    calculator = run(verdict.module_source, monkeypatch)["ArrangementCalculator"]
    assert calculator.count(4, 2) == 12
    point = accepted(POINT, "class Point:\n    def norm(self):\n        return abs(self.x)\n")
    assert "@dataclass\nclass Point:\n" in point.module_source
    # Written, they must be the skeleton's.
    other = ARRANGEMENTS_REPLY.replace(
        "@staticmethod\n        def factorial", "@classmethod\n        def factorial"
    )
    verdict = judged(ARRANGEMENTS, other)
    assert isinstance(verdict, Rejected)
    assert (verdict.gate, verdict.reason) == (
        Gate.SIGNATURE,
        "keep the signature exactly as given: `@staticmethod def factorial(n: int) -> int:`; "
        "change only the body",
    )
    frozen = judged(
        POINT, "@dataclass(frozen=True)\nclass Point:\n    def norm(self):\n        return 0\n"
    )
    assert isinstance(frozen, Rejected)
    assert frozen.reason == "keep the class header exactly as given: `@dataclass class Point:`"
