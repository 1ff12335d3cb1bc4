"""The store's behaviour counts and their in-memory twin (the simulator's) agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journeys.scoring.predictive_models import count_behaviour
from journeys.store import Store
from journeys.store.behaviour_features import behaviour_counts
from journeys.store.customers import upsert_customer
from journeys.store.events import record_event

AS_OF = datetime(2026, 3, 2, 12, tzinfo=UTC)

EVENTS = [
    ("login", AS_OF - timedelta(days=95)),  # beyond the 90-day lookback
    ("login", AS_OF - timedelta(days=45)),  # within the lookback, not the 30 days
    ("login", AS_OF - timedelta(days=29)),
    ("login", AS_OF - timedelta(days=1)),
    ("pricing_page_viewed", AS_OF - timedelta(days=10)),  # 30 days, not 7
    ("pricing_page_viewed", AS_OF - timedelta(days=2)),
    ("feature_used", AS_OF - timedelta(hours=3)),
    ("feature_used", AS_OF + timedelta(hours=1)),  # after as_of
]


def test_in_memory_counts_match_the_store(store: Store) -> None:
    with store.transaction() as session:
        upsert_customer(session, org_id="acme", customer_id="c", attributes={})
        for index, (name, at) in enumerate(EVENTS):
            record_event(
                session,
                org_id="acme",
                event_id=f"e{index}",
                customer_id="c",
                name=name,
                occurred_at=at,
                properties={},
            )
    with store.transaction() as session:
        stored = behaviour_counts(session, org_id="acme", as_of=AS_OF, customer_ids=["c"])["c"]
    in_memory = count_behaviour(EVENTS, AS_OF)
    assert in_memory == stored
    assert in_memory.counts_30d == {"login": 2, "pricing_page_viewed": 2, "feature_used": 1}
    assert in_memory.pricing_views_7d == 1
    assert in_memory.last_event_at == AS_OF - timedelta(hours=3)
