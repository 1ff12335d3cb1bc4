"""Journey health alerts, exactly as seed 000's automated alerts.

- **Drop-off rate spike** (critical): the drop-off rate of the recent window is
  above 1.5 x its baseline. Message: ``Drop-off rate spiked to 12.0% (baseline: 6.0%)``.
- **Completion rate decline** (warning): the completion rate of the recent window
  is below 0.8 x its baseline. Message: ``Completion rate dropped to 40.0%``.
- **AI decision point failure rate** (critical): more than 5% of the window's
  decisions failed (their scorer kept failing). Message: ``AI decision engine error rate: 7.0%``.

The recent window is the last ``alert_window_days`` (seed 000: ``days=7``); the
*baseline* is the ``alert_baseline_days`` (28 by default) just before it. Rates
are of the enrollments that *ended* in each period (completed / ended, dropped /
ended), so a young cohort that has not had time to finish does not look like a
decline. A rule without a baseline (nothing ended in it) does not fire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel

DROPOFF_SPIKE_FACTOR = Fraction(3, 2)
"""Seed 000: drop-off rate above 1.5 x baseline is critical."""

COMPLETION_DECLINE_FACTOR = Fraction(4, 5)
"""Seed 000: completion rate below 0.8 x baseline is a warning."""

DECISION_ERROR_RATE_LIMIT = Fraction(5, 100)
"""Seed 000: a decision error rate above 5% is critical."""


class Severity(StrEnum):
    """How urgent an alert is; critical ones also page (PagerDuty)."""

    CRITICAL = "critical"
    WARNING = "warning"


class Rule(StrEnum):
    """Seed 000's three automated alerts."""

    DROPOFF_SPIKE = "dropoff_spike"
    COMPLETION_DECLINE = "completion_decline"
    DECISION_ERRORS = "decision_errors"


SEVERITIES = {
    Rule.DROPOFF_SPIKE: Severity.CRITICAL,
    Rule.COMPLETION_DECLINE: Severity.WARNING,
    Rule.DECISION_ERRORS: Severity.CRITICAL,
}
"""Each rule's severity (seed 000)."""


class PeriodHealth(BaseModel):
    """How a journey's enrollments ended in one period, and its decisions."""

    ended: int = 0
    completed: int = 0
    dropped: int = 0
    decisions: int = 0
    decision_errors: int = 0

    # Exact fractions: a rate exactly at a seed threshold must not fire by rounding.
    @property
    def completion_rate(self) -> Fraction | None:
        """Completed / ended (None when nothing ended)."""
        return Fraction(self.completed, self.ended) if self.ended else None

    @property
    def dropoff_rate(self) -> Fraction | None:
        """Dropped / ended (None when nothing ended)."""
        return Fraction(self.dropped, self.ended) if self.ended else None

    @property
    def decision_error_rate(self) -> Fraction | None:
        """Failed decisions / decisions (None without decisions)."""
        return Fraction(self.decision_errors, self.decisions) if self.decisions else None


@dataclass(frozen=True)
class Finding:
    """A rule that fires now, with seed 000's message and action."""

    rule: Rule
    severity: Severity
    message: str
    action: str
    value: float
    threshold: float


@dataclass(frozen=True)
class Periods:
    """The recent window and the baseline before it."""

    window_start: datetime
    baseline_start: datetime
    end: datetime


def periods(now: datetime, window_days: int, baseline_days: int) -> Periods:
    """The window ``[now - window, now)`` and the baseline, the ``baseline_days`` before it."""
    window_start = now - timedelta(days=window_days)
    return Periods(window_start, window_start - timedelta(days=baseline_days), now)


def findings(window: PeriodHealth, baseline: PeriodHealth) -> list[Finding]:
    """The rules that fire for a journey's window against its baseline."""
    found: list[Finding] = []
    rate, base = window.dropoff_rate, baseline.dropoff_rate
    if rate is not None and base is not None and rate > base * DROPOFF_SPIKE_FACTOR:
        found.append(
            Finding(
                Rule.DROPOFF_SPIKE,
                SEVERITIES[Rule.DROPOFF_SPIKE],
                f"Drop-off rate spiked to {float(rate):.1%} (baseline: {float(base):.1%})",
                "Review journey logic and recent changes",
                float(rate),
                float(base * DROPOFF_SPIKE_FACTOR),
            )
        )
    rate, base = window.completion_rate, baseline.completion_rate
    if rate is not None and base is not None and rate < base * COMPLETION_DECLINE_FACTOR:
        found.append(
            Finding(
                Rule.COMPLETION_DECLINE,
                SEVERITIES[Rule.COMPLETION_DECLINE],
                f"Completion rate dropped to {float(rate):.1%}",
                "A/B test new journey variations",
                float(rate),
                float(base * COMPLETION_DECLINE_FACTOR),
            )
        )
    rate = window.decision_error_rate
    if rate is not None and rate > DECISION_ERROR_RATE_LIMIT:
        found.append(
            Finding(
                Rule.DECISION_ERRORS,
                SEVERITIES[Rule.DECISION_ERRORS],
                f"AI decision engine error rate: {float(rate):.1%}",
                "Check model performance and data quality",
                float(rate),
                float(DECISION_ERROR_RATE_LIMIT),
            )
        )
    return found
