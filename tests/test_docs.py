"""The docs build strictly: the tool's own (mkdocs.yml at the root) and a filled project's."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmarks.throughput.run import table as throughput_table
from filler.lockfile import State
from filler.plan import PLAN_KEY
from filler.project import load_project
from filler.readme import sync_project_readme
from tests.helpers.projects import CHECKOUT, ProjectVenv, render, template_copy

DOCS = CHECKOUT / "docs"


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def nav_pages(config: Path) -> list[str]:
    def walk(items: object) -> list[str]:
        pages: list[str] = []
        for item in items if isinstance(items, list) else []:
            for value in item.values() if isinstance(item, dict) else [item]:
                pages += walk(value) if isinstance(value, list) else [str(value)]
        return pages

    return walk(yaml.safe_load(config.read_text("utf-8"))["nav"])


# --- the tool's docs -----------------------------------------------------------------------------


def test_the_tool_docs_build_strictly_with_every_page_in_the_nav(tmp_path: Path) -> None:
    built = mkdocs_build(CHECKOUT / "mkdocs.yml", tmp_path / "site")
    assert built.returncode == 0, built.stderr
    pages = nav_pages(CHECKOUT / "mkdocs.yml")
    assert sorted(pages) == sorted(p.name for p in DOCS.glob("*.md"))
    for page in pages:
        stem = page.removesuffix(".md")
        html = tmp_path / "site" / ("index.html" if stem == "index" else f"{stem}/index.html")
        assert html.is_file(), page


def test_the_refill_rules_page_covers_every_state_and_option() -> None:
    page = (DOCS / "refill-rules.md").read_text("utf-8")
    for state in State:
        assert f"`{state}`" in page
    for option in ("--only", "--force", "--retry", "--dry-run"):
        assert f"`{option}" in page


def test_the_benchmarks_page_documents_every_make_target() -> None:
    makefile = (CHECKOUT / "Makefile").read_text("utf-8")
    targets = re.findall(r"^(bench-[\w-]+):", makefile, flags=re.M)
    page = (DOCS / "benchmarks.md").read_text("utf-8")
    assert targets and all(f"make {target}" in page for target in targets)


def _section(title: str) -> str:
    page = (DOCS / "benchmarks.md").read_text("utf-8")
    return page.split(f"## {title}")[1].split("\n## ")[0]


def test_the_benchmarks_page_quotes_the_committed_robustness_results() -> None:
    # One line: the prose is wrapped where Markdown likes it.
    section = " ".join(_section("Robustness").split())
    data = json.loads((CHECKOUT / "benchmarks/robustness/results.json").read_text("utf-8"))
    corpus, totals, operators = data["corpus"], data["totals"], data["operators"].values()
    recoverable = [o for o in operators if o["recoverable"]]
    unrecoverable = [o for o in operators if not o["recoverable"]]

    def percent(rate: float) -> str:
        return f"{100 * rate:.1f}%"

    rates = (
        f"{percent(totals['structure_preserved_rate'])} | {percent(totals['behaviour_ok_rate'])}"
    )
    assert (
        f"{corpus['units']} units ({corpus['units'] - corpus['classes']} functions, "
        f"{corpus['classes']} classes) in {corpus['modules']} modules, through {len(operators)} "
        f"operators ({len(recoverable)} recoverable, {len(unrecoverable)} not), make "
        f"{totals['replies']} broken replies"
    ) in section
    assert (
        f"| **all** | {totals['replies']} | {totals['accepted']} | "
        f"{totals['accepted_should_reject']} | {totals['rejected_recoverable']} | {rates} |"
    ) in section
    merged = sum(o["accepted"] for o in recoverable)
    assert (
        f"| recoverable operators | {sum(o['count'] for o in recoverable)} | {merged} |" in section
    )
    assert f"| not recoverable | {sum(o['count'] for o in unrecoverable)} | 0 | 0 | 0 |" in section
    assert all(o["accepted"] == 0 for o in unrecoverable)


def test_the_benchmarks_page_quotes_the_committed_throughput_results() -> None:
    section = _section("Throughput")
    data = json.loads((CHECKOUT / "benchmarks/throughput/results.json").read_text("utf-8"))
    assert f"L = {data['latency_s']:g} s" in section
    for run in data["runs"]:
        row = (
            f"| {run['units']} | {run['jobs']} | {run['wall_s']:.1f} | {run['ideal_s']:.0f} | "
            f"{100 * run['speedup_vs_ideal']:.0f}% |"
        )
        assert row in section, row
        if run["filler_ms_per_unit"] is not None:
            assert f"{run['filler_ms_per_unit']:.1f} ms" in section


def test_the_benchmarks_page_quotes_the_committed_results_with_tests() -> None:
    section = _section("Throughput")
    grid = json.loads((CHECKOUT / "benchmarks/throughput/results-tests.json").read_text("utf-8"))
    assert throughput_table(grid) in section
    verify = json.loads((CHECKOUT / "benchmarks/throughput/verify.json").read_text("utf-8"))
    for runner, name in (
        ("cold", "cold (copy + fresh pytest)"),
        ("warm", "warm (fork of a zygote)"),
    ):
        figures = verify[runner]
        row = (
            f"| {name} | {figures['median_ms']:.0f} ms | {figures['p95_ms']:.0f} ms | "
            f"{figures['cpu_median_ms']:.0f} ms |"
        )
        assert row in section, row


def test_the_benchmarks_page_quotes_the_committed_humaneval_results() -> None:
    section = _section("Quality (HumanEval)")
    data = json.loads((CHECKOUT / "benchmarks/humaneval/results.json").read_text("utf-8"))
    assert data["problems"] == 164 and data["converted"] == 164
    for name, config in data["configurations"].items():
        row = (
            f"| {name} | {config['passed']}/{config['total']} | {100 * config['pass_rate']:.1f}% |"
        )
        assert row in section, row
    ceiling = json.loads((CHECKOUT / "benchmarks/humaneval/ceiling.json").read_text("utf-8"))
    assert "python -m benchmarks.humaneval.ceiling" in section
    assert f"solve {ceiling['solvable']}/{ceiling['problems']} problems" in section
    assert f"{ceiling['replies_passing']} of the" in section


def _defines(module: Path, names: list[str]) -> bool:
    """Whether `module` defines `names[0]` at its top level, `names[1]` in that class, etc."""
    body: list[ast.stmt] = ast.parse(module.read_text("utf-8")).body
    for name in names:
        found = [node for node in body if name in {getattr(node, "name", None), *_bound(node)}]
        if not found:
            return False
        body = found[0].body if isinstance(found[0], ast.ClassDef) else []
    return True


def _bound(node: ast.stmt) -> set[str]:
    """The names an assignment or an import binds."""
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.Import | ast.ImportFrom):
        names |= {(alias.asname or alias.name).partition(".")[0] for alias in node.names}
    return names


def _names_something(dotted: str) -> bool:
    """A module of the checkout, or a name a module of it defines (`filler.api.fill`)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        path = CHECKOUT.joinpath(*parts[:end])
        for module in (path.with_suffix(".py"), path / "__init__.py"):
            if module.is_file():
                return _defines(module, parts[end:])
    return False


