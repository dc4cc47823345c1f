"""Keep a project's README in step with its spec and its filled demos.

The template renders two marked blocks into README.md:

    <!-- filler:features --> ... <!-- /filler:features -->   the features table, from the spec
    <!-- filler:usage --> ... <!-- /filler:usage -->         one section per feature: its demo's
                                                            code once `main()` is filled

`sync_readme` rewrites what is between the markers and nothing else; a README without them (one
a person rewrote) is left as it is. For a project whose demos are all stubs it returns exactly
what the template rendered, so a fresh render is already in sync and `copier update` sees the
template's own text. `sync_project_readme` is the I/O edge: it reads the project, and writes
README.md atomically only when the text changed.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from filler.project import Project
from filler.source.syntax import body_after_docstring, is_docstring, is_main_guard
from filler.source.units import find_units
from filler.spec.views import first_line
from filler.template_ext import md_cell
from filler.writer import atomic_write

__all__ = ["README", "Heading", "demo_code", "sync_project_readme", "sync_readme"]

README = "README.md"


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- filler:{name} -->\n)(.*?)(<!-- /filler:{name} -->)", re.DOTALL)


_FEATURES = _block("features")
_USAGE = _block("usage")


class Heading(Protocol):
    """What the README shows of a feature (a `FeatureView` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def module(self) -> str: ...
    @property
    def summary(self) -> str: ...


@dataclass(frozen=True)
class _Heading:
    name: str
    module: str
    summary: str


def sync_readme(readme: str, features: Sequence[Heading], demos: Mapping[str, str]) -> str:
    """`readme` with its features table and usage sections rebuilt.

    `features` are the spec's features in spec order; `demos` maps a feature name to the
    source of its `examples/<name>_demo.py` (a missing demo counts as not filled).
    """
    table = _features_table(features)
    usage = "".join(_usage_section(feature, demos.get(feature.name)) for feature in features)
    readme = _FEATURES.sub(lambda match: match[1] + table + match[3], readme, count=1)
    return _USAGE.sub(lambda match: match[1] + usage + "\n" + match[3], readme, count=1)


# The table and the stub sections are the text template/README.md.jinja renders, so that a fresh
# render is already in sync (tests/test_readme.py renders one to check).
def _features_table(features: Sequence[Heading]) -> str:
    rows = [
        f"| [`{f.module}`](src/{f.module.replace('.', '/')}.py) | {md_cell(f.summary)} "
        f"| [`examples/{f.name}_demo.py`](examples/{f.name}_demo.py) |"
        for f in features
    ]
    return "\n".join(["", "| Module | What it does | Demo |", "| --- | --- | --- |", *rows, "", ""])


def _usage_section(feature: Heading, demo: str | None) -> str:
    script = f"examples/{feature.name}_demo.py"
    code = demo_code(demo, feature.name) if demo is not None else None
    if code is None:
        body = f"`{script}` shows it at work once `filler fill` has written the demo.\n"
    else:
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", code)), default=0))
        body = f"{fence}python\n{code}{fence}\n\nRun it with `python {script}`.\n"
    return f"\n### `{feature.module}`\n\n{body}"


def demo_code(source: str, feature: str) -> str | None:
    """What a filled demo runs, as a reader would type it: its imports and helpers, then the
    body of `main()` without its docstring. None while `main()` is a stub (or unreadable)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    units = find_units(source, f"examples.{feature}_demo", Path("examples", f"{feature}_demo.py"))
    main = next((u for u in units if u.qualname == "main"), None)
    if main is None or main.is_stub:
        return None
    lines = source.splitlines(keepends=True)
    parts: list[str] = []
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "main":
            body = body_after_docstring(node)
        elif not (is_docstring(node) or is_main_guard(node)):
            parts.append(_text(lines, node))
    if body:
        start = body[0].lineno - 1
        while lines[start - 1].lstrip().startswith("#"):  # comments that open the body
            start -= 1
        parts.append(textwrap.dedent("".join(lines[start : body[-1].end_lineno])))
    return "\n".join(part.strip("\n") + "\n" for part in parts)


def _text(lines: Sequence[str], node: ast.stmt) -> str:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)]) - 1
    return "".join(lines[start : node.end_lineno])


def sync_project_readme(project: Project) -> bool:
    """Bring the project's README.md in step with its answers and demos; True if it changed.

    A project without README.md, or whose README has no markers, is left alone, as is one whose
    answers no longer name their features (a person's edit: `filler update` says what is wrong).
    """
    path = project.root / README
    headings = _headings(project)
    if headings is None or not path.is_file():
        return False
    readme = path.read_text(encoding="utf-8")
    demos = {}
    for heading in headings:
        demo = project.root / "examples" / f"{heading.name}_demo.py"
        if demo.is_file():
            demos[heading.name] = demo.read_text(encoding="utf-8")
    synced = sync_readme(readme, headings, demos)
    if synced == readme:
        return False
    atomic_write(path, synced)
    return True


def _headings(project: Project) -> list[_Heading] | None:
    """The features as the answers name them. Every fill ends here, so it reads only names and
    descriptions: validating the whole spec and building its views took a second at 200 units."""
    features = project.answers.get("features")
    if not isinstance(features, list):
        return None
    headings = []
    for feature in features:
        name = feature.get("name") if isinstance(feature, Mapping) else None
        description = feature.get("description", "") if isinstance(feature, Mapping) else None
        if not isinstance(name, str) or not isinstance(description, str):
            return None
        headings.append(_Heading(name, f"{project.package}.{name}", first_line(description)))
    return headings
