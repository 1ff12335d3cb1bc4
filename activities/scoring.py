"""The ``compute_score`` activity and the seed formulas' scorers over the store's events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from journeys.contracts.activities import COMPUTE_SCORE_ACTIVITY
from journeys.contracts.scoring import Scorer, ScoreRequest, ScoreResult
from journeys.errors import INVALID_INPUT_ERROR_TYPE, UNKNOWN_MODEL_ERROR_TYPE, InvalidInputError
from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring import FORMULAS, ActivitySummary, Formula
from journeys.store import Store
from journeys.store.tables.base import utcnow
from journeys.store.tables.events import Event


def summarise(events: list[tuple[str, datetime, dict[str, Any]]]) -> ActivitySummary:
    """Fold (name, occurred_at, properties) events, oldest first, into a summary."""
    summary = ActivitySummary()
    days: set[str] = set()
    for name, occurred_at, properties in events:
        if name == BehaviourEvent.LOGIN:
            summary.logins += 1
            days.add(occurred_at.astimezone(UTC).date().isoformat())
        elif name == BehaviourEvent.FEATURE_USED and properties.get("feature"):
            summary.features.add(str(properties["feature"]))
        elif name == BehaviourEvent.CORE_WORKFLOW_COMPLETED:
            summary.workflows_completed += 1
        elif name == BehaviourEvent.CORE_FEATURE_USED:
            summary.core_feature_used = True
        elif name == BehaviourEvent.SESSION_ENDED:
            minutes = _number(properties.get("duration_minutes"))
            summary.max_session_minutes = max(summary.max_session_minutes, minutes or 0.0)
        elif name == BehaviourEvent.CSAT_SUBMITTED:
            summary.latest_csat = _number(properties.get("score"))
        elif name == BehaviourEvent.PRICING_PAGE_VIEWED:
            summary.pricing_page_views += 1
        elif name == BehaviourEvent.SUPPORT_TICKET_OPENED:
            summary.support_tickets += 1
    summary.login_days = len(days)
    return summary


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class EventWindowScorer:
    """A formula scorer over the customer's stored events in a window of whole days.

    The window ends at the request's ``as_of`` (the workflow's time) and starts
    at midnight UTC ``window_days`` days earlier (seed 000: ``DATE(event_timestamp)
    BETWEEN DATE_SUB(CURRENT_DATE(), INTERVAL days DAY) AND CURRENT_DATE()``).

    Args:
        name: The scorer's name.
        store: The store holding the events.
        formula: The pure formula.
        window_days: Default window; a request's ``window_days`` context overrides it.
    """

    def __init__(self, name: str, store: Store, formula: Formula, window_days: int):
        self.name = name
        self._store = store
        self._formula = formula
        self._window_days = window_days

    def score(self, request: ScoreRequest) -> ScoreResult:
        """Compute the score from the events in the window."""
        as_of = _as_of(request)
        days = request.context.get("window_days", self._window_days)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InvalidInputError("context.window_days", "must be a positive whole number")
        since = datetime.combine(as_of.date() - timedelta(days=days), time(0), tzinfo=UTC)
        with self._store.transaction() as session:
            rows = session.execute(
                select(Event.name, Event.occurred_at, Event.properties)
                .where(
                    Event.org_id == request.org_id,
                    Event.customer_id == request.customer_id,
                    Event.occurred_at >= since,
                    Event.occurred_at <= as_of,
                )
                .order_by(Event.occurred_at, Event.id)
            ).all()
        result = self._formula(summarise([(name, at, props or {}) for name, at, props in rows]))
        result.inputs["window_start"] = since.isoformat()
        result.inputs["window_end"] = as_of.isoformat()
        return result


def _as_of(request: ScoreRequest) -> datetime:
    value = request.context.get("as_of")
    if value is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as err:
        raise InvalidInputError("context.as_of", "must be an ISO 8601 timestamp") from err
    if moment.tzinfo is None:
        raise InvalidInputError("context.as_of", "must include a time zone")
    return moment.astimezone(UTC)


def default_scorers(store: Store) -> dict[str, Scorer]:
    """Every scorer of :data:`journeys.scoring.FORMULAS` over ``store``'s events."""
    return {
        name: EventWindowScorer(name, store, formula, window)
        for name, (formula, window) in FORMULAS.items()
    }


class ScoringActivities:
    """Serves named scorers through the ``compute_score`` activity.

    Args:
        scorers: The registry, by name; inject trained models here.
    """

    def __init__(self, scorers: Mapping[str, Scorer]):
        self._scorers = dict(scorers)

    @activity.defn(name=COMPUTE_SCORE_ACTIVITY)
    def compute_score(self, request: ScoreRequest) -> ScoreResult:
        """Compute the named score; an unknown name or bad input is not retried."""
        scorer = self._scorers.get(request.scorer)
        if scorer is None:
            raise ApplicationError(
                f"no scorer named {request.scorer!r}",
                type=UNKNOWN_MODEL_ERROR_TYPE,
                non_retryable=True,
            )
        try:
            return scorer.score(request)
        except InvalidInputError as err:
            raise ApplicationError(
                str(err), type=INVALID_INPUT_ERROR_TYPE, non_retryable=True
            ) from err
