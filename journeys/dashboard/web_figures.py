"""What the web dashboard shows, computed from the store (no Streamlit here, so it is testable).

Seed 000's health dashboard: KPIs over the chosen range with 7-day deltas (the
last 7 days against the 7 before), the step funnel, decision-point
performance, experiment results and active alerts. Seed 003's client journey
map: the nine stages with the client's position, score, risks and next best
action, and the customer's enrollments with the steps they visited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from journeys.analytics.experiments import ExperimentResult, experiment_result
from journeys.analytics.journey_report import JourneyReport, journey_outcomes, journey_report
from journeys.decisioning.client_journey_intelligence import STAGES, JourneyScore
from journeys.decisioning.client_journey_service import ClientJourneyService
from journeys.language import ExperimentStep, JourneyDefinition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.health_alerts import alert_history
from journeys.store.journey_analytics import CohortFilter, customer_paths
from journeys.store.tables.journeys import HealthAlert

DELTA_DAYS = 7
"""Seed 000: every KPI shows its change over 7 days."""


@dataclass(frozen=True)
class Kpi:
    """One KPI: its value over the range and its 7-day delta (None without data)."""

    label: str
    value: str
    delta: str | None
    lower_is_better: bool = False


@dataclass
class JourneyPage:
    """The journey page's figures."""

    report: JourneyReport
    kpis: list[Kpi]
    experiments: list[ExperimentResult]
    alerts: list[HealthAlert]


def _days(hours: float | None) -> float | None:
    return None if hours is None else hours / 24


def kpis(current: JourneyReport, recent: JourneyReport, before: JourneyReport) -> list[Kpi]:
    """Seed 000's four KPIs with the change of the last 7 days over the 7 before."""

    def change(now: float | None, then: float | None, unit: str, percent: bool) -> str | None:
        if now is None or then is None:
            return None
        return f"{now - then:+.1%}" if percent else f"{now - then:+.1f}{unit}"

    recent_days = _days(recent.time_to_complete.median_hours)
    before_days = _days(before.time_to_complete.median_hours)
    current_days = _days(current.time_to_complete.median_hours)
    entered_delta = recent.entered - before.entered
    return [
        Kpi("Users in Journey", f"{current.entered:,}", f"{entered_delta:+,}"),
        Kpi(
            "Completion Rate",
            f"{current.completion_rate:.1%}",
            change(recent.completion_rate, before.completion_rate, "", percent=True),
        ),
        Kpi(
            "Avg. Time to Complete",
            "n/a" if current_days is None else f"{current_days:.1f} days",
            change(recent_days, before_days, " days", percent=False),
            lower_is_better=True,
        ),
        Kpi(
            "Drop-off Rate",
            f"{current.dropoff_rate:.1%}",
            change(recent.dropoff_rate, before.dropoff_rate, "", percent=True),
            lower_is_better=True,
        ),
    ]


def journey_page(
    store: Store,
    settings: JourneySettings,
    definition: JourneyDefinition,
    *,
    org_id: str,
    version: int | None,
    now: datetime,
    days: int,
) -> JourneyPage:
    """The report over the last ``days``, KPIs with deltas, experiments and active alerts."""

    def cohort(since: datetime, until: datetime) -> CohortFilter:
        return CohortFilter(org_id, definition.id, since, until, version=version)

    current = journey_report(store, cohort(now - timedelta(days=days), now), list(definition.steps))
    # The deltas need only the cohorts' endings and durations, not whole reports.
    recent = journey_outcomes(store, cohort(now - timedelta(days=DELTA_DAYS), now))
    before = journey_outcomes(
        store, cohort(now - timedelta(days=2 * DELTA_DAYS), now - timedelta(days=DELTA_DAYS))
    )
    experiments = sorted(
        {s.experiment for s in definition.steps.values() if isinstance(s, ExperimentStep)}
    )
    results = [
        experiment_result(
            store,
            definition,
            org_id=org_id,
            experiment=experiment,
            min_sample_per_arm=settings.experiment_min_sample_per_arm,
            alpha=settings.experiment_alpha,
        )
        for experiment in experiments
    ]
    with store.transaction() as session:
        alerts = alert_history(session, org_id, journey_id=definition.id, active_only=True)
        session.expunge_all()
    return JourneyPage(current, kpis(current, recent, before), results, alerts)


@dataclass
class CustomerPage:
    """Seed 003's client journey map of one customer, and their enrollments."""

    customer_id: str
    stages: list[str]
    score: JourneyScore
    next_action: str | None
    enrollments: list[tuple[str, int, str, str | None, list[str]]] = field(default_factory=list)


def customer_page(store: Store, org_id: str, customer_id: str) -> CustomerPage:
    """The client's stage among the nine, score, risks, next best action and paths."""
    service = ClientJourneyService(store, org_id)
    score = service.calculate_journey_score(customer_id)
    with store.transaction() as session:
        paths = customer_paths(session, org_id, customer_id)
    return CustomerPage(
        customer_id=customer_id,
        stages=list(STAGES),
        score=score,
        next_action=score.recommended_actions[0] if score.recommended_actions else None,
        enrollments=paths,
    )
