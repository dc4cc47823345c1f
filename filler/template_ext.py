"""The Jinja extension the Copier template loads: spec checks, views and filters.

`copier.yml` lists `filler.template_ext.SpecExtension` in `_jinja_extensions` (every released
template version names this path). It gives the template:

- `spec_error(question)`: the validator of every question; the problems `filler.spec` finds in
  the answers so far that belong to that question, one per line (empty when there are none).
- `spec_view()` / `feature_view(name)`: the validated spec as `filler.spec.views` builds it.
- filters `pyformat` (format a whole Python file with ruff, using the project's settings),
  `ruff_target` ("3.10" -> "py310"), `quoted` (a double-quoted string valid in TOML and YAML)
  and `md_cell` (text safe inside a Markdown table cell); the global `ruff_line_length`.

Layout stays in the template; the Python here only turns spec values into exact source text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

from filler.source.formatting import format_python
from filler.spec.model import Spec, spec_errors, validate_spec
from filler.spec.views import RUFF_LINE_LENGTH, FeatureView, SpecView, build_view

__all__ = ["SpecExtension", "md_cell", "quoted", "ruff_target"]


def ruff_target(python_min: str) -> str:
    """The ruff `target-version` for a `python_min` answer: "3.10" -> "py310"."""
    return "py" + python_min.replace(".", "")


@lru_cache(maxsize=8)
def _view_of(answers_json: str) -> SpecView:
    return build_view(validate_spec(json.loads(answers_json)))


def _answers(ctx: Context) -> dict[str, Any]:
    return {key: ctx[key] for key in Spec.model_fields if key in ctx}


@pass_context
def spec_view(ctx: Context) -> SpecView:
    # Every rendered file asks for the view; validating and building it once per spec is enough.
    return _view_of(json.dumps(_answers(ctx), sort_keys=True, default=str))


@pass_context
def feature_view(ctx: Context, name: str) -> FeatureView:
    return spec_view(ctx).feature(name)


@pass_context
def spec_error(ctx: Context, question: str) -> str:
    """Problems with the answers so far that belong to `question`, one per line."""
    problems = spec_errors(_answers(ctx))
    return "\n".join(str(p) for p in problems if _belongs(p.field, question))


def _belongs(field: str, question: str) -> bool:
    return field == question or field.startswith((question + "[", question + "."))


@pass_context
def pyformat(ctx: Context, source: str) -> str:
    return format_python(
        source,
        line_length=RUFF_LINE_LENGTH,
        target_version=ruff_target(str(ctx.get("python_min", "3.10"))),
    )


_QUOTED_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quoted(value: object) -> str:
    """A double-quoted string that TOML and YAML both read back as `str(value)`."""
    return '"' + "".join(_quoted_char(ch) for ch in str(value)) + '"'


def _quoted_char(ch: str) -> str:
    if ch in _QUOTED_ESCAPES:
        return _QUOTED_ESCAPES[ch]
    if ch.isprintable():
        return ch
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def md_cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


class SpecExtension(Extension):
    """Registers the spec checks, the views and the filters on the template's environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals.update(
            spec_error=spec_error,
            spec_view=spec_view,
            feature_view=feature_view,
            ruff_line_length=RUFF_LINE_LENGTH,
        )
        filters: Mapping[str, Any] = {
            "pyformat": pyformat,
            "ruff_target": ruff_target,
            "quoted": quoted,
            "md_cell": md_cell,
        }
        environment.filters.update(filters)
