"""The helpers the groq and openai providers share (their error translation is tested there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from filler.providers._openai_compat import rate_limit_headers, retry_after_from_headers


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "300", "retry-after": "9"}, 0.3),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_from_headers(headers) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    waited = retry_after_from_headers({"retry-after": later})
    assert waited is not None
    assert 28 <= waited <= 30


def test_rate_limit_headers_lose_their_prefix() -> None:
    headers = {
        "X-RateLimit-Remaining-Requests": "9",
        "x-ratelimit-reset-tokens": "7.66s",
        "content-type": "application/json",
    }
    assert rate_limit_headers(headers) == {"remaining-requests": "9", "reset-tokens": "7.66s"}
