"""Counters of send outcomes and provider attempts, per channel (process-local).

The communication log and ``provider_attempts`` table are the durable record;
these counters are what a metrics endpoint or a log line exposes cheaply.
"""

from __future__ import annotations

import threading
from collections import Counter


class DeliveryMetrics:
    """Thread-safe counters keyed by ``(name, channel, outcome)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def count(self, name: str, channel: str, outcome: str) -> None:
        """Add one to a counter (``sends``/``attempts``, channel, outcome)."""
        with self._lock:
            self._counts[(name, channel, outcome)] += 1

    def value(self, name: str, channel: str, outcome: str) -> int:
        """A counter's current value."""
        with self._lock:
            return self._counts[(name, channel, outcome)]

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Every counter by ``(name, channel, outcome)`` (a copy)."""
        with self._lock:
            return dict(self._counts)

    def snapshot(self) -> dict[str, int]:
        """Every counter as ``name{channel,outcome}`` -> value."""
        with self._lock:
            return {
                f"{name}{{channel={channel},outcome={outcome}}}": value
                for (name, channel, outcome), value in sorted(self._counts.items())
            }
