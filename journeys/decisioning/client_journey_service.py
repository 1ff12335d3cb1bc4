"""Seed 003's ClientJourneyService and NextBestActionEngine over the store.

Low engagement counts the client's rows in ``client_journey_events`` (as the
seed does), not the behavioural ``events`` table: journey events are the
lifecycle stream with an explicit stage, behavioural events feed the
predictive models. A behavioural event reaches the journey stream when it
carries a ``journey_stage`` property (see :func:`keep_journey_score_current`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from journeys.decisioning.client_journey_intelligence import (
    AI_SCORE_ATTRIBUTE,
    DEFAULT_STAGE,
    STAGES,
    ClientNextAction,
    ContactView,
    JourneyEventView,
    JourneyScore,
    StoredJourneyScore,
    UpsellCandidate,
    action_priority,
    action_reason,
    generate_actions,
    journey_score,
    risk_level,
)
from journeys.decisioning.risk_detection import (
    ENGAGEMENT_WINDOW,
    OVERDUE_EVENT_TYPE,
    OVERDUE_STAGE,
    SENTIMENT_LOOKBACK_EVENTS,
    detect_risks,
)
from journeys.errors import InvalidInputError
from journeys.store import Store
from journeys.store import client_journeys as records
from journeys.store.customers import find_customer
from journeys.store.tables.base import utcnow
from journeys.store.tables.decisions import ClientJourneyEvent, ClientJourneyScore

HIGH_RISK_LEVELS = ("HIGH", "CRITICAL")
"""Risk levels listed by :meth:`ClientJourneyService.get_high_risk_clients`."""

UPSELL_STAGE = "upsell_candidate"

JOURNEY_STAGE_PROPERTY = "journey_stage"
"""A behavioural event with this property (one of the nine stages) is also a journey event."""

MAX_ID_LENGTH = 128


class ClientJourneyService:
    """Tracks clients' lifecycle stages, scores them and lists those needing attention.

    Args:
        store: The store.
        org_id: The organisation every call is scoped to.
        clock: The current time (injected so tests can pin the 30-day window).
    """

    def __init__(self, store: Store, org_id: str, clock: Callable[[], datetime] = utcnow):
        self._store = store
        self.org_id = _identifier("org_id", org_id)
        self._clock = clock

    def track_event(
        self,
        client_id: str,
        stage: str,
        event_type: str,
        metadata: Mapping[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> JourneyEventView:
        """Store a journey event; the stage must be one of the nine."""
        client_id = _identifier("client_id", client_id)
        if stage not in STAGES:
            raise InvalidInputError("stage", f"{stage!r} is not one of {', '.join(STAGES)}")
        event_type = _identifier("event_type", event_type)
        if occurred_at is not None and occurred_at.tzinfo is None:
            raise InvalidInputError("occurred_at", "must carry a time zone")
        with self._store.transaction() as session:
            row = records.add_journey_event(
                session,
                org_id=self.org_id,
                client_id=client_id,
                stage=stage,
                event_type=event_type,
                metadata=dict(metadata or {}),
                occurred_at=occurred_at or self._clock(),
            )
            return _event_view(row)

    def get_client_journey(self, client_id: str) -> list[JourneyEventView]:
        """The client's journey events, oldest first (empty for an unknown client)."""
        with self._store.transaction() as session:
            rows = records.journey_events(session, org_id=self.org_id, client_id=client_id)
            return [_event_view(row) for row in rows]

    def get_current_stage(self, client_id: str) -> str:
        """The latest event's stage; ``lead`` without events."""
        with self._store.transaction() as session:
            return self._current_stage(session, client_id)

    def detect_risks(self, client_id: str) -> list[str]:
        """Low engagement, late invoices, negative sentiment (see ``risk_detection``)."""
        with self._store.transaction() as session:
            return self._risks(session, client_id)

    def generate_actions(self, stage: str, risks: list[str]) -> list[str]:
        """The actions for a stage and risks, deduplicated in order."""
        return generate_actions(stage, risks)

    def calculate_journey_score(self, client_id: str) -> JourneyScore:
        """Score the client, persist the score with its time and return it.

        An unknown client (no profile, no events) scores as a ``lead`` with
        base 50 and the low-engagement risk, as the seed's formula gives.
        """
        client_id = _identifier("client_id", client_id)
        with self._store.transaction() as session:
            customer = find_customer(session, org_id=self.org_id, customer_id=client_id)
            ai_score = _number(customer.attributes.get(AI_SCORE_ATTRIBUTE)) if customer else None
            stage = self._current_stage(session, client_id)
            risks = self._risks(session, client_id)
            score = journey_score(ai_score, stage, len(risks))
            level = risk_level(len(risks))
            actions = generate_actions(stage, risks)
            generated_at = self._clock()
            records.add_journey_score(
                session,
                org_id=self.org_id,
                client_id=client_id,
                score=score,
                risk_level=level,
                recommended_actions=actions,
                generated_at=generated_at,
            )
        return JourneyScore(
            client_id=client_id,
            score=score,
            risk_level=level,
            recommended_actions=actions,
            risks=risks,
            stage=stage,
            generated_at=generated_at,
        )

    def get_next_best_action(self, client_id: str) -> str | None:
        """The first recommended action, or None."""
        actions = self.calculate_journey_score(client_id).recommended_actions
        return actions[0] if actions else None

    def get_high_risk_clients(self) -> list[StoredJourneyScore]:
        """Persisted HIGH and CRITICAL scores, newest first, with contact details."""
        with self._store.transaction() as session:
            rows = records.scores_at_levels(session, org_id=self.org_id, levels=HIGH_RISK_LEVELS)
            contacts = _contacts(session, self.org_id, [row.client_id for row in rows])
            return [_score_view(row, contacts.get(row.client_id)) for row in rows]

    def get_upsell_candidates(self) -> list[UpsellCandidate]:
        """Clients with an ``upsell_candidate`` event, newest first, once per client."""
        with self._store.transaction() as session:
            rows = records.events_at_stage(session, org_id=self.org_id, stage=UPSELL_STAGE)
            contacts = _contacts(session, self.org_id, [row.client_id for row in rows])
            seen: set[str] = set()
            candidates: list[UpsellCandidate] = []
            for row in rows:
                if row.client_id in seen:
                    continue
                seen.add(row.client_id)
                candidates.append(
                    UpsellCandidate(
                        client_id=row.client_id,
                        occurred_at=row.occurred_at,
                        contact=contacts.get(row.client_id),
                    )
                )
            return candidates

    def _current_stage(self, session: Session, client_id: str) -> str:
        stage = records.latest_stage(session, org_id=self.org_id, client_id=client_id)
        return stage or DEFAULT_STAGE

    def _risks(self, session: Session, client_id: str) -> list[str]:
        recent = records.count_journey_events(
            session,
            org_id=self.org_id,
            client_id=client_id,
            since=self._clock() - ENGAGEMENT_WINDOW,
        )
        overdue = records.count_journey_events(
            session,
            org_id=self.org_id,
            client_id=client_id,
            stage=OVERDUE_STAGE,
            event_type=OVERDUE_EVENT_TYPE,
        )
        latest = records.latest_metadata(
            session, org_id=self.org_id, client_id=client_id, limit=SENTIMENT_LOOKBACK_EVENTS
        )
        return detect_risks(recent, overdue, latest)


