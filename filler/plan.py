"""`filler plan`'s core: turn a short idea into a spec that a person reviews before anything is
rendered. Everything here is pure; `filler.api.plan` drives it with the provider and writes the
file.

The layers, outermost first: `plan_messages` (the refusal check, the first request) ->
`draft_flow` (a generator: yields the messages of each round, receives the reply, returns a
`Draft` or `NoDraft`) -> `draft_from_reply` and `plan_problems` (reply text in, spec mapping or
problems out); `review` lets a person accept, edit, regenerate or quit a draft.

A draft is checked with the same rules the template enforces (`filler.spec.model.spec_errors`), plus
two that `filler plan` promises on top: every parameter is typed and every function and method
has at least two examples. A draft with problems goes back to the model with all of them, for
at most `max_rounds` rounds; nothing is written until a draft passes (and, with a reviewer, is
accepted). An idea on the deny-list is refused before any model call, and so is a reply in
which the model itself refuses.

The replay provider's key for plan calls is `"plan"`: a replies file for `filler plan` is
`{"plan": ["<reply of round 1>", "<reply of round 2>", ...]}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from filler.errors import PlanFailed, SpecError, UserError
from filler.fill.extract import fenced_blocks
from filler.prompts import Prompts
from filler.providers.base import Message, Purpose, Reply, Request, replies_key
from filler.spec.model import Spec, spec_errors
from filler.spec.syntax import parse_params

__all__ = [
    "PLAN_KEY",
    "Accept",
    "Decision",
    "Draft",
    "NoDraft",
    "PlanResult",
    "Quit",
    "Regenerate",
    "Reviewer",
    "Unusable",
    "denied_topic",
    "draft_flow",
    "draft_from_reply",
    "no_draft_error",
    "plan_messages",
    "plan_problems",
    "plan_request",
    "regenerate_temperature",
    "review",
    "schema_outline",
]

PLAN_KEY = replies_key(Purpose.PLAN)
MIN_EXAMPLES = 2
# A spec is longer than one function body: room for a few features, whatever --max-tokens says.
_MAX_TOKENS = 2048
# Regenerating at temperature 0 would draw the same draft again.
_REGENERATE_TEMPERATURE = 0.7
_SHOWN_PROBLEMS = 5

# What `filler plan` never drafts, checked on the idea and the features before any model call.
_DENIED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.IGNORECASE))
    for topic, pattern in (
        ("malware", r"\bmalware\b|\bmalicious (?:code|software|payloads?)\b|\bcomputer virus"),
        ("ransomware", r"\bransomware\b|\bencrypts? (?:the )?victims?\b"),
        ("a keylogger", r"\bkey[- ]?loggers?\b|\b(?:log|record|captur)\w* (?:the )?keystrokes\b"),
        ("spyware", r"\bspyware\b|\bstalkerware\b|\brootkits?\b|\bbackdoors?\b|\btrojans?\b"),
        ("a botnet", r"\bbotnets?\b|\bcommand[- ]and[- ]control\b"),
        (
            "credential theft",
            r"\bcredential (?:theft|stealing|harvesting)\b"
            r"|\b(?:password|credential|cookie|token)s? (?:stealers?|grabbers?|harvesters?)\b"
            r"|\b(?:steal|harvest|exfiltrat|grab|sniff)\w*\b[^.\n]{0,40}\b(?:passwords?"
            r"|credentials?|logins?|cookies|session tokens?|api keys?|credit cards?)",
        ),
        ("a phishing kit", r"\bphishing\b"),
        ("a denial-of-service tool", r"\bddos\b|\bdenial[- ]of[- ]service\b"),
        ("cryptojacking", r"\bcryptojack\w*|\bhidden (?:crypto)?miner\b"),
    )
)
_APOSTROPHE = "['\u2019]"
_REFUSAL = re.compile(
    rf"\bI(?:{_APOSTROPHE}m| am)? (?:sorry,? but I )?"
    rf"(?:can(?:no|{_APOSTROPHE})t|cannot|won{_APOSTROPHE}t|will not|am unable to|am not able to"
    r"|must decline to) (?:help|assist|provide|create|write|draft|do|comply)"
    rf"|\bI must decline\b|\bI(?:{_APOSTROPHE}m| am) sorry, but\b",
    re.IGNORECASE,
)


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unusable:
    """A reply with no spec mapping in it. `reason` goes back to the model."""

    reason: str
    refused: bool = False


@dataclass(frozen=True)
class Draft:
    """A spec that passed every check, and what it took."""

    spec: Spec
    rounds: int
    model: str


@dataclass(frozen=True)
class NoDraft:
    """No usable spec: the problems of the last round (or the model's refusal)."""

    problems: tuple[str, ...]
    rounds: int
    refused: bool = False


@dataclass(frozen=True)
class Accept:
    """Write `text` (the draft as shown, or as the reviewer edited it; `spec` is its value)."""

    text: str
    spec: Spec


@dataclass(frozen=True)
class Regenerate:
    """Ask the model for a new draft."""


@dataclass(frozen=True)
class Quit:
    """Stop without writing anything."""


Decision = Accept | Regenerate | Quit
# Given the commented YAML of a valid draft, decide what to do with it.
Reviewer = Callable[[str], Decision]


@dataclass(frozen=True)
class PlanResult:
    path: Path
    spec: Spec | None  # None: the reviewer quit and nothing was written
    rounds: int  # model calls across every draft, regenerated ones included
    provider: str
    model: str

    @property
    def written(self) -> bool:
        return self.spec is not None


# --- the pure core -----------------------------------------------------------------------------


def denied_topic(*texts: str) -> str | None:
    """The deny-list topic that one of `texts` asks for, or None."""
    for topic, pattern in _DENIED:
        if any(pattern.search(text) for text in texts):
            return topic
    return None


def draft_from_reply(text: str) -> dict[str, Any] | Unusable:
    """The spec mapping in a reply: the first fenced block that is a YAML mapping, else the
    whole reply (after any reasoning block)."""
    candidates = fenced_blocks(text) or [re.split(r"</think>", text, flags=re.IGNORECASE)[-1]]
    first_error = ""
    for candidate in candidates:
        try:
            data = yaml.safe_load(candidate)
        except yaml.YAMLError as exc:
            first_error = first_error or _yaml_problem(exc)
            continue
        if isinstance(data, dict):
            return data
    refusal = _REFUSAL.search(text)
    if refusal:
        line = next(line for line in text[refusal.start() :].splitlines() if line.strip())
        return Unusable(line.strip(), refused=True)
    why = f" (the YAML does not parse: {first_error})" if first_error else ""
    return Unusable(f"the reply holds no YAML mapping{why}; send the spec in one ```yaml block")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} at line {mark.line + 1}" if mark is not None else str(problem)


