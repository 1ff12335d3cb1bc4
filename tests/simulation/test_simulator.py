"""The simulator's populations and reports: determinism, counts, delivery rules, bad input."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from journeys.catalog import default_catalog
from journeys.contracts.activities import (
    CHOOSE_RETENTION_OFFER_ACTIVITY,
    DELIVER_MESSAGE_ACTIVITY,
    SELECT_CHANNEL_ACTIVITY,
    SendRequest,
    SendStatus,
)
from journeys.contracts.decisions import (
    ChannelRequest,
    Offer,
    RetentionOfferRequest,
)
from journeys.decisioning.channel_selection import BEST_ENGAGEMENT_REASON, NO_HISTORY_REASON
from journeys.delivery.frequency_caps import BLUEPRINT_FREQUENCY_CAPS
from journeys.errors import InvalidInputError
from journeys.language import QuietHours
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap
from journeys.settings import JourneySettings
from journeys.simulation.activities import (
    CustomerEvent,
    DeliveryRules,
    EnrollmentTrace,
    SimulatedActivities,
    SimulatedCustomer,
)
from journeys.simulation.engine import (
    SimulationSettings,
    simulate_customer,
    simulate_population,
    synthetic_population,
)
from journeys.simulation.population import DEFAULT_PROFILES_FILE, load_profiles
from journeys.simulation.progress import ProgressBar
from tests.support.team_catalog import TEAM_CATALOG, TEAM_DECISION_JOURNEY, TEAM_SCORER

ONBOARDING = default_catalog().get("journey_onboarding_v2")
JOURNEYS = frozenset(journey.id for journey in default_catalog().current_versions())
NO_RULES = SimulationSettings(journeys=JOURNEYS)

ENGAGEMENT_51 = """
profiles:
  - name: engaged
    weight: 1
    attributes: {signup_source: [referral], role: [Analyst]}
    events:
      - {name: login, day: 0}
      - {name: feature_used, day: 0, properties: {feature: "feature_{n}"}}
      - {name: core_workflow_completed, day: 0}
      - {name: session_ended, day: 0, properties: {duration_minutes: 16}}