class NextBestActionEngine:
    """Seed 003's next best action: the first recommended action with priority and reason.

    Args:
        service: The client journey service of the organisation.
    """

    def __init__(self, service: ClientJourneyService):
        self._service = service

    def get_action_for_client(self, client_id: str) -> ClientNextAction | None:
        """Score the client (persisting the score) and return the first action, or None."""
        score = self._service.calculate_journey_score(client_id)
        if not score.recommended_actions:
            return None
        action = score.recommended_actions[0]
        return ClientNextAction(
            action=action,
            priority=action_priority(score.risk_level),
            reason=action_reason(action, score.risk_level),
        )


def keep_journey_score_current(
    store: Store,
    *,
    org_id: str,
    customer_id: str,
    event_name: str,
    properties: Mapping[str, Any],
    occurred_at: datetime,
) -> JourneyScore | None:
    """Feed one ingested behavioural event to the journey stream and rescore the client.

    The ingest path calls this after storing an event. An event whose
    ``journey_stage`` property names one of the nine stages becomes a journey
    event (type = the event's name, metadata = its other properties) and the
    client's score is recomputed and persisted; other events change nothing
    and return None.
    """
    stage = properties.get(JOURNEY_STAGE_PROPERTY)
    if stage not in STAGES:
        return None
    service = ClientJourneyService(store, org_id)
    metadata = {key: value for key, value in properties.items() if key != JOURNEY_STAGE_PROPERTY}
    service.track_event(customer_id, str(stage), event_name, metadata, occurred_at)
    return service.calculate_journey_score(customer_id)


def _identifier(field: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInputError(field, f"must be at most {MAX_ID_LENGTH} characters")
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _event_view(row: ClientJourneyEvent) -> JourneyEventView:
    return JourneyEventView(
        id=row.id,
        org_id=row.org_id,
        client_id=row.client_id,
        stage=row.stage,
        event_type=row.event_type,
        metadata=dict(row.metadata_),
        occurred_at=row.occurred_at,
    )


def _contacts(session: Session, org_id: str, client_ids: list[str]) -> dict[str, ContactView]:
    attributes = records.customer_attributes(session, org_id=org_id, customer_ids=client_ids)
    return {
        client_id: ContactView(
            id=client_id,
            name=_text(values.get("name")),
            email=_text(values.get("email")),
        )
        for client_id, values in attributes.items()
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _score_view(row: ClientJourneyScore, contact: ContactView | None) -> StoredJourneyScore:
    return StoredJourneyScore(
        id=row.id,
        client_id=row.client_id,
        org_id=row.org_id,
        score=row.score,
        risk_level=row.risk_level,
        recommended_actions=list(row.recommended_actions),
        generated_at=row.generated_at,
        contact=contact,
    )
