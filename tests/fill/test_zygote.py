"""filler.fill.zygote: what the warm test process keeps for its children (the process itself,
sandboxed, is tested through `filler.fill.warm` in tests/fill/test_warm.py)."""

from __future__ import annotations

import subprocess
import sys

# Run in a fresh interpreter: remembering patches importlib.metadata for the whole process.
REMEMBERED = """
import importlib.metadata as metadata
from filler.fill import zygote

pytest = metadata.distribution("pytest")
before = (pytest.read_text("METADATA"), pytest.entry_points, pytest.files, pytest.metadata["Name"])
zygote._remember_metadata()
again = metadata.distribution("pytest")
assert again is not pytest
after = (again.read_text("METADATA"), again.entry_points, again.files, again.metadata["Name"])
assert after == before, (after, before)
# Asked again, of another object for the same distribution: the first answers, not new ones.
assert metadata.distribution("pytest").read_text("METADATA") is after[0]
assert metadata.distribution("pytest").entry_points is after[1]
assert metadata.distribution("pytest").files is after[2]
assert metadata.distribution("pytest").metadata is again.metadata
# Each file is remembered apart, and each distribution.
assert again.read_text("RECORD") != after[0]
assert metadata.distribution("libcst").metadata["Name"] == "libcst"
print("remembered")
"""


def test_the_metadata_of_each_distribution_is_read_once_and_answers_as_before() -> None:
    done = subprocess.run(
        [sys.executable, "-c", REMEMBERED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "remembered"
