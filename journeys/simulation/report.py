"""What a simulation found: outcomes, funnel, sends per channel per day, caps, decisions.

A :class:`SimulationReport` only holds counters (never per-customer records),
so its size does not grow with the population, and two reports of parts of a
population merge into the report of the whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from journeys.contracts.activities import SendStatus
from journeys.language import BranchStep, DecideStep, ExperimentStep, JourneyDefinition
from journeys.simulation.activities import EnrollmentTrace
from journeys.simulation.runtime import EnrollmentRun

DAY = timedelta(days=1)


def journey_day(at: datetime, enrolled_at: datetime) -> int:
    """The journey day of ``at``: whole days since enrollment (Day 0 is the first)."""
    return int((at - enrolled_at) // DAY)


def still_running(step: str) -> str:
    """The outcome shown for an enrollment that had not ended at the horizon."""
    return f"still running at {step}"


def choice_steps(definition: JourneyDefinition) -> frozenset[str]:
    """The steps that choose where a path goes: branches, decisions and splits."""
    return frozenset(
        name
        for name, step in definition.steps.items()
        if isinstance(step, BranchStep | DecideStep | ExperimentStep)
    )


def path_signature(
    definition: JourneyDefinition, path: list[str], choosing: frozenset[str] | None = None
) -> str:
    """The choices a path made: steps chosen by a branch, decision or split, then the last step.

    Args:
        definition: The journey.
        path: The steps visited.
        choosing: :func:`choice_steps` of the journey, if already known.
    """
    choosing = choice_steps(definition) if choosing is None else choosing
    chosen = [step for previous, step in pairwise(path) if previous in choosing]
    if path and (not chosen or chosen[-1] != path[-1]):
        chosen.append(path[-1])
    return " > ".join(chosen)


@dataclass
class SimulationReport:
    """Counters over a simulated population (mergeable; see the module docs).

    Attributes:
        journey: ``id@version`` of the journey simulated.
        source: Where the customers came from (profiles file or store).
        steps: The journey's steps in declaration order (the funnel's order).
        funnel: Customers who entered each step at least once.
        sends: Sends by (channel, journey day).
        capped: Sends held back by a frequency cap, by channel (each attempt).
        quiet_hours: Sends deferred by quiet hours, by channel (each attempt).
        suppressed: Sends refused by consent or suppression, by reason.
        decisions: Decisions by (decide step, chosen next step).
        continued_as_new: Enrollments that continued as new at least once.
        not_enrolled: Customers of a backtest whose events never entered the journey.
    """

    journey: str
    days: int
    source: str
    steps: list[str]
    seed: int | None = None
    customers: int = 0
    wall_seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    funnel: Counter[str] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    sends: Counter[tuple[str, int]] = field(default_factory=Counter)
    capped: Counter[str] = field(default_factory=Counter)
    quiet_hours: Counter[str] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)
    transitions: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)
    continued_as_new: int = 0
    not_enrolled: int = 0
    _choosing: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def add(
        self,
        definition: JourneyDefinition,
        run: EnrollmentRun,
        trace: EnrollmentTrace,
        enrolled_at: datetime,
        profile: str,
    ) -> None:
        """Count one enrollment."""
        self.customers += 1
        self.profiles[profile] += 1
        outcome = run.result.outcome if run.result else still_running(run.current_step)
        self.outcomes[outcome] += 1
        self.funnel.update(set(run.path))
        if self._choosing is None:
            self._choosing = choice_steps(definition)
        self.paths[path_signature(definition, run.path, self._choosing)] += 1
        for send in trace.sends:
            self.sends[send.channel.value, journey_day(send.at, enrolled_at)] += 1
        for held in trace.held_back:
            if held.status is SendStatus.CAPPED:
                self.capped[held.channel.value] += 1
            elif held.status is SendStatus.DEFERRED:
                self.quiet_hours[held.channel.value] += 1
            else:
                self.suppressed[held.detail] += 1
        self.decisions.update((decision.step, decision.choice) for decision in trace.decisions)
        self.tasks.update(trace.tasks)
        self.transitions.update(trace.transitions)
        if run.runs > 1:
            self.continued_as_new += 1

    def merge(self, other: SimulationReport) -> None:
        """Add the counts of a report of another part of the same population."""
        self.customers += other.customers
        self.continued_as_new += other.continued_as_new
        self.not_enrolled += other.not_enrolled
        for name in _COUNTERS:
            getattr(self, name).update(getattr(other, name))

    @property
    def channels(self) -> list[str]:
        """Channels sent on, sorted."""
        return sorted({channel for channel, _ in self.sends})

    def sends_per_day(self, channel: str) -> list[int]:
        """Sends on ``channel`` for each journey day 0..days."""
        return [self.sends[channel, day] for day in range(self.days + 1)]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-friendly data."""
        decisions: dict[str, dict[str, int]] = {}
        for (step, choice), count in sorted(self.decisions.items()):
            decisions.setdefault(step, {})[choice] = count
        return {
            "journey": self.journey,
            "source": self.source,
            "seed": self.seed,
            "customers": self.customers,
            "days": self.days,
            "wall_seconds": round(self.wall_seconds, 3),
            "outcomes": dict(self.outcomes.most_common()),
            "funnel": {step: self.funnel[step] for step in self.steps if self.funnel[step]},
            "sends_per_channel_per_day": {
                channel: self.sends_per_day(channel) for channel in self.channels
            },
            "sends_per_channel": {
                channel: sum(self.sends_per_day(channel)) for channel in self.channels
            },
            "frequency_caps_hit": dict(sorted(self.capped.items())),
            "quiet_hours_hit": dict(sorted(self.quiet_hours.items())),
            "suppressed": dict(sorted(self.suppressed.items())),
            "decisions": decisions,
            "human_tasks": dict(sorted(self.tasks.items())),
            "transitions": dict(sorted(self.transitions.items())),
            "paths": dict(self.paths.most_common()),
            "profiles": dict(sorted(self.profiles.items())),
            "continued_as_new": self.continued_as_new,
            "not_enrolled": self.not_enrolled,
        }

    def render(self, top: int = 10) -> str:
        """A plain-text report."""
        total = self.customers or 1
        lines = [
            f"simulated {self.customers} customers through {self.journey} for {self.days} days"
            f" in {self.wall_seconds:.1f}s wall time ({self.source})",
            "",
            "outcomes:",
        ]
        lines += [
            f"  {count:7d}  {100 * count / total:5.1f}%  {outcome}"
            for outcome, count in self.outcomes.most_common()
        ]
        lines += ["", "step funnel (customers who entered the step):"]
        lines += [
            f"  {self.funnel[step]:7d}  {100 * self.funnel[step] / total:5.1f}%  {step}"
            for step in self.steps
            if self.funnel[step]
        ]
        lines += ["", "sends per channel per day (day: count):"]
        for channel in self.channels:
            per_day = self.sends_per_day(channel)
            days = "  ".join(f"{day}:{count}" for day, count in enumerate(per_day) if count)
            lines.append(f"  {channel:8s} {sum(per_day):7d} total   {days}")
        lines += ["", "delivery rules hit (send attempts held back):"]
        lines.append(f"  frequency caps: {_counts(self.capped)}")
        lines.append(f"  quiet hours:    {_counts(self.quiet_hours)}")
        lines.append(f"  suppressed:     {_counts(self.suppressed)}")
        lines += ["", "decisions by choice:"]
        lines += [
            f"  {count:7d}  {step} -> {choice}"
            for (step, choice), count in sorted(self.decisions.items())
        ] or ["  (none)"]
        lines += ["", f"transitions: {_counts(self.transitions)}"]
        lines += [f"human tasks: {_counts(self.tasks)}"]
        lines += [f"continued as new: {self.continued_as_new}"]
        if self.not_enrolled:
            lines += [f"customers not enrolled (no entry event or conditions): {self.not_enrolled}"]
        lines += ["", f"paths (top {top} of {len(self.paths)}):"]
        lines += [
            f"  {count:7d}  {100 * count / total:5.1f}%  {path}"
            for path, count in self.paths.most_common(top)
        ]
        lines += ["", f"behaviour profiles: {_counts(self.profiles)}"]
        return "\n".join(lines)


