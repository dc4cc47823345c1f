"""filler.fill.zygote: what the warm test process keeps for its children (the process itself,
sandboxed, is tested through `filler.fill.warm` in tests/fill/test_warm.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def last_line_of(script: str, cwd: Path) -> str:
    """What `script` printed last, run by a fresh interpreter: what the zygote patches (pytest,
    importlib.metadata, the import system) it patches for the whole process."""
    done = subprocess.run(
        [sys.executable, "-B", "-c", script],
        capture_output=True, text=True, timeout=60, cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


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


def test_the_metadata_of_each_distribution_is_read_once_and_answers_as_before(
    tmp_path: Path,
) -> None:
    assert last_line_of(REMEMBERED, tmp_path) == "remembered"


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


def test_the_projects_modules_are_compiled_once_and_never_served_stale(tmp_path: Path) -> None:
    assert last_line_of(COMPILED, tmp_path) == "compiled"


# The project's tests rewritten by the zygote, taken by pytest for those very bytes only.
REWRITTEN = """
import os, sys, tempfile
import pytest
from _pytest.assertion import rewrite
from filler.fill import zygote

root = tempfile.mkdtemp()
project, view = os.path.join(root, "project", "tests"), os.path.join(root, "view")
os.makedirs(project)
os.makedirs(os.path.join(view, "tests"))
test = os.path.join(project, "test_a.py")
with open(test, "w") as f:
    f.write("def test_a():\\n    x = 1\\n    assert x == 2\\n")
os.symlink(test, os.path.join(view, "tests", "test_a.py"))
with open(os.path.join(view, "tests", "test_b.py"), "w") as f:  # the candidate's own
    f.write("def test_b():\\n    assert [1] == [2]\\n")

zygote._share_rewritten_tests()
zygote._compile_project(view)
in_view = os.path.join(view, "tests", "test_a.py")
assert list(zygote._REWRITTEN) == [in_view]
rewritten = []
rewrite_asserts = rewrite.rewrite_asserts
rewrite.rewrite_asserts = lambda tree, source, path, config: (
    rewritten.append(os.path.basename(path)), rewrite_asserts(tree, source, path, config)
)


class Failures:
    def __init__(self):
        self.reports = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.reports[report.nodeid.rpartition("::")[2]] = str(report.longrepr)


def run():
    failures = Failures()
    args = ["-q", "-p", "no:cacheprovider", "--rootdir", view, os.path.join(view, "tests")]
    pytest.main(args, plugins=[failures])
    return failures.reports


def tests_rewritten():
    return sorted(name for name in rewritten if name.startswith("test_"))  # not the plugins


first = run()
assert tests_rewritten() == ["test_b.py"]  # the zygote rewrote test_a, not the candidate's test_b
assert "assert 1 == 2" in first["test_a"], first  # rewritten: the values are shown
assert "assert [1] == [2]" in first["test_b"], first
with open(test, "w") as f:
    f.write("def test_a():\\n    x = 1\\n    assert x == 3\\n")  # same size, same second
rewritten.clear()
for name in ("test_a", "test_b"):
    del sys.modules[name]  # as a fresh child would import them
again = run()
assert tests_rewritten() == ["test_a.py", "test_b.py"]
assert "assert 1 == 3" in again["test_a"], again
print("rewritten")
"""


def test_the_projects_tests_are_rewritten_once_and_never_served_stale(tmp_path: Path) -> None:
    assert last_line_of(REWRITTEN, tmp_path) == "rewritten"


# Plugin modules listing only what pytest could take: a session registers the same hooks and
# fixtures as with every name listed.
LISTED = """
import contextlib, io, os, sys, tempfile
import pytest
from filler.fill import zygote

root = tempfile.mkdtemp()
with open(os.path.join(root, "test_it.py"), "w") as f:
    f.write("def test_it(tmp_path, capsys, monkeypatch):\\n    assert tmp_path.exists()\\n")


class Seen:
    def pytest_sessionfinish(self, session):
        manager = session.config.pluginmanager
        self.hooks = sorted(
            (name, impl.function.__module__, impl.function.__qualname__)
            for name in dir(manager.hook)
            if name.startswith("pytest_")
            for impl in getattr(manager.hook, name).get_hookimpls()
            if not isinstance(impl.plugin, (Seen, zygote._PluginModules))
        )


def session(*plugins):
    seen = Seen()
    args = ["-q", "-p", "no:cacheprovider", "--rootdir", root, root]
    assert pytest.main(args, plugins=[*plugins, seen]) == 0
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        assert pytest.main([*args, "--fixtures", "-v"]) == 0
    seen.fixtures = shown.getvalue().split("\\n")[1:-2]  # not the header and the timing
    return seen


modules = zygote._PluginModules()
before = session(modules)
assert len(modules.modules) > 20 and all(m.__name__ for m in modules.modules)
names = sum(len(dir(m)) for m in modules.modules)
for module in modules.modules:
    zygote._list_only_what_pytest_takes(module)
listed = sum(len(dir(m)) for m in modules.modules)
after = session()
assert after.hooks == before.hooks and len(after.hooks) > 100
assert after.fixtures == before.fixtures and sum("[session scope]" in f for f in after.fixtures) > 3
assert listed < names / 2, (listed, names)
fixtures = sys.modules["_pytest.fixtures"]
assert "fixture" not in dir(fixtures) and "pytest_sessionstart" in dir(fixtures)
fixtures.added_since = 1  # a module that gains a name lists all its names again
assert {"fixture", "added_since"} <= set(dir(fixtures))
print("listed")
"""


def test_plugin_modules_list_what_pytest_takes_and_it_takes_the_same(tmp_path: Path) -> None:
    assert last_line_of(LISTED, tmp_path) == "listed"
