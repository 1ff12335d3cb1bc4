"""Decisions about one stored customer: next best action, retention offer, channel.

Reads what each decision needs from the store (profile, behaviour features,
email opens, consent, frequency-cap slots), asks the predictive models, runs
the pure decision rules and writes the decision to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from journeys.contracts.activities import DecisionCandidate, DecisionRecord
from journeys.contracts.decisions import ChannelChoice as ChannelChoice
from journeys.contracts.decisions import ChannelRequest as ChannelRequest
from journeys.contracts.decisions import DecisionContext as DecisionContext
from journeys.contracts.decisions import RetentionOfferRequest as RetentionOfferRequest
from journeys.decisioning.channel_selection import HISTORY_WINDOW, select_channel
from journeys.decisioning.next_best_action import (
    ACTION_INVENTORY,
    ENGINE_VERSION,
    BusinessConstraints,
    CustomerSignals,
    NextBestActionDecision,
    NextBestActionRequest,
    decide_next_best_action,
)
from journeys.decisioning.retention_offers import Offer, OfferDecision, choose_retention_offer
from journeys.delivery.frequency_caps import longest_window, slot_frees_at
from journeys.errors import UnknownCustomerError
from journeys.language.channels import CHANNELS, Channel
from journeys.scoring.predictive_models import (
    CustomerFeatures,
    ModelName,
    ModelRegistry,
    Prediction,
    predict,
)
from journeys.store import Store
from journeys.store.behaviour_features import customer_features
from journeys.store.channel_engagement import channel_history, recent_email_opens
from journeys.store.consent import send_forbidden_because
from journeys.store.customers import find_customer
from journeys.store.decision_audit import record_decision
from journeys.store.send_slots import slots_held
from journeys.store.tables.base import utcnow
from journeys.store.tables.customers import Customer

RECENT_EMAILS = 5
"""Email responsiveness looks at the customer's last 5 emails (seed 001's "3 of last 5")."""

CLV_MONTHS_DEFAULT = 24
"""Without a ``clv`` attribute, CLV is taken as 24 months of MRR."""

INVENTORY_CHANNELS = frozenset(
    action.channel for action in ACTION_INVENTORY if action.channel is not None
)
"""The channels the action inventory uses: the only ones whose consent and caps matter."""

NEXT_BEST_ACTION_DECISION = "next_best_action"
RETENTION_OFFER_DECISION = "retention_offer"
CHANNEL_DECISION = "channel"


class CustomerDecisions:
    """Makes and records decisions about stored customers.

    Args:
        store: The store.
        registry: The trained models (formula fallback when a model is untrained).
        blackout_dates: Dates on which no offers are made.
        clock: The current time.
    """

    def __init__(
        self,
        store: Store,
        registry: ModelRegistry,
        blackout_dates: Sequence[date] = (),
        clock: Callable[[], datetime] = utcnow,
    ):
        self._store = store
        self._registry = registry
        self._blackout = frozenset(blackout_dates)
        self._clock = clock

    def next_best_action(self, request: NextBestActionRequest) -> NextBestActionDecision:
        """Decide (and record) the customer's next best action."""
        now = self._now(request)
        with self._store.transaction() as session:
            customer = _customer(session, request.org_id, request.customer_id)
            features = customer_features(session, customer=customer, as_of=now)
            opened, sent = recent_email_opens(
                session, org_id=request.org_id, customer_id=request.customer_id, last=RECENT_EMAILS
            )
            constraints = self._cap_constraints(session, request, now)
            churn = predict(self._registry, ModelName.CHURN_RISK, features)
            upgrade = predict(self._registry, ModelName.UPGRADE_LIKELIHOOD, features)
            signals = customer_signals(
                customer.customer_id,
                _text(customer.attributes.get("name")),
                features,
                opened=opened,
                sent=sent,
                churn=churn,
                upgrade=upgrade,
            )
            decision = self._decide_with_consent(
                session, request, signals, constraints, model_versions(churn, upgrade), now
            )
            if request.record:
                inputs = {**decision.inputs, "defaulted": ", ".join(features.defaulted) or None}
                record_decision(
                    session,
                    _record(
                        request,
                        decision=NEXT_BEST_ACTION_DECISION,
                        model_version=decision.model_version,
                        inputs=inputs,
                        candidates=[
                            DecisionCandidate(name=item.action, score=item.confidence)
                            for item in decision.candidates
                        ],
                        choice=decision.choice,
                        rationale=decision.rationale,
                        at=now,
                    ),
                )
        return decision

    def retention_offer(self, request: RetentionOfferRequest) -> OfferDecision:
        """Choose (and record) the retention offer with the best positive expected value."""
        now = self._now(request)
        with self._store.transaction() as session:
            customer = _customer(session, request.org_id, request.customer_id)
            features = customer_features(session, customer=customer, as_of=now)
            predictions = retention_predictions(self._registry, features)
            clv = customer_clv(features)
            decision = choose_retention_offer(
                mrr=features.values["mrr"],
                clv=clv,
                lifts={offer: prediction.lift or 0.0 for offer, prediction in predictions.items()},
            )
            if request.record:
                version = next(iter(predictions.values())).model_version
                record_decision(
                    session,
                    _record(
                        request,
                        decision=RETENTION_OFFER_DECISION,
                        model_version=version,
                        inputs={**_inputs(features), "clv": clv},
                        candidates=[
                            DecisionCandidate(name=item.offer.value, score=item.expected_value)
                            for item in decision.evaluations
                        ],
                        choice=decision.offer.value,
                        rationale=decision.reason,
                        at=now,
                        model_name=ModelName.RETENTION_LIFT.value,
                    ),
                )
        return decision

    def channel(self, request: ChannelRequest) -> ChannelChoice:
        """Choose (and record) the channel with the best urgency-adjusted engagement."""
        now = self._now(request)
        with self._store.transaction() as session:
            _customer(session, request.org_id, request.customer_id)
            history = channel_history(
                session,
                org_id=request.org_id,
                customer_id=request.customer_id,
                since=now - HISTORY_WINDOW,
            )
            choice = select_channel(history, request.urgency, request.channels)
            if request.record:
                record_decision(
                    session,
                    _record(
                        request,
                        decision=CHANNEL_DECISION,
                        model_version="seed-000",
                        inputs={
                            "urgency": request.urgency,
                            **{
                                f"{row.channel.value}_sent_clicked": f"{row.sent}/{row.clicked}"
                                for row in history
                            },
                        },
                        candidates=[
                            DecisionCandidate(name=name, score=score)
                            for name, score in choice.adjusted_scores.items()
                        ],
                        choice=choice.channel.value,
                        rationale=(
                            f"{choice.reason}; confidence {choice.confidence:.2f}; "
                            f"runner-up {choice.runner_up.value if choice.runner_up else 'none'}"
                        ),
                        at=now,
                        model_name="channel_selection",
                    ),
                )
        return choice

    def _now(self, request: DecisionContext | NextBestActionRequest) -> datetime:
        """The journey's time the request carries, else the clock (ad hoc, old histories)."""
        return request.as_of or self._clock()

    def _cap_constraints(
        self, session: Session, request: NextBestActionRequest, now: datetime
    ) -> BusinessConstraints:
        """Availability, frequency caps and blackout (consent is checked while deciding)."""
        held = slots_held(
            session,
            org_id=request.org_id,
            customer_id=request.customer_id,
            now=now,
            window=longest_window(request.frequency_caps),
        )
        return cap_constraints(request, held, now, blackout=now.date() in self._blackout)

    def _decide_with_consent(
        self,
        session: Session,
        request: NextBestActionRequest,
        signals: CustomerSignals,
        constraints: BusinessConstraints,
        model_version: str,
        now: datetime,
    ) -> NextBestActionDecision:
        """Decide, checking consent in the store (:func:`decide_with_consent`)."""
        return decide_with_consent(
            signals,
            constraints,
            model_version,
            now,
            lambda channel: send_forbidden_because(
                session, org_id=request.org_id, customer_id=request.customer_id, channel=channel
            ),
        )


