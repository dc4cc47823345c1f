"""What `filler` offers Python users: exactly the names README.md lists, and a light import."""

from __future__ import annotations

import re
import subprocess
import sys

import filler
from tests.helpers.projects import CHECKOUT

# What neither `import filler` (Copier imports it while rendering) nor `filler --help` loads.
HEAVY = ("copier", "libcst", "pydantic", "openai", "groq", "ollama", "google.genai", "llama_cpp")


def test_every_exported_name_resolves() -> None:
    for name in filler.__all__:
        assert getattr(filler, name) is not None, name


def test_the_surface_is_what_the_readme_lists() -> None:
    readme = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(\w+)`", section))
    assert listed == set(filler.__all__) - {"__version__"}


def imported_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def heavy_in(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)}


def test_import_filler_stays_light() -> None:
    assert heavy_in(imported_modules("-c", "import filler")) == set()


def test_the_cli_help_imports_no_copier_libcst_or_sdk() -> None:
    assert heavy_in(imported_modules("-m", "filler", "--help")) == set()
