"""The provider registry, `open_provider`'s stack, and the public surface of the package."""

from __future__ import annotations

import asyncio
import importlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from filler.config import Settings
from filler.providers import PROVIDERS, open_provider
from filler.providers.base import Message, Provider, ProviderSettings, Request
from filler.providers.guarded import Guarded
from filler.providers.recording import Recording
from filler.providers.replay import ReplayProvider
from filler.providers.retry import RetryPolicy
from tests.helpers.wire import OPENAI, LoopbackServer

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


def test_every_provider_is_registered_under_its_name() -> None:
    assert list(PROVIDERS) == ["groq", "gemini", "ollama", "openai", "local", "replay"]
    for name, provider in PROVIDERS.items():
        assert provider.name == name
        assert provider.default_model, f"{name} documents no default model"


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
