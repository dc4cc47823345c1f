"""The ollama provider against a loopback server speaking Ollama's `/api/chat`."""

from __future__ import annotations

import pytest

from filler.providers.base import Provider, ProviderSettings
from filler.providers.ollama import OllamaProvider, ollama_url
from tests.helpers.wire import OLLAMA, Seen
from tests.providers.contract import ProviderContract


class TestOllama(ProviderContract):
    dialect = OLLAMA
    has_auth = False
    has_daily_quota = False
    sends_retry_after = False

    def make(self, url: str, *, timeout_s: float = 5.0, model: str = "") -> Provider:
        return OllamaProvider(ProviderSettings(model=model, base_url=url, timeout_s=timeout_s))

    def check_request(self, seen: Seen) -> None:
        assert seen.path == "/api/chat"
        assert seen.body is not None
        assert seen.body["model"] == OllamaProvider.default_model
        assert seen.body["stream"] is False
        assert [m["role"] for m in seen.body["messages"]] == ["system", "user"]
        assert seen.body["options"] == {"temperature": 0, "num_predict": 256, "seed": 7}


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("gpu-box:8080", "http://gpu-box:8080"),
        ("http://localhost", "http://localhost:80"),
        ("https://models.example.org/ollama/", "https://models.example.org:443/ollama"),
    ],
)
def test_ollama_host_is_read_as_the_ollama_client_reads_it(host: str, url: str) -> None:
    assert ollama_url(host) == url
