"""Seed 000: channel selection and the retention offer decision tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journeys.decisioning.channel_selection import ChannelHistory, select_channel
from journeys.decisioning.customer_decisions import ChannelRequest, CustomerDecisions
from journeys.decisioning.retention_offers import Offer, choose_retention_offer, offer_cost
from journeys.language.channels import Channel
from journeys.scoring.predictive_models import ModelRegistry
from journeys.store import Store
from tests.support.decisioning_fixtures import add_customer, add_send

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_no_history_means_email_with_half_confidence() -> None:
    choice = select_channel([])
    assert (choice.channel, choice.reason, choice.confidence, choice.fallback_channel) == (
        Channel.EMAIL,
        "no_historical_data",
        0.5,
        Channel.EMAIL,
    )


def test_best_click_rate_wins_and_confidence_grows_with_sends() -> None:
    history = [
        ChannelHistory(channel=Channel.EMAIL, sent=20, clicked=4),  # 0.20
        ChannelHistory(channel=Channel.SMS, sent=10, clicked=3),  # 0.30
    ]
    choice = select_channel(history, "medium")
    assert choice.channel == Channel.SMS
    assert choice.expected_engagement_rate == pytest.approx(0.3)
    assert choice.confidence == pytest.approx(0.5)  # 10 / 20
    assert choice.fallback_channel == Channel.EMAIL
    assert (
        select_channel([ChannelHistory(channel=Channel.PUSH, sent=40, clicked=1)]).confidence == 1
    )


def test_high_urgency_multipliers_change_the_winner() -> None:
    # email 0.25 x 1.0 = 0.25 beats push 0.2 x 1.0, but push 0.2 x 1.3 = 0.26 wins when urgent.
    history = [
        ChannelHistory(channel=Channel.EMAIL, sent=20, clicked=5),
        ChannelHistory(channel=Channel.PUSH, sent=20, clicked=4),
    ]
    assert select_channel(history, "medium").channel == Channel.EMAIL
    urgent = select_channel(history, "high")
    assert urgent.channel == Channel.PUSH
    assert urgent.adjusted_scores == {"email": 0.25, "push": pytest.approx(0.26)}
    # sms 1.5, in-app 1.2: 0.1 x 1.5 = 0.15 beats in-app 0.12 x 1.2 = 0.144.
    both = [
        ChannelHistory(channel=Channel.SMS, sent=10, clicked=1),
        ChannelHistory(channel=Channel.IN_APP, sent=25, clicked=3),
    ]
    assert select_channel(both, "high").channel == Channel.SMS
    assert select_channel(both, "low").channel == Channel.IN_APP


def test_ties_go_to_email_first() -> None:
    history = [
        ChannelHistory(channel=Channel.SMS, sent=5, clicked=0),
        ChannelHistory(channel=Channel.EMAIL, sent=5, clicked=0),
    ]
    assert select_channel(history).channel == Channel.EMAIL


def test_channel_history_reads_the_last_90_days_of_the_log(store: Store, tmp_path: Path) -> None:
    add_customer(store, "o", "c")
    for day in range(4):
        add_send(store, "o", "c", "sms", NOW - timedelta(days=day), clicked=day < 2)
        add_send(store, "o", "c", "email", NOW - timedelta(days=day), opened=True, clicked=day < 1)
    add_send(store, "o", "c", "email", NOW - timedelta(days=91), clicked=True)
    add_send(store, "o", "c", "sms", NOW, status="failed", clicked=True)
    decisions = CustomerDecisions(store, ModelRegistry(tmp_path / "models"), clock=lambda: NOW)
    choice = decisions.channel(ChannelRequest(org_id="o", customer_id="c", urgency="high"))
    assert choice.channel == Channel.SMS
    assert choice.expected_engagement_rate == 0.5  # 2 clicked of 4 sent; the failed send is no send
    assert choice.confidence == pytest.approx(4 / 20)
    assert choice.adjusted_scores == {"sms": 0.75, "email": 0.25}


@pytest.mark.parametrize(
    ("offer", "mrr", "cost"),
    [
        (Offer.DISCOUNT_20_PERCENT, 100.0, 60.0),
        (Offer.FREE_UPGRADE, 100.0, 150.0),
        (Offer.PREMIUM_SUPPORT, 100.0, 100.0),
        (Offer.CUSTOM_TRAINING, 100.0, 500.0),
        (Offer.NO_OFFER, 100.0, 0.0),
    ],
)
def test_offer_costs(offer: Offer, mrr: float, cost: float) -> None:
    assert offer_cost(offer, mrr) == pytest.approx(cost)


def test_best_positive_expected_value_wins() -> None:
    decision = choose_retention_offer(
        mrr=100,
        clv=2_000,
        lifts={
            Offer.DISCOUNT_20_PERCENT: 0.05,  # 100 - 60 = 40
            Offer.FREE_UPGRADE: 0.10,  # 200 - 150 = 50
            Offer.PREMIUM_SUPPORT: 0.07,  # 140 - 100 = 40
            Offer.CUSTOM_TRAINING: 0.25,  # 500 - 500 = 0
        },
    )
    assert decision.offer == Offer.FREE_UPGRADE
    assert decision.expected_value == pytest.approx(50)
    assert [e.offer for e in decision.evaluations] == list(Offer)


def test_no_positive_expected_value_means_no_offer() -> None:
    decision = choose_retention_offer(
        mrr=100, clv=1_000, lifts={Offer.DISCOUNT_20_PERCENT: 0.06, Offer.CUSTOM_TRAINING: 0.5}
    )  # 60 - 60 = 0 and 500 - 500 = 0: not positive
    assert decision.offer == Offer.NO_OFFER
    assert decision.reason == "No offer has positive expected value"