def customer_signals(
    customer_id: str,
    name: str | None,
    features: CustomerFeatures,
    *,
    opened: int,
    sent: int,
    churn: Prediction,
    upgrade: Prediction,
) -> CustomerSignals:
    """What next best action weighs, from the features, recent emails and two predictions."""
    return CustomerSignals(
        customer_id=customer_id,
        name=name,
        plan=features.plan,
        day=int(features.values["tenure_days"]),
        adoption_score=min(max(features.values["adoption_score"], 0.0), 100.0),
        pricing_views_7d=int(features.values["pricing_views_7d"]),
        emails_opened=opened,
        emails_sent=sent,
        churn_risk=churn.probability,
        upgrade_probability=upgrade.probability,
        support_tickets_30d=int(features.values["support_tickets_30d"]),
        days_since_last_event=features.values["days_since_last_event"],
        workflows_completed_30d=int(features.values["workflows_completed_30d"]),
    )


def retention_predictions(
    registry: ModelRegistry, features: CustomerFeatures
) -> dict[Offer, Prediction]:
    """The retention-lift prediction of every offer (``no_offer`` excepted)."""
    return {
        offer: predict(registry, ModelName.RETENTION_LIFT, features, offer)
        for offer in Offer
        if offer is not Offer.NO_OFFER
    }


