"""Settings: CLI flag > environment > [tool.filler] > default, and the provider choice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from filler.config import Overrides, Settings, load_settings
from filler.errors import ConfigError
from filler.fill.sandbox import SandboxMode
from filler.providers.base import ProviderSettings
from tests.helpers.wire import OLLAMA, LoopbackServer

# No Ollama answers here (the discard port), so the automatic choice is hermetic.
NO_OLLAMA = {"OLLAMA_HOST": "127.0.0.1:9"}
NO_FLAGS = Overrides()


def project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "textkit"\n\n[tool.filler]\n{table}\n', encoding="utf-8"
    )
    return tmp_path


def test_defaults_without_any_setting() -> None:
    settings = load_settings(None, NO_FLAGS, NO_OLLAMA)
    assert settings == Settings(provider="local", provider_settings=ProviderSettings())
    assert (settings.max_rounds, settings.samples, settings.jobs) == (3, 1, 4)
    assert (settings.test_timeout, settings.temperature, settings.max_tokens) == (10.0, 0.0, 1024)
    assert (settings.rpm, settings.tpm, settings.max_concurrency) == (None, None, None)
    assert settings.record_path is None
    assert settings.sandbox is SandboxMode.AUTO


def test_every_table_key_is_read(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """provider = "ollama"
model = "qwen2.5-coder:7b"
base-url = "http://gpu:11434"
max-rounds = 5
samples = 2
jobs = 8
test-timeout = 30
temperature = 0.2
max-tokens = 2048
rpm = 30
tpm = 6000
max-concurrency = 3
timeout = 60
model-path = "models/x.gguf"
sandbox = "none"
""",
    )
    settings = load_settings(root, NO_FLAGS, {})
    assert settings.provider == "ollama"
    assert settings.provider_settings == ProviderSettings(
        model="qwen2.5-coder:7b",
        base_url="http://gpu:11434",
        timeout_s=60.0,
        model_path=str(root / "models" / "x.gguf"),
    )
    assert (settings.max_rounds, settings.samples, settings.jobs) == (5, 2, 8)
    assert (settings.test_timeout, settings.temperature, settings.max_tokens) == (30.0, 0.2, 2048)
    assert (settings.rpm, settings.tpm, settings.max_concurrency) == (30, 6000, 3)
    assert settings.sandbox is SandboxMode.NONE


def test_flag_beats_environment_beats_table(tmp_path: Path) -> None:
    root = project(tmp_path, 'provider = "ollama"\nmodel = "from-table"\njobs = 2')
    environ = {**NO_OLLAMA, "FILLER_PROVIDER": "openai", "FILLER_MODEL": "from-env"}
    environ["OPENAI_API_KEY"] = "sk-env"
    settings = load_settings(root, NO_FLAGS, environ)
    assert (settings.provider, settings.provider_settings.model) == ("openai", "from-env")
    assert settings.provider_settings.api_key == "sk-env"
    assert settings.jobs == 2
    flags = Overrides(provider="local", model="from-flag", jobs=6)
    settings = load_settings(root, flags, environ)
    assert (settings.provider, settings.provider_settings.model) == ("local", "from-flag")
    assert (settings.jobs, settings.max_rounds) == (6, 3)


def test_base_url_order(tmp_path: Path) -> None:
    root = project(tmp_path, 'base-url = "http://from-table/v1"')
    environ = {**NO_OLLAMA, "FILLER_PROVIDER": "openai"}
    assert (
        load_settings(root, NO_FLAGS, environ).provider_settings.base_url == "http://from-table/v1"
    )
    environ["OPENAI_BASE_URL"] = "http://from-openai-env/v1"
    assert (
        load_settings(root, NO_FLAGS, environ).provider_settings.base_url
        == "http://from-openai-env/v1"
    )
    environ["FILLER_BASE_URL"] = "http://from-filler-env/v1"
    assert (
        load_settings(root, NO_FLAGS, environ).provider_settings.base_url
        == "http://from-filler-env/v1"
    )
    flags = Overrides(base_url="http://from-flag/v1")
    assert load_settings(root, flags, environ).provider_settings.base_url == "http://from-flag/v1"


def test_a_providers_own_url_variable_is_only_its_own() -> None:
    environ = {**NO_OLLAMA, "OPENAI_BASE_URL": "http://vllm/v1", "GROQ_API_KEY": "gsk"}
    assert load_settings(None, NO_FLAGS, environ).provider_settings.base_url == ""
    environ = {"OLLAMA_HOST": "127.0.0.1:9", "FILLER_PROVIDER": "ollama"}
    assert load_settings(None, NO_FLAGS, environ).provider_settings.base_url == "127.0.0.1:9"


@pytest.mark.parametrize(
    ("keys", "provider", "key"),
    [
        ({"GROQ_API_KEY": "gsk", "OPENAI_API_KEY": "sk"}, "groq", "gsk"),
        ({"GEMINI_API_KEY": "AIza-1", "GOOGLE_API_KEY": "AIza-2"}, "gemini", "AIza-1"),
        ({"GOOGLE_API_KEY": "AIza-2", "OPENAI_API_KEY": "sk"}, "gemini", "AIza-2"),
        ({"OPENAI_API_KEY": "sk"}, "openai", "sk"),
        ({"GROQ_API_KEY": "  "}, "local", ""),
    ],
)
def test_a_configured_key_chooses_the_provider(
    keys: dict[str, str], provider: str, key: str
) -> None:
    settings = load_settings(None, NO_FLAGS, {**NO_OLLAMA, **keys})
    assert (settings.provider, settings.provider_settings.api_key) == (provider, key)


def test_a_reachable_ollama_comes_before_local() -> None:
    with LoopbackServer(OLLAMA) as server:
        settings = load_settings(None, NO_FLAGS, {"OLLAMA_HOST": server.url})
        assert [seen.path for seen in server.requests] == ["/api/tags"]
        assert settings.provider_settings.base_url == server.url
    assert settings.provider == "ollama"


def test_a_server_that_is_not_ollama_is_not_taken_for_one() -> None:
    with LoopbackServer(OLLAMA) as server:
        settings = load_settings(None, NO_FLAGS, {"OLLAMA_HOST": f"{server.url}/elsewhere"})
    assert settings.provider == "local"


@pytest.mark.parametrize(
    ("provider", "variables"),
    [
        ("groq", "GROQ_API_KEY"),
        ("gemini", "GEMINI_API_KEY or GOOGLE_API_KEY"),
        ("openai", "OPENAI_API_KEY"),
    ],
)
def test_a_chosen_provider_without_its_key_says_what_to_set(provider: str, variables: str) -> None:
    with pytest.raises(
        ConfigError, match=f"the {provider} provider needs an API key: set {variables}"
    ):
        load_settings(None, Overrides(provider=provider), NO_OLLAMA)


def test_an_openai_compatible_server_of_ones_own_needs_no_key() -> None:
    flags = Overrides(provider="openai", base_url="http://127.0.0.1:8000/v1")
    assert load_settings(None, flags, NO_OLLAMA).provider_settings.api_key == ""
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_settings(None, replace(flags, base_url="https://api.openai.com/v1"), NO_OLLAMA)


def test_an_unknown_provider_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="FILLER_PROVIDER: unknown provider 'claude'; choose one of groq, gemini"
    ):
        load_settings(None, NO_FLAGS, {"FILLER_PROVIDER": "claude"})
    root = project(tmp_path, 'provider = "gpt"')
    with pytest.raises(ConfigError, match=r"\[tool.filler\] provider in .*pyproject.toml: unknown"):
        load_settings(root, NO_FLAGS, NO_OLLAMA)


def test_replies_mean_replay_and_replay_needs_replies(tmp_path: Path) -> None:
    settings = load_settings(
        None, Overrides(replies=str(tmp_path / "r.json")), {**NO_OLLAMA, "GROQ_API_KEY": "g"}
    )
    assert settings.provider == "replay"
    assert settings.provider_settings.replies_path == str(tmp_path / "r.json")
    with pytest.raises(ConfigError, match="needs a replies file: pass --replies FILE"):
        load_settings(None, Overrides(provider="replay"), NO_OLLAMA)
    with pytest.raises(ConfigError, match="--replies only works with the replay provider"):
        load_settings(None, Overrides(provider="local", replies="r.json"), NO_OLLAMA)


def test_model_path_means_local_and_record_is_a_path(tmp_path: Path) -> None:
    flags = Overrides(model_path="~/models/x.gguf", record=str(tmp_path / "rec.json"))
    settings = load_settings(None, flags, {**NO_OLLAMA, "GROQ_API_KEY": "g"})
    assert settings.provider == "local"
    assert settings.provider_settings.model_path == str(Path("~/models/x.gguf").expanduser())
    assert settings.record_path == tmp_path / "rec.json"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("max_rounds = 3", r"unknown key 'max_rounds' \(did you mean 'max-rounds'\?\)"),
        ("api-key = 'gsk'", r"unknown key 'api-key' \(known: provider, model, base-url"),
        ('jobs = "four"', r"\[tool.filler\] jobs in .*: expected a positive integer, not 'four'"),
        ("jobs = 0", "jobs in .*: expected a positive integer, not 0"),
        ("rpm = true", "rpm in .*: expected a positive integer, not True"),
        ("temperature = 5", "temperature in .*: expected a number from 0 to 2, not 5"),
        ("test-timeout = -1", "test-timeout in .*: expected a positive number of seconds"),
        ('model = ""', "model in .*: expected a non-empty string"),
        ("jobs = ", "cannot be read as TOML"),
    ],
)
def test_bad_table_values_name_the_key_and_the_fix(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(project(tmp_path, table), NO_FLAGS, NO_OLLAMA)


def test_bad_flag_values_name_the_flag() -> None:
    with pytest.raises(ConfigError, match="--samples: expected a positive integer, not -2"):
        load_settings(None, Overrides(samples=-2), NO_OLLAMA)


def test_the_sandbox_setting_comes_from_flag_environment_or_table(tmp_path: Path) -> None:
    root = project(tmp_path, 'sandbox = "bwrap"')
    assert load_settings(root, NO_FLAGS, NO_OLLAMA).sandbox is SandboxMode.BWRAP
    environ = {**NO_OLLAMA, "FILLER_SANDBOX": "none"}
    assert load_settings(root, NO_FLAGS, environ).sandbox is SandboxMode.NONE
    assert load_settings(root, Overrides(sandbox="auto"), environ).sandbox is SandboxMode.AUTO
    with pytest.raises(ConfigError, match="FILLER_SANDBOX: expected one of auto, bwrap, none"):
        load_settings(None, NO_FLAGS, {**NO_OLLAMA, "FILLER_SANDBOX": "docker"})


def test_tool_filler_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nfiller = "groq"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[tool.filler\] in .* must be a table"):
        load_settings(tmp_path, NO_FLAGS, NO_OLLAMA)


def test_a_project_without_pyproject_uses_the_other_sources(tmp_path: Path) -> None:
    assert load_settings(tmp_path, Overrides(jobs=2), NO_OLLAMA).jobs == 2
