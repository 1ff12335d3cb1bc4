"""Decision activities: next best action, retention offer and channel for a customer.

Errors a retry cannot fix (unknown customer, unknown model, invalid input)
become non-retryable ``ApplicationError``s with the type names of
:mod:`journeys.errors`, so a journey can branch on them instead of stalling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from journeys.contracts.activities import (
    CHOOSE_RETENTION_OFFER_ACTIVITY,
    NEXT_BEST_ACTION_ACTIVITY,
    SELECT_CHANNEL_ACTIVITY,
)
from journeys.contracts.decisions import (
    ChannelChoice,
    ChannelRequest,
    OfferDecision,
    RetentionOfferRequest,
)
from journeys.decisioning.customer_decisions import CustomerDecisions
from journeys.decisioning.next_best_action import NextBestActionDecision, NextBestActionRequest
from journeys.errors import (
    INVALID_INPUT_ERROR_TYPE,
    UNKNOWN_CUSTOMER_ERROR_TYPE,
    UNKNOWN_MODEL_ERROR_TYPE,
    InvalidInputError,
    UnknownCustomerError,
    UnknownModelError,
)
from journeys.scoring.predictive_models import ModelRegistry
from journeys.settings import JourneySettings
from journeys.store import Store

RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")


class NextBestActionActivities:
    """Decides for stored customers with the trained models (or their formula fallback).

    Args:
        decisions: The decision maker (store, models, blackout dates).
    """

    def __init__(self, decisions: CustomerDecisions):
        self._decisions = decisions

    @classmethod
    def from_settings(cls, store: Store, settings: JourneySettings) -> NextBestActionActivities:
        """Activities using the models under the data folder and the configured blackout dates."""
        registry = ModelRegistry.in_data_dir(settings.data_dir)
        return cls(CustomerDecisions(store, registry, settings.decision_blackout_dates))

    @activity.defn(name=NEXT_BEST_ACTION_ACTIVITY)
    def next_best_action(self, request: NextBestActionRequest) -> NextBestActionDecision:
        """The customer's next best action: primary, two backups, rationale; recorded."""
        return _non_retryable(self._decisions.next_best_action, request)

    @activity.defn(name=CHOOSE_RETENTION_OFFER_ACTIVITY)
    def choose_retention_offer(self, request: RetentionOfferRequest) -> OfferDecision:
        """The retention offer with the best positive expected value, or ``no_offer``."""
        return _non_retryable(self._decisions.retention_offer, request)

    @activity.defn(name=SELECT_CHANNEL_ACTIVITY)
    def select_channel(self, request: ChannelRequest) -> ChannelChoice:
        """The channel with the best urgency-adjusted engagement, with email as fallback."""
        return _non_retryable(self._decisions.channel, request)

    def activities(self) -> list[Callable[..., Any]]:
        """The activity methods, for a worker's ``activities=`` list."""
        return [self.next_best_action, self.choose_retention_offer, self.select_channel]


def _non_retryable(call: Callable[[RequestT], ResultT], request: RequestT) -> ResultT:
    try:
        return call(request)
    except (UnknownCustomerError, UnknownModelError, InvalidInputError) as err:
        raise application_error(err) from err


def application_error(
    err: UnknownCustomerError | UnknownModelError | InvalidInputError,
) -> ApplicationError:
    """The non-retryable ApplicationError of a decision error a retry cannot fix."""
    if isinstance(err, UnknownCustomerError):
        error_type = UNKNOWN_CUSTOMER_ERROR_TYPE
    elif isinstance(err, UnknownModelError):
        error_type = UNKNOWN_MODEL_ERROR_TYPE
    else:
        error_type = INVALID_INPUT_ERROR_TYPE
    return ApplicationError(str(err), type=error_type, non_retryable=True)
