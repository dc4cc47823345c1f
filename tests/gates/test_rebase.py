"""Carrying a verdict over (filler/gates/rebase.py, carry_in_turn and judge_in_turn).

The property: whatever happened to the module between a candidate's judgement and its write
(other units filled, a hand edit, an import gone), `judge_in_turn` ends exactly where judging
every candidate again on the text the ones before it left ends: the same outcomes, the same
module text, the same body hashes. The reference below does that judging, with `judge` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filler.fill.extract import Candidate
from filler.gates.judge import (
    Accepted,
    Fits,
    InTurn,
    NoLongerFits,
    Pending,
    Rejected,
    carry_in_turn,
    judge,
    judge_in_turn,
)
from filler.gates.rebase import outline, rebase
from filler.source.units import find_unit
from tests.helpers.merge_cases import ALLOWED, MODULE, PATH

PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STUB = "    raise NotImplementedError\n"


def function(index: int, body: str = STUB, doc: bool = True) -> str:
    docstring = f'    """Return something about x ({index})."""\n' if doc else ""
    return f"def f{index}(x: int) -> int:\n{docstring}{body}"


def module(units: int, imports: str = "import math\n", helper: bool = True) -> str:
    parts = [f'"""A module."""\n\n{imports}\n_LIMIT = 10\n']
    if helper:
        parts.append("def _helper(x: int) -> int:\n    return x * 2\n")
    parts += [function(index, doc=index % 2 == 0) for index in range(units)]
    return "\n\n".join(parts)


# -- rebase and outline -------------------------------------------------------------------------


def test_rebase_moves_the_definition_and_keeps_every_other_line() -> None:
    base = module(3)
    merged = base.replace(function(1, doc=False), function(1, "    return x + 1\n", doc=False))
    current = base.replace(function(2), function(2, "    return _LIMIT\n"))
    moved = rebase(merged, base, current, "f1")
    assert moved == current.replace(
        function(1, doc=False), function(1, "    return x + 1\n", doc=False)
    )


def test_rebase_refuses_a_verdict_that_changed_more_than_its_definition() -> None:
    base = module(2, imports="")
    merged = base.replace(function(1, doc=False), function(1, "    return math.floor(x)\n", False))
    merged = "import math\n" + merged
    assert rebase(merged, base, base + "\n", "f1") is None


def test_rebase_refuses_when_the_definition_itself_changed_since() -> None:
    base = module(2)
    merged = base.replace(function(1, doc=False), function(1, "    return 1\n", doc=False))
    current = base.replace(function(1, doc=False), function(1, "    return 2\n", doc=False))
    assert rebase(merged, base, current, "f1") is None
    assert rebase(merged, base, current.replace("def f1", "def g1"), "f1") is None


def test_rebase_refuses_a_body_that_stops_binding_a_global() -> None:
    base = module(2).replace(STUB, "    global _SEEN\n    _SEEN = x\n    return x\n", 1)
    merged = base.replace("    global _SEEN\n    _SEEN = x\n", "")
    assert rebase(merged, base, base + "\n", "f0") is None
    assert rebase(base, merged, merged + "\n", "f0") is not None


def test_rebase_refuses_when_what_the_gates_read_changed() -> None:
    base = module(2)
    merged = base.replace(function(1, doc=False), function(1, "    return 1\n", doc=False))
    assert rebase(merged, base, base.replace("import math\n", ""), "f1") is None


def test_rebase_refuses_a_name_defined_twice() -> None:
    base = module(2) + "\n\n" + function(1)
    merged = base.replace(STUB, "    return 1\n", 1)
    assert rebase(merged, base, base + "\n", "f1") is None


def test_rebase_counts_lines_as_python_does() -> None:
    # A form feed is no line break for Python; str.splitlines would say it is.
    base = "import math\n\x0c\n" + module(2).replace("\n", "\r\n")
    merged = base.replace("raise NotImplementedError", "return 7", 1)
    current = base.replace("_LIMIT = 10", "_LIMIT = 10  # kept")
    moved = rebase(merged, base, current, "f0")
    assert moved == current.replace("raise NotImplementedError", "return 7", 1)


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda s: s.replace(function(1, doc=False), function(1, "    return 3\n", False)), True),
        (lambda s: s.replace("    return x * 2\n", "    return x * 3\n"), False),  # private
        (lambda s: s.replace("import math\n", ""), False),
        (lambda s: s.replace('(0)."""', '(zero)."""'), False),  # a docstring the prompt shows
        (lambda s: s.replace(STUB, "    global _SEEN\n    _SEEN = x\n    return x\n", 1), False),
        (lambda s: s.replace(STUB, "    return _missing(x)\n", 1), False),
        (lambda s: s + "\n_EXTRA = 1\n", False),
    ],
)
def test_outline_sees_everything_but_public_bodies(
    change: Callable[[str], str], same: bool
) -> None:
    base = module(3)
    assert (outline(change(base)) == outline(base)) is same


# -- carrying over in turn ----------------------------------------------------------------------


def pending(on: str, qualname: str, code: str) -> Pending | None:
    unit = find_unit(on, MODULE, PATH, qualname)
    assert unit is not None
    candidate = Candidate(code)
    verdict = judge(on, unit, candidate, ALLOWED)
    return Pending(qualname, candidate, on, verdict) if isinstance(verdict, Accepted) else None


def judged_again(source: str, items: list[Pending]) -> InTurn:
    """The reference: every candidate judged again, unless judged on this very text."""
    outcomes: InTurn = []
    for item in items:
        unit = find_unit(source, MODULE, PATH, item.qualname)
        if unit is None:
            outcomes.append(NoLongerFits(f"{item.qualname} is no longer in {PATH}"))
            continue
        verdict = item.verdict
        if source != item.judged_on:
            verdict = judge(source, unit, item.candidate, ALLOWED)  # type: ignore[assignment]
        if isinstance(verdict, Rejected):
            reason = f"the file changed during the run; the body no longer fits: {verdict.reason}"
            outcomes.append(NoLongerFits(reason))
            continue
        outcomes.append(Fits(unit, verdict))
        source = verdict.module_source
    return outcomes


def test_bodies_filled_meanwhile_are_carried_over_without_judging() -> None:
    base = module(3)
    items = [pending(base, f"f{i}", function(i, f"    return x + {i}\n", False)) for i in (0, 1)]
    assert all(items)
    done = [item for item in items if item is not None]
    filled = judged_again(base, done[:1])
    assert isinstance(filled[0], Fits)
    current = filled[0].verdict.module_source
    carried = carry_in_turn(current, MODULE, PATH, done[1:])
    assert carried is not None
    assert carried == judged_again(current, done[1:])
    assert carried == judge_in_turn(current, MODULE, PATH, done[1:], ALLOWED)


def test_a_candidate_that_adds_a_helper_needs_judging() -> None:
    base = module(2)
    first = pending(base, "f0", function(0, "    return 0\n"))
    helped = "def _twice(x: int) -> int:\n    return 2 * x\n\n\n"
    second = pending(base, "f1", helped + function(1, "    return _twice(x)\n", False))
    assert first is not None and second is not None
    landed = judged_again(base, [first])[0]
    assert isinstance(landed, Fits)
    current = landed.verdict.module_source
    assert carry_in_turn(current, MODULE, PATH, [second]) is None
    outcome = judge_in_turn(current, MODULE, PATH, [second], ALLOWED)
    assert outcome == judged_again(current, [second])
    assert isinstance(outcome[0], Fits)
    assert "def _twice" in outcome[0].verdict.module_source


BODIES = [
    "    return x + {i}\n",
    "    return _helper(x) + _LIMIT\n",
    "    return math.floor(x / 2)\n",  # needs `import math`: added when it is gone
    "    return len(os.sep) + x\n",  # `os` is never imported in the module: added
    "    global _SEEN\n    _SEEN = x\n    return x\n",
    "    return _SEEN\n",  # defined only by another body's `global`
    "    return _twice{i}(x)\n",  # with its own helper
    "    return f{j}(x) + 1\n",  # calls another unit
]
EDITS = ["none", "drop-import", "rewrite-body", "new-constant", "helper-body"]


@dataclass(frozen=True)
class Scenario:
    units: int
    filled_first: list[tuple[int, int]]  # (unit, body) filled before the pending ones
    edit: str
    later: list[tuple[int, int, bool]]  # (unit, body, judged on the base text)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    units = draw(st.integers(2, 5))
    body = st.integers(0, len(BODIES) - 1)
    index = st.integers(0, units - 1)
    filled = draw(st.lists(st.tuples(index, body), max_size=3, unique_by=lambda pair: pair[0]))
    later = draw(
        st.lists(
            st.tuples(index, body, st.booleans()), min_size=1, max_size=4, unique_by=lambda t: t[0]
        )
    )
    return Scenario(units, filled, draw(st.sampled_from(EDITS)), later)


def reply(unit: int, body: int, units: int) -> str:
    code = BODIES[body].format(i=unit, j=(unit + 1) % units)
    helper = f"def _twice{unit}(x: int) -> int:\n    return 2 * x\n\n\n" if "_twice" in code else ""
    return helper + function(unit, code, doc=unit % 2 == 0)


def edited(source: str, edit: str, filled: list[int]) -> str:
    if edit == "drop-import":
        return source.replace("import math\n", "")
    if edit == "rewrite-body" and filled:
        text = function(filled[0], STUB, filled[0] % 2 == 0).split("\n")[0]
        start = source.index(text)
        end = source.index("\n\n\n", start) if "\n\n\n" in source[start:] else len(source)
        return (
            source[:start] + function(filled[0], "    return -x", filled[0] % 2 == 0) + source[end:]
        )
    if edit == "new-constant":
        return source + "\n_EXTRA = 1\n"
    if edit == "helper-body":
        return source.replace("    return x * 2\n", "    return x * 4\n")
    return source


@PROPERTIES
@given(scenarios())
def test_carrying_over_ends_where_judging_again_ends(scenario: Scenario) -> None:
    base = module(scenario.units)
    earlier = [
        item
        for unit, body in scenario.filled_first
        if (item := pending(base, f"f{unit}", reply(unit, body, scenario.units))) is not None
    ]
    source = base
    for outcome in judged_again(base, earlier):
        if isinstance(outcome, Fits):
            source = outcome.verdict.module_source
    filled = [int(item.qualname[1:]) for item in earlier]
    current = edited(source, scenario.edit, filled)
    items = [
        item
        for unit, body, on_base in scenario.later
        if (
            item := pending(
                base if on_base else source, f"f{unit}", reply(unit, body, scenario.units)
            )
        )
        is not None
    ]
    expected = judged_again(current, items)
    assert judge_in_turn(current, MODULE, PATH, items, ALLOWED) == expected
    carried = carry_in_turn(current, MODULE, PATH, items)
    assert carried is None or carried == expected
