"""The seed formulas, exactly as written, and the documented default predictive formulas.

The behaviour events they read are those of
:class:`journeys.language.behaviour_events.BehaviourEvent`, summarised per
customer in an :class:`ActivitySummary`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from journeys.contracts.scoring import ScoreResult
from journeys.errors import InvalidInputError
from journeys.language.behaviour_events import BehaviourEvent

ENGAGEMENT = "engagement"
TRIAL_ENGAGEMENT = "trial_engagement"
FEATURE_ADOPTION = "feature_adoption"
CSAT = "csat"
CHURN_RISK = "churn_risk"
UPGRADE_LIKELIHOOD = "upgrade_likelihood"
CONVERSION_PROBABILITY = "conversion_probability"
NEXT_FEATURE = "next_feature"
ONBOARDING_SUCCESS = "onboarding_success"

RECOMMENDED_FEATURES: tuple[str, ...] = (
    "dashboards",
    "reports",
    "automations",
    "integrations",
    "sharing",
)
"""The order in which the default next-feature scorer recommends features."""


@dataclass
class ActivitySummary:
    """A customer's behaviour in a window, as the formulas need it."""

    logins: int = 0
    login_days: int = 0
    features: set[str] = field(default_factory=set)
    workflows_completed: int = 0
    core_feature_used: bool = False
    max_session_minutes: float = 0.0
    pricing_page_views: int = 0
    support_tickets: int = 0
    latest_csat: float | None = None

    def inputs(self) -> dict[str, object]:
        """The summary as a JSON-friendly dict (the scorer's inputs)."""
        return {
            "logins": self.logins,
            "login_days": self.login_days,
            "features_used": len(self.features),
            "workflows_completed": self.workflows_completed,
            "core_feature_used": self.core_feature_used,
            "max_session_minutes": self.max_session_minutes,
            "pricing_page_views": self.pricing_page_views,
            "support_tickets": self.support_tickets,
            "latest_csat": self.latest_csat,
        }


ScoredEvent = tuple[str, datetime, Mapping[str, Any]]
"""A behaviour event as the formulas read it: name, occurred_at, properties."""


def summarise(events: Iterable[ScoredEvent]) -> ActivitySummary:
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


def window_start(as_of: datetime, days: int) -> datetime:
    """Midnight UTC ``days`` days before ``as_of``: where a scorer's window of whole days starts.

    Seed 000: ``DATE(event_timestamp) BETWEEN DATE_SUB(CURRENT_DATE(), INTERVAL days DAY)
    AND CURRENT_DATE()``.
    """
    return datetime.combine(as_of.date() - timedelta(days=days), time(0), tzinfo=UTC)


def request_window(
    context: Mapping[str, object], default_days: int, now: Callable[[], datetime]
) -> tuple[datetime, datetime]:
    """The (start, end) of a score request's window.

    Args:
        context: The request's context: ``as_of`` (ISO 8601 with a zone; ``now()``
            when absent) and optionally ``window_days`` (the scorer's default otherwise).
        default_days: The scorer's default window.
        now: The clock used without ``as_of``.

    Raises:
        InvalidInputError: ``as_of`` or ``window_days`` unreadable.
    """
    value = context.get("as_of")
    if value is None:
        as_of = now()
    else:
        try:
            as_of = datetime.fromisoformat(str(value))
        except ValueError as err:
            raise InvalidInputError("context.as_of", "must be an ISO 8601 timestamp") from err
        if as_of.tzinfo is None:
            raise InvalidInputError("context.as_of", "must include a time zone")
        as_of = as_of.astimezone(UTC)
    days = context.get("window_days", default_days)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InvalidInputError("context.window_days", "must be a positive whole number")
    return window_start(as_of, days), as_of


def score_window(
    formula: Formula, events: Iterable[ScoredEvent], since: datetime, as_of: datetime
) -> ScoreResult:
    """A formula's result over the events of a window (already selected, oldest first)."""
    result = formula(summarise(events))
    result.inputs["window_start"] = since.isoformat()
    result.inputs["window_end"] = as_of.isoformat()
    return result


def engagement_tier(score: float) -> str:
    """Seed 000: ``high`` if score > 50, ``medium`` if > 20, else ``low``."""
    return "high" if score > 50 else "medium" if score > 20 else "low"


def engagement_score(
    login_days: int, features_used: int, workflows_completed: int, max_session_minutes: float
) -> float:
    """Seed 000's engagement score, capped at 100.

    ``logins*10 + features_used*5 + workflows_completed*20 + min(max_session_minutes, 30)``.
    """
    score = (
        login_days * 10
        + features_used * 5
        + workflows_completed * 20
        + min(max_session_minutes, 30)
    )
    return float(min(score, 100))


def engagement(summary: ActivitySummary) -> ScoreResult:
    """Seed 000 decision point #2 (default window: 3 days)."""
    score = engagement_score(
        summary.login_days,
        len(summary.features),
        summary.workflows_completed,
        summary.max_session_minutes,
    )
    return ScoreResult(
        scorer=ENGAGEMENT, score=score, tier=engagement_tier(score), inputs=summary.inputs()
    )


