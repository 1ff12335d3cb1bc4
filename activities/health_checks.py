"""The health-check activity: seed 000's alerts evaluated, stored and delivered.

Each alert is raised once per (organisation, journey, rule) and stays open,
quietly, while its rule keeps firing; it resolves the first time the rule no
longer fires. Raising and resolving are delivered to a Slack-compatible webhook
and, for critical alerts, to the PagerDuty Events API v2 (``trigger`` and
``resolve`` with one ``dedup_key`` per alert). A delivery that fails is retried
by the next check: the row remembers what reached its destinations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import structlog
from temporalio import activity

from journeys.analytics.health import PeriodHealth, Rule, Severity, findings, periods
from journeys.catalog import Catalog
from journeys.contracts.activities import CHECK_JOURNEY_HEALTH_ACTIVITY
from journeys.contracts.health import (
    AlertChange,
    HealthCheckRequest,
    HealthCheckResult,
)
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.health_alerts import (
    decision_errors_between,
    endings_between,
    open_alert,
    organisations_with_activity,
    undelivered,
)
from journeys.store.step_visits import ARM_DECISION
from journeys.store.tables.journeys import HealthAlert

log = structlog.get_logger(__name__)

RAISED = "raised"
RESOLVED = "resolved"


class AlertDelivery:
    """Posts alert changes to Slack (every alert) and PagerDuty (critical alerts).

    Args:
        slack_url: Slack-compatible incoming webhook; empty: not posted.
        pagerduty_url: PagerDuty Events API v2 endpoint.
        pagerduty_routing_key: Integration key; empty: nothing is paged.
        timeout_seconds: Timeout of each call.
    """

    def __init__(
        self,
        slack_url: str,
        pagerduty_url: str,
        pagerduty_routing_key: str,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._slack = slack_url
        self._pagerduty = pagerduty_url
        self._routing_key = pagerduty_routing_key
        self._timeout = timeout_seconds

    @classmethod
    def from_settings(cls, settings: JourneySettings) -> AlertDelivery:
        """The delivery the settings configure."""
        return cls(
            settings.alert_slack_webhook_url,
            settings.alert_pagerduty_url,
            settings.alert_pagerduty_routing_key.get_secret_value(),
            settings.provider_timeout_seconds,
        )

    def deliver(self, alert: HealthAlert, change: str) -> bool:
        """Post one change (``raised``/``resolved``) everywhere it goes; False if a post failed."""
        posts: list[tuple[str, dict[str, Any]]] = []
        if self._slack:
            posts.append((self._slack, slack_message(alert, change)))
        if self._routing_key and alert.severity == Severity.CRITICAL.value:
            posts.append((self._pagerduty, pagerduty_event(alert, change, self._routing_key)))
        for url, body in posts:
            try:
                httpx.post(url, json=body, timeout=self._timeout).raise_for_status()
            except httpx.HTTPError as err:
                log.error("alert delivery failed", alert_id=alert.id, error=repr(err))
                return False
        return True


def slack_message(alert: HealthAlert, change: str) -> dict[str, Any]:
    """A Slack incoming-webhook body (``text``) for an alert change."""
    if change == RESOLVED:
        text = f":white_check_mark: [RESOLVED] {alert.journey_id} ({alert.org_id}): {alert.message}"
    else:
        icon = ":rotating_light:" if alert.severity == Severity.CRITICAL.value else ":warning:"
        text = (
            f"{icon} [{alert.severity.upper()}] {alert.journey_id} ({alert.org_id}): "
            f"{alert.message}. Action: {alert.action}"
        )
    return {"text": text}


def pagerduty_event(alert: HealthAlert, change: str, routing_key: str) -> dict[str, Any]:
    """A PagerDuty Events API v2 body: ``trigger`` with a payload, or ``resolve``."""
    dedup_key = f"journeys-alert-{alert.id}"
    if change == RESOLVED:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": f"{alert.journey_id}: {alert.message}",
            "source": f"journeys/{alert.org_id}/{alert.journey_id}",
            "severity": alert.severity,
            "component": alert.journey_id,
            "group": alert.org_id,
            "class": alert.rule,
            "custom_details": {
                "action": alert.action,
                "value": alert.value,
                "threshold": alert.threshold,
                "journey_version": alert.journey_version,
            },
        },
    }


class HealthCheckActivities:
    """Evaluates every catalog journey of every organisation against seed 000's rules.

    Args:
        store: The store.
        catalog: The journeys to check.
        settings: Window, baseline and delivery settings.
        delivery: Where changes go; by default from the settings.
    """

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        settings: JourneySettings,
        delivery: AlertDelivery | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._settings = settings
        self._delivery = delivery or AlertDelivery.from_settings(settings)

    @activity.defn(name=CHECK_JOURNEY_HEALTH_ACTIVITY)
    def check_journey_health(self, request: HealthCheckRequest) -> HealthCheckResult:
        """Evaluate, store and deliver; safe to retry (an open alert is never raised twice)."""
        return self.check(request.now)

    def check(self, now: datetime) -> HealthCheckResult:
        """Evaluate the alerts as of ``now`` and deliver what changed (and earlier failures)."""
        span = periods(now, self._settings.alert_window_days, self._settings.alert_baseline_days)
        result = HealthCheckResult()
        with self._store.transaction() as session:
            for org_id in organisations_with_activity(session):
                for definition in self._catalog.current_versions():
                    journey_id = definition.id
                    health = [
                        self._period(session, org_id, journey_id, since, until)
                        for since, until in (
                            (span.window_start, span.end),
                            (span.baseline_start, span.window_start),
                        )
                    ]
                    firing = {f.rule: f for f in findings(health[0], health[1])}
                    result.firing += len(firing)
                    for rule in Rule:
                        current = open_alert(session, org_id, journey_id, rule.value)
                        finding = firing.get(rule)
                        if finding is not None and current is None:
                            session.add(
                                HealthAlert(
                                    org_id=org_id,
                                    journey_id=journey_id,
                                    journey_version=definition.version,
                                    rule=rule.value,
                                    severity=finding.severity.value,
                                    message=finding.message,
                                    action=finding.action,
                                    value=finding.value,
                                    threshold=finding.threshold,
                                    raised_at=now,
                                    last_seen_at=now,
                                )
                            )
                            result.changes.append(
                                AlertChange(
                                    org_id=org_id,
                                    journey_id=journey_id,
                                    rule=rule.value,
                                    severity=finding.severity.value,
                                    change=RAISED,
                                    message=finding.message,
                                )
                            )
                        elif finding is not None and current is not None:
                            current.last_seen_at, current.value = now, finding.value
                        elif current is not None:
                            current.resolved_at = now
                            result.changes.append(
                                AlertChange(
                                    org_id=org_id,
                                    journey_id=journey_id,
                                    rule=rule.value,
                                    severity=current.severity,
                                    change=RESOLVED,
                                    message=current.message,
                                )
                            )
        result.delivery_failures = self._deliver_pending()
        for change in result.changes:
            log.warning("journey health alert", **change.model_dump())
        return result

    def _period(
        self, session: Any, org_id: str, journey_id: str, since: datetime, until: datetime
    ) -> PeriodHealth:
        ended, completed, dropped = endings_between(session, org_id, journey_id, since, until)
        decisions, errors = decision_errors_between(
            session, org_id, journey_id, since, until, excluding=ARM_DECISION
        )
        return PeriodHealth(
            ended=ended,
            completed=completed,
            dropped=dropped,
            decisions=decisions,
            decision_errors=errors,
        )

    def _deliver_pending(self) -> int:
        """Deliver every change not delivered yet (outside any transaction); the failures."""
        with self._store.transaction() as session:
            pending = undelivered(session)
            session.expunge_all()
        failures = 0
        delivered: dict[int, str] = {}
        for alert in pending:
            done = alert.delivered
            steps = [] if RAISED in done else [RAISED]
            if alert.resolved_at is not None:
                steps.append(RESOLVED)
            for change in steps:
                if not self._delivery.deliver(alert, change):
                    failures += 1
                    break
                done = ",".join(filter(None, [done, change]))
            if done != alert.delivered:
                delivered[alert.id] = done
        if delivered:
            with self._store.transaction() as session:
                for alert_id, done in delivered.items():
                    row = session.get(HealthAlert, alert_id)
                    if row is not None:
                        row.delivered = done
        return failures