def test_every_benchmark_command_runs_a_module_with_a_main() -> None:
    sources = [CHECKOUT / "Makefile", DOCS / "benchmarks.md", *CHECKOUT.glob("benchmarks/*/*.md")]
    text = "\n".join(source.read_text("utf-8") for source in sources)
    commands = set(re.findall(r"python -m (benchmarks(?:\.\w+)+)", text))
    assert len(commands) >= 4
    assert [m for m in sorted(commands) if not _names_something(f"{m}.main")] == []


def test_every_path_and_module_the_architecture_page_names_exists() -> None:
    page = (DOCS / "architecture.md").read_text("utf-8")
    # `.filler/lock.json` is a filled project's, and `filler fill` a command: neither matches.
    paths = set(re.findall(r"(?<![\w./-])filler/[\w*./-]*", page))
    modules = set(re.findall(r"(?<![\w./-])filler(?:\.\w+)+", page))
    assert paths and modules
    missing = sorted(p for p in paths if not any(CHECKOUT.glob(p.rstrip("./"))))
    missing += sorted(m for m in modules if not _names_something(m))
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_the_documented_replay_key_of_plan_is_the_one_used() -> None:
    page = (DOCS / "getting-started.md").read_text("utf-8")
    assert f'{{"{PLAN_KEY}": ["<reply of round 1>"' in page


# --- a filled project's docs ---------------------------------------------------------------------

# Correct bodies for every stub of examples/specs/strkit.yml, put in by plain text replacement.
BODIES = {
    "src/strkit/arith.py": {
        "def add(": "return a + b",
        "def is_even(": "return n % 2 == 0",
        "def clamp(": "return max(low, min(high, value))",
        "def celsius_to_fahrenheit(": "return celsius * 9 / 5 + 32",
    },
    "src/strkit/text.py": {
        "def reverse(": "return text[::-1]",
        "def count_vowels(": 'return sum(ch in "aeiou" for ch in text.lower())',
    },
    "examples/arith_demo.py": {
        "def main(": 'from strkit import add, clamp\n\n    print("add(2, 3) =", add(2, 3))\n'
        '    print("clamp(12, 0, 10) =", clamp(12, 0, 10))',
    },
    "examples/text_demo.py": {
        "def main(": 'from strkit import reverse\n\n    print(reverse("abc"))',
    },
}
STUB = "    raise NotImplementedError\n"


def fill_by_hand(project: Path) -> None:
    for relative, bodies in BODIES.items():
        path = project / relative
        source = path.read_text("utf-8")
        for signature, body in bodies.items():
            stub = source.index(STUB, source.index(signature))
            source = source[:stub] + f"    {body}\n" + source[stub + len(STUB) :]
        path.write_text(source, "utf-8")


@pytest.mark.slow
def test_a_filled_project_builds_its_docs_strictly_and_shows_its_docstrings_and_demos(
    tmp_path: Path, project_venv: ProjectVenv
) -> None:
    template = template_copy(tmp_path / "template")
    project = render(
        CHECKOUT / "examples" / "specs" / "strkit.yml", tmp_path / "p", template=template
    )
    fill_by_hand(project)
    assert "raise NotImplementedError" not in "".join(
        (project / relative).read_text("utf-8") for relative in BODIES
    )
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    assert checked.pytest.stdout.strip().splitlines()[-1].startswith("14 passed")

    built = project_venv.run(project, "-m", "mkdocs", "build", "--strict")
    assert built.returncode == 0, built.stderr
    arith = (project / "site" / "api" / "arith" / "index.html").read_text("utf-8")
    for text in ("Return the sum of a and b.", "celsius_to_fahrenheit", "Examples"):
        assert text in arith
    assert "Return text reversed." in (project / "site/api/text/index.html").read_text("utf-8")

    assert sync_project_readme(load_project(project))
    readme = (project / "README.md").read_text("utf-8")
    assert (
        '### `strkit.text`\n\n```python\nfrom strkit import reverse\n\nprint(reverse("abc"))\n```'
    ) in readme
    assert 'print("add(2, 3) =", add(2, 3))' in readme
    assert "shows it at work once" not in readme
