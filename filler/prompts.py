"""Chat messages rendered from the Jinja templates in `filler/prompts/`.

Every fill conversation starts with the same system message for the whole run and puts the
package-wide part before the unit-specific part, so providers that cache prompt prefixes can
reuse them across units.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import jinja2

from filler.providers.base import Message, PromptStyle
from filler.source.units import UnitKind

__all__ = [
    "MAX_PROMPT_CHARS",
    "Failure",
    "Feedback",
    "PromptContext",
    "PromptStyle",
    "Prompts",
    "prompt_too_long",
]

# About 50,000 tokens: many times what a unit's prompt needs, and a ceiling on what one unit may
# cost, whatever a docstring, a module or a test file grew to.
MAX_PROMPT_CHARS = 200_000


@dataclass(frozen=True)
class PromptContext:
    package: str
    package_description: str
    module: str
    feature_description: str
    qualname: str
    kind: UnitKind
    demo: bool  # a demo's main(): it must call the feature and print what it shows
    unit_source: str  # the unit as a stub, with its signature and docstring
    module_imports: str
    tests: str  # the visible tests' source
    siblings: str  # public signatures of the package
    third_party: tuple[str, ...]
    feature_module: str = ""  # for demos: the module it demonstrates, and its public names
    feature_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    name: str
    message: str
    trace: str
    line: str = ""  # the failing line of the test, when the trace shows it


@dataclass(frozen=True)
class Feedback:
    """Why the last candidate was not good enough; exactly one of the fields is set."""

    rejection: str | None = None  # a gate or extraction reason
    excerpt: str = ""
    failures: tuple[Failure, ...] = ()
    total: int = 0
    held_back: str = ""  # with failures: how many held-back tests failed, and nothing of them
    timed_out: bool = False
    timeout: float = 0.0
    script_output: str | None = None


def prompt_too_long(messages: Sequence[Message]) -> str:
    """Why a conversation is not sent (it is over `MAX_PROMPT_CHARS`), or ""."""
    size = sum(len(message.content) for message in messages)
    if size <= MAX_PROMPT_CHARS:
        return ""
    return (
        f"the prompt is {size:,} characters, over the limit of {MAX_PROMPT_CHARS:,}: "
        "shorten the unit's docstring, its module or its tests"
    )


@functools.cache
def _environment() -> jinja2.Environment:
    # One per process: compiling the templates costs more than a unit's own work in a fill.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("filler", "prompts"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # plain text for a model, not HTML
    )


class Prompts:
    """The prompt templates of one style, loaded from the package once per process."""

    def __init__(self, style: PromptStyle = PromptStyle.FULL) -> None:
        self.style = style

    def _render(self, name: str, **values: object) -> str:
        return _environment().get_template(name).render(**values).strip()

    def fill(self, ctx: PromptContext) -> tuple[Message, ...]:
        values = asdict(ctx)
        if self.style is PromptStyle.COMPACT:
            return (Message("user", self._render("fill_compact.j2", **values)),)
        return (
            Message("system", self._render("system.j2", **values)),
            Message("user", self._render("fill.j2", **values)),
        )

    def repair(self, ctx: PromptContext, feedback: Feedback) -> Message:
        name = "repair_compact.j2" if self.style is PromptStyle.COMPACT else "repair.j2"
        return Message("user", self._render(name, qualname=ctx.qualname, **asdict(feedback)))

    def truncated(self, ctx: PromptContext) -> Message:
        return Message("user", self._render("truncated.j2", qualname=ctx.qualname))

    def plan(self, idea: str, features: Sequence[str], outline: str) -> tuple[Message, ...]:
        """`filler plan`'s request: an idea (and wanted features) to a spec, given its outline."""
        text = self._render("plan.j2", idea=idea.strip(), features=features, outline=outline)
        return (Message("user", text),)

    def plan_repair(self, problems: Sequence[str]) -> Message:
        return Message("user", self._render("plan_repair.j2", problems=problems))

    def design_tests(self, ctx: PromptContext) -> tuple[Message, ...]:
        values = asdict(ctx)
        return (
            Message("system", self._render("system.j2", **values)),
            Message("user", self._render("design_tests.j2", **values)),
        )
