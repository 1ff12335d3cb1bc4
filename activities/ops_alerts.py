"""Ops alerts: a Slack-compatible incoming webhook (``{"text": ...}``), rate-limited."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import structlog

log = structlog.get_logger(__name__)


class OpsAlerts:
    """Posts alerts to a Slack-compatible webhook, at most one per kind and channel per interval.

    Args:
        url: The webhook URL; empty means alerts are only logged.
        interval_seconds: Least time between two alerts with the same kind and channel.
        timeout_seconds: Timeout of the webhook call.
        clock: Monotonic time source.
    """

    def __init__(
        self,
        url: str,
        *,
        interval_seconds: float,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.url = url
        self.interval = interval_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def alert(self, kind: str, channel: str, text: str) -> bool:
        """Raise an alert unless one of the same kind and channel went out recently.

        Returns whether it was posted. A failing webhook is logged, never raised:
        alerting must not break sending.
        """
        now = self._clock()
        with self._lock:
            last = self._last.get((kind, channel))
            if last is not None and now - last < self.interval:
                return False
            self._last[(kind, channel)] = now
        log.warning("ops alert", kind=kind, channel=channel, text=text)
        if not self.url:
            return False
        try:
            response = httpx.post(
                self.url,
                json={"text": f":rotating_light: [{kind}] {channel}: {text}"},
                timeout=self._timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as err:
            log.error("ops alert webhook failed", error=repr(err))
            return False
        return True
