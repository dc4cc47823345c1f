"""Settings for a run: CLI flags > environment > `[tool.filler]` in pyproject.toml > defaults.

Each setting takes the first value found in that order. The provider, when none is named
anywhere, is the first in the registry that works here (`Provider.works_here`: its key is set,
or an Ollama answers; else `local`). `--replies` alone means `replay`, and `--model-path`
alone means `local`. What a provider needs (its key's and its server URL's variables) is read
from its class. A setting that cannot work raises `ConfigError`: one line naming where the bad
value came from and what to set.

`[tool.filler]` keys: provider, model, base-url, max-rounds, samples, jobs, test-timeout,
temperature, max-tokens, rpm, tpm, max-concurrency, timeout, model-path, sandbox. API keys are
read from the environment only.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from filler.errors import ConfigError
from filler.fill.sandbox import SandboxMode
from filler.providers import PROVIDERS
from filler.providers.base import Provider, ProviderSettings
from filler.providers.retry import RetryPolicy

__all__ = ["Overrides", "Settings", "load_settings"]

T = TypeVar("T")
D = TypeVar("D")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know about models, limits and the fill loop."""

    provider: str
    provider_settings: ProviderSettings
    rpm: int | None = None
    tpm: int | None = None
    # Provider calls in flight at once; None: as many as the fill can make (jobs x samples).
    max_concurrency: int | None = None
    max_rounds: int = 3
    samples: int = 1
    jobs: int = 4
    test_timeout: float = 10.0
    temperature: float = 0.0
    max_tokens: int = 1024
    record_path: Path | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sandbox: SandboxMode = SandboxMode.AUTO  # where generated code runs


@dataclass(frozen=True)
class Overrides:
    """Settings given on the command line (or by a Python caller): they win over everything.

    Field names are the settings' flag names (`max_rounds` for `--max-rounds`); None: not given.
    """

    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    model_path: str | None = None
    replies: str | None = None
    record: str | None = None
    max_rounds: int | None = None
    temperature: float | None = None
    samples: int | None = None
    jobs: int | None = None
    test_timeout: float | None = None
    sandbox: str | None = None


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("expected a positive integer")
    return value


def _positive_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError("expected a positive number of seconds")
    return float(value)


def _temperature(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
        raise ValueError("expected a number from 0 to 2")
    return float(value)


def _sandbox_mode(value: object) -> SandboxMode:
    try:
        return SandboxMode(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"expected one of {', '.join(SandboxMode)}") from None


def _text(value: object) -> str:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError("expected a non-empty string")
    return str(value).strip()


@dataclass(frozen=True)
class _Option(Generic[T]):
    """One setting: its `[tool.filler]` key, CLI flag name, environment variables and check."""

    key: str
    parse: Callable[[object], T]
    env: tuple[str, ...] = ()
    in_table: bool = True

    @property
    def flag(self) -> str:
        return self.key.replace("-", "_")


_PROVIDER = _Option("provider", _text, env=("FILLER_PROVIDER",))
_MODEL = _Option("model", _text, env=("FILLER_MODEL",))
_BASE_URL = _Option("base-url", _text, env=("FILLER_BASE_URL",))
_MODEL_PATH = _Option("model-path", _text)
_TIMEOUT = _Option("timeout", _positive_float)
_REPLIES = _Option("replies", _text, in_table=False)
_RECORD = _Option("record", _text, in_table=False)
_MAX_ROUNDS = _Option("max-rounds", _positive_int)
_SAMPLES = _Option("samples", _positive_int)
_JOBS = _Option("jobs", _positive_int)
_TEST_TIMEOUT = _Option("test-timeout", _positive_float)
_TEMPERATURE = _Option("temperature", _temperature)
_MAX_TOKENS = _Option("max-tokens", _positive_int)
_RPM = _Option("rpm", _positive_int)
_TPM = _Option("tpm", _positive_int)
_MAX_CONCURRENCY = _Option("max-concurrency", _positive_int)
_SANDBOX = _Option("sandbox", _sandbox_mode, env=("FILLER_SANDBOX",))
_OPTIONS = (
    _PROVIDER, _MODEL, _BASE_URL, _MODEL_PATH, _TIMEOUT, _REPLIES, _RECORD, _MAX_ROUNDS,
    _SAMPLES, _JOBS, _TEST_TIMEOUT, _TEMPERATURE, _MAX_TOKENS, _RPM, _TPM, _MAX_CONCURRENCY,
    _SANDBOX,
)  # fmt: skip
_TABLE_KEYS = tuple(option.key for option in _OPTIONS if option.in_table)


class _Sources:
    """The flags, environment and `[tool.filler]` table of one run, searched in that order."""

    def __init__(
        self, flags: Overrides, environ: Mapping[str, str], pyproject: Path | None
    ) -> None:
        self.flags = flags
        self.environ = environ
        self.pyproject = pyproject
        self.table = _read_table(pyproject) if pyproject else {}

    def flag(self, option: _Option[T]) -> tuple[object, str] | None:
        # Settings no flag sets (rpm, max-tokens, ...) have no field.
        value = getattr(self.flags, option.flag, None)
        return None if value is None else (value, f"--{option.key}")

    def get(self, option: _Option[T], *env: str) -> tuple[object, str] | None:
        """The value of `option` and where it came from, or None when nothing sets it.

        `env` names more variables, read after the option's own; an empty name reads nothing.
        """
        found = self.flag(option)
        if found is not None:
            return found
        for name in (*option.env, *env):
            if self.environ.get(name, "").strip():
                return self.environ[name], name
        if option.in_table and option.key in self.table:
            return self.table[option.key], f"[tool.filler] {option.key} in {self.pyproject}"
        return None

    def value(self, option: _Option[T], default: D, *env: str) -> T | D:
        found = self.get(option, *env)
        return default if found is None else _parse(option, found)


def _parse(option: _Option[T], found: tuple[object, str]) -> T:
    value, where = found
    try:
        return option.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}, not {value!r}") from None


