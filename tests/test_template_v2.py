"""Spec v2 through the real Copier: the inventory example renders green (ruff, pytest with every
stub skipped, mkdocs --strict showing fields, bases and members), deterministically, passes its
own tests once correct bodies are put in, and bad v2 answers are refused before anything is
written."""

from __future__ import annotations

import ast
import copy
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from filler import api
from tests.helpers.projects import CHECKOUT, ProjectVenv, render, template_copy
from tests.helpers.replies import write_replies

COPIER = Path(sys.executable).parent / "copier"
INVENTORY = CHECKOUT / "examples" / "specs" / "inventory.yml"
PYTEST = ("-m", "pytest", "-p", "no:cacheprovider", "-q")

# Correct bodies for every stub of inventory.yml: (module, class or "", def, decorator) -> body.
# The decorator tells a property's setter from its getter.
REFERENCE: dict[tuple[str, str, str, str], str] = {
    ("items", "Item", "label", "property"): 'return f"{self.name} ({self.sku})"',
    ("items", "Item", "from_row", "classmethod"): """
        parts = row.split(",")
        if not 2 <= len(parts) <= 4:
            raise ParseError(f"expected 2 to 4 fields: {row!r}")
        try:
            unit = Unit(parts[2]) if len(parts) > 2 else DEFAULT_UNIT
            price = float(parts[3]) if len(parts) > 3 else 0.0
        except ValueError as exc:
            raise ParseError(str(exc)) from exc
        return cls(parts[0], parts[1], unit, price)
    """,
    ("items", "Item", "valid_sku", "staticmethod"): """
        allowed = all(c.isalnum() or c == "-" for c in sku)
        return 0 < len(sku) <= MAX_SKU_LENGTH and allowed
    """,
    ("stock", "Stock", "add", ""): """
        self._check_quantity(quantity)
        if self.total + quantity > self.capacity:
            raise OutOfStockError(f"over the capacity of {self.capacity}")
        self.counts[item.sku] = self.counts.get(item.sku, 0) + quantity
        return self.counts[item.sku]
    """,
    ("stock", "Stock", "remove", ""): """
        self._check_quantity(quantity)
        if sku not in self.counts:
            raise UnknownItemError(sku)
        if self.counts[sku] < quantity:
            raise OutOfStockError(f"only {self.counts[sku]} of {sku}")
        self.counts[sku] -= quantity
        return self.counts[sku]
    """,
    ("stock", "Stock", "total", "property"): "return sum(self.counts.values())",
    ("stock", "Stock", "get", ""): "return self.counts.get(sku, default)",
    ("stock", "Stock", "low", ""): """
        for sku, count in self.counts.items():
            if count < threshold:
                yield sku
    """,
    ("stock", "Stock", "_check_quantity", ""): """
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, not {quantity}")
    """,
    ("reports", "", "unit_symbol", "functools.cache"): """
        return "pcs" if unit is Unit.PIECE else unit.value
    """,
    ("reports", "", "count_all", ""): """
        import asyncio

        async def total(stock: Stock) -> int:
            return stock.total

        return sum(await asyncio.gather(*(total(s) for s in stocks)))
    """,
    ("reports", "Report", "heading", "property"): """
        return f"{self.title}\\n{'=' * len(self.title)}"
    """,
    ("reports", "Report", "heading", "heading.setter"): "self.title = value",
    ("reports", "Report", "render", ""): """
        rows = sorted(self.stock.counts.items())
        return "\\n".join([self.heading, *(f"{sku}{SEPARATOR}{n}" for sku, n in rows)])
    """,
    ("parsing", "", "read_items", ""): """
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                yield Item.from_row(line)
            except ParseError as exc:
                raise ParseError(f"line {number}: {exc}") from exc
    """,
    ("parsing", "", "count_skus", ""): """
        return collections.Counter(
            line.split(",")[0] for line in text.splitlines() if line.strip()
        )
    """,
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_copy(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def inventory(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(INVENTORY, tmp_path_factory.mktemp("inventory") / "project", template=template)


def _stub_spans(source: str) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    """(class, def, first decorator) -> (first body line after the docstring, last line,
    indent) of every def whose body is the stub's raise."""
    spans = {}
    tree = ast.parse(source)
    owners: list[tuple[str, ast.AST]] = [("", tree)]
    owners += [(n.name, n) for n in tree.body if isinstance(n, ast.ClassDef)]
    for owner, node in owners:
        for d in ast.iter_child_nodes(node):
            if not isinstance(d, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if ast.unparse(d.body[-1]) != "raise NotImplementedError":
                continue
            decorator = ast.unparse(d.decorator_list[0]) if d.decorator_list else ""
            raise_line = d.body[-1]
            spans[(owner, d.name, decorator)] = (
                raise_line.lineno,
                raise_line.end_lineno or raise_line.lineno,
                raise_line.col_offset,
            )
    return spans


def _fill(project: Path) -> None:
    """Put every reference body in place of its stub's raise."""
    for module in {key[0] for key in REFERENCE}:
        path = project / "src" / "inventory" / f"{module}.py"
        lines = path.read_text("utf-8").splitlines(keepends=True)
        spans = _stub_spans("".join(lines))
        # bottom-up, so earlier line numbers stay right
        for (owner, name, decorator), (start, end, indent) in sorted(
            spans.items(), key=lambda item: -item[1][0]
        ):
            body = textwrap.dedent(REFERENCE[(module, owner, name, decorator)]).strip("\n")
            lines[start - 1 : end] = [textwrap.indent(body, " " * indent) + "\n"]
        path.write_text("".join(lines), "utf-8")


# --- rendered green -------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_inventory_project_is_green_with_every_stub_skipped(
    inventory: Path, project_venv: ProjectVenv
) -> None:
    checked = project_venv.check(inventory)
    assert checked.ok, checked.explain()
    summary = checked.pytest.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"33 skipped in [\d.]+s", summary), summary


@pytest.mark.slow
def test_the_api_pages_show_fields_bases_members_and_constants(
    inventory: Path, project_venv: ProjectVenv, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    built = project_venv.run(inventory, "-m", "mkdocs", "build", "--strict", "-d", str(site))
    assert built.returncode == 0, built.stderr

    def text(page: str) -> str:
        html = (site / "api" / page / "index.html").read_text("utf-8")
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())

    errors, items, reports = text("errors"), text("items"), text("reports")
    assert "ParseError Bases: InventoryError , ValueError" in errors
    assert "sku str The stock-keeping unit code." in items  # a field row
    assert "KILOGRAM Weighed items." in items  # an enum member row
    assert "Unit Bases: StrEnum" in items
    assert "MAX_SKU_LENGTH = 12 module-attribute The longest SKU accepted" in items
    assert "heading property writable" in reports


@pytest.mark.slow
def test_the_rendered_module_is_the_spec_exactly(inventory: Path) -> None:
    source = (inventory / "src" / "inventory" / "items.py").read_text("utf-8")
    tree = ast.parse(source)
    item = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Item")
    assert [ast.unparse(d) for d in item.decorator_list] == ["dataclasses.dataclass(frozen=True)"]
    fields = [ast.unparse(n) for n in item.body if isinstance(n, ast.AnnAssign)]
    assert fields[2] == "unit: Unit = DEFAULT_UNIT"
    report = (inventory / "src" / "inventory" / "reports.py").read_text("utf-8")
    init = '        """Create a new Report."""\n        self.title = title\n'
    assert init + "        self.stock = stock\n" in report
    assert "@functools.cache\ndef unit_symbol(unit: Unit) -> str:" in report
    assert "async def count_all(stocks: list[Stock]) -> int:" in report
    assert "    @heading.setter\n    def heading(self, value: str) -> None:" in report


@pytest.mark.slow
def test_rendering_the_inventory_is_byte_for_byte_deterministic(
    inventory: Path, template: Path, tmp_path: Path
) -> None:
    again = render(INVENTORY, tmp_path / "again", template=template)

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert tree(again) == tree(inventory)


# --- correct bodies pass ----------------------------------------------------------------------


@pytest.mark.slow
def test_reference_bodies_pass_every_example_and_stay_lint_clean(
    inventory: Path, template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    project = render(INVENTORY, tmp_path / "filled", template=template)
    _fill(project)
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    summary = checked.pytest.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"33 passed in [\d.]+s", summary), summary


@pytest.mark.slow
def test_a_wrong_body_for_a_package_exception_fails_instead_of_skipping(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    project = render(INVENTORY, tmp_path / "wrong", template=template)
    _fill(project)
    path = project / "src" / "inventory" / "stock.py"
    source = path.read_text("utf-8").replace("raise UnknownItemError(sku)", "return 0")
    path.write_text(source, "utf-8")
    run = project_venv.run(project, *PYTEST, "-k", "remove")
    assert "1 failed, 4 passed" in run.stdout, run.stdout


def _definitions(project: Path) -> dict[str, str]:
    """Unit id -> source of every top-level def and class of the package in `project`."""
    found = {}
    for path in sorted((project / "src" / "inventory").glob("*.py")):
        text = path.read_text("utf-8")
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                found[f"inventory.{path.stem}:{node.name}"] = "\n".join(
                    lines[start - 1 : node.end_lineno]
                )
    return found


def _unit_replies(rendered: Path, reference: Path) -> dict[str, str]:
    """The reference code of every unit with a stub in `rendered`, fenced as a model sends it."""
    stubs = [u for u, code in _definitions(rendered).items() if "NotImplementedError" in code]
    return {unit: f"```python\n{_definitions(reference)[unit]}\n```\n" for unit in stubs}


@pytest.mark.slow
def test_the_inventory_fills_from_reference_replies_and_passes_its_tests(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    reference = render(INVENTORY, tmp_path / "reference", template=template)
    _fill(reference)
    project = api.new(INVENTORY, tmp_path / "inventory").root
    units = _unit_replies(project, reference)
    assert "inventory.items:Item" in units and "inventory.items:Unit" not in units
    replies = write_replies(tmp_path / "replies.json", units)
    # read_items calls Item.from_row and count_all sums Stock.total: one run fills them all,
    # testing those units' candidates once the units they call are written
    flags = api.FillFlags(
        provider="replay", replies=str(replies), design_tests=False, jobs=8, only=("inventory.*",)
    )
    record = api.fill(project, flags)
    assert {u.unit: u.outcome for u in record.units} == dict.fromkeys(units, "filled")
    assert len(units) == 7
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    summary = checked.pytest.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"33 passed in [\d.]+s", summary), summary


# --- property examples --------------------------------------------------------------------------

PROPKIT = {
    "package_name": "propkit",
    "description": "Properties.",
    "features": [
        {
            "name": "arith",
            "description": "Arithmetic.",
            "functions": [
                {
                    "name": "add",
                    "params": "a: int, b: int",
                    "returns": "int",
                    "doc": "Add two ints.",
                    "examples": [
                        {"call": "add(1, 2)", "expect": 3},
                        {
                            "given": {"a": "st.integers()", "b": "st.integers()"},
                            "check": "add(a, b) == add(b, a)",
                        },
                        {
                            "given": {"a": "st.integers()"},
                            "setup": "z = 0",
                            "check": "add(a, z) == a",
                        },
                    ],
                }
            ],
        }
    ],
}


@pytest.mark.slow
def test_property_examples_run_with_hypothesis_skip_on_stubs_and_catch_a_wrong_body(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    project = render(PROPKIT, tmp_path / "propkit", template=template)
    assert '"hypothesis>=6"' in (project / "pyproject.toml").read_text("utf-8")
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    assert re.fullmatch(r"3 skipped in [\d.]+s", checked.pytest.stdout.splitlines()[-1])
    module = project / "src" / "propkit" / "arith.py"
    stub = module.read_text("utf-8")
    module.write_text(stub.replace("    raise NotImplementedError", "    return a + b"), "utf-8")
    right = project_venv.run(project, *PYTEST)
    assert "3 passed" in right.stdout, right.stdout
    wrong = "    return a + b if a < 100 else a - b"
    module.write_text(stub.replace("    raise NotImplementedError", wrong), "utf-8")
    run = project_venv.run(project, *PYTEST)
    assert "FAILED tests/test_arith.py::test_add_2" in run.stdout, run.stdout


# --- typing records ------------------------------------------------------------------------------

RECORDS = {
    "package_name": "records",
    "description": "Typing records.",
    "features": [
        {
            "name": "shapes",
            "description": "Shapes as records.",
            "imports": ["from typing import NamedTuple, Protocol, TypedDict"],
            "classes": [
                {
                    "name": "Point",
                    "doc": "A point.",
                    "bases": ["NamedTuple"],
                    "fields": [
                        {"name": "x", "type": "float", "doc": "Across."},
                        {"name": "y", "type": "float", "default": 0.0},
                    ],
                    "methods": [
                        {
                            "name": "norm",
                            "returns": "float",
                            "doc": "The distance to the origin.",
                            "examples": [{"call": "Point(3.0, 4.0).norm()", "expect": 5.0}],
                        }
                    ],
                },
                {
                    "name": "Options",
                    "doc": "Drawing options.",
                    "bases": ["TypedDict"],
                    "fields": [{"name": "color", "type": "str"}],
                },
                {
                    "name": "Shape",
                    "doc": "What can be drawn.",
                    "bases": ["Protocol"],
                    "fields": [{"name": "name", "type": "str"}],
                },
            ],
        }
    ],
}


@pytest.mark.slow
def test_typing_records_render_their_fields_as_annotations_and_stay_green(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    project = render(RECORDS, tmp_path / "records", template=template)
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    module = project / "src" / "records" / "shapes.py"
    source = module.read_text("utf-8")
    assert "class Point(NamedTuple):" in source and "__init__" not in source
    filled = source.replace(
        "        raise NotImplementedError", "        return abs(complex(*self))"
    )
    module.write_text(filled, "utf-8")
    run = project_venv.run(project, *PYTEST)
    assert "1 passed" in run.stdout, run.stdout
    read = "from records import Options, Point; print(Point(1.0), Options(color='red'))"
    shown = project_venv.run(project, "-c", read)
    assert shown.stdout == "Point(x=1.0, y=0.0) {'color': 'red'}\n", shown.stderr


# --- refused before anything is written -----------------------------------------------------------


def _inventory_with(path: str, value: object) -> dict[str, object]:
    data = yaml.safe_load(INVENTORY.read_text("utf-8"))
    *parents, last = re.findall(r"\w+", path)
    target = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = copy.deepcopy(value)
    return data  # type: ignore[no-any-return]


BAD_V2 = {
    "base cycle": (
        "features.0.exceptions.0.bases",
        ["OutOfStockError"],
        "features[0].exceptions[0].bases[0]: 'InventoryError' would inherit from itself",
    ),
    "raises a class of another feature": (
        "features.4.functions.0.examples.1.raises",
        "Item",
        "features[4].functions[0].examples[1].raises: 'Item' is defined by the spec as a class",
    ),
    "a call that does not fit": (
        "features.2.classes.0.methods.0.examples.0.call",
        "s.add()",
        "features[2].classes[0].methods[0].examples[0].call: calls Stock.add() with arguments",
    ),
    "a field default before a required one": (
        "features.3.classes.0.fields.0.default",
        "'T'",
        "features[3].classes[0].fields[1]: field 'stock' has no default but follows 'title'",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_V2))
def test_bad_v2_answers_are_refused_by_copier_with_the_path(
    case: str, template: Path, tmp_path: Path
) -> None:
    path, value, message = BAD_V2[case]
    spec_file = tmp_path / "spec.yml"
    spec_file.write_text(yaml.safe_dump(_inventory_with(path, value)), "utf-8")
    dest = tmp_path / "project"
    done = subprocess.run(
        [
            str(COPIER),
            "copy",
            "--trust",
            "--defaults",
            "--data-file",
            str(spec_file),
            str(template),
            str(dest),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert f"Validation error for question 'features': {message}" in done.stderr, done.stderr
    assert not dest.exists()
