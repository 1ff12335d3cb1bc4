"""The journey language: validation messages, YAML loading, pure evaluation, scorer formulas."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeys.catalog import (
    SHIPPED_JOURNEYS,
    Catalog,
    conflict_rank,
    default_catalog,
    resolve_conflicts,
)
from journeys.catalog.activation_retention import ACTIVATION_RETENTION_V2
from journeys.errors import InvalidTimeZoneError, JourneyDefinitionError
from journeys.language import Channel, FrequencyCap, JourneyDefinition, ScoreBand
from journeys.language.evaluation import experiment_arm, experiment_bucket
from journeys.language.loading import dump_definition, load_definition, parse_definition
from journeys.language.schedule import customer_zone, date_attribute_deadline, next_local_time
from journeys.language.steps import ExperimentArm
from journeys.scoring import formulas
from journeys.scoring.formulas import ActivitySummary


def minimal(**steps: Any) -> dict[str, Any]:
    """A journey document with the given steps (start = first)."""
    return {
        "id": "journey_test",
        "version": 3,
        "metadata": {"name": "Test"},
        "start": next(iter(steps)),
        "steps": steps,
        "channels": ["email", "in_app"],
    }


SEND = {"type": "send", "channels": ["email"], "template": "welcome", "next": "done"}
DONE = {"type": "exit", "outcome": "done"}

INVALID = [
    ("unknown target", minimal(a={**SEND, "next": "nowhere"}, done=DONE), "a", "unknown next step"),
    ("unreachable", minimal(a=SEND, done=DONE, lost=DONE), "lost", "unreachable"),
    (
        "loop without wait",
        minimal(
            a={
                "type": "branch",
                "cases": [{"when": {"kind": "event_count", "event": "x"}, "next": "b"}],
                "otherwise": "b",
            },
            b={**SEND, "next": "a"},
        ),
        "a",
        "loop with no wait",
    ),
    ("unknown channel", minimal(a={**SEND, "channels": ["pigeon"]}, done=DONE), "a", "channels"),
    ("channel not allowed", minimal(a={**SEND, "channels": ["sms"]}, done=DONE), "a", "'sms'"),
    (
        "weights do not sum to 100",
        minimal(
            a={
                "type": "experiment",
                "experiment": "subject_line",
                "control": "control",
                "arms": [
                    {"name": "control", "weight": 50, "next": "done"},
                    {"name": "variant", "weight": 40, "next": "done"},
                ],
            },
            done=DONE,
        ),
        "a",
        "sum to 90",
    ),
    (
        "relative decision against another scorer",
        minimal(
            a={"type": "decide", "scorer": "engagement", "otherwise": "b"},
            b={"type": "decide", "scorer": "churn_risk", "relative_to": "a", "otherwise": "done"},
            done=DONE,
        ),
        "b",
        "relative_to 'a' is not a decide step of 'churn_risk'",
    ),
    (
        "best channel with one channel",
        minimal(
            a={
                "type": "send_best_channel",
                "channels": ["email"],
                "template": "welcome",
                "next": "done",
            },
            done=DONE,
        ),
        "a",
        "channels",
    ),
    (
        "offer step channel not allowed",
        minimal(
            a={
                "type": "offer",
                "templates": {"free_upgrade": "welcome"},
                "channels": ["sms"],
                "on_no_offer": "done",
                "next": "done",
            },
            done=DONE,
        ),
        "a",
        "'sms'",
    ),
    (
        "wait with neither duration nor day",
        minimal(a={"type": "wait", "next": "done"}, done=DONE),
        "a",
        "exactly one of duration and day",
    ),
]


@pytest.mark.parametrize(
    ("case", "document", "step", "message"), INVALID, ids=[c[0] for c in INVALID]
)
def test_invalid_definitions_name_journey_version_and_step(
    case: str, document: dict[str, Any], step: str, message: str
) -> None:
    with pytest.raises(JourneyDefinitionError) as refused:
        parse_definition(document)
    text = str(refused.value)
    assert text.startswith(f"journey 'journey_test' version 3 step '{step}'"), text
    assert message in text


CATALOG_REFERENCES = [
    (
        "unknown scorer",
        {"type": "decide", "scorer": "astrology", "otherwise": "done"},
        "scorer 'astrology'",
    ),
    ("unknown template", {**SEND, "template": "no_such_template"}, "template 'no_such_template'"),
    ("unknown journey", {"type": "transition", "journey": "journey_nowhere"}, "not in the catalog"),
]


@pytest.mark.parametrize(
    ("case", "step", "message"), CATALOG_REFERENCES, ids=[c[0] for c in CATALOG_REFERENCES]
)
def test_catalog_refuses_unknown_references(case: str, step: dict[str, Any], message: str) -> None:
    definition = parse_definition(
        minimal(a=step, done=DONE) if step["type"] != "transition" else minimal(a=step)
    )
    with pytest.raises(JourneyDefinitionError) as refused:
        Catalog([*SHIPPED_JOURNEYS, definition])
    assert "journey 'journey_test' version 3 step 'a'" in str(refused.value)
    assert message in str(refused.value)


def test_transition_within_one_routing_key_is_refused() -> None:
    first = parse_definition(
        minimal(a={"type": "transition", "journey": "journey_other"}) | {"conflict_group": "g"}
    )
    other = parse_definition(
        minimal(a=SEND, done=DONE) | {"id": "journey_other", "conflict_group": "g"}
    )
    with pytest.raises(JourneyDefinitionError, match="shares its routing key 'g'"):
        Catalog([first, other])


def test_every_shipped_journey_round_trips_through_yaml(tmp_path: Path) -> None:
    catalog = default_catalog()
    for journey in catalog.all_versions():
        path = tmp_path / f"{journey.id}.yaml"
        path.write_text(dump_definition(journey))
        assert load_definition(path) == journey


def test_every_transition_target_is_a_real_journey() -> None:
    catalog = default_catalog()
    targets = {t for j in catalog.all_versions() for t in j.transition_targets()}
    assert targets == {
        "journey_active_user_nurture",
        "journey_power_user_engagement",
        "journey_feature_adoption",
        "journey_at_risk_retention",
        "journey_winback_60d",
        "journey_celebration",
    }
    for target in targets:
        assert catalog.get(target).entry.event is None


def test_yaml_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed")
    with pytest.raises(JourneyDefinitionError, match="not valid YAML"):
        load_definition(bad)
    with pytest.raises(JourneyDefinitionError, match="cannot read"):
        load_definition(tmp_path / "missing.yaml")
    assert yaml.safe_load(dump_definition(ACTIVATION_RETENTION_V2))["id"] == "JRN-ACT-RET-001"


def test_blueprint_declares_seed_001_frequency_caps_and_exits() -> None:
    week = timedelta(days=7)
    assert ACTIVATION_RETENTION_V2.frequency_caps == [
        FrequencyCap(channel=Channel.EMAIL, limit=2, window=week),
        FrequencyCap(channel=Channel.PUSH, limit=3, window=week),
        FrequencyCap(channel=Channel.SMS, limit=1, window=week),
        FrequencyCap(channel=Channel.IN_APP, limit=5, window=week),
        FrequencyCap(channel=None, limit=8, window=week),
    ]
    assert ACTIVATION_RETENTION_V2.exit_events == ["subscription_cancelled"]
    assert set(ACTIVATION_RETENTION_V2.transition_targets()) == {
        "journey_active_user_nurture",
        "journey_power_user_engagement",
        "journey_at_risk_retention",
    }


@pytest.mark.parametrize(
    ("score", "above", "at_least", "matches"),
    [(60, 60, None, False), (61, 60, None, True), (40, None, 40, True), (39.9, None, 40, False)],
)
def test_score_bands(
    score: float, above: float | None, at_least: float | None, matches: bool
) -> None:
    assert ScoreBand(above=above, at_least=at_least, next="x").matches(score) is matches


def test_experiment_buckets_are_stable_and_follow_weights() -> None:
    arms = [
        ExperimentArm(name="control", weight=20, next="a"),
        ExperimentArm(name="variant", weight=80, next="b"),
    ]
    assert experiment_bucket("j", "e", "cust-1") == experiment_bucket("j", "e", "cust-1")
    chosen = [experiment_arm(arms, "j", "e", f"cust-{i}").name for i in range(2000)]
    assert 300 < chosen.count("control") < 500
    zero = [ExperimentArm(name="control", weight=0, next="a"), *arms[1:]]
    zero[1] = ExperimentArm(name="variant", weight=100, next="b")
    assert {experiment_arm(zero, "j", "e", f"c{i}").name for i in range(200)} == {"variant"}


def test_calendar_deadlines_in_the_customer_zone() -> None:
    zone = customer_zone("Europe/Paris")
    friday_evening = datetime(2026, 1, 2, 19, 0, tzinfo=UTC)  # 20:00 in Paris
    monday = next_local_time(friday_evening, time(9, 0), [0, 1, 2, 3, 4], zone)
    assert monday == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert customer_zone(None).key == "UTC"
    with pytest.raises(InvalidTimeZoneError, match="'Not/AZone'"):
        customer_zone("Not/AZone")
    renewal = date_attribute_deadline("2026-03-01", -timedelta(days=7), zone)
    assert renewal == datetime(2026, 2, 21, 23, 0, tzinfo=UTC)
    assert date_attribute_deadline("soon", timedelta(0), zone) is None


ENGAGEMENT = [
    # (login_days, features, workflows, max_session, score, tier) - seed 000's formula.
    (1, 1, 1, 16, 51, "high"),
    (1, 1, 1, 15, 50, "medium"),
    (1, 0, 0, 11, 21, "medium"),
    (1, 0, 0, 10, 20, "low"),
    (0, 0, 0, 45, 30, "medium"),
    (5, 10, 3, 60, 100, "high"),
]


@pytest.mark.parametrize(("days", "features", "workflows", "session", "score", "tier"), ENGAGEMENT)
def test_engagement_score_seed_000(
    days: int, features: int, workflows: int, session: float, score: float, tier: str
) -> None:
    summary = ActivitySummary(
        login_days=days,
        features={f"f{i}" for i in range(features)},
        workflows_completed=workflows,
        max_session_minutes=session,
    )
    result = formulas.engagement(summary)
    assert (result.score, result.tier) == (score, tier)


def test_trial_engagement_signal_needs_three_logins_and_core_feature() -> None:
    assert (
        formulas.trial_engagement(ActivitySummary(logins=3, core_feature_used=True)).tier == "high"
    )
    assert (
        formulas.trial_engagement(ActivitySummary(logins=2, core_feature_used=True)).tier == "low"
    )
    assert formulas.trial_engagement(ActivitySummary(logins=9)).tier == "low"


@pytest.mark.parametrize(("features", "tier"), [(7, "low"), (8, "high"), (9, "expansion")])
def test_feature_adoption_thresholds_seed_001(features: int, tier: str) -> None:
    result = formulas.feature_adoption(ActivitySummary(features={str(i) for i in range(features)}))
    assert (result.score, result.tier) == (features * 10, tier)


@pytest.mark.parametrize(
    ("answer", "tier"),
    [
        (10, "satisfied"),
        (8, "satisfied"),
        (7, "neutral"),
        (6.9, "dissatisfied"),
        (None, "no_response"),
    ],
)
def test_csat_thresholds_seed_001(answer: float | None, tier: str) -> None:
    assert formulas.csat(ActivitySummary(latest_csat=answer)).tier == tier


def test_default_predictive_formulas() -> None:
    at_60 = formulas.churn_risk(ActivitySummary(login_days=5, support_tickets=2))
    assert (at_60.score, at_60.probability) == (60, 0.6)
    assert formulas.churn_risk(ActivitySummary()).score == 80
    assert formulas.churn_risk(ActivitySummary(login_days=20)).score == 0
    assert (
        formulas.upgrade_likelihood(ActivitySummary(login_days=3, pricing_page_views=2)).score == 70
    )
    assert (
        formulas.conversion_probability(ActivitySummary(login_days=3, workflows_completed=3)).score
        == 60
    )
    assert formulas.next_feature(ActivitySummary(features={"dashboards"})).tier == "reports"
    success = formulas.onboarding_success
    assert (
        success(ActivitySummary(login_days=3, max_session_minutes=10)).tier
        == "moderately_activated"
    )
    assert success(ActivitySummary(login_days=3, max_session_minutes=9)).tier == "poorly_activated"
    assert (
        success(
            ActivitySummary(
                login_days=3, features={"a", "b", "c", "d", "e"}, max_session_minutes=20
            )
        ).tier
        == "moderately_activated"
    )
    assert (
        success(
            ActivitySummary(
                login_days=3, features={"a", "b", "c", "d", "e"}, max_session_minutes=21
            )
        ).tier
        == "highly_activated"
    )


def test_conflicts_resolve_by_lifecycle_stage_then_business_value() -> None:
    base = minimal(a=SEND, done=DONE) | {"conflict_group": "g", "entry": {"event": "signed_up"}}
    activation = parse_definition(
        base | {"id": "act", "lifecycle_stage": "activation", "business_value": 10}
    )
    activation_rich = parse_definition(
        base | {"id": "act_rich", "lifecycle_stage": "activation", "business_value": 50}
    )
    expansion = parse_definition(
        base | {"id": "exp", "lifecycle_stage": "expansion", "business_value": 99}
    )
    loner = parse_definition(
        minimal(a=SEND, done=DONE) | {"id": "loner", "entry": {"event": "signed_up"}}
    )
    catalog = Catalog([activation, activation_rich, expansion, loner])
    assert [j.id for j in catalog.entry_candidates("signed_up", None)] == ["loner", "act_rich"]
    assert [j.id for j in catalog.entry_candidates("signed_up", "expansion")] == ["loner", "exp"]
    assert conflict_rank(expansion, "expansion") < conflict_rank(activation_rich, "expansion")
    assert resolve_conflicts([], None) == []


@pytest.mark.parametrize("journey", SHIPPED_JOURNEYS, ids=lambda journey: journey.key)
def test_a_definition_is_data(journey: JourneyDefinition) -> None:
    """Every shipped journey survives YAML and JSON unchanged: what the workflow input carries."""
    assert parse_definition(yaml.safe_load(dump_definition(journey))) == journey
    assert JourneyDefinition.model_validate_json(journey.model_dump_json()) == journey
