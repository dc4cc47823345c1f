"""Run a candidate's tests, or a demo, on a temporary copy of the project, confined.

The copy holds the candidate module (and any designed test files); the project itself is never
touched. The run happens in `sandbox`'s confinement (bubblewrap when it can start, resource
limits always). `timeout` is the run's CPU time: a candidate that loops forever is stopped by
it, whatever else the machine is doing, and the report says so; a far longer wall-clock limit
(`wall_limit`) catches one that only waits, and then the whole process group is killed. Only
the tail of the output is kept, so code that prints without end cannot grow filler.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from filler.fill.sandbox import Confinement, Limit, Limits, SandboxMode, confine, private_env
from filler.source.units import Unit, UnitKind
from filler.writer import TEMP_SUFFIX

__all__ = [
    "CaseOutcome",
    "ScriptRun",
    "TestResult",
    "TestRun",
    "project_python",
    "return_checked",
    "run_script",
    "run_tests",
]


class CaseOutcome(StrEnum):
    """How one test ended, as pytest's junit report says it."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", ".filler", "site", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", "*.egg-info", "dist", "build", f"*{TEMP_SUFFIX}",
)  # fmt: skip
_TRACE_LINES = 15
# How long output may still arrive once the command has exited: without the sandbox, a daemon
# it started can hold the pipe open for ever.
_DRAIN_SECONDS = 1.0
_LIMITS = Limits()
# As for a warm run's results (`zygote._RESULTS_CAP`): what a test prints into its own report
# must not grow filler, which reads the report whole.
_REPORT_CAP = 16 << 20
# The plugin's module name in a run: nothing a project would call its own.
RETURN_CHECK = "_filler_return_check"
RETURN_CHECK_SOURCE = Path(__file__).with_name("return_check.py").read_text(encoding="utf-8")


def wall_limit(cpu_seconds: float) -> float:
    """The wall-clock limit of a run whose CPU time is limited to `cpu_seconds`.

    The CPU limit measures the candidate; the wall limit only catches one that waits (sleeps,
    blocks on a read) and so must not fire first on a busy machine: generously above it.
    """
    return 3 * cpu_seconds + 10


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    node_id: str
    outcome: CaseOutcome
    message: str = ""
    trace: str = ""


@dataclass(frozen=True)
class TestRun:
    __test__ = False

    results: tuple[TestResult, ...]
    timed_out: bool
    seconds: float
    output: str = ""  # the tail of pytest's output, for when nothing could be collected
    limit: Limit | None = None  # what stopped the run or cut its output, besides the timeout
    cpu_seconds: float | None = None  # of the test process, where it is known (warm runs)