def _read_table(pyproject: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject} cannot be read as TOML: {exc}") from exc
    tool = data.get("tool", {})
    table = tool.get("filler", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.filler] in {pyproject} must be a table of settings")
    for key in table:
        if key not in _TABLE_KEYS:
            close = difflib.get_close_matches(key, _TABLE_KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(_TABLE_KEYS)}"
            raise ConfigError(f"[tool.filler] in {pyproject}: unknown key '{key}' ({hint})")
    return table


def load_settings(
    project_root: Path | None, flags: Overrides, environ: Mapping[str, str]
) -> Settings:
    """Resolve every setting for a run in `project_root` (None: no project, flags and env only).

    `flags` holds the settings the CLI (or the caller) gives; None means "not given".
    """
    sources = _Sources(flags, environ, project_root / "pyproject.toml" if project_root else None)
    name = _choose_provider(sources)
    provider = PROVIDERS[name]
    replies = sources.value(_REPLIES, "")
    if name == "replay" and not replies:
        raise ConfigError("the replay provider needs a replies file: pass --replies FILE")
    if replies and name != "replay":
        raise ConfigError(f"--replies only works with the replay provider, not with {name}")
    base_url = sources.value(_BASE_URL, "", provider.base_url_env)
    record = sources.value(_RECORD, "")
    return Settings(
        provider=name,
        provider_settings=ProviderSettings(
            model=sources.value(_MODEL, ""),
            base_url=base_url,
            api_key=_api_key(provider, base_url, environ),
            timeout_s=sources.value(_TIMEOUT, ProviderSettings.timeout_s),
            model_path=_model_path(sources, project_root),
            replies_path=replies,
        ),
        rpm=sources.value(_RPM, None),
        tpm=sources.value(_TPM, None),
        max_concurrency=sources.value(_MAX_CONCURRENCY, None),
        max_rounds=sources.value(_MAX_ROUNDS, Settings.max_rounds),
        samples=sources.value(_SAMPLES, Settings.samples),
        jobs=sources.value(_JOBS, Settings.jobs),
        test_timeout=sources.value(_TEST_TIMEOUT, Settings.test_timeout),
        temperature=sources.value(_TEMPERATURE, Settings.temperature),
        max_tokens=sources.value(_MAX_TOKENS, Settings.max_tokens),
        record_path=Path(record) if record else None,
        sandbox=sources.value(_SANDBOX, Settings.sandbox),
    )


def _choose_provider(sources: _Sources) -> str:
    """The provider named by a flag (or implied by --replies / --model-path), env or pyproject;
    else the first one that can work."""
    found = sources.flag(_PROVIDER)
    if found is None and sources.flags.replies is not None:
        found = ("replay", "--replies")
    if found is None and sources.flags.model_path is not None:
        found = ("local", "--model-path")
    found = found or sources.get(_PROVIDER)
    if found is None:
        return next(n for n, p in PROVIDERS.items() if p.works_here(sources.environ))
    name = _parse(_PROVIDER, found)
    if name not in PROVIDERS:
        raise ConfigError(
            f"{found[1]}: unknown provider '{name}'; choose one of {', '.join(PROVIDERS)}"
        )
    return name


def _api_key(provider: type[Provider], base_url: str, environ: Mapping[str, str]) -> str:
    key = provider.key_in(environ)
    if not key and provider.needs_key(base_url):
        raise ConfigError(
            f"the {provider.name} provider needs an API key: set {' or '.join(provider.key_env)} "
            "(or choose another provider with --provider or FILLER_PROVIDER)"
        )
    return key


def _model_path(sources: _Sources, project_root: Path | None) -> str:
    found = sources.get(_MODEL_PATH)
    if found is None:
        return ""
    path = Path(_parse(_MODEL_PATH, found)).expanduser()
    # A path in pyproject.toml is relative to the project; a flag's, to where filler runs.
    if project_root is not None and found[1].startswith("[tool.filler]"):
        path = project_root / path
    return str(path)