"""
"""Every customer as the onboarding scenario with an engagement score of 51 (high)."""


def report_data(customers: int, *, seed: int, workers: int = 1, days: int = 30) -> dict[str, Any]:
    report = simulate_population(
        ONBOARDING, synthetic_population(customers, seed=seed), days, NO_RULES, workers=workers
    )
    data = report.to_dict()
    del data["wall_seconds"]
    return data


def profiles_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profiles.yaml"
    path.write_text(text)
    return str(path)


def test_a_seed_gives_the_same_report_whatever_the_processes() -> None:
    first = report_data(600, seed=3, days=14)
    assert report_data(600, seed=3, days=14) == first
    assert report_data(600, seed=3, days=14, workers=2) == first
    other = report_data(600, seed=4, days=14)
    assert other["profiles"] != first["profiles"]
    assert sum(first["outcomes"].values()) == 600


def test_the_report_counts_what_the_journey_did(tmp_path: Path) -> None:
    population = synthetic_population(
        10, profiles_file=profiles_file(tmp_path, ENGAGEMENT_51), seed=1
    )
    report = simulate_population(ONBOARDING, population, 30, NO_RULES)
    assert report.outcomes == {"activated": 10}
    assert report.transitions == {"journey_active_user_nurture": 10}
    assert report.decisions == {
        ("next_best_action", "advanced_features_email"): 10,
        ("day_3_engagement", "high_engagement_email"): 10,
        ("day_7_next_feature", "feature_spotlight_email"): 10,
    }
    # Day 1 (version 2): the engine's primary action, then the seed's in-app message.
    assert report.funnel["day_1_companion"] == 10
    assert report.funnel["day_1_seed_rule"] == 0
    per_day: dict[int, int] = {}
    for (_, day), count in report.sends.items():
        per_day[day] = per_day.get(day, 0) + count
    # Seed 000's sends for this customer: two on each of Days 0, 1, 3, 7 and 14.
    assert per_day == {0: 20, 1: 20, 3: 20, 7: 20, 14: 20}
    assert report.profiles == {"engaged": 10}
    rendered = report.render()
    assert "simulated 10 customers through journey_onboarding_v2@2" in rendered
    assert "day_3_engagement -> high_engagement_email" in rendered


def test_caps_and_quiet_hours_hold_back_sends() -> None:
    customers = 300
    rules = SimulationSettings(
        rules=DeliveryRules(BLUEPRINT_FREQUENCY_CAPS, QuietHours()), journeys=JOURNEYS
    )
    report = simulate_population(ONBOARDING, synthetic_population(customers), 30, rules)
    assert report.capped["email"] > 0
    assert report.quiet_hours["email"] > 0
    first_week_emails = sum(report.sends["email", day] for day in range(7))
    assert first_week_emails <= 2 * customers  # email: 2 a week
    assert sum(report.outcomes.values()) == customers


def test_continue_as_new_changes_nothing_but_the_runs() -> None:
    population = synthetic_population(200, seed=5)
    once = simulate_population(ONBOARDING, population, 30, NO_RULES)
    eager = SimulationSettings(journeys=JOURNEYS, max_signals_per_run=1)
    continued = simulate_population(ONBOARDING, population, 30, eager)
    assert continued.continued_as_new > 0
    assert once.continued_as_new == 0
    assert continued.outcomes == once.outcomes
    assert continued.sends == once.sends
    assert continued.decisions == once.decisions


def test_the_shipped_profiles_are_the_default() -> None:
    shipped = load_profiles()
    assert load_profiles(DEFAULT_PROFILES_FILE) == shipped
    assert {profile.name for profile in shipped.profiles} == {
        "power",
        "steady",
        "casual",
        "dormant",
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("profiles: []", "profiles: List should have at least 1 item"),
        (
            "profiles:\n  - {name: a, weight: 0}",
            "profiles.0.weight: Input should be greater than 0",
        ),
        ("profiles:\n  - {name: a, weight: 1, colour: red}", "profiles.0.colour: Extra inputs"),
        (
            "profiles:\n  - {name: a, weight: 1, events: [{name: 'bad name!'}]}",
            "profiles.0.events.0.name: String should match pattern",
        ),
        (
            "profiles:\n  - {name: a, weight: 1, events: [{name: login, every_days: 0}]}",
            "profiles.0.events.0.every_days: Input should be greater than 0",
        ),
        ("profiles:\n  - {name: a, weight: 1, timezones: [Mars/Base]}", "unknown IANA time zone"),
        ("profiles:\n  - {name: a, weight: 1, consents: {fax: opted_in}}", "unknown channel 'fax'"),
        ("profiles:\n  - {name: a, weight: 1, consents: {sms: maybe}}", "profiles.0.consents.sms"),
        ("profiles:\n  - {name: a, weight: 1, attributes: {plan: []}}", "at least one value"),
        ("profiles:\n  - {name: a, weight: 1}\n  - {name: a, weight: 2}", "repeated: a"),
        ("profiles: [", "not valid YAML/JSON"),
        ("- just a list", "document"),
    ],
)
def test_a_profiles_file_with_errors_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = profiles_file(tmp_path, text)
    with pytest.raises(InvalidInputError) as raised:
        synthetic_population(10, profiles_file=path)
    assert problem in str(raised.value)
    assert f"profiles file {path}" in str(raised.value)


def test_a_missing_profiles_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read it"):
        synthetic_population(10, profiles_file=str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize("days", [0, -1, 366])
def test_days_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(InvalidInputError, match=f"days: must be between 1 and 365, not {days}"):
        simulate_population(ONBOARDING, synthetic_population(1), days, NO_RULES)


def test_customers_out_of_range_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="customers: must be between 1"):
        synthetic_population(0)


def test_the_progress_bar_reports_every_tenth() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    for done in range(0, 101, 5):
        bar(done, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert "100.0%  100/100 customers" in lines[-1]


def test_an_activity_the_simulator_lacks_stops_it() -> None:
    activities = SimulatedActivities(
        SimulatedCustomer(customer_id="c"), EnrollmentTrace(), DeliveryRules(), JOURNEYS
    )
    with pytest.raises(NotImplementedError, match="no activity 'record_step_visit'"):
        activities.call("record_step_visit", None, datetime(2026, 1, 1, tzinfo=UTC))


T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def send_request(step: str, *, transactional: bool = False) -> SendRequest:
    return SendRequest(
        org_id="acme",
        customer_id="c",
        journey_id="j",
        journey_version=1,
        workflow_id="w",
        enrollment_id="e",
        step_key=step,
        channel=Channel.EMAIL,
        template="welcome",
        frequency_caps=[FrequencyCap(channel=Channel.EMAIL, limit=1)],
        requested_at=T0,
        transactional=transactional,
    )


def test_a_transactional_send_passes_a_full_cap_and_takes_no_slot() -> None:
    activities = SimulatedActivities(
        SimulatedCustomer(customer_id="c"), EnrollmentTrace(), DeliveryRules(), JOURNEYS
    )
    first = activities.call(DELIVER_MESSAGE_ACTIVITY, send_request("first#1"), T0)
    receipt = activities.call(
        DELIVER_MESSAGE_ACTIVITY, send_request("receipt#1", transactional=True), T0
    )
    capped = activities.call(DELIVER_MESSAGE_ACTIVITY, send_request("second#1"), T0)
    assert (first.status, receipt.status, capped.status) == (
        SendStatus.SENT,
        SendStatus.SENT,
        SendStatus.CAPPED,
    )
    transactional_first = SimulatedActivities(
        SimulatedCustomer(customer_id="c"), EnrollmentTrace(), DeliveryRules(), JOURNEYS
    )
    transactional_first.call(
        DELIVER_MESSAGE_ACTIVITY, send_request("receipt#1", transactional=True), T0
    )
    after = transactional_first.call(DELIVER_MESSAGE_ACTIVITY, send_request("first#1"), T0)
    assert after.status is SendStatus.SENT


def test_channel_selection_weighs_the_enrollments_own_sends() -> None:
    """Two emails sent, none clicked: email is weighed (rate 0, confidence 2/20), not defaulted."""
    trace = EnrollmentTrace()
    activities = SimulatedActivities(
        SimulatedCustomer(customer_id="c"), trace, DeliveryRules(), JOURNEYS
    )
    request = ChannelRequest(org_id="acme", customer_id="c", channels=[Channel.EMAIL, Channel.SMS])
    before = activities.call(SELECT_CHANNEL_ACTIVITY, request, T0)
    activities.call(DELIVER_MESSAGE_ACTIVITY, send_request("a#1", transactional=True), T0)
    activities.call(DELIVER_MESSAGE_ACTIVITY, send_request("b#1", transactional=True), T0)
    after = activities.call(SELECT_CHANNEL_ACTIVITY, request, T0)
    assert (before.reason, before.confidence, before.runner_up) == (
        NO_HISTORY_REASON,
        0.5,
        Channel.SMS,
    )
    assert (after.channel, after.reason, after.confidence) == (
        Channel.EMAIL,
        BEST_ENGAGEMENT_REASON,
        0.1,
    )
    assert [(d.step, d.choice, d.score) for d in trace.decisions] == [
        ("channel", "email", None),
        ("channel", "email", None),
    ]


def test_the_retention_offer_weighs_the_customers_value() -> None:
    """CLV $100 at MRR $1,000: no offer pays off; CLV $10k at MRR $100: the discount."""
    choices = []
    for clv, mrr in [(100, 1_000), (10_000, 100)]:
        trace = EnrollmentTrace()
        customer = SimulatedCustomer(customer_id="c", attributes={"clv": clv, "mrr": mrr})
        activities = SimulatedActivities(customer, trace, DeliveryRules(), JOURNEYS)
        request = RetentionOfferRequest(org_id="acme", customer_id="c")
        choices.append(activities.call(CHOOSE_RETENTION_OFFER_ACTIVITY, request, T0).offer)
        assert [d.step for d in trace.decisions] == ["retention_offer"]
    assert choices == [Offer.NO_OFFER, Offer.DISCOUNT_20_PERCENT]


def test_a_catalog_own_scorer_decides_in_the_simulation() -> None:
    """As on the worker (tests/catalog/test_custom_content.py): 3 login days ready, 1 not."""
    simulation = SimulationSettings.of_catalog(TEAM_CATALOG, JourneySettings())
    outcomes = {}
    for login_days in (3, 1):
        customer = SimulatedCustomer(
            customer_id=f"team-{login_days}",
            attributes={"first_name": "Ada", "team": "Growth"},
            events=[
                CustomerEvent(f"login-{day}", "login", T0 - timedelta(days=day, hours=1))
                for day in reversed(range(login_days))
            ],
        )
        run, trace = simulate_customer(
            TEAM_DECISION_JOURNEY, customer, enrolled_at=T0, days=30, settings=simulation
        )
        assert run.result is not None
        outcomes[login_days] = run.result.outcome
        assert [d.scorer for d in trace.decisions] == [TEAM_SCORER]
    assert outcomes == {3: "ready", 1: "not_ready"}
