"""filler.source.ruff_server: a kept `ruff server` formats as `ruff format --isolated` does,
and lints as `ruff check` run in the project does (compared at length in
tests/gates/test_lint_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import filler
from filler.source.formatting import format_python
from filler.source.ruff_server import LintProblem, RuffServer, RuffServerError

ROOT = Path(filler.__file__).parent
WITH = (
    'with open("aaaaaaaaaaaaaaaaaa") as a, open("bbbbbbbbbbbbbbbbbbbbbb") as b, '
    'open("cccccccccccccccccc") as c:\n    pass\n'
)

# A pool worker formats through its own server; the script prints that server's PID.
IN_A_WORKER = """
import asyncio, os, pathlib
from filler.source.formatting import format_or_keep
from filler.fill.workers import Workers, settle

def format_here():
    text = format_or_keep("x = {'a':1}\\n")
    children = set()
    for task in pathlib.Path(f"/proc/{os.getpid()}/task").iterdir():
        children |= set((task / "children").read_text().split())
    servers = [
        pid for pid in children
        if b"server" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\\0")
    ]
    return os.getpid(), text, servers

async def main():
    async with Workers(2) as workers:
        for _ in range(600):
            pid, text, servers = await workers.run(format_here)
            if pid != os.getpid():
                return text, servers
            await asyncio.sleep(0.05)

if __name__ == "__main__":
    text, servers = asyncio.run(main())
    settle()
    assert text == 'x = {"a": 1}\\n', text
    print(" ".join(servers))
"""


@pytest.fixture(scope="module")
def server() -> Iterator[RuffServer]:
    started = RuffServer()
    yield started
    started.close()


def _corpus() -> list[str]:
    sources = [path.read_text(encoding="utf-8") for path in sorted(ROOT.rglob("*.py"))]
    # Other indentation and line endings than ours, and columns past the BMP.
    return [
        *sources,
        *(source.replace("    ", "  ") for source in sources[:10]),
        *(source.replace("\n", "\r\n") for source in sources[:10]),
        "s = 'héllo 🎉 日本';  t = {'🎉':1}\n",
        "def f():\n\treturn {'a':1}\n",
        "x = 1",
        "",
    ]


def test_it_formats_like_ruff_format_isolated(server: RuffServer) -> None:
    narrow = RuffServer(line_length=40)
    try:
        for source in _corpus():
            assert server.format(source) == format_python(source)
            assert narrow.format(source) == format_python(source, line_length=40)
    finally:
        narrow.close()


def test_target_version_is_honoured() -> None:
    old = RuffServer(target_version="py38")
    try:
        assert old.format(WITH).startswith("with open(")
    finally:
        old.close()


def test_code_that_does_not_parse_comes_back_unchanged(server: RuffServer) -> None:
    assert server.format("def broken(:\n  return {'a':1}\n") == "def broken(:\n  return {'a':1}\n"


def test_configuration_around_it_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ruff.toml").write_text('line-length = 20\n[format]\nquote-style = "single"\n')
    monkeypatch.chdir(tmp_path)
    here = RuffServer()
    try:
        assert here.format("x = 'a'\n") == 'x = "a"\n'
    finally:
        here.close()


def test_close_stops_the_process() -> None:
    closing = RuffServer()
    closing.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(closing.pid, os.WNOHANG)  # already reaped: no such child


def test_a_server_that_died_is_an_error_not_a_hang() -> None:
    dying = RuffServer()
    os.kill(dying.pid, signal.SIGKILL)
    with pytest.raises(RuffServerError, match="ruff server"):
        dying.format("x = 1\n")


def test_a_worker_stops_its_server_when_it_exits(tmp_path: Path) -> None:
    script = tmp_path / "in_a_worker.py"
    script.write_text(IN_A_WORKER)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    servers = done.stdout.split()
    assert servers, "the worker formatted without a server"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in servers)


def test_a_linter_applies_the_safe_fixes_and_names_the_rest(tmp_path: Path) -> None:
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["E7", "F"]\nignore = ["E731"]\n')
    linter = RuffServer(project=tmp_path, ignore=["F841"])
    code = "def f(x):\n    y = 1;\n    g = lambda: 1\n    return x == None\n"
    try:
        fixed, problems = linter.check(code, fix=True)
        assert fixed == "def f(x):\n    y = 1\n    g = lambda: 1\n    return x == None\n"
        assert problems == (
            LintProblem("E711", 4, 17, "Comparison to `None` should be `cond is None`"),
        )
        assert linter.check(code, fix=False) == (
            code,
            (
                LintProblem("E703", 2, 10, "Statement ends with an unnecessary semicolon"),
                *problems,
            ),
        )
        _, unparsed = linter.check("def broken(:\n", fix=True)
        assert {problem.rule for problem in unparsed} == {"invalid-syntax"}
    finally:
        linter.close()


def test_a_linter_that_died_is_an_error_not_a_hang(tmp_path: Path) -> None:
    dying = RuffServer(project=tmp_path)
    os.kill(dying.pid, signal.SIGKILL)
    with pytest.raises(RuffServerError, match="ruff server"):
        dying.check("x = 1\n", fix=True)
