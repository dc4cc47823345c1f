"""The lint gate: a candidate the project's `ruff check` still faults after its safe fixes.

Fills are formatted, and a correct body may still fail the project's lint (a bare `except:`,
`== True`, an unused variable). `filler.source.formatting.lint_fixed` applies ruff's safe fixes
and finds the rest; this gate, pure, turns the rest into a refusal the model can act on: every
problem with its line, rule and message, the first line shown with a caret. The flow
(`filler.fill.flow`) still runs such a candidate and ranks it below a clean one: it sends the
refusal back while rounds remain, and keeps a body that passes its tests at the last round
rather than lose a correct body over style.
"""

from __future__ import annotations

from collections.abc import Sequence

from filler.gates.judge import Gate, Rejected
from filler.source.formatting import LintProblem

__all__ = ["lint_rejection"]

_SHOWN = 5  # problems named in one refusal; the rest are counted


def lint_rejection(code: str, problems: Sequence[LintProblem]) -> Rejected | None:
    """A `Gate.LINT` refusal naming the problems ruff left in `code`; None when there are none."""
    if not problems:
        return None
    ordered = sorted(problems, key=lambda p: (p.line, p.column, p.rule))
    named = "; ".join(f"line {p.line}: {p.rule} {p.message}" for p in ordered[:_SHOWN])
    more = f"; and {len(ordered) - _SHOWN} more" if len(ordered) > _SHOWN else ""
    first = ordered[0]
    return Rejected(
        Gate.LINT,
        f"the project's `ruff check` fails: {named}{more}; write it so that it passes",
        first.line,
        _caret(code.split("\n"), first.line, first.column),
    )


def _caret(lines: Sequence[str], line: int, column: int) -> str:
    """The line with a caret under the 1-based character `column`, as ruff counts them."""
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    pad = "".join(char if char == "\t" else " " for char in text[: column - 1])
    return f"{text}\n{pad}^"
