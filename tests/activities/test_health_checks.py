"""Seed 000's alerts: raised once, quiet while they persist, resolved; Slack and PagerDuty."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from activities.health_checks import AlertDelivery, HealthCheckActivities
from journeys.analytics.health import PeriodHealth, Rule, findings
from journeys.catalog import Catalog
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.journeys import HealthAlert
from tests.support.health_data import record_decisions, record_endings
from tests.support.measured_population import MEASURED
from tests.support.provider_servers import Behaviour, HttpProviderServer

ORG = "acme"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ROUTING_KEY = "R0UT1NGKEY0123456789012345678901"


@pytest.fixture
def slack() -> Iterator[HttpProviderServer]:
    server = HttpProviderServer().start()
    yield server
    server.stop()


@pytest.fixture
def pagerduty() -> Iterator[HttpProviderServer]:
    server = HttpProviderServer().start()
    yield server
    server.stop()


def checker(
    store: Store, settings: JourneySettings, slack: HttpProviderServer, pd: HttpProviderServer
) -> HealthCheckActivities:
    delivery = AlertDelivery(f"{slack.url}/hooks/journeys", f"{pd.url}/v2/enqueue", ROUTING_KEY)
    return HealthCheckActivities(store, Catalog([MEASURED]), settings, delivery)


def test_seed_thresholds_exactly() -> None:
    baseline = PeriodHealth(ended=100, completed=80, dropped=10)
    # Drop-off 15% is not above 1.5 x 10%; 15.1% is.
    assert findings(PeriodHealth(ended=1000, completed=800, dropped=150), baseline) == []
    spike = findings(PeriodHealth(ended=1000, completed=800, dropped=151), baseline)
    assert [(f.rule, f.severity.value, f.message) for f in spike] == [
        (Rule.DROPOFF_SPIKE, "critical", "Drop-off rate spiked to 15.1% (baseline: 10.0%)")
    ]
    # Completion 64% is not below 0.8 x 80%; 63.9% is.
    assert findings(PeriodHealth(ended=1000, completed=640, dropped=100), baseline) == []
    decline = findings(PeriodHealth(ended=1000, completed=639, dropped=100), baseline)
    assert [(f.rule, f.severity.value, f.message) for f in decline] == [
        (Rule.COMPLETION_DECLINE, "warning", "Completion rate dropped to 63.9%")
    ]
    # Decision errors: 5% is fine, 5.1% is critical.
    assert findings(PeriodHealth(decisions=1000, decision_errors=50), PeriodHealth()) == []
    errors = findings(PeriodHealth(decisions=1000, decision_errors=51), PeriodHealth())
    assert [(f.rule, f.message, f.action) for f in errors] == [
        (
            Rule.DECISION_ERRORS,
            "AI decision engine error rate: 5.1%",
            "Check model performance and data quality",
        )
    ]


def test_an_alert_fires_once_stays_quiet_while_it_persists_and_resolves(
    store: Store,
    settings: JourneySettings,
    slack: HttpProviderServer,
    pagerduty: HttpProviderServer,
) -> None:
    # Baseline (the 28 days before the last 7): 10% drop-off, 90% completion.
    record_endings(store, ORG, MEASURED.id, NOW - timedelta(days=20), completed=90, dropped=10)
    # Last 7 days: 40% drop-off (> 15%: critical), 60% completion (< 72%: warning).
    record_endings(store, ORG, MEASURED.id, NOW - timedelta(days=2), completed=60, dropped=40)
    record_decisions(store, ORG, MEASURED.id, NOW - timedelta(days=1), ok=94, failed=6)
    check = checker(store, settings, slack, pagerduty)

    first = check.check(NOW)
    raised = {(c.rule, c.change) for c in first.changes}
    assert raised == {
        ("dropoff_spike", "raised"),
        ("completion_decline", "raised"),
        ("decision_errors", "raised"),
    }
    texts = sorted(r.json()["text"] for r in slack.requests)
    assert texts == sorted(
        [
            ":rotating_light: [CRITICAL] measured_onboarding (acme): Drop-off rate spiked to"
            " 40.0% (baseline: 10.0%). Action: Review journey logic and recent changes",
            ":warning: [WARNING] measured_onboarding (acme): Completion rate dropped to 60.0%."
            " Action: A/B test new journey variations",
            ":rotating_light: [CRITICAL] measured_onboarding (acme): AI decision engine error"
            " rate: 6.0%. Action: Check model performance and data quality",
        ]
    )
    # Only the two critical alerts page, in the Events API v2 shape.
    events = [r.json() for r in pagerduty.requests]
    assert [r.path for r in pagerduty.requests] == ["/v2/enqueue", "/v2/enqueue"]
    assert sorted(e["payload"]["class"] for e in events) == ["decision_errors", "dropoff_spike"]
    for event in events:
        assert event["routing_key"] == ROUTING_KEY
        assert event["event_action"] == "trigger"
        assert event["dedup_key"].startswith("journeys-alert-")
        assert event["payload"]["severity"] == "critical"
        assert event["payload"]["source"] == "journeys/acme/measured_onboarding"

    # Still firing an hour later: nothing new is raised or sent.
    again = check.check(NOW + timedelta(hours=1))
    assert again.changes == []
    assert again.firing == 3
    assert (len(slack.requests), len(pagerduty.requests)) == (3, 2)

    # A week on, the bad week has left the window: every alert resolves, once.
    later = NOW + timedelta(days=8)
    resolved = check.check(later)
    assert {(c.rule, c.change) for c in resolved.changes} == {
        ("dropoff_spike", "resolved"),
        ("completion_decline", "resolved"),
        ("decision_errors", "resolved"),
    }
    assert len(slack.requests) == 6
    assert all("[RESOLVED]" in r.json()["text"] for r in slack.requests[3:])
    resolves = [r.json() for r in pagerduty.requests[2:]]
    assert sorted(e["dedup_key"] for e in resolves) == sorted(e["dedup_key"] for e in events)
    assert {e["event_action"] for e in resolves} == {"resolve"}
    assert check.check(later + timedelta(hours=1)).changes == []

    with store.transaction() as session:
        history = session.scalars(select(HealthAlert)).all()
        assert len(history) == 3
        assert all(row.resolved_at == later for row in history)
        assert all(row.raised_at == NOW for row in history)


def test_a_failed_delivery_is_retried_by_the_next_check(
    store: Store,
    settings: JourneySettings,
    slack: HttpProviderServer,
    pagerduty: HttpProviderServer,
) -> None:
    record_endings(store, ORG, MEASURED.id, NOW - timedelta(days=20), completed=90, dropped=10)
    record_endings(store, ORG, MEASURED.id, NOW - timedelta(days=2), completed=88, dropped=12)
    record_decisions(store, ORG, MEASURED.id, NOW - timedelta(days=1), ok=90, failed=10)
    slack.script.append(Behaviour(status=503))
    check = checker(store, settings, slack, pagerduty)
    first = check.check(NOW)
    assert [c.rule for c in first.changes] == ["decision_errors"]
    assert first.delivery_failures == 1
    assert slack.requests == []
    second = check.check(NOW + timedelta(hours=1))
    assert second.changes == []
    assert second.delivery_failures == 0
    assert len(slack.requests) == 1
    assert "error rate: 10.0%" in slack.requests[0].json()["text"]
    assert len(pagerduty.requests) == 1
