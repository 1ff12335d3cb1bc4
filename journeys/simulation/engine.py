"""Simulating a population through a journey version on the virtual clock.

Customers are independent (each has its own profile, events, caps and clock),
so they are simulated one after another, each to its end or the horizon, and
only counted into the report: memory stays flat whatever the population. Large
populations are cut into chunks simulated by worker processes (one per core by
default); each customer's behaviour depends only on the seed and its number, so
the report is the same whatever the chunking.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from journeys.catalog import Catalog
from journeys.contracts.enrollment import EnrollmentInput, EventSignal
from journeys.errors import InvalidInputError
from journeys.language import JourneyDefinition
from journeys.scoring.formulas import FORMULAS, Formula
from journeys.settings import JourneySettings
from journeys.simulation.activities import (
    DeliveryRules,
    EnrollmentTrace,
    SimulatedActivities,
    SimulatedCustomer,
)
from journeys.simulation.population import BehaviourProfiles, PopulationSampler, load_profiles
from journeys.simulation.report import SimulationReport
from journeys.simulation.runtime import EnrollmentRun, run_enrollment

SIMULATION_ORG = "simulation"
"""The organisation simulated customers belong to."""

MAX_CUSTOMERS = 1_000_000
MAX_DAYS = 365

DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
"""The first enrollment of a synthetic population (fixed: a run depends only on its seed)."""

ENROLLMENT_SPREAD = timedelta(days=1)
"""Synthetic enrollments are spread over a day, so quiet hours meet some of them."""

CHUNK_SIZE = 500
"""Customers a worker process simulates per task (and between progress reports)."""

DEFAULT_MAX_SIGNALS_PER_RUN: int = EnrollmentInput.model_fields["max_signals_per_run"].default

Progress = Callable[[int, int], None]
"""Called with (customers simulated, customers in all) as the simulation advances."""


@dataclass(frozen=True)
class SimulationSettings:
    """What a simulation needs besides the journey.

    Attributes:
        rules: The global frequency caps and default quiet hours.
        journeys: Journey ids transitions may enroll in (the catalog's).
        max_signals_per_run: Continue as new after this many signals (as workers do).
        formulas: Scorers by name: the engine's, then the catalog's own (which win,
            as on the worker).
    """

    rules: DeliveryRules = field(default_factory=DeliveryRules)
    journeys: frozenset[str] = frozenset()
    max_signals_per_run: int = DEFAULT_MAX_SIGNALS_PER_RUN
    formulas: Mapping[str, tuple[Formula, int]] = field(default_factory=lambda: dict(FORMULAS))

    @classmethod
    def of_catalog(cls, catalog: Catalog, settings: JourneySettings) -> SimulationSettings:
        """The settings a worker of ``catalog`` would run with: rules, transitions, scorers."""
        return cls(
            rules=DeliveryRules(settings.delivery_frequency_caps, settings.delivery_quiet_hours),
            journeys=frozenset(journey.id for journey in catalog.current_versions()),
            max_signals_per_run=settings.max_signals_per_run,
            formulas={**FORMULAS, **catalog.formulas},
        )


def simulate_customer(
    definition: JourneyDefinition,
    customer: SimulatedCustomer,
    *,
    enrolled_at: datetime,
    days: float,
    settings: SimulationSettings,
    org_id: str = SIMULATION_ORG,
    entry_event_id: str | None = None,
    deliver_earlier_events: bool = False,
) -> tuple[EnrollmentRun, EnrollmentTrace]:
    """Enroll one customer at ``enrolled_at`` and run the journey for ``days`` days.

    The customer's delivered events after ``enrolled_at`` reach the enrollment
    at their times (the entry event, if any, starts it); the others are only
    seen by scorers. With ``deliver_earlier_events``, delivered events dated
    before the enrollment reach it as it starts (a client signalling them right
    after enrolling the customer). Returns how it ended and what it did.
    """
    trace = EnrollmentTrace()
    activities = SimulatedActivities(
        customer, trace, settings.rules, settings.journeys, settings.formulas
    )
    signals = [
        EventSignal(event_id=event.event_id, name=event.name, occurred_at=event.occurred_at)
        for event in customer.events
        if (event.delivered or event.event_id == entry_event_id)
        and (deliver_earlier_events or event.occurred_at >= enrolled_at)
    ]
    entry = next((s for s in signals if s.event_id == entry_event_id), None)
    run = run_enrollment(
        definition,
        org_id=org_id,
        customer_id=customer.customer_id,
        enrolled_at=enrolled_at,
        events=[signal for signal in signals if signal is not entry],
        activities=activities,
        horizon=enrolled_at + timedelta(days=days),
        max_signals_per_run=settings.max_signals_per_run,
        lifecycle_stage=customer.lifecycle_stage,
        entry_event=entry,
    )
    return run, trace


def check_days(days: int) -> None:
    """Refuse a horizon out of range.

    Raises:
        InvalidInputError: ``days`` not in 1..MAX_DAYS.
    """
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError("days", f"must be between 1 and {MAX_DAYS}, not {days}")


@dataclass(frozen=True)
class Population:
    """A synthetic population: ``customers`` drawn from ``profiles`` with ``seed``."""

    profiles: BehaviourProfiles
    customers: int
    seed: int
    source: str
    start: datetime = DEFAULT_START


def synthetic_population(
    customers: int, *, seed: int = 7, profiles_file: str | None = None
) -> Population:
    """A population description, validated.

    Raises:
        InvalidInputError: customers out of range, or a profiles file with errors.
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InvalidInputError(
            "customers", f"must be between 1 and {MAX_CUSTOMERS}, not {customers}"
        )
    profiles = load_profiles(Path(profiles_file) if profiles_file else None)
    source = f"profiles {profiles_file}" if profiles_file else "shipped behaviour profiles"
    return Population(profiles=profiles, customers=customers, seed=seed, source=source)


def simulate_chunk(
    definition: JourneyDefinition,
    population: Population,
    indexes: range,
    days: int,
    settings: SimulationSettings,
) -> SimulationReport:
    """Simulate customers ``indexes`` of a population; their report."""
    report = SimulationReport(
        journey=definition.key,
        days=days,
        source=population.source,
        steps=list(definition.steps),
        seed=population.seed,
    )
    sampler = PopulationSampler(
        population.profiles,
        seed=population.seed,
        start=population.start,
        horizon_days=days,
        delivered=frozenset(definition.listened_events()),
        spread=ENROLLMENT_SPREAD,
    )
    for index in indexes:
        customer = sampler.customer(index)
        assert customer.enrolled_at is not None
        run, trace = simulate_customer(
            definition, customer, enrolled_at=customer.enrolled_at, days=days, settings=settings
        )
        report.add(definition, run, trace, customer.enrolled_at, customer.profile_name)
    return report


def simulate_population(
    definition: JourneyDefinition,
    population: Population,
    days: int,
    settings: SimulationSettings,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> SimulationReport:
    """Run a synthetic population through a journey version for ``days`` days.

    Args:
        definition: The journey version (a catalog version or a draft).
        population: The customers.
        days: Journey days to simulate.
        settings: Delivery rules and the catalog's journey ids.
        workers: Processes to spread the chunks over (1: this process only).
        progress: Told after every chunk.

    Raises:
        InvalidInputError: days or workers out of range.
    """
    check_days(days)
    if workers < 1:
        raise InvalidInputError("workers", f"must be at least 1, not {workers}")
    began = time.perf_counter()
    chunks = [
        range(first, min(first + CHUNK_SIZE, population.customers))
        for first in range(0, population.customers, CHUNK_SIZE)
    ]
    report = SimulationReport(
        journey=definition.key,
        days=days,
        source=population.source,
        steps=list(definition.steps),
        seed=population.seed,
    )
    say = progress or (lambda _done, _total: None)
    say(0, population.customers)
    workers = min(workers, len(chunks))
    if workers == 1:
        for chunk in chunks:
            report.merge(simulate_chunk(definition, population, chunk, days, settings))
            say(report.customers, population.customers)
    else:
        _simulate_in_processes(definition, population, chunks, days, settings, workers, report, say)
    report.wall_seconds = time.perf_counter() - began
    return report


def _simulate_in_processes(
    definition: JourneyDefinition,
    population: Population,
    chunks: Iterable[range],
    days: int,
    settings: SimulationSettings,
    workers: int,
    report: SimulationReport,
    say: Progress,
) -> None:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: list[Future[SimulationReport]] = [
            pool.submit(simulate_chunk, definition, population, chunk, days, settings)
            for chunk in chunks
        ]
        # Merged in submission order, so the report does not depend on which finished first.
        for future in futures:
            report.merge(future.result())
            say(report.customers, population.customers)


def default_workers(customers: int) -> int:
    """One process per core for populations of several chunks; this process otherwise."""
    chunks = math.ceil(customers / CHUNK_SIZE)
    return max(1, min(multiprocessing.cpu_count(), chunks)) if chunks > 1 else 1