def onboarding_success(summary: ActivitySummary) -> ScoreResult:
    """Seed 000 Day 30 success score: the engagement formula over the whole journey.

    Tiers: ``highly_activated`` > 75, ``moderately_activated`` 40-75, ``poorly_activated`` < 40.
    """
    score = engagement(summary).score
    tier = (
        "highly_activated"
        if score > 75
        else "moderately_activated"
        if score >= 40
        else "poorly_activated"
    )
    return ScoreResult(scorer=ONBOARDING_SUCCESS, score=score, tier=tier, inputs=summary.inputs())


def trial_engagement(summary: ActivitySummary) -> ScoreResult:
    """Seed 000 template 3, Day 3: ``high`` with 3+ logins and the core feature used."""
    high = summary.logins >= 3 and summary.core_feature_used
    return ScoreResult(
        scorer=TRIAL_ENGAGEMENT,
        score=float(summary.logins),
        tier="high" if high else "low",
        inputs=summary.inputs(),
    )


def feature_adoption(summary: ActivitySummary) -> ScoreResult:
    """Default adoption score: 10 points per distinct feature used, capped at 100.

    Seed 001 tiers: ``expansion`` > 80, ``high`` > 70, ``low`` ≤ 70.
    """
    score = float(min(10 * len(summary.features), 100))
    tier = "expansion" if score > 80 else "high" if score > 70 else "low"
    return ScoreResult(scorer=FEATURE_ADOPTION, score=score, tier=tier, inputs=summary.inputs())


def csat(summary: ActivitySummary) -> ScoreResult:
    """Seed 001: the latest CSAT answer.

    Tiers: ``satisfied`` ≥ 8, ``dissatisfied`` < 7, else ``neutral`` (``no_response``: none).
    """
    if summary.latest_csat is None:
        return ScoreResult(scorer=CSAT, score=0.0, tier="no_response", inputs=summary.inputs())
    value = summary.latest_csat
    tier = "satisfied" if value >= 8 else "dissatisfied" if value < 7 else "neutral"
    return ScoreResult(scorer=CSAT, score=value, tier=tier, inputs=summary.inputs())


def _percent(scorer: str, points: int, summary: ActivitySummary) -> ScoreResult:
    score = max(0, min(100, points))
    tier = "high" if score > 60 else "medium" if score >= 30 else "low"
    return ScoreResult(
        scorer=scorer,
        score=float(score),
        probability=score / 100,
        tier=tier,
        inputs=summary.inputs(),
        model_version="default-formula-1",
    )


def churn_risk(summary: ActivitySummary) -> ScoreResult:
    """Default churn risk (%): ``80 - 8*login_days - 10*workflows + 10*support_tickets``, 0-100."""
    points = (
        80
        - 8 * summary.login_days
        - 10 * summary.workflows_completed
        + 10 * summary.support_tickets
    )
    return _percent(CHURN_RISK, points, summary)


def upgrade_likelihood(summary: ActivitySummary) -> ScoreResult:
    """Default upgrade likelihood (%).

    ``10*login_days + 15*workflows + 5*features + 20*pricing_page_views``, 0-100.
    """
    points = (
        10 * summary.login_days
        + 15 * summary.workflows_completed
        + 5 * len(summary.features)
        + 20 * summary.pricing_page_views
    )
    return _percent(UPGRADE_LIKELIHOOD, points, summary)


def conversion_probability(summary: ActivitySummary) -> ScoreResult:
    """Default trial conversion probability (%).

    ``8*login_days + 12*workflows + 5*features + 15*pricing_page_views``, 0-100.
    """
    points = (
        8 * summary.login_days
        + 12 * summary.workflows_completed
        + 5 * len(summary.features)
        + 15 * summary.pricing_page_views
    )
    return _percent(CONVERSION_PROBABILITY, points, summary)


def next_feature(summary: ActivitySummary) -> ScoreResult:
    """Default next feature: the first of :data:`RECOMMENDED_FEATURES` not used yet (the tier)."""
    unused = [name for name in RECOMMENDED_FEATURES if name not in summary.features]
    used = len(RECOMMENDED_FEATURES) - len(unused)
    return ScoreResult(
        scorer=NEXT_FEATURE,
        score=float(100 * used // len(RECOMMENDED_FEATURES)),
        tier=unused[0] if unused else "all_adopted",
        inputs=summary.inputs(),
        model_version="default-formula-1",
    )


Formula = Callable[[ActivitySummary], ScoreResult]

FORMULAS: dict[str, tuple[Formula, int]] = {
    ENGAGEMENT: (engagement, 3),
    ONBOARDING_SUCCESS: (onboarding_success, 30),
    TRIAL_ENGAGEMENT: (trial_engagement, 3),
    FEATURE_ADOPTION: (feature_adoption, 30),
    CSAT: (csat, 30),
    CHURN_RISK: (churn_risk, 14),
    UPGRADE_LIKELIHOOD: (upgrade_likelihood, 14),
    CONVERSION_PROBABILITY: (conversion_probability, 7),
    NEXT_FEATURE: (next_feature, 30),
}
"""Scorer name -> (formula, default window in days)."""

SCORER_NAMES: frozenset[str] = frozenset(FORMULAS)
"""Every scorer a journey may name."""