def customer_clv(features: CustomerFeatures) -> float:
    """The ``clv`` attribute, else 24 months of MRR."""
    if features.clv is not None:
        return features.clv
    return features.values["mrr"] * CLV_MONTHS_DEFAULT


def decide_with_consent(
    signals: CustomerSignals,
    constraints: BusinessConstraints,
    model_version: str,
    now: datetime,
    forbidden_because: Callable[[Channel], str | None],
) -> NextBestActionDecision:
    """Decide, checking consent and suppression for the channels the top three need.

    Each consent check may cost store queries, so only the channels of the
    primary and backup actions are checked; a forbidden channel reranks
    and the new top three's channels are checked in turn. Candidates
    further down on unchecked channels show no consent verdict.
    """
    checked: set[Channel] = set()
    while True:
        decision = decide_next_best_action(
            signals, constraints, model_version=model_version, decided_at=now
        )
        chosen = [decision.primary, *decision.backups]
        needed = {item.channel for item in chosen if item and item.channel} - checked
        if not needed:
            return decision
        forbidden = dict(constraints.forbidden_channels)
        for channel in sorted(needed, key=CHANNELS.index):
            checked.add(channel)
            reason = forbidden_because(channel)
            if reason is not None:
                forbidden[channel] = reason
        constraints = constraints.model_copy(update={"forbidden_channels": forbidden})


def cap_constraints(
    request: NextBestActionRequest,
    held: Sequence[tuple[Channel, datetime]],
    now: datetime,
    *,
    blackout: bool,
) -> BusinessConstraints:
    """Availability, the channels whose caps are full given the slots ``held``, and blackout."""
    capped: dict[Channel, str] = {}
    for channel in INVENTORY_CHANNELS.intersection(request.channels):
        frees_at = slot_frees_at(request.frequency_caps, channel, held, now)
        if frees_at is not None:
            capped[channel] = (
                f"frequency cap on {channel.value} full until {frees_at:%Y-%m-%d %H:%M}"
            )
    return BusinessConstraints(
        available_channels=list(request.channels), capped_channels=capped, blackout=blackout
    )


def _customer(session: Session, org_id: str, customer_id: str) -> Customer:
    customer = find_customer(session, org_id=org_id, customer_id=customer_id)
    if customer is None:
        raise UnknownCustomerError(f"no customer {customer_id!r} in organisation {org_id!r}")
    return customer


def model_versions(*predictions: Prediction) -> str:
    """The engine's version and each prediction's model version, as recorded."""
    return ";".join([ENGINE_VERSION, *(prediction.model_version for prediction in predictions)])


def _inputs(features: CustomerFeatures) -> dict[str, float | str | None]:
    return {
        **features.values,
        "plan": features.plan,
        "defaulted": ", ".join(features.defaulted) or None,
    }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _record(
    context: DecisionContext | NextBestActionRequest,
    *,
    decision: str,
    model_version: str,
    inputs: Mapping[str, object],
    candidates: list[DecisionCandidate],
    choice: str,
    rationale: str,
    at: datetime,
    model_name: str = NEXT_BEST_ACTION_DECISION,
) -> DecisionRecord:
    return DecisionRecord(
        org_id=context.org_id,
        customer_id=context.customer_id,
        journey_id=context.journey_id,
        workflow_id=context.workflow_id,
        enrollment_id=context.enrollment_id,
        step_key=context.step_key,
        decision=decision,
        model_name=model_name,
        model_version=model_version,
        inputs=dict(inputs),
        candidates=candidates,
        choice=choice,
        rationale=rationale,
        decided_at=at,
    )
