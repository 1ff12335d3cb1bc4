"""Events carry their routing state: unrouted until marked, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journeys.store import Store
from journeys.store.events import (
    find_unrouted_event,
    mark_events_routed,
    record_event,
    unrouted_events,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def store_events(store: Store) -> None:
    with store.transaction() as session:
        for org_id, event_id, route, minute in (
            ("acme", "a-1", True, 0),
            ("acme", "a-2", False, 1),  # nothing listens to it: stored as routed
            ("globex", "g-1", True, 2),
            ("acme", "a-3", True, 3),
        ):
            record_event(
                session,
                org_id=org_id,
                event_id=event_id,
                customer_id="c-1",
                name="demo_started",
                occurred_at=T0,
                properties={"n": minute},
                route=route,
                received_at=T0 + timedelta(minutes=minute),
            )


def routing_state_is_kept(store: Store) -> None:
    store_events(store)
    with store.transaction() as session:
        pending = unrouted_events(session, received_before=T0 + timedelta(minutes=3), limit=10)
        assert [(e.org_id, e.event_id, e.received_at) for e in pending] == [
            ("acme", "a-1", T0),
            ("globex", "g-1", T0 + timedelta(minutes=2)),
        ]
        [oldest] = unrouted_events(session, received_before=T0 + timedelta(hours=1), limit=1)
        assert oldest.properties == {"n": 0}
        assert find_unrouted_event(session, org_id="acme", event_id="a-2") is None
        # The same event id in another organisation is another event.
        assert find_unrouted_event(session, org_id="globex", event_id="a-1") is None
        mark_events_routed(session, [("acme", "a-1"), ("globex", "g-1")], T0 + timedelta(hours=1))
    with store.transaction() as session:
        left = unrouted_events(session, received_before=T0 + timedelta(hours=1), limit=10)
        assert [e.event_id for e in left] == ["a-3"]
        stored = find_unrouted_event(session, org_id="acme", event_id="a-3")
        assert stored is not None
        assert (stored.customer_id, stored.name, stored.occurred_at) == ("c-1", "demo_started", T0)


def test_routing_state_on_sqlite(store: Store) -> None:
    routing_state_is_kept(store)


def test_routing_state_on_postgresql(pg_store: Store) -> None:
    routing_state_is_kept(pg_store)
