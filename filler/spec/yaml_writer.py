"""The YAML `filler plan` writes: `commented_yaml(spec, idea=..., model=..., path=...)`.

The spec comes out under a header saying which model drafted it from which idea, what to review
and how to render it, with a note above the keys a reviewer most needs explained. The YAML is
written for people: block style, each example as one flow mapping on its own line, code in
double quotes where single quotes would have to be doubled, and an expected value plain (`5`)
wherever YAML reads it back as the same expression. Loading it and validating it gives the spec
back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from filler.spec.model import Spec

__all__ = ["commented_yaml"]


# Comments placed above top-level keys of a written spec, for its reviewer.
_KEY_NOTES = {
    "dependencies": ["Third-party distributions the filled code may import (PEP 508)."],
    "features": [
        "One module each: src/<package>/<name>.py, tests/test_<name>.py, examples/<name>_demo.py.",
        "Every example becomes a test that the filled code must pass.",
    ],
}
_EXAMPLE_ORDER = ("setup", "call", "expect", "raises", "scenario", "given", "check")


class _SpecDumper(yaml.SafeDumper):
    """Block style; examples as one flow mapping per line; code strings in double quotes."""


class _FlowMap(dict[str, Any]):
    pass


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = None
    if "\n" in text.strip():
        style = "|"
    elif "'" in text and '"' not in text and "\\" not in text:
        style = '"'  # Python code reads better without doubled single quotes
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_flow(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_SpecDumper.add_representer(str, _represent_str)
_SpecDumper.add_representer(_FlowMap, _represent_flow)


def _example(example: Mapping[str, Any]) -> _FlowMap:
    ordered = {key: example[key] for key in _EXAMPLE_ORDER if key in example}
    if "expect" in ordered:
        ordered["expect"] = _plain_expect(ordered["expect"])
    return _FlowMap(ordered)


def _plain_expect(text: str) -> object:
    """`5` rather than `'5'` where YAML reads the bare value back as the same expression."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    plain = isinstance(value, bool | int | float) and repr(value) == text
    return value if plain else text


def commented_yaml(spec: Spec, *, idea: str, model: str, path: str) -> str:
    """The spec as YAML under a header saying where it came from and what to do with it.

    Loading the YAML and validating it gives `spec` back.
    """
    data = spec.model_dump(mode="json", exclude_defaults=True)
    for feature in data["features"]:
        units = [*feature.get("functions", ())]
        units += [m for klass in feature.get("classes", ()) for m in klass.get("methods", ())]
        for unit in units:
            unit["examples"] = [_example(example) for example in unit.get("examples", ())]
    idea_lines = [f"#   {line}".rstrip() for line in idea.strip().splitlines()]
    header = [
        f"# Drafted by `filler plan` with {model} from the idea:",
        *idea_lines,
        "#",
        "# Review every field before rendering: the names, signatures and docs become the",
        "# package's API, and each example becomes a test. The format is in docs/spec.md.",
        "# Render it with:",
        f"#   filler new {path} {spec.package_name}",
    ]
    parts = ["\n".join(header) + "\n"]
    for key, value in data.items():
        notes = "".join(f"# {line}\n" for line in _KEY_NOTES.get(key, ()))
        body = yaml.dump({key: value}, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True,
                         width=100)  # fmt: skip
        parts.append(f"\n{notes}{body}" if notes else body)
    return "".join(parts)
