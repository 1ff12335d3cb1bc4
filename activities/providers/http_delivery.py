"""HTTP calls of the HTTP providers, with one classification of failures.

2xx is delivered; 408, 429 and 5xx are transient (``Retry-After`` honoured);
any other 4xx is permanent (invalid address, bad request). Connection failures
are transient; a timeout or a dropped connection after the request was sent is
ambiguous (the provider may have acted on it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from journeys.errors import AmbiguousDeliveryError, PermanentDeliveryError, TransientDeliveryError

TRANSIENT_STATUS_CODES: frozenset[int] = frozenset({408, 425, 429})
"""4xx statuses that mean "try again later"; every 5xx is transient too."""


def post(
    client: httpx.Client,
    provider: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json: Any = None,
    data: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """POST to a provider and return its 2xx response.

    Raises:
        PermanentDeliveryError: a 4xx other than 408/425/429.
        TransientDeliveryError: 408/425/429/5xx or a failed connection.
        AmbiguousDeliveryError: the request was sent but no answer came.
    """
    try:
        response = client.post(url, headers=headers, json=json, data=data, content=content)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
        raise TransientDeliveryError(f"{provider}: cannot connect: {err!r}") from err
    except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError) as err:
        raise AmbiguousDeliveryError(f"{provider}: no answer: {err!r}") from err
    except httpx.HTTPError as err:
        raise TransientDeliveryError(f"{provider}: {err!r}") from err
    status = response.status_code
    if status < 300:
        return response
    detail = f"{provider}: HTTP {status}: {response.text[:300]}"
    if status >= 500 or status in TRANSIENT_STATUS_CODES:
        raise TransientDeliveryError(detail, retry_after=retry_after_seconds(response))
    raise PermanentDeliveryError(detail)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def timeout(seconds: float) -> httpx.Timeout:
    """The same limit for connecting, writing and reading."""
    return httpx.Timeout(seconds)