_COUNTERS = (
    "outcomes",
    "funnel",
    "paths",
    "sends",
    "capped",
    "quiet_hours",
    "suppressed",
    "decisions",
    "tasks",
    "transitions",
    "profiles",
)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "none"


LABEL = 60
"""Width of the row labels of a comparison."""


def render_comparison(first: SimulationReport, second: SimulationReport) -> str:
    """Two reports of the same population side by side, with the difference."""
    a, b = first.customers or 1, second.customers or 1
    width = max(len(first.journey), len(second.journey), 10)
    lines = [
        f"what-if: {first.journey} vs {second.journey}, the same {first.customers} customers"
        f" for {first.days} days ({first.source})",
        "",
        f"{'':{LABEL + 2}s}{first.journey:>{width}s}  {second.journey:>{width}s}"
        f"  {'difference':>10s}",
    ]

    def share_rows(title: str, x: Counter[str], y: Counter[str], keys: list[str]) -> None:
        lines.append(title)
        for key in keys:
            pa, pb = 100 * x[key] / a, 100 * y[key] / b
            lines.append(
                f"  {key[:LABEL]:{LABEL}s}{pa:{width - 1}.1f}%  {pb:{width - 1}.1f}%"
                f"  {pb - pa:+9.1f}pp"
            )

    def count_rows(title: str, x: Counter[Any], y: Counter[Any], keys: list[Any]) -> None:
        lines.append(title)
        for key in keys:
            label = " -> ".join(key) if isinstance(key, tuple) else str(key)
            lines.append(
                f"  {label[:LABEL]:{LABEL}s}{x[key]:{width}d}  {y[key]:{width}d}"
                f"  {y[key] - x[key]:+10d}"
            )

    outcomes = sorted(set(first.outcomes) | set(second.outcomes))
    share_rows("outcomes:", first.outcomes, second.outcomes, outcomes)
    steps = list(dict.fromkeys([*first.steps, *second.steps]))
    share_rows(
        "step funnel:",
        first.funnel,
        second.funnel,
        [s for s in steps if first.funnel[s] or second.funnel[s]],
    )
    per_channel_a: Counter[str] = Counter()
    per_channel_b: Counter[str] = Counter()
    for (channel, _), count in first.sends.items():
        per_channel_a[channel] += count
    for (channel, _), count in second.sends.items():
        per_channel_b[channel] += count
    count_rows(
        "sends per channel:",
        per_channel_a,
        per_channel_b,
        sorted(set(per_channel_a) | set(per_channel_b)),
    )
    count_rows(
        "frequency caps hit:",
        first.capped,
        second.capped,
        sorted(set(first.capped) | set(second.capped)),
    )
    count_rows(
        "quiet hours hit:",
        first.quiet_hours,
        second.quiet_hours,
        sorted(set(first.quiet_hours) | set(second.quiet_hours)),
    )
    count_rows(
        "decisions by choice:",
        first.decisions,
        second.decisions,
        sorted(set(first.decisions) | set(second.decisions)),
    )
    count_rows(
        "transitions:",
        first.transitions,
        second.transitions,
        sorted(set(first.transitions) | set(second.transitions)),
    )
    return "\n".join(lines)
