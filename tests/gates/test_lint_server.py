"""The lint gate through the kept `ruff server`: the same findings and fixes as `ruff check`.

Every reply of the robustness corpus, some skeletons and replies written to be faulted, linted
by real ruff on projects with their own settings: once through this process's server, then,
after that server is killed, through the `ruff check` process `lint_fixed` falls back to.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from benchmarks.robustness.corpus import ENTRIES
from filler.source.formatting import Linted, format_or_keep, lint_fixed
from tests.gates.test_lint import PYPROJECT
from tests.helpers.projects import build_file_tree
from tests.source.test_formatting import _ruff_servers

FAULTED = (
    # Safe fixes (F541, E703), one that is not applied (F841), what only a person can fix.
    "def add(a: int, b: int) -> int:\n    unused = 1\n    try:\n        print(f'adding')\n"
    "        return a + b if (a == True) else b\n    except:\n        return 0;\n",
    # Mutable default, pyupgrade and comprehension rules, a one-letter name; tabs.
    "def f(xs: list = []):\n\tl = [i for i in range(len(xs))]\n\tif l == None:\n"
    "\t\treturn dict([(1, 2)])\n\treturn list(l)\n",
    # An if/else assignment (SIM108), a noqa comment, columns past the BMP, CRLF line ends.
    "def pick(flag: bool) -> str:\r\n    if flag:\r\n        x = 'héllo 🎉'\r\n    else:\r\n"
    "        x = '日本'  # noqa: E501\r\n    return x\r\n",
    "def broken(:\n",
)
REPLIES = (
    *(entry.reply for entry in ENTRIES),
    *(entry.skeleton for entry in ENTRIES[::10]),
    *FAULTED,
)

OWN = """\
[tool.ruff]
line-length = 60
target-version = "py39"

[tool.ruff.lint]
select = ["E", "W", "F", "B", "UP", "SIM", "C4", "RUF", "PL"]
ignore = ["PLR2004"]
unfixable = ["F541"]

[tool.ruff.lint.per-file-ignores]
"*.py" = ["SIM108"]
"tests/*" = ["B"]
"""
# Every rule, unsafe fixes on, in a ruff.toml (the pair of D rules ruff warns about left out).
EVERYTHING = 'line-length = 100\nunsafe-fixes = true\n[lint]\nselect = ["ALL"]\n'
EVERYTHING += 'ignore = ["D203", "D213"]\n'
PROJECTS = {
    "template": {"pyproject.toml": PYPROJECT},
    "own": {"pyproject.toml": OWN},
    "everything": {"ruff.toml": EVERYTHING},
    # Settings a directory up, as in a monorepo.
    "parent": {
        "ruff.toml": 'line-length = 50\n[lint]\nselect = ["E", "F"]\n',
        "pkg/__init__.py": "",
    },
}


@pytest.mark.parametrize("name", PROJECTS)
def test_the_server_finds_and_fixes_what_the_process_does(tmp_path: Path, name: str) -> None:
    tree = build_file_tree(tmp_path / name, PROJECTS[name])
    root = tree / "pkg" if name == "parent" else tree
    format_or_keep("x = 1\n")  # the formatter's server, so that only the linter's is new
    before = set(_ruff_servers())
    served = [lint_fixed(reply, root=root) for reply in REPLIES]
    (server,) = set(_ruff_servers()) - before
    os.kill(server, signal.SIGKILL)
    by_process = [lint_fixed(reply, root=root) for reply in REPLIES]
    assert set(_ruff_servers()) <= before  # no new server: `ruff check` ran
    assert served == by_process
    assert sum(len(linted.problems) for linted in served) >= 5
    assert sum(linted.code != reply for linted, reply in zip(served, REPLIES, strict=True)) >= 1


def test_the_projects_settings_reach_the_server(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "own", {"pyproject.toml": OWN})
    add, default, pick, broken = (lint_fixed(reply, root=root) for reply in FAULTED)
    assert 'print(f"adding")' in add.code  # F541 is not fixable here
    assert "F541" in {p.rule for p in add.problems}
    assert {"B006", "E711", "E741", "W191"} <= {p.rule for p in default.problems}
    assert "SIM108" not in {p.rule for p in pick.problems}  # ignored for every file
    assert "E501" in {p.rule for p in lint_fixed("x = '" + "a" * 60 + "'\n", root=root).problems}
    assert broken == Linted(FAULTED[-1])


def test_a_process_keeps_one_linter_the_one_of_the_last_project(tmp_path: Path) -> None:
    first, second = (
        build_file_tree(tmp_path / name, {"pyproject.toml": PYPROJECT}) for name in "ab"
    )
    format_or_keep("x = 1\n")
    before = set(_ruff_servers())
    linted = lint_fixed(FAULTED[0], root=first)
    (linter,) = set(_ruff_servers()) - before
    assert lint_fixed(FAULTED[0], root=second) == linted
    (other,) = set(_ruff_servers()) - before
    assert other != linter
    assert lint_fixed(FAULTED[0], root=first) == linted


@pytest.mark.parametrize(
    "settings", ['[tool.ruff.lint]\nselect = ["NOPE1"]\n', "[tool.ruff\nselect = 1\n"]
)
def test_settings_ruff_cannot_read_leave_the_lint_out(tmp_path: Path, settings: str) -> None:
    # As `ruff check` fails there; the server would lint with settings of its own instead.
    root = build_file_tree(tmp_path / "project", {"pyproject.toml": settings})
    format_or_keep("x = 1\n")
    before = set(_ruff_servers())
    assert lint_fixed(FAULTED[0], root=root) == Linted(FAULTED[0])
    assert set(_ruff_servers()) <= before  # no server for it


def test_linting_through_the_server_costs_little_cpu(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "project", {"pyproject.toml": PYPROJECT})
    replies = [entry.reply for entry in ENTRIES]
    format_or_keep("x = 1\n")
    before = set(_ruff_servers())
    lint_fixed(replies[0], root=root)
    (server,) = set(_ruff_servers()) - before
    own, theirs = time.process_time(), _cpu_seconds(server)
    for reply in replies * 2:
        lint_fixed(reply, root=root)
    per_reply = (time.process_time() - own + _cpu_seconds(server) - theirs) / (2 * len(replies))
    print(f"lint_fixed through the server: {per_reply * 1000:.2f} ms of CPU per reply")
    assert per_reply < 0.003  # a `ruff check` process costs about 7 ms


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