@dataclass(frozen=True)
class ScriptRun:
    returncode: int | None
    timed_out: bool
    seconds: float
    output: str
    limit: Limit | None = None  # what stopped the run or cut its output, besides the timeout

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def project_python(root: Path) -> str:
    """The project's own interpreter when it has a virtual environment, else the filler's."""
    for candidate in (root / ".venv" / "bin" / "python", root / "venv" / "bin" / "python"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def _make_copy(root: Path, files: Mapping[Path, str], into: Path) -> Path:
    copy_root = into / "project"
    shutil.copytree(root, copy_root, ignore=COPY_IGNORE, symlinks=True)
    for relative, text in files.items():
        target = copy_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return copy_root


@dataclass(frozen=True)
class Ended:
    """How a confined command ended: its status (None when it timed out) and its output tail."""

    returncode: int | None
    timed_out: bool
    output: str
    limit: Limit | None


class _Tail(asyncio.Protocol):
    """Keeps the last `cap` bytes of a pipe; what came before is counted and dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.seen = 0
        self.closed = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.seen += len(data)
        self.kept += data
        if len(self.kept) > 2 * self.cap:  # trimmed in halves: linear in what is read
            del self.kept[: -self.cap]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def text(self) -> str:
        return self.kept[-self.cap :].decode("utf-8", "replace")


async def _run(
    confined: Confinement, cwd: Path, env: Mapping[str, str], timeout: float, output_cap: int
) -> Ended:
    read_end, write_end = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            *confined.argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_end,
            stderr=write_end,
            start_new_session=True,  # its own process group, so children die with it
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    transport, tail = await asyncio.get_running_loop().connect_read_pipe(
        functools.partial(_Tail, output_cap), os.fdopen(read_end, "rb", buffering=0)
    )
    timed_out = False
    try:
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            timed_out = True
        finally:  # cancelled (Ctrl-C) included: leave no process behind
            _kill_group(process.pid)
        await process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(tail.closed), _DRAIN_SECONDS)
    finally:
        transport.close()
    returncode = None if timed_out else process.returncode
    limit = confined.limit_of(returncode)
    if limit is None and tail.seen > output_cap:
        limit = Limit.OUTPUT
    return Ended(returncode, timed_out, "" if timed_out else tail.text(), limit)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _tail(text: str, lines: int = _TRACE_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass(frozen=True)
class Case:
    """One test case as pytest's junit reporter words it: (tag, message, text) per outcome part.

    The cold run reads it from the junit XML file, the warm one receives it as JSON: both give
    the same results because both come from the same reporter.
    """

    classname: str
    name: str
    parts: tuple[tuple[str, str | None, str | None], ...]


def _junit_cases(path: Path) -> list[Case]:
    """The cases of a junit report; none from a report that is missing, cut short (the file
    size limit stopped pytest writing it) or too big to read (`_REPORT_CAP`)."""
    try:
        if path.stat().st_size > _REPORT_CAP:
            return []
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    return [
        Case(
            case.get("classname", ""),
            case.get("name", ""),
            tuple((part.tag, part.get("message"), part.text) for part in case),
        )
        for case in root.iter("testcase")
    ]


def results_of(cases: Sequence[Case], wanted: Sequence[str]) -> tuple[TestResult, ...]:
    """The result of each of `wanted`, from what the junit reporter recorded."""
    by_name = {_junit_key(n): n for n in wanted}
    results: dict[str, TestResult] = {}
    for case in cases:
        node_id = by_name.get((case.classname, case.name))
        if node_id is not None:
            results[node_id] = _case_result(node_id, case)
    return tuple(results.get(n, TestResult(n, CaseOutcome.ERROR, "not collected")) for n in wanted)


def _junit_key(node_id: str) -> tuple[str, str]:
    file, _, name = node_id.partition("::")
    return file.removesuffix(".py").replace("/", "."), name


_JUNIT_OUTCOMES: tuple[tuple[str, CaseOutcome], ...] = (
    ("failure", CaseOutcome.FAILED),
    ("error", CaseOutcome.ERROR),
    ("skipped", CaseOutcome.SKIPPED),
)


def _case_result(node_id: str, case: Case) -> TestResult:
    for tag, outcome in _JUNIT_OUTCOMES:
        part = next((p for p in case.parts if p[0] == tag), None)
        if part is not None:
            message = (part[1] or "").strip()
            first = message.splitlines()[0] if message else tag
            return TestResult(node_id, outcome, first, _tail(part[2] or ""))
    return TestResult(node_id, CaseOutcome.PASSED)


def pytest_args(node_ids: Sequence[str], junit: str, checked: Sequence[str] = ()) -> list[str]:
    """pytest's arguments for a run of `node_ids` whose junit report goes to `junit`, checking
    what each of `checked` ("module:qualname") returns against its annotation."""
    checks = [f"--filler-returns={target}" for target in checked]
    return [
        "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--continue-on-collection-errors",
        *(["-p", RETURN_CHECK] if checked else []), *checks,
        f"--junitxml={junit}", "-o", "junit_family=xunit1", *node_ids,
    ]  # fmt: skip


def return_checked(unit: Unit) -> list[str]:
    """The unit's functions ("module:qualname") whose results its tests check against their
    return annotations: an object equal to everything passes an `==` but is no int."""
    if unit.kind is UnitKind.CLASS:
        names = [f"{unit.qualname}.{target}" for target in unit.targets if target != "__init__"]
    else:
        names = [unit.qualname]
    return [f"{unit.module}:{name}" for name in names]


def with_return_check(files: Mapping[Path, str], checked: Sequence[str]) -> Mapping[Path, str]:
    """`files` and, when something is checked, the plugin that checks it, at the run's root
    (on the path of `python -m pytest` there, as of a warm child)."""
    return {**files, Path(f"{RETURN_CHECK}.py"): RETURN_CHECK_SOURCE} if checked else files


async def run_tests(
    root: Path,
    files: Mapping[Path, str],
    node_ids: Sequence[str],
    *,
    timeout: float,
    python: str | None = None,
    sandbox: SandboxMode = SandboxMode.AUTO,
    limits: Limits = _LIMITS,
    checked: Sequence[str] = (),
) -> TestRun:
    """Run `node_ids` on a copy of `root` where `files` (relative path -> text) are written;
    a test of them fails when one of `checked` returns what its annotation does not allow.

    Raises ConfigError when `sandbox` is `bwrap` and bubblewrap cannot start.
    """
    started = time.monotonic()
    if not node_ids:
        return TestRun((), False, 0.0)
    with tempfile.TemporaryDirectory(prefix="filler-tests-") as tmp:
        report = Path(tmp) / "junit.xml"
        args = ["-m", "pytest", *pytest_args(node_ids, str(report), checked)]
        ended = await _run_on_copy(
            root, with_return_check(files, checked), Path(tmp), args,
            python=python, timeout=timeout, sandbox=sandbox, limits=limits,
        )  # fmt: skip
        cases = _junit_cases(report)
    return finished_run(ended, results_of(cases, node_ids), timeout, limits, started)


def finished_run(
    ended: Ended, results: tuple[TestResult, ...], timeout: float, limits: Limits, started: float
) -> TestRun:
    """The run's record: every result marked with what stopped the run, if something did."""
    stop = _stop_reason(ended, timeout)
    if stop:
        results = tuple(TestResult(r.node_id, CaseOutcome.ERROR, stop) for r in results)
    output = _shown(ended, limits)
    return TestRun(results, ended.timed_out, time.monotonic() - started, output, ended.limit)


async def run_script(
    root: Path,
    files: Mapping[Path, str],
    script: Path,
    *,
    timeout: float,
    python: str | None = None,
    sandbox: SandboxMode = SandboxMode.AUTO,
    limits: Limits = _LIMITS,
) -> ScriptRun:
    """Run `script` (relative to the root) as `python script` on a copy holding `files`.

    Raises ConfigError when `sandbox` is `bwrap` and bubblewrap cannot start.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="filler-demo-") as tmp:
        ended = await _run_on_copy(
            root, files, Path(tmp), [str(script)],
            python=python, timeout=timeout, sandbox=sandbox, limits=limits,
        )  # fmt: skip
    output = _shown(ended, limits)
    if ended.limit in _STOPPING:  # the output does not say why it ends
        output = f"{output}\n{_stop_reason(ended, timeout)}".strip()
    return ScriptRun(
        ended.returncode, ended.timed_out, time.monotonic() - started, output, ended.limit
    )


async def _run_on_copy(
    root: Path,
    files: Mapping[Path, str],
    workdir: Path,
    args: Sequence[str],
    *,
    python: str | None,
    timeout: float,
    sandbox: SandboxMode,
    limits: Limits,
) -> Ended:
    """`python args` on a copy of `root` holding `files`, made in `workdir`, confined."""

    def prepare() -> tuple[Confinement, Path, dict[str, str]]:  # file system work: a thread's
        copy_root = _make_copy(root, files, workdir)
        env = private_env(workdir, [copy_root / "src", copy_root])
        confined = confine(
            python or project_python(root), args, workdir=workdir, cwd=copy_root,
            timeout=timeout, limits=limits, mode=sandbox,
        )  # fmt: skip
        return confined, copy_root, env

    confined, copy_root, env = await asyncio.to_thread(prepare)
    return await _run(confined, copy_root, env, wall_limit(timeout), limits.output)


_STOPPING = (Limit.CPU, Limit.FILE_SIZE)


def _stop_reason(ended: Ended, timeout: float) -> str:
    """Why the run ended before its command did, or "" when it did not."""
    if ended.timed_out:
        return f"timed out: {wall_limit(timeout):g} s of wall-clock time passed"
    if ended.limit is Limit.CPU:
        return f"stopped by the CPU time limit ({timeout:g} s)"
    if ended.limit in _STOPPING:
        return f"stopped by the {ended.limit} limit"
    return ""


def _shown(ended: Ended, limits: Limits) -> str:
    output = _tail(ended.output)
    if ended.limit is Limit.OUTPUT:
        output = f"[output over the {limits.output} byte limit: only its end is kept]\n{output}"
    return output
