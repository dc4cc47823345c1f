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


# The project's modules compiled by the zygote, taken by an import of those very bytes only.
COMPILED = """
import os, sys, tempfile
from filler.fill import zygote

root = tempfile.mkdtemp()
project, view = os.path.join(root, "project", "src"), os.path.join(root, "view")
os.makedirs(os.path.join(project, "pkg"))
os.makedirs(os.path.join(view, "src", "pkg"))
for name, text in {"__init__.py": "", "a.py": "VALUE = 1\\n"}.items():
    with open(os.path.join(project, "pkg", name), "w") as f:
        f.write(text)
    os.symlink(os.path.join(project, "pkg", name), os.path.join(view, "src", "pkg", name))
with open(os.path.join(view, "src", "pkg", "b.py"), "w") as f:  # the candidate's own file
    f.write("VALUE = 2\\n")
os.symlink(os.path.join(root, "view", "src"), os.path.join(view, "src", "pkg", "loop"))

zygote._share_compiled_modules()
zygote._compile_project(view)
a = os.path.join(view, "src", "pkg", "a.py")
in_view = [os.path.join(view, "src", "pkg", name) for name in ("__init__.py", "a.py")]
assert sorted(zygote._COMPILED) == in_view  # not the candidate's b.py, and the loop walked once
sys.path.insert(0, os.path.join(view, "src"))
sys.dont_write_bytecode = True
import pkg.a, pkg.b
assert (pkg.a.VALUE, pkg.b.VALUE) == (1, 2)
assert pkg.a.__loader__.get_code("pkg.a") is zygote._COMPILED[a][1]
with open(os.path.join(project, "pkg", "a.py"), "w") as f:
    f.write("VALUE = 3\\n")  # same size, same second
fresh = pkg.a.__loader__.get_code("pkg.a")
assert fresh is not zygote._COMPILED[a][1]
namespace = {}
exec(fresh, namespace)
assert namespace["VALUE"] == 3
os.unlink(os.path.join(project, "pkg", "a.py"))
zygote._compile_project(view)
assert list(zygote._COMPILED) == in_view[:1]
print("compiled")
"""


def test_the_projects_modules_are_compiled_once_and_never_served_stale() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COMPILED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "compiled"
