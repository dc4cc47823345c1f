"""The provider registry, `open_provider`'s stack, what the provider classes know before they
are opened, and the public surface of the package."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from filler.config import Overrides, Settings, load_settings
from filler.providers import PROVIDERS, open_provider
from filler.providers.base import Message, Provider, ProviderSettings, Request
from filler.providers.guarded import Guarded
from filler.providers.recording import Recording
from filler.providers.replay import ReplayProvider
from filler.providers.retry import RetryPolicy
from tests.helpers.wire import GEMINI, OLLAMA, OPENAI, Dialect, LoopbackServer

PUBLIC_MODULES = [
    "filler.config",
    "filler.providers",
    "filler.providers.base",
    "filler.providers.gemini",
    "filler.providers.groq",
    "filler.providers.guarded",
    "filler.providers.local",
    "filler.providers.ollama",
    "filler.providers.openai",
    "filler.providers.prices",
    "filler.providers.ratelimit",
    "filler.providers.recording",
    "filler.providers.replay",
    "filler.providers.retry",
]
KEYS = {"GROQ_API_KEY": "gsk", "GEMINI_API_KEY": "AIza", "OPENAI_API_KEY": "sk"}


def test_every_provider_is_registered_under_its_name() -> None:
    # In the order they are tried when no provider is named.
    assert list(PROVIDERS) == ["groq", "gemini", "openai", "ollama", "local", "replay"]
    for name, provider in PROVIDERS.items():
        assert provider.name == name
        assert provider.default_model, f"{name} documents no default model"


def test_choosing_a_provider_imports_no_sdk() -> None:
    """The classes say what a provider needs; the SDKs come in only when one is opened."""
    script = textwrap.dedent(
        """
        import sys
        from filler.config import Overrides, load_settings
        from filler.providers import PROVIDERS
        for name in PROVIDERS:
            PROVIDERS[name].key_env, PROVIDERS[name].base_url_env
        load_settings(None, Overrides(), {"OLLAMA_HOST": "127.0.0.1:9"})
        print(sorted(m for m in sys.modules if m.partition(".")[0] in
              {"groq", "openai", "ollama", "httpx2", "llama_cpp"} or m.startswith("google.genai")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("provider", "variable", "dialect", "path"),
    [
        ("groq", "GROQ_BASE_URL", OPENAI, ""),
        ("openai", "OPENAI_BASE_URL", OPENAI, "/v1"),
        ("gemini", "GOOGLE_GEMINI_BASE_URL", GEMINI, ""),
        ("ollama", "OLLAMA_HOST", OLLAMA, ""),
    ],
)
def test_each_provider_honours_its_sdks_base_url_variable(
    provider: str, variable: str, dialect: Dialect, path: str
) -> None:
    async def one_call(opened: Provider) -> str:
        async with opened:
            return (await opened.complete(Request((Message("user", "hi"),), "pkg.a:f"))).text

    with LoopbackServer(dialect) as server:
        environ = {"FILLER_PROVIDER": provider, variable: f"{server.url}{path}", **KEYS}
        settings = load_settings(None, Overrides(), environ)
        assert PROVIDERS[provider].base_url_env == variable
        assert asyncio.run(one_call(open_provider(settings))) == "ok"
        assert len(server.completions) == 1


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_modules_export_exactly_what_they_define(module: str) -> None:
    loaded = importlib.import_module(module)
    exported = loaded.__all__
    assert sorted(exported) == sorted(set(exported))
    for name in exported:
        assert hasattr(loaded, name), f"{module}.__all__ names {name}, which does not exist"


def openai_settings(server: LoopbackServer) -> Settings:
    provider = ProviderSettings(model="served", base_url=f"{server.url}/v1", timeout_s=5)
    return Settings("openai", provider)


def test_network_providers_are_guarded() -> None:
    with LoopbackServer(OPENAI) as server:
        settings = replace(openai_settings(server), rpm=30, tpm=6000, max_concurrency=3)
        provider = open_provider(settings)
        assert isinstance(provider, Guarded)
        assert (provider.limiter.rpm, provider.limiter.tpm) == (30, 6000)
        assert provider.limiter.max_concurrency == 3
        assert (provider.name, provider.model) == ("openai", "served")
        asyncio.run(provider.aclose())


def test_recording_is_the_outer_layer_and_the_stack_answers(tmp_path: Path) -> None:
    record = tmp_path / "replies.json"

    async def one_call(provider: Provider) -> str:
        async with provider:
            return (await provider.complete(Request((Message("user", "hi"),), "pkg.a:f"))).text

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.server_error(), OPENAI.ok("recorded"))
        quick = RetryPolicy(initial_wait_s=0.01, jitter_s=0.0)
        provider = open_provider(replace(openai_settings(server), record_path=record, retry=quick))
        assert isinstance(provider, Recording)
        assert isinstance(provider.inner, Guarded)
        assert (provider.name, provider.model) == ("openai", "served")
        assert asyncio.run(one_call(provider)) == "recorded"
    assert json.loads(record.read_text(encoding="utf-8")) == {"pkg.a:f": ["recorded"]}


def test_replay_is_not_guarded(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text("{}", encoding="utf-8")
    provider = open_provider(Settings("replay", ProviderSettings(replies_path=str(replies))))
    assert isinstance(provider, ReplayProvider)
