"""The ``compute_score`` activity and the seed formulas' scorers over the store's events."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from journeys.contracts.activities import COMPUTE_SCORE_ACTIVITY
from journeys.contracts.scoring import Scorer, ScoreRequest, ScoreResult
from journeys.errors import INVALID_INPUT_ERROR_TYPE, UNKNOWN_MODEL_ERROR_TYPE, InvalidInputError
from journeys.scoring import FORMULAS, Formula
from journeys.scoring.formulas import request_window, score_window
from journeys.store import Store
from journeys.store.tables.base import utcnow
from journeys.store.tables.events import Event


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
        since, as_of = request_window(request.context, self._window_days, utcnow)
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
        return score_window(
            self._formula, [(name, at, props or {}) for name, at, props in rows], since, as_of
        )


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
