"""Prometheus metrics of the worker and the API (``prometheus-client``): the one list.

Every name here is documented in the README's *Metrics* table (a test keeps the
two equal). Counters count since the process started; Prometheus computes rates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from journeys.analytics.health import SEVERITIES
from journeys.client import TrackResult
from journeys.store import Store
from journeys.store.health_alerts import open_alert_counts

REGISTRY = CollectorRegistry()
"""The engine's metrics (the process's own, apart from the client library's defaults)."""

ENROLLMENTS_STARTED = Counter(
    "journeys_enrollments_started",
    "Enrollments started, by journey and version.",
    ["journey_id", "journey_version"],
    registry=REGISTRY,
)
ENROLLMENTS_COMPLETED = Counter(
    "journeys_enrollments_completed",
    "Enrollments that ended at an exit step, by journey and version.",
    ["journey_id", "journey_version"],
    registry=REGISTRY,
)
ENROLLMENTS_EXITED = Counter(
    "journeys_enrollments_exited",
    "Enrollments ended by a goal event, an exit event or an exit request, by journey,"
    " version and reason (goal_reached, exit_event, exit_requested, other).",
    ["journey_id", "journey_version", "reason"],
    registry=REGISTRY,
)
ENROLLMENTS_FAILED = Counter(
    "journeys_enrollments_failed",
    "Enrollment workflow runs stopped by an error in workflow code (failed, or retrying a"
    " failing workflow task), each counted once per worker process, by journey and version.",
    ["journey_id", "journey_version"],
    registry=REGISTRY,
)
EVENTS_ROUTED = Counter(
    "journeys_events_routed",
    "Tracked events by what routing did with each journey: enrolled, signalled, skipped,"
    " missed (signalled, but no enrollment ran); duplicate for an event id seen before.",
    ["result"],
    registry=REGISTRY,
)
DECISION_SECONDS = Histogram(
    "journeys_decision_seconds",
    "Latency of decision activities (scoring, next best action, offers, channel).",
    ["decision"],
    registry=REGISTRY,
)
DECISION_ERRORS = Counter(
    "journeys_decision_errors",
    "Decision activity attempts that raised an error, by decision.",
    ["decision"],
    registry=REGISTRY,
)

SENDS_NAME = "journeys_sends"
PROVIDER_ATTEMPTS_NAME = "journeys_provider_attempts"
ALERTS_NAME = "journeys_alerts_active"

DOCUMENTED_NAMES = (
    "journeys_enrollments_started_total",
    "journeys_enrollments_completed_total",
    "journeys_enrollments_exited_total",
    "journeys_enrollments_failed_total",
    "journeys_events_routed_total",
    f"{SENDS_NAME}_total",
    f"{PROVIDER_ATTEMPTS_NAME}_total",
    "journeys_decision_seconds",
    "journeys_decision_errors_total",
    ALERTS_NAME,
)
"""Every metric name as scraped (counters end in ``_total``); the README lists them."""


def exit_reason(outcome: str | None) -> str:
    """The ``reason`` label of an exited enrollment's outcome (bounded cardinality)."""
    if outcome is None:
        return "other"
    kind = outcome.split(":", 1)[0]
    return kind if kind in {"goal_reached", "exit_event", "exit_requested"} else "other"


class DeliveryCounts(Protocol):
    """What the delivery activities count (``activities.delivery_metrics.DeliveryMetrics``)."""

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Every counter by ``(name, channel, outcome)``."""
        ...


class DeliveryCounters(Collector):
    """Exposes the send and provider-attempt counters of the process's delivery activities.

    Args:
        sends_name: The delivery activities' name of the sends counter.
        attempts_name: Their name of the provider-attempts counter.
    """

    def __init__(self, sends_name: str, attempts_name: str) -> None:
        self._names = {sends_name: SENDS_NAME, attempts_name: PROVIDER_ATTEMPTS_NAME}
        self._lock = threading.Lock()
        # Held for the life of the process, not weakly: a counter whose source was
        # garbage-collected would go down, and Prometheus reads a drop as a reset.
        self._sources: list[DeliveryCounts] = []

    def add(self, source: DeliveryCounts) -> None:
        """Count a worker's delivery activities too, for as long as the process lives."""
        with self._lock:
            if all(known is not source for known in self._sources):
                self._sources.append(source)

    def collect(self) -> Iterator[CounterMetricFamily]:
        """One family per counter, labelled by channel and status, summed over workers."""
        totals: dict[tuple[str, str, str], int] = {}
        with self._lock:
            sources = list(self._sources)
        for source in sources:
            for key, value in source.counts().items():
                totals[key] = totals.get(key, 0) + value
        families = {
            SENDS_NAME: CounterMetricFamily(
                SENDS_NAME, "Sends by channel and final status.", labels=["channel", "status"]
            ),
            PROVIDER_ATTEMPTS_NAME: CounterMetricFamily(
                PROVIDER_ATTEMPTS_NAME,
                "Provider calls by channel and result.",
                labels=["channel", "status"],
            ),
        }
        for (name, channel, outcome), value in sorted(totals.items()):
            target = self._names.get(name)
            if target is not None:
                families[target].add_metric([channel, outcome], value)
        yield from families.values()


class AlertStates(Collector):
    """Active health alerts by rule and severity, read from the store at scrape time.

    Args:
        store: The store.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """``journeys_alerts_active{rule, severity}``, zero for a rule without alerts."""
        family = GaugeMetricFamily(
            ALERTS_NAME, "Unresolved journey health alerts.", labels=["rule", "severity"]
        )
        with self._store.transaction() as session:
            counts = open_alert_counts(session)
        for rule, severity in SEVERITIES.items():
            family.add_metric([rule.value, severity.value], counts.get(rule.value, 0))
        yield family


def count_routed(result: TrackResult) -> None:
    """Count what routing did with one tracked event."""
    if not result.stored:
        EVENTS_ROUTED.labels("duplicate").inc()
        return
    for label, items in (
        ("enrolled", result.enrolled),
        ("signalled", result.signalled),
        ("skipped", result.skipped),
        ("missed", result.missed),
    ):
        if items:
            EVENTS_ROUTED.labels(label).inc(len(items))
