"""The runner runs real pytest and real scripts in subprocesses, on a copy of a project tree."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from filler.fill.runner import TestRun, run_script, run_tests, wall_limit
from filler.fill.sandbox import Limit, Limits, SandboxMode
from filler.fill.warm import WarmRunner
from filler.writer import TEMP_SUFFIX
from tests.helpers.projects import build_file_tree

STUB = '''def double(x: int) -> int:
    """Twice x."""
    raise NotImplementedError
'''

TESTS = """import pytest

from pkg.mod import double


@pytest.mark.spec("pkg.mod:double")
def test_double_1() -> None:
    assert double(2) == 4


@pytest.mark.spec("pkg.mod:double")
def test_double_2() -> None:
    assert double(-1) == -2
"""

CONFTEST = """def pytest_configure(config):
    config.addinivalue_line("markers", "spec(unit): generated from the spec")
"""

IDS = ["tests/test_mod.py::test_double_1", "tests/test_mod.py::test_double_2"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    build_file_tree(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": STUB,
            "tests/conftest.py": CONFTEST,
            "tests/test_mod.py": TESTS,
            "examples/mod_demo.py": "from pkg.mod import double\nprint(double(3))\n",
        },
    )
    return tmp_path


def passed(run: TestRun) -> int:
    return sum(r.outcome == "passed" for r in run.results)


def body(expr: str) -> dict[Path, str]:
    return {Path("src/pkg/mod.py"): STUB.replace("raise NotImplementedError", expr)}


def test_a_correct_candidate_passes_every_test(project: Path) -> None:
    run = asyncio.run(run_tests(project, body("return 2 * x"), IDS, timeout=30))
    assert [r.outcome for r in run.results] == ["passed", "passed"]
    assert passed(run) == 2
    assert not run.timed_out


def test_failures_carry_the_assertion_and_a_short_trace(project: Path) -> None:
    run = asyncio.run(run_tests(project, body("return x + 2"), IDS, timeout=30))
    first, second = run.results
    assert first.outcome == "passed"  # 2 + 2 == 4
    assert second.outcome == "failed"
    assert "assert 1 == -2" in second.message
    assert "double(-1)" in second.trace


def test_the_project_itself_is_never_touched(project: Path) -> None:
    before = (project / "src/pkg/mod.py").read_text()
    asyncio.run(run_tests(project, body("return 2 * x"), IDS, timeout=30))
    assert (project / "src/pkg/mod.py").read_text() == before
    assert not list(project.rglob("junit.xml"))


def test_a_half_written_file_of_another_unit_is_not_copied(project: Path) -> None:
    # Another unit's atomic write in flight: copying it would race its rename and fail the run.
    (project / "src/pkg" / f".other.py.x1y2{TEMP_SUFFIX}").write_text("def half(")
    temp_files = f'list(pathlib.Path("src/pkg").glob("*{TEMP_SUFFIX}"))'
    count = f"import pathlib\n    return len({temp_files}) + 2 * x"
    run = asyncio.run(run_tests(project, body(count), IDS, timeout=30))
    assert passed(run) == 2


def test_an_endless_loop_costs_at_most_its_cpu_time(project: Path) -> None:
    started = time.monotonic()
    run = asyncio.run(run_tests(project, body("while True:\n        pass"), IDS, timeout=3))
    elapsed = time.monotonic() - started
    assert run.limit is Limit.CPU and not run.timed_out
    message = "stopped by the CPU time limit (3 s)"
    assert all(r.outcome == "error" and r.message == message for r in run.results)
    assert elapsed < wall_limit(3)


def test_a_body_that_only_waits_meets_the_wall_clock_limit(project: Path) -> None:
    started = time.monotonic()
    wait = "import time\n    time.sleep(600)\n    return 2 * x"
    run = asyncio.run(run_tests(project, body(wait), IDS, timeout=0.1))
    assert run.timed_out and time.monotonic() - started < wall_limit(0.1) + 5
    message = f"timed out: {wall_limit(0.1):g} s of wall-clock time passed"
    assert all(r.outcome == "error" and r.message == message for r in run.results)


async def either_run(project: Path, files: dict[Path, str], warm: bool, timeout: float) -> TestRun:
    """The run of IDS, cold or in a warm runner started for it (whose start is not timed)."""
    if not warm:
        return await run_tests(project, files, IDS, timeout=timeout)
    runner = WarmRunner(project, size=1)
    try:
        await runner.run_tests(body("return 2 * x"), IDS, timeout=timeout)
        return await runner.run_tests(files, IDS, timeout=timeout)
    finally:
        await runner.close()


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_busy_machine_does_not_fail_a_correct_body(project: Path, warm: bool) -> None:
    """Four CPU burners a core: a body that computes for half a second per test takes longer in
    wall-clock time than a 3 s wall-clock timeout allowed, yet its CPU time (well under its 8 s
    limit, pytest's start included) is what is measured: it passes."""
    compute = (
        "import time\n    end = time.process_time() + 0.5\n"
        "    while time.process_time() < end:\n        pass\n    return 2 * x"
    )
    burn = [sys.executable, "-c", "while True: pass"]
    # Each in a session of its own, as the run is: the scheduler shares CPU between sessions
    # (autogroups) first, so burners in the test's own session would hardly slow the run.
    burners = [
        subprocess.Popen(burn, start_new_session=True) for _ in range(4 * (os.cpu_count() or 1))
    ]
    try:
        run = asyncio.run(either_run(project, body(compute), warm, timeout=8))
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert passed(run) == 2, run
    # What a wall-clock timeout of 3 s would have cut; a warm run starts no pytest, so its one
    # second of CPU can fit in 3 s even here: that it waited on the burners is what it shows.
    assert run.seconds > 3 if not warm else run.seconds > (run.cpu_seconds or 0) + 0.2


def test_a_run_killed_by_a_limit_marks_every_result_with_it(project: Path) -> None:
    kill = "import os, signal\n    os.kill(os.getpid(), signal.SIGXCPU)"
    run = asyncio.run(run_tests(project, body(kill), IDS, timeout=30))
    assert run.limit is Limit.CPU and not run.timed_out
    assert {r.message for r in run.results} == {"stopped by the CPU time limit (30 s)"}


@pytest.mark.parametrize("mode", [SandboxMode.NONE, SandboxMode.AUTO])
def test_a_report_cut_short_by_the_file_size_limit_is_a_result_not_a_crash(
    project: Path, mode: SandboxMode
) -> None:
    """A 2 MB assertion message under a 1 MiB file size limit: pytest fails writing its report
    (Python ignores SIGXFSZ: the write raises EFBIG), which is left cut short."""
    huge = 'assert x == "x" * 2_000_000, "y" * 2_000_000\n    return 2 * x'
    limits = Limits(file_size=1 << 20)
    run = asyncio.run(run_tests(project, body(huge), IDS, timeout=30, sandbox=mode, limits=limits))
    assert {r.outcome for r in run.results} == {"error"}
    assert "File too large" in run.output


def test_provider_keys_are_removed_from_the_child(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-secret")
    monkeypatch.setenv("GEMINI_API_KEY", "secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    leak = 'import os\n    return len([k for k in os.environ if k.endswith("_API_KEY")]) + 2 * x'
    run = asyncio.run(run_tests(project, body(leak), IDS, timeout=30))
    assert passed(run) == 2


def test_an_uncollectable_test_id_is_an_error_not_a_pass(project: Path) -> None:
    run = asyncio.run(
        run_tests(project, body("return 2 * x"), ["tests/test_mod.py::nope"], timeout=30)
    )
    assert [r.outcome for r in run.results] == ["error"]


def test_a_script_runs_against_the_candidate(project: Path) -> None:
    script = Path("examples/mod_demo.py")
    ok = asyncio.run(run_script(project, body("return 2 * x"), script, timeout=30))
    assert ok.ok and ok.output.strip() == "6"
    stub = asyncio.run(run_script(project, {}, script, timeout=30))
    assert not stub.ok and "NotImplementedError" in stub.output
