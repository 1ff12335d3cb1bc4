"""The seeds' entry rules through the public client on a real Temporal server: who is
refused, and the reason in the routing result's ``skipped``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from journeys.catalog.activation_retention import ACTIVATION_RETENTION_V3
from journeys.catalog.churn_prevention import CHURN_PREVENTION_V3
from journeys.catalog.welcome import WELCOME_V2
from journeys.client import TrackedEvent
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.network import new_customer_id
from tests.support.temporal import journey_client

ORG = "acme"


async def test_churn_entry_needs_the_probability_and_the_tier(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(time_skipping_env.client, store, settings)
    medium, high = new_customer_id(), new_customer_id()
    await client.identify(
        ORG, medium, attributes={"churn_probability": 0.9, "churn_risk_tier": "medium"}
    )
    await client.identify(
        ORG, high, attributes={"churn_probability": 0.9, "churn_risk_tier": "high"}
    )
    refused = await client.track(
        TrackedEvent(org_id=ORG, customer_id=medium, name="churn_risk_detected")
    )
    assert refused.enrolled == []
    assert [(s.journey_id, s.reason) for s in refused.skipped] == [
        (
            CHURN_PREVENTION_V3.id,
            "entry condition churn_risk_tier in ['high', 'critical'] does not hold"
            " (the profile has 'medium')",
        )
    ]
    entered = await client.track(
        TrackedEvent(org_id=ORG, customer_id=high, name="churn_risk_detected")
    )
    assert entered.enrolled == [f"journey:{ORG}:{CHURN_PREVENTION_V3.id}:{high}"]
    assert entered.skipped == []


async def test_activation_later_than_7_days_after_signup_does_not_enter_the_blueprint(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(time_skipping_env.client, store, settings)
    late, early = new_customer_id(), new_customer_id()
    now = datetime.now(UTC)
    signed_up = (now - timedelta(days=10)).isoformat()
    await client.identify(ORG, late, attributes={"signup_at": signed_up})
    await client.identify(ORG, early, attributes={"signup_at": signed_up})
    activated_late = now - timedelta(days=1)
    refused = await client.track(
        TrackedEvent(
            org_id=ORG, customer_id=late, name="core_feature_activated", occurred_at=activated_late
        )
    )
    assert refused.enrolled == []
    [skipped] = refused.skipped
    assert skipped.journey_id == ACTIVATION_RETENTION_V3.id
    assert skipped.reason.startswith(
        f"the entry event occurred at {activated_late.isoformat()}, not within 7 days, 0:00:00"
        " after signup_at"
    )
    entered = await client.track(
        TrackedEvent(
            org_id=ORG,
            customer_id=early,
            name="core_feature_activated",
            occurred_at=now - timedelta(days=5),
        )
    )
    assert entered.enrolled == [f"journey:{ORG}:activation:{early}"]


async def test_a_sign_up_routed_more_than_24_hours_after_it_occurred_does_not_enroll(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    client = journey_client(time_skipping_env.client, store, settings)
    late, fresh = new_customer_id(), new_customer_id()
    signed_up = datetime.now(UTC) - timedelta(hours=25)
    refused = await client.track(
        TrackedEvent(org_id=ORG, customer_id=late, name="account_created", occurred_at=signed_up)
    )
    assert refused.enrolled == []
    [skipped] = refused.skipped
    assert skipped.journey_id == WELCOME_V2.id
    assert skipped.reason.startswith(
        f"the entry event occurred at {signed_up.isoformat()}, more than 1 day, 0:00:00 before"
    )
    entered = await client.track(
        TrackedEvent(
            org_id=ORG,
            customer_id=fresh,
            name="account_created",
            occurred_at=datetime.now(UTC) - timedelta(hours=23),
        )
    )
    assert entered.enrolled == [f"journey:{ORG}:{WELCOME_V2.id}:{fresh}"]
