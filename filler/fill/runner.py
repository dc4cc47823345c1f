"""Run a candidate's tests on a temporary copy of the project, in a subprocess with a timeout.

The copy holds the candidate module (and any designed test files); the project itself is never
touched. Provider keys are removed from the child's environment, so code under test cannot spend
them, and a candidate that loops forever costs at most the timeout: the whole process group is
killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from filler.writer import TEMP_SUFFIX

__all__ = ["ScriptRun", "TestResult", "TestRun", "project_python", "run_script", "run_tests"]

Outcome = Literal["passed", "failed", "skipped", "error"]

_SECRET_ENV = re.compile(
    r"(_API_KEY|_TOKEN|_SECRET|SECRET_|_PASSWORD)$|^(GOOGLE|GEMINI|GROQ|OPENAI)_"
)
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", ".filler", "site", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", "*.egg-info", "dist", "build", f"*{TEMP_SUFFIX}",
)  # fmt: skip
_TRACE_LINES = 15


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    node_id: str
    outcome: Outcome
    message: str = ""
    trace: str = ""


@dataclass(frozen=True)
class TestRun:
    __test__ = False

    results: tuple[TestResult, ...]
    timed_out: bool
    seconds: float
    output: str = ""  # the tail of pytest's output, for when nothing could be collected

    def outcome_of(self, node_id: str) -> Outcome:
        for result in self.results:
            if result.node_id == node_id:
                return result.outcome
        return "error"

    def passed(self, node_ids: Sequence[str]) -> int:
        return sum(self.outcome_of(n) == "passed" for n in node_ids)


@dataclass(frozen=True)
class ScriptRun:
    returncode: int | None
    timed_out: bool
    seconds: float
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def project_python(root: Path) -> str:
    """The project's own interpreter when it has a virtual environment, else the filler's."""
    for candidate in (root / ".venv" / "bin" / "python", root / "venv" / "bin" / "python"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def _child_env(copy_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _SECRET_ENV.search(k)}
    src = str(copy_root / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, str(copy_root), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _make_copy(root: Path, files: Mapping[Path, str], into: Path) -> Path:
    copy_root = into / "project"
    shutil.copytree(root, copy_root, ignore=_COPY_IGNORE, symlinks=True)
    for relative, text in files.items():
        target = copy_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return copy_root


async def _run(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int | None, bool, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, so children die with it
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        _kill_group(process.pid)
        await process.wait()
        return None, True, ""
    except BaseException:  # cancelled (Ctrl-C): leave no test process behind
        _kill_group(process.pid)
        raise
    return process.returncode, False, out.decode("utf-8", "replace")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _tail(text: str, lines: int = _TRACE_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _parse_junit(path: Path, wanted: Sequence[str]) -> tuple[TestResult, ...]:
    by_name = {_junit_key(n): n for n in wanted}
    results: dict[str, TestResult] = {}
    if path.exists():
        for case in ET.parse(path).getroot().iter("testcase"):
            key = (case.get("classname", ""), case.get("name", ""))
            node_id = by_name.get(key)
            if node_id is None:
                continue
            results[node_id] = _case_result(node_id, case)
    return tuple(results.get(n, TestResult(n, "error", "not collected")) for n in wanted)


def _junit_key(node_id: str) -> tuple[str, str]:
    file, _, name = node_id.partition("::")
    return file.removesuffix(".py").replace("/", "."), name


_JUNIT_OUTCOMES: tuple[tuple[str, Outcome], ...] = (
    ("failure", "failed"),
    ("error", "error"),
    ("skipped", "skipped"),
)


def _case_result(node_id: str, case: ET.Element) -> TestResult:
    for tag, outcome in _JUNIT_OUTCOMES:
        element = case.find(tag)
        if element is not None:
            message = (element.get("message") or "").strip()
            first = message.splitlines()[0] if message else tag
            return TestResult(node_id, outcome, first, _tail(element.text or ""))
    return TestResult(node_id, "passed")


async def run_tests(
    root: Path,
    files: Mapping[Path, str],
    node_ids: Sequence[str],
    *,
    timeout: float,
    python: str | None = None,
) -> TestRun:
    """Run `node_ids` on a copy of `root` where `files` (relative path -> text) are written."""
    started = time.monotonic()
    if not node_ids:
        return TestRun((), False, 0.0)
    with tempfile.TemporaryDirectory(prefix="filler-tests-") as tmp:
        copy_root = await asyncio.to_thread(_make_copy, root, files, Path(tmp))
        report = Path(tmp) / "junit.xml"
        argv = [
            python or project_python(root), "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-o", "addopts=", "--continue-on-collection-errors", f"--junitxml={report}",
            "-o", "junit_family=xunit1", *node_ids,
        ]  # fmt: skip
        _, timed_out, output = await _run(argv, copy_root, _child_env(copy_root), timeout)
        results = _parse_junit(report, node_ids)
    if timed_out:
        results = tuple(
            TestResult(r.node_id, "error", f"timed out after {timeout:g} s") for r in results
        )
    return TestRun(results, timed_out, time.monotonic() - started, _tail(output))


async def run_script(
    root: Path,
    files: Mapping[Path, str],
    script: Path,
    *,
    timeout: float,
    python: str | None = None,
) -> ScriptRun:
    """Run `script` (relative to the root) as `python script` on a copy holding `files`."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="filler-demo-") as tmp:
        copy_root = await asyncio.to_thread(_make_copy, root, files, Path(tmp))
        argv = [python or project_python(root), str(script)]
        code, timed_out, output = await _run(argv, copy_root, _child_env(copy_root), timeout)
    return ScriptRun(code, timed_out, time.monotonic() - started, _tail(output))
