"""Every exception filler raises, in one tree.

    FillerError
    ├── UserError                bad input or configuration; `str()` is a one-line message (exit 2)
    │   ├── SpecError            a spec field is invalid; names the field and the fix
    │   ├── ProjectError         not a filler project, a dirty git tree, a damaged lock file ...
    │   └── ConfigError          a setting or provider choice that cannot work (missing key ...)
    ├── PlanFailed               `filler plan` got no valid spec from the model (exit 1)
    └── ProviderError            a provider call failed; raised at its boundary `from` the SDK error
        ├── Retryable            worth another try after `retry_after` seconds (None: use backoff)
        │   ├── RateLimited      429 / RESOURCE_EXHAUSTED per minute
        │   └── TransientError   5xx, timeouts, dropped connections, malformed replies
        ├── QuotaExhausted       a per-day (or longer) quota: never retried; `resets_at` when known
        ├── BadRequest           400 / 413: the request itself is wrong; never retried
        │   └── BatchTooLarge    a batch job refused for its size (file or request count): split it
        ├── BatchPending         the call's batch still runs and the run does not wait for it
        ├── BatchGone            the provider no longer knows the call's batch (404 on it)
        ├── NoReply              the replay provider has no reply left for that unit
        └── ProviderSetupError   also a UserError: fixing it needs the user (exit 2)
            ├── AuthFailed       401 / 403
            ├── ModelNotFound    404 on the model, or a model the server does not list
            └── ProviderUnavailable  the host cannot be reached, or the local model is not installed

Exceptions never print; the CLI turns them into one line and an exit code in one place.
"""

from __future__ import annotations

__all__ = [
    "AuthFailed",
    "BadRequest",
    "BatchGone",
    "BatchPending",
    "BatchTooLarge",
    "ConfigError",
    "FillerError",
    "ModelNotFound",
    "NoReply",
    "PlanFailed",
    "ProjectError",
    "ProviderError",
    "ProviderSetupError",
    "ProviderUnavailable",
    "QuotaExhausted",
    "RateLimited",
    "Retryable",
    "SpecError",
    "TransientError",
    "UserError",
]


class FillerError(Exception):
    """Base of every error filler raises on purpose."""


class UserError(FillerError):
    """Something only the user can fix; the message says what to do."""


class SpecError(UserError):
    """A spec field is invalid.

    `field` is a dotted path into the spec (`features[0].functions[1].params`).
    """

    def __init__(self, field: str, problem: str, fix: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        message = f"{field}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class ProjectError(UserError):
    """The project on disk cannot be worked on as asked."""


class ConfigError(UserError):
    """A setting, flag or provider choice that cannot work."""


class PlanFailed(FillerError):
    """No draft the model wrote passed the spec's validation within the allowed rounds."""


class ProviderError(FillerError):
    """A provider call failed. `provider` names which one."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        self.provider = provider
        super().__init__(f"{provider}: {message}" if provider else message)


class Retryable(ProviderError):
    """A failure that may pass: retry after `retry_after` seconds, or back off when None."""

    def __init__(
        self, message: str, *, provider: str = "", retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider)


class RateLimited(Retryable):
    """The provider asked us to slow down (HTTP 429 or its equivalent)."""


class TransientError(Retryable):
    """A server error, a timeout, a dropped connection or a reply that did not parse."""


class QuotaExhausted(ProviderError):
    """A quota that does not refill within the run (per day or longer); never retried."""

    def __init__(self, message: str, *, provider: str = "", resets_at: str | None = None) -> None:
        self.resets_at = resets_at
        super().__init__(message, provider=provider)


class BadRequest(ProviderError):
    """The request was refused as it stands (400, or 413 prompt too large); never retried."""


class BatchTooLarge(BadRequest):
    """The provider refused a batch job for its size (file or request count): split it."""


class BatchPending(ProviderError):
    """The call's batch is still running and the run does not wait for it (`--no-wait`, or a
    batch of the round went out): running the same command again picks it up."""


class BatchGone(ProviderError):
    """The provider answers 404 for a batch this fill sent: deleted on its side, or made with
    another account or key. Its requests are forgotten, to be sent again."""


class NoReply(ProviderError):
    """The replay provider was asked for a reply it does not have."""


class ProviderSetupError(ProviderError, UserError):
    """A provider cannot work until the user changes something (a key, a model, a host)."""


class AuthFailed(ProviderSetupError):
    """The key was refused (401/403)."""


class ModelNotFound(ProviderSetupError):
    """The model does not exist on that provider (it may have been retired)."""


class ProviderUnavailable(ProviderSetupError):
    """The provider cannot be reached, or its local parts are not installed."""
