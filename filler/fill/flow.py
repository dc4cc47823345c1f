"""The programmer / test designer / test executor loop for one unit, as a generator.

`fill_flow` yields what it needs done and receives the result, the way httpx's auth flows do:

- `AskDesigner(messages, key, first_round)` -> the driver sends back the test designer's
  `Reply`s (none just means "no designed tests"); `first_round` is the `AskModel` that comes
  next, which does not depend on them: a driver may send both at once;
- `AskModel(messages, key, samples, round)` -> the driver sends back one `JudgedReply` per reply,
  made by `evaluate_reply` (pure, but CPU-heavy: the driver may run it in another process);
- `RunCandidate(module_source, designed_tests)` -> the driver sends back a `Check`.

Extraction, the gates, ranking and feedback happen here and in `evaluate_reply` without any I/O,
so the loop is tested without a provider, a subprocess or a file. Ranking follows CodeT: spec
examples first (authoritative: a candidate failing one is never accepted), designed tests next.
Held-back spec tests (`filler.fill.holdback`) count like the others, but repair feedback gives
only how many of them failed: the model never sees what it was not shown.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace

from filler.fill.extract import Candidate, ExtractFailure, extract, fenced_blocks
from filler.fill.holdback import held_back_notice, split_held_back
from filler.fill.runner import CaseOutcome, ScriptRun, TestResult
from filler.gates.judge import Accepted, AllowedImports, Gate, Rejected, judge
from filler.gates.lint import lint_rejection
from filler.prompts import Failure, Feedback, PromptContext, Prompts
from filler.providers.base import Message, Reply
from filler.source.formatting import Linted
from filler.source.units import Unit

__all__ = [
    "AskDesigner",
    "AskModel",
    "Check",
    "FlowOptions",
    "FlowResult",
    "JudgedReply",
    "RunCandidate",
    "Subject",
    "best_of",
    "designed_tests_from",
    "evaluate_reply",
    "fill_flow",
]


@dataclass(frozen=True)
class AskDesigner:
    messages: tuple[Message, ...]
    key: str  # the unit id
    first_round: AskModel | None = None  # what the flow asks next, whatever the designer says


@dataclass(frozen=True)
class AskModel:
    messages: tuple[Message, ...]
    key: str  # the unit id
    samples: int
    round: int


@dataclass(frozen=True)
class Subject:
    """What a reply is judged against: the unit, its module as it was read, its imports."""

    unit: Unit
    module_source: str
    allowed: AllowedImports
    format_code: Callable[[str], str]
    # The project's lint with its safe fixes (`filler.source.formatting.lint_fixed`); by
    # default none.
    lint_code: Callable[[str], Linted] = Linted


@dataclass(frozen=True)
class RunCandidate:
    module_source: str
    designed_tests: str | None


@dataclass(frozen=True)
class Check:
    """What running a candidate showed: spec tests (those the prompt showed, and the held-back
    ones it did not), designed tests, or the demo script."""

    spec: tuple[TestResult, ...] = ()
    designed: tuple[TestResult, ...] = ()
    timed_out: bool = False
    script: ScriptRun | None = None
    held_back: tuple[TestResult, ...] = ()  # spec tests too: they count as the others do

    @property
    def spec_passed(self) -> int:
        if self.script is not None:
            return int(self.script.ok)
        return sum(r.outcome is CaseOutcome.PASSED for r in (*self.spec, *self.held_back))

    @property
    def spec_total(self) -> int:
        return 1 if self.script is not None else len(self.spec) + len(self.held_back)

    @property
    def held_back_failed(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.held_back if r.outcome is not CaseOutcome.PASSED)

    @property
    def designed_passed(self) -> int:
        return sum(r.outcome is CaseOutcome.PASSED for r in self.designed)

    @property
    def all_passed(self) -> bool:
        return self.spec_passed == self.spec_total and self.designed_passed == len(self.designed)


@dataclass(frozen=True)
class JudgedReply:
    """One reply of the model, extracted and judged by the gates, and run once they accept it."""

    round: int
    reply: Reply
    candidate: Candidate | None = None
    rejection: str | None = None  # why extraction or a gate refused it
    gate: Gate | None = None  # which of them: set with `rejection`
    excerpt: str = ""
    truncated: bool = False
    verdict: Accepted | None = None  # set when the gates accepted it: the merged module
    judged_on: str = ""  # the module text it was merged into
    check: Check | None = None
    # What the project's `ruff check` still faults: it runs and ranks below a clean one, and
    # is sent back while rounds remain; at the last, a body passing its tests is kept anyway.
    lint: Rejected | None = None

    @property
    def module_source(self) -> str | None:
        return self.verdict.module_source if self.verdict else None

    @property
    def score(self) -> tuple[int, int, int, int]:
        """Higher is better: passes the gates, then spec tests passed, designed ones, lint."""
        if self.check is None:
            return (0, 0, 0, 0)
        return (1, self.check.spec_passed, self.check.designed_passed, int(self.lint is None))

    @property
    def acceptable(self) -> bool:
        return self.check is not None and self.check.spec_passed == self.check.spec_total


@dataclass(frozen=True)
class FlowOptions:
    max_rounds: int = 3
    samples: int = 1
    design_tests: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class FlowResult:
    accepted: JudgedReply | None
    attempts: tuple[JudgedReply, ...]
    rounds: int
    designed_tests: str | None = None
    reason: str = ""  # why nothing was accepted

    @property
    def best(self) -> JudgedReply | None:
        """The accepted reply, else the best of the rest: what the unit's record reports."""
        return self.accepted or best_of(self.attempts)


