"""Seed 000's retention offer decision tree: the offer with the best positive expected value.

Expected value = retention lift x CLV - offer cost. Costs: a 20% discount for
three months (mrr x 0.20 x 3), a free upgrade for three months (50 x 3),
premium support for a month (100), custom training (500), no offer (0).
"""

from __future__ import annotations

from collections.abc import Mapping

from journeys.contracts.decisions import Offer as Offer
from journeys.contracts.decisions import OfferDecision as OfferDecision
from journeys.contracts.decisions import OfferEvaluation as OfferEvaluation

OFFER_DURATION_MONTHS: dict[Offer, int] = {
    Offer.DISCOUNT_20_PERCENT: 3,
    Offer.FREE_UPGRADE: 3,
    Offer.PREMIUM_SUPPORT: 1,
    Offer.CUSTOM_TRAINING: 0,
    Offer.NO_OFFER: 0,
}

DISCOUNT_RATE = 0.20
UPGRADE_MONTHLY_COST = 50.0
PREMIUM_SUPPORT_COST = 100.0
CUSTOM_TRAINING_COST = 500.0
NO_POSITIVE_OFFER_REASON = "No offer has positive expected value"


def offer_cost(offer: Offer, mrr: float) -> float:
    """What the offer costs for a customer paying ``mrr`` a month."""
    match offer:
        case Offer.DISCOUNT_20_PERCENT:
            return mrr * DISCOUNT_RATE * OFFER_DURATION_MONTHS[offer]
        case Offer.FREE_UPGRADE:
            return UPGRADE_MONTHLY_COST * OFFER_DURATION_MONTHS[offer]
        case Offer.PREMIUM_SUPPORT:
            return PREMIUM_SUPPORT_COST
        case Offer.CUSTOM_TRAINING:
            return CUSTOM_TRAINING_COST
        case Offer.NO_OFFER:
            return 0.0


def choose_retention_offer(
    *, mrr: float, clv: float, lifts: Mapping[Offer, float]
) -> OfferDecision:
    """Pick the offer with the highest expected value if it is positive, else ``no_offer``.

    Args:
        mrr: Monthly recurring revenue of the customer.
        clv: Customer lifetime value.
        lifts: Predicted P(retain | offer) - P(retain | no offer) per offer;
            a missing offer (and ``no_offer``) has lift 0.
    """
    evaluations = []
    for offer in Offer:
        lift = 0.0 if offer is Offer.NO_OFFER else float(lifts.get(offer, 0.0))
        cost = offer_cost(offer, mrr)
        evaluations.append(
            OfferEvaluation(
                offer=offer,
                cost=cost,
                duration_months=OFFER_DURATION_MONTHS[offer],
                retention_lift=lift,
                expected_value=lift * clv - cost,
            )
        )
    best = max(evaluations, key=lambda evaluation: evaluation.expected_value)
    if best.expected_value > 0:
        return OfferDecision(
            offer=best.offer,
            expected_value=best.expected_value,
            retention_lift=best.retention_lift,
            cost=best.cost,
            reason=(
                f"{best.offer.value}: lift {best.retention_lift:.1%} x CLV {clv:,.0f} "
                f"- cost {best.cost:,.0f} = expected value {best.expected_value:,.0f}"
            ),
            evaluations=evaluations,
        )
    return OfferDecision(
        offer=Offer.NO_OFFER,
        expected_value=0.0,
        retention_lift=0.0,
        cost=0.0,
        reason=NO_POSITIVE_OFFER_REASON,
        evaluations=evaluations,
    )