def plan_problems(data: object) -> list[str]:
    """Every reason `data` is not yet a spec `filler plan` writes; empty when it is."""
    errors = spec_errors(data)
    if not errors and isinstance(data, Mapping):
        errors = list(_plan_rule_errors(Spec.model_validate(data)))
    return [str(error) for error in errors]


def _plan_rule_errors(spec: Spec) -> Iterator[SpecError]:
    """The rules `filler plan` adds to the template's: typed parameters, two examples each."""
    for i, feature in enumerate(spec.features):
        for j, func in enumerate(feature.functions):
            path = f"features[{i}].functions[{j}]"
            yield from _untyped(f"{path}.params", func.params, method=False)
            yield from _too_few_examples(path, len(func.examples))
        for j, klass in enumerate(feature.classes):
            path = f"features[{i}].classes[{j}]"
            if klass.init is not None:
                yield from _untyped(f"{path}.init", klass.init, method=True)
            for k, method in enumerate(klass.methods):
                mpath = f"{path}.methods[{k}]"
                yield from _untyped(f"{mpath}.params", method.params, method=True)
                yield from _too_few_examples(mpath, len(method.examples))


def _untyped(path: str, params: str, *, method: bool) -> Iterator[SpecError]:
    args = parse_params(params, method=method)
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    for arg in every[1:] if method else every:
        if arg.annotation is None:
            yield SpecError(path, f"parameter {arg.arg!r} has no type", "annotate it")


def _too_few_examples(path: str, count: int) -> Iterator[SpecError]:
    if count < MIN_EXAMPLES:
        yield SpecError(
            f"{path}.examples",
            f"has {count} example{'s' if count != 1 else ''}",
            f"give at least {MIN_EXAMPLES}, including an edge case",
        )


PlanFlow = Generator[tuple[Message, ...], Reply, Draft | NoDraft]


def draft_flow(
    first: tuple[Message, ...], repair: Callable[[Sequence[str]], Message], max_rounds: int
) -> PlanFlow:
    """Ask, check, re-ask with every problem; at most `max_rounds` model calls.

    A re-ask sends the first messages, the last reply and the problems, not the whole history,
    so the conversation stays within a small model's context.
    """
    messages = first
    problems: list[str] = []
    for rounds in range(1, max_rounds + 1):
        reply = yield messages
        if reply.finish_reason == "length":
            problems = ["the reply was cut off at the token limit; send a smaller spec"]
        else:
            found = draft_from_reply(reply.text)
            if isinstance(found, Unusable) and found.refused:
                return NoDraft((found.reason,), rounds, refused=True)
            problems = [found.reason] if isinstance(found, Unusable) else plan_problems(found)
            if not isinstance(found, Unusable) and not problems:
                return Draft(Spec.model_validate(found), rounds, reply.model)
        messages = (*first, Message("assistant", reply.text), repair(problems))
    return NoDraft(tuple(problems), max_rounds)