def best_of(attempts: Sequence[JudgedReply]) -> JudgedReply | None:
    """The highest-scoring reply; the first of equals."""
    return max(attempts, key=lambda a: a.score, default=None)


Step = AskDesigner | AskModel | RunCandidate
Received = Sequence[Reply] | Sequence[JudgedReply] | Check
Flow = Generator[Step, Received, FlowResult]


def designed_tests_from(text: str, module: str, qualname: str) -> str | None:
    """The test functions of a test designer's reply, with their imports; None if unusable."""
    for block in (*fenced_blocks(text), text):
        try:
            tree = ast.parse(block)
        except SyntaxError:
            continue
        kept = [
            node
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            or (isinstance(node, ast.FunctionDef) and node.name.startswith("test_"))
        ]
        if any(isinstance(n, ast.FunctionDef) for n in kept):
            header = f"from {module} import {qualname}\n"
            return header + "\n\n".join(ast.unparse(n) for n in kept) + "\n"
    return None


def evaluate_reply(reply: Reply, round_no: int, subject: Subject) -> JudgedReply:
    """Extract, format and judge one reply; a `JudgedReply`, either refused or runnable."""
    unit = subject.unit
    extracted = extract(reply.text, unit.qualname, reply.finish_reason)
    if isinstance(extracted, ExtractFailure):
        return JudgedReply(
            round_no,
            reply,
            rejection=extracted.reason,
            gate=Gate.EXTRACT,
            truncated=extracted.truncated,
        )
    linted = subject.lint_code(subject.format_code(extracted.code))
    candidate = Candidate(linted.code, extracted.notes)
    verdict = judge(subject.module_source, unit, candidate, subject.allowed)
    if isinstance(verdict, Rejected):
        return JudgedReply(
            round_no, reply, candidate, verdict.reason, verdict.gate, verdict.excerpt
        )
    assert isinstance(verdict, Accepted)
    lint = lint_rejection(candidate.code, linted.problems)
    return JudgedReply(
        round_no, reply, candidate, verdict=verdict, judged_on=subject.module_source, lint=lint
    )


