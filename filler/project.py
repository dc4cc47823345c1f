"""A rendered project as the filler sees it: its answers, its modules and what they may import.

The answers file Copier wrote (`.copier-answers.yml`) is the spec; it names the package, the
features and the dependencies. Modules to fill are `src/<package>/<feature>.py` and
`examples/<feature>_demo.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from filler.errors import ProjectError
from filler.source.units import Unit, find_units

if TYPE_CHECKING:
    from filler.gates.judge import AllowedImports

__all__ = [
    "ANSWERS_FILE",
    "Module",
    "ModuleFile",
    "ModuleKind",
    "Project",
    "find_project_root",
    "import_names",
    "load_project",
]

ANSWERS_FILE = ".copier-answers.yml"

# Distributions whose import name is not their project name, for when they are not installed
# where the filler runs (installed ones are read from their metadata instead).
_KNOWN_IMPORT_NAMES = {
    "beautifulsoup4": ("bs4",),
    "pillow": ("PIL",),
    "pyyaml": ("yaml",),
    "python-dateutil": ("dateutil",),
    "scikit-learn": ("sklearn",),
    "opencv-python": ("cv2",),
    "attrs": ("attr", "attrs"),
    "pymupdf": ("fitz", "pymupdf"),
    "pyjwt": ("jwt",),
    "pycryptodome": ("Crypto",),
    "pyserial": ("serial",),
    "pyzmq": ("zmq",),
    "protobuf": ("google",),
    "gitpython": ("git",),
    "pygithub": ("github",),
    "dnspython": ("dns",),
    "pyopenssl": ("OpenSSL",),
    "psycopg2-binary": ("psycopg2",),
    "opencv-python-headless": ("cv2",),
    "scikit-image": ("skimage",),
    "faiss-cpu": ("faiss",),
    "mysqlclient": ("MySQLdb",),
}


class ModuleKind(StrEnum):
    FEATURE = "feature"  # src/<package>/<feature>.py: the package's own code
    DEMO = "demo"  # examples/<feature>_demo.py: a script showing a feature at work


@dataclass(frozen=True)
class ModuleFile:
    """One fillable file: its dotted name, its path relative to the project root, its kind."""

    name: str
    path: Path
    kind: ModuleKind

    @property
    def feature(self) -> str:
        """The name of the feature the file holds or demonstrates."""
        return self.name.rsplit(".", 1)[-1].removesuffix("_demo")


@dataclass(frozen=True)
class Module(ModuleFile):
    """A fillable file and its text."""

    source: str


@dataclass(frozen=True)
class Project:
    root: Path
    package: str
    description: str
    dependencies: tuple[str, ...]
    answers: Mapping[str, Any]

    @property
    def lock_path(self) -> Path:
        return self.root / ".filler" / "lock.json"

    @property
    def state_dir(self) -> Path:
        return self.root / ".filler"

    def module_files(self) -> list[ModuleFile]:
        """Every file the filler looks into: the feature modules, then the demos, sorted."""
        found: list[ModuleFile] = []
        src = Path("src") / self.package
        for path in sorted((self.root / src).glob("*.py")):
            if path.name != "__init__.py":
                found.append(
                    ModuleFile(f"{self.package}.{path.stem}", src / path.name, ModuleKind.FEATURE)
                )
        for path in sorted((self.root / "examples").glob("*_demo.py")):
            found.append(
                ModuleFile(f"examples.{path.stem}", Path("examples") / path.name, ModuleKind.DEMO)
            )
        return found

    def modules(self) -> Iterator[Module]:
        for file in self.module_files():
            source = (self.root / file.path).read_text(encoding="utf-8")
            yield Module(file.name, file.path, file.kind, source)

    def units(self) -> list[tuple[Module, Unit]]:
        """Every unit of every module, with its module, in the order of `module_files`."""
        return [
            (module, unit)
            for module in self.modules()
            for unit in find_units(module.source, module.name, module.path)
        ]

    def allowed_imports(self) -> AllowedImports:
        # The gates import libcst: `filler status` and `filler --help` do without.
        from filler.gates.judge import AllowedImports

        names: set[str] = set()
        for requirement in self.dependencies:
            names.update(import_names(requirement))
        return AllowedImports(package=self.package, third_party=frozenset(names))

    def feature_description(self, name: str) -> str:
        for feature in self.answers.get("features") or []:
            if isinstance(feature, Mapping) and feature.get("name") == name:
                return str(feature.get("description", ""))
        return ""


def import_names(requirement: str) -> tuple[str, ...]:
    """Top-level import names a PEP 508 requirement provides (`PyYAML>=6` -> `("yaml",)`)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        return ()
    dist = match.group(1)
    canonical = re.sub(r"[-_.]+", "-", dist).lower()
    installed = [
        module
        for module, dists in metadata.packages_distributions().items()
        if any(re.sub(r"[-_.]+", "-", d).lower() == canonical for d in dists)
    ]
    if installed:
        return tuple(sorted(installed))
    if canonical in _KNOWN_IMPORT_NAMES:
        return _KNOWN_IMPORT_NAMES[canonical]
    # Not installed here: guess as its authors mostly name it. Import names keep their case
    # (`PyPDF2`), and `python-docx` is imported as `docx`; a wrong guess only allows a name
    # that no import finds.
    names = {re.sub(r"[-.]", "_", dist), canonical.replace("-", "_")}
    if canonical.startswith("python-"):
        names.add(canonical.removeprefix("python-").replace("-", "_"))
    return tuple(sorted(names))


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding the answers file."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ANSWERS_FILE).is_file():
            return candidate
    raise ProjectError(
        f"{start} is not inside a copier-filler project (no {ANSWERS_FILE} found); "
        "render one with `filler new SPEC DEST`"
    )


# Every command reads the answers file first: libyaml reads a 200-unit spec in a tenth of the
# pure-Python loader's time (the same safe subset of YAML); without libyaml, that loader.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_project(path: Path) -> Project:
    root = find_project_root(path)
    answers_path = root / ANSWERS_FILE
    try:
        answers = yaml.load(answers_path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise ProjectError(f"{answers_path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{answers_path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}): restore it (`git checkout -- {ANSWERS_FILE}` if it is committed)"
        ) from exc
    except OSError as exc:
        raise ProjectError(f"{answers_path} cannot be read: {exc.strerror}") from exc
    if not isinstance(answers, Mapping) or not isinstance(answers.get("package_name"), str):
        raise ProjectError(
            f"{root / ANSWERS_FILE} has no package_name; render the project with `filler new`"
        )
    package = answers["package_name"]
    if not (root / "src" / package).is_dir():
        raise ProjectError(f"{root} has no src/{package}/; re-render it with `filler new`")
    return Project(
        root=root,
        package=package,
        description=str(answers.get("description", "")),
        dependencies=tuple(str(d) for d in answers.get("dependencies") or ()),
        answers=answers,
    )
