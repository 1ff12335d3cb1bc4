"""The simulator's side of the differential test: a scenario on the virtual clock.

A scenario run on the time-skipping server (``run_scenario``) records its
reference time, its enrollment time and the journey version it ran; the same
customer (same id, profile, time zone and events at the same times) then runs
on the simulator, and the two traces must be equal. Both run under the shipped
defaults: no global caps or default quiet hours (``JourneySettings``' defaults,
as ``DeliveryRules()``); the journey's own caps and quiet hours apply in both.
The decision activities' choices are compared; their features are read at the
activity's wall clock on Temporal and at the virtual time on the simulator, so
a scenario's choice must not hang on time-dependent features (the churn
version 2 scenarios' offers hold for every churn risk).
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog import default_catalog
from journeys.simulation.activities import CustomerEvent, DeliveryRules, SimulatedCustomer
from journeys.simulation.engine import (
    DEFAULT_MAX_SIGNALS_PER_RUN,
    SimulationSettings,
    simulate_customer,
)
from journeys.simulation.report import journey_day
from journeys.simulation.runtime import EnrollmentRun
from tests.support.journey_scenarios import ORG, JourneyTrace, Scenario, ScenarioRun

HORIZON_DAYS = 365
"""Long enough for every scenario to end, as it does on the time-skipping server."""


def simulated_trace(
    scenario: Scenario, run: ScenarioRun, *, max_signals_per_run: int = DEFAULT_MAX_SIGNALS_PER_RUN
) -> JourneyTrace:
    """The scenario's trace on the simulator, replaying the Temporal run's inputs."""
    return simulated_run(scenario, run, max_signals_per_run=max_signals_per_run)[0]


def simulated_run(
    scenario: Scenario, run: ScenarioRun, *, max_signals_per_run: int = DEFAULT_MAX_SIGNALS_PER_RUN
) -> tuple[JourneyTrace, EnrollmentRun]:
    """The scenario on the simulator: its trace, and how its enrollment ran."""
    customer = SimulatedCustomer(
        customer_id=run.customer_id,
        attributes=dict(scenario.profile),
        timezone=scenario.timezone,
        events=sorted(
            (
                CustomerEvent(
                    event_id=f"{run.customer_id}-{index}",
                    name=event.name,
                    occurred_at=run.start + timedelta(days=event.day),
                    properties=dict(event.properties),
                    delivered=event.routed,
                )
                for index, event in enumerate(scenario.behaviour)
            ),
            key=lambda event: event.occurred_at,
        ),
    )
    settings = SimulationSettings(
        rules=DeliveryRules(),
        journeys=frozenset(journey.id for journey in default_catalog().current_versions()),
        max_signals_per_run=max_signals_per_run,
    )
    result, trace = simulate_customer(
        run.definition,
        customer,
        enrolled_at=run.enrolled_at,
        days=HORIZON_DAYS,
        settings=settings,
        org_id=ORG,
        deliver_earlier_events=True,
    )
    assert result.result is not None, f"still running at {result.current_step}"
    return JourneyTrace(
        outcome=result.result.outcome,
        path=result.result.path,
        sends=[
            (send.channel.value, send.template, journey_day(send.at, run.enrolled_at))
            for send in trace.sends
        ],
        held_back=[(h.channel.value, h.template, h.status.value) for h in trace.held_back],
        decisions=[(d.step, d.choice, d.tier, d.score) for d in trace.decisions],
        tasks=trace.tasks,
        transitions=trace.transitions,
    ), result