def _feedback(attempt: JudgedReply, timeout: float) -> Feedback:
    if attempt.rejection is not None:
        return Feedback(rejection=attempt.rejection, excerpt=attempt.excerpt)
    check = attempt.check
    assert check is not None
    if check.all_passed and attempt.lint is not None:
        return Feedback(rejection=attempt.lint.reason, excerpt=attempt.lint.excerpt)
    if check.timed_out:
        return Feedback(timed_out=True, timeout=timeout)
    if check.script is not None:
        return Feedback(script_output=check.script.output or "the demo exited with an error")
    # What the model never saw stays unseen: of held-back tests it learns how many failed.
    designed, designed_held = split_held_back(check.designed)
    failing = [r for r in (*check.spec, *designed) if r.outcome is not CaseOutcome.PASSED]
    designed_held_failed = sum(r.outcome is not CaseOutcome.PASSED for r in designed_held)
    return Feedback(
        failures=tuple(
            Failure(r.node_id.rpartition("::")[2], r.message, r.trace, _failing_line(r.trace))
            for r in failing[:5]
        ),
        total=len(check.spec) + len(designed),
        held_back=held_back_notice(len(check.held_back_failed), designed_held_failed),
    )


def _failing_line(trace: str) -> str:
    """The source line pytest marks with `>` in a failure's trace."""
    marked = [line[1:].strip() for line in trace.splitlines() if line.startswith(">")]
    return marked[-1] if marked else ""


def _why_not(attempts: Sequence[JudgedReply]) -> str:
    best = best_of(attempts)
    if best is None:
        return "the provider gave no reply"
    if best.check is None:
        return f"every reply was refused; last: {attempts[-1].rejection}"
    check = best.check
    if check.timed_out:
        return "the best candidate timed out"
    if check.script is not None:
        return "the demo never ran to exit 0"
    passed = f"best candidate passed {check.spec_passed}/{check.spec_total} spec tests"
    held = [r.node_id.rpartition("::")[2] for r in check.held_back_failed]
    return f"{passed} (held-back examples failed: {', '.join(held)})" if held else passed


def fill_flow(ctx: PromptContext, unit: Unit, options: FlowOptions, prompts: Prompts) -> Flow:
    """Ask, judge, verify and repair one unit; return the best attempt passing its spec tests."""
    designed: str | None = None
    base = prompts.fill(ctx)
    if options.design_tests and not ctx.demo:
        first_round = AskModel(base, unit.id, options.samples, 1)
        replies = yield AskDesigner(prompts.design_tests(ctx), unit.id, first_round)
        assert not isinstance(replies, Check)
        drafts = (
            designed_tests_from(r.text, unit.module, unit.qualname)
            for r in replies
            if isinstance(r, Reply)
        )
        designed = next(filter(None, drafts), None)

    messages = base
    attempts: list[JudgedReply] = []
    best: JudgedReply | None = None
    rounds = 0
    for round_no in range(1, options.max_rounds + 1):
        rounds = round_no
        evaluated = yield AskModel(messages, unit.id, options.samples, round_no)
        assert not isinstance(evaluated, Check)
        if not evaluated:
            break
        this_round: list[JudgedReply] = []
        for attempt in evaluated:
            assert isinstance(attempt, JudgedReply)
            if attempt.module_source is not None:
                check = yield RunCandidate(attempt.module_source, designed)
                assert isinstance(check, Check)
                attempt = replace(attempt, check=check)
            this_round.append(attempt)
        attempts.extend(this_round)
        round_best = best_of(this_round)
        assert round_best is not None  # the round had replies
        if best is None or round_best.score > best.score:
            best = round_best
        if best.check is not None and best.check.all_passed and best.lint is None:
            break
        if round_best.truncated:
            follow_up = prompts.truncated(ctx)
        else:
            follow_up = prompts.repair(ctx, _feedback(round_best, options.timeout))
        messages = (*base, Message("assistant", round_best.reply.text), follow_up)

    accepted = best if best is not None and best.acceptable else None
    return FlowResult(
        accepted=accepted,
        attempts=tuple(attempts),
        rounds=rounds,
        designed_tests=designed,
        reason="" if accepted else _why_not(attempts),
    )