def schema_outline(schema: Mapping[str, Any]) -> str:
    """A compact field list of a pydantic JSON schema: one block per object, one line a field."""
    defs: Mapping[str, Any] = schema.get("$defs", {})
    order = [str(schema.get("title", "Spec"))]
    objects = {order[0]: schema, **defs}
    blocks = []
    for name in order:
        obj = objects[name]
        lines = [f"{name}: {obj.get('description', '')}".rstrip()]
        required = set(obj.get("required", ()))
        for field, prop in obj.get("properties", {}).items():
            kind, refs = _type_of(prop)
            order += [ref for ref in refs if ref not in order]
            facts = [kind, "required" if field in required else _default_of(prop)]
            if prop.get("minItems"):
                facts.append(f"at least {prop['minItems']}")
            note = f": {prop['description']}" if prop.get("description") else ""
            lines.append(f"  {field} ({', '.join(facts)}){note}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _type_of(prop: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A readable type and the object definitions it refers to."""
    if "$ref" in prop:
        name = str(prop["$ref"]).rsplit("/", 1)[-1]
        return name, [name]
    if "enum" in prop:
        return "one of " + " | ".join(map(str, prop["enum"])), []
    if "anyOf" in prop:
        parts = [_type_of(option) for option in prop["anyOf"]]
        return " or ".join(kind for kind, _ in parts), [r for _, refs in parts for r in refs]
    if prop.get("type") == "array":
        kind, refs = _type_of(prop.get("items", {}))
        return f"list of {kind}", refs
    return str(prop.get("type", "any")), []


def _default_of(prop: Mapping[str, Any]) -> str:
    default = prop.get("default")
    return "optional" if default in (None, "", []) else f"default {default!r}"


def review(
    text: str,
    *,
    show_draft: Callable[[str], None],
    show_problems: Callable[[Sequence[str]], None],
    choose: Callable[[], str],
    edit: Callable[[str], str | None],
) -> Decision:
    """Let a person accept, edit, regenerate or quit; an edited draft is checked again.

    `choose` returns "a", "e", "r" or "q"; `edit` returns the edited text (None when the editor
    was closed without saving). A draft with problems is shown with them and cannot be accepted.
    """
    data, problems = _parse_edit(text)
    show_draft(text)
    while True:
        if problems:
            show_problems(problems)
        choice = choose()
        if choice == "a" and not problems:
            return Accept(text, Spec.model_validate(data))
        if choice == "r":
            return Regenerate()
        if choice == "q":
            return Quit()
        if choice == "e":
            edited = edit(text)
            if edited is not None and edited != text:
                text = edited
                data, problems = _parse_edit(text)
                show_draft(text)


def _parse_edit(text: str) -> tuple[object, list[str]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [f"the YAML does not parse: {_yaml_problem(exc)}"]
    return data, plan_problems(data)


# --- what `filler.api.plan` asks of this module ---------------------------------------------------


def plan_messages(idea: str, features: Sequence[str], prompts: Prompts) -> tuple[Message, ...]:
    """The first request for `idea` and `features`.

    Raises `UserError` for an empty idea or one on the deny-list: before any model call.
    """
    features = [text.strip() for text in features if text.strip()]
    if not idea.strip():
        raise UserError('give the idea as text, e.g. filler plan "parse and format durations"')
    topic = denied_topic(idea, *features)
    if topic is not None:
        raise UserError(
            f"filler plan does not draft specs for {topic}; nothing was written. If this is "
            "defensive work (a detector, a scanner), write the spec by hand (see docs/spec.md)"
        )
    return prompts.plan(idea, features, schema_outline(Spec.model_json_schema()))


def plan_request(messages: tuple[Message, ...], temperature: float, max_tokens: int) -> Request:
    """One round's request; a spec is longer than a body, so it gets at least `_MAX_TOKENS`."""
    return Request(
        messages,
        purpose=Purpose.PLAN,
        temperature=temperature,
        max_tokens=max(max_tokens, _MAX_TOKENS),
    )


def regenerate_temperature(temperature: float) -> float:
    return max(temperature, _REGENERATE_TEMPERATURE)


def no_draft_error(outcome: NoDraft, output: Path) -> UserError | PlanFailed:
    """What to tell the user when no draft passed (or the model refused)."""
    if outcome.refused:
        return UserError(
            f"the model refused to draft this spec ({outcome.problems[0]}); nothing was written"
        )
    shown = "; ".join(outcome.problems[:_SHOWN_PROBLEMS])
    more = len(outcome.problems) - _SHOWN_PROBLEMS
    rounds = f"{outcome.rounds} round{'s' if outcome.rounds != 1 else ''}"
    return PlanFailed(
        f"no valid spec after {rounds}, so nothing was written to {output}. Last problems: "
        f"{shown}{f' (and {more} more)' if more > 0 else ''}. Try a stronger model (--provider, "
        "--model), more rounds, or write the spec by hand (see docs/spec.md)"
    )
