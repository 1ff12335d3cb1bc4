"""Seed 001's *Journey Orchestration Dashboard — Live View*, from the store.

- Pipeline, per journey: *Active* enrollments; *Completed*: ended ones;
  *Converted*: those that ended by the goal or at an exit step; *Conv. Rate* =
  converted / completed (the seed's 2,145 / 3,891 = 55.1%).
- Trigger activity of the last hour: events received (*triggers fired*),
  sends made (*actions executed*, sent / attempted = delivery rate), failed
  deliveries by channel, suppressions by frequency cap and by opt-out.
- Next best action stats of the last hour: decisions, average confidence, top actions.
- Alerts: the active health alerts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from journeys.contracts.activities import SendStatus
from journeys.contracts.enrollment import GOAL_REACHED_OUTCOME, EnrollmentStatus
from journeys.decisioning.customer_decisions import NEXT_BEST_ACTION_DECISION
from journeys.store import Store
from journeys.store.health_alerts import alert_history
from journeys.store.journey_analytics import (
    DecisionTally,
    events_received,
    live_counts,
    org_decisions,
    org_send_counts,
)

ACTIVITY_WINDOW = timedelta(hours=1)
"""Seed 001: real-time trigger activity of the last hour."""

TOP_ACTIONS = 5


class PipelineRow(BaseModel):
    """One journey of the pipeline."""

    journey_id: str
    active: int = 0
    completed: int = 0
    converted: int = 0

    @property
    def conversion_rate(self) -> float:
        """Converted / completed (0 before anything ended)."""
        return self.converted / self.completed if self.completed else 0.0


class LiveView(BaseModel):
    """Everything the live view shows."""

    org_id: str
    as_of: datetime
    pipeline: list[PipelineRow] = Field(default_factory=list)
    triggers_fired: int = 0
    actions_executed: int = 0
    sends_attempted: int = 0
    failed_by_channel: dict[str, int] = Field(default_factory=dict)
    suppressed_cap: int = 0
    suppressed_opt_out: int = 0
    nba_decisions: int = 0
    nba_average_confidence: float | None = None
    top_actions: list[tuple[str, int]] = Field(default_factory=list)
    alerts: list[tuple[str, str, str]] = Field(default_factory=list)

    @property
    def active_journeys(self) -> int:
        """Journeys with active enrollments."""
        return sum(1 for row in self.pipeline if row.active)

    @property
    def customers_in_journeys(self) -> int:
        """Active enrollments over every journey."""
        return sum(row.active for row in self.pipeline)


def live_view(store: Store, org_id: str, now: datetime) -> LiveView:
    """Read the live view of an organisation as of ``now``."""
    since = now - ACTIVITY_WINDOW
    with store.transaction() as session:
        counts = live_counts(session, org_id)
        triggers = events_received(session, org_id, since, now)
        sends = org_send_counts(session, org_id, since, now)
        decisions = org_decisions(session, org_id, NEXT_BEST_ACTION_DECISION, since, now)
        alerts = [
            (row.severity, row.journey_id, row.message)
            for row in alert_history(session, org_id, active_only=True)
        ]
    rows: dict[str, PipelineRow] = {}
    for journey_id, status, outcome, count in counts:
        row = rows.setdefault(journey_id, PipelineRow(journey_id=journey_id))
        if status == EnrollmentStatus.ACTIVE.value:
            row.active += count
            continue
        row.completed += count
        if status == EnrollmentStatus.COMPLETED.value or outcome == GOAL_REACHED_OUTCOME:
            row.converted += count
    view = LiveView(
        org_id=org_id,
        as_of=now,
        pipeline=sorted(rows.values(), key=lambda r: (-r.active, r.journey_id)),
        triggers_fired=triggers,
        alerts=alerts,
    )
    for channel, status, count in sends:
        if status == SendStatus.DEFERRED.value:
            continue
        view.sends_attempted += count
        if status == SendStatus.SENT.value:
            view.actions_executed += count
        elif status == SendStatus.FAILED.value:
            view.failed_by_channel[channel] = view.failed_by_channel.get(channel, 0) + count
        elif status == SendStatus.CAPPED.value:
            view.suppressed_cap += count
        elif status == SendStatus.SUPPRESSED.value:
            view.suppressed_opt_out += count
    _count_decisions(view, decisions)
    return view


def _count_decisions(view: LiveView, decisions: list[DecisionTally]) -> None:
    """Next best action stats: decisions, their average confidence, the top actions."""
    view.nba_decisions = sum(tally.count for tally in decisions)
    scored = sum(tally.scored for tally in decisions)
    total = sum(tally.confidence_sum for tally in decisions)
    view.nba_average_confidence = total / scored if scored else None
    chosen: Counter[str] = Counter()
    for tally in decisions:
        chosen[tally.choice] += tally.count
    view.top_actions = chosen.most_common(TOP_ACTIONS)


def _table(rows: list[PipelineRow]) -> list[str]:
    headers = ["Journey", "Active", "Completed", "Converted", "Conv. Rate"]
    cells = [
        [
            r.journey_id,
            f"{r.active:,}",
            f"{r.completed:,}",
            f"{r.converted:,}",
            f"{r.conversion_rate:.1%}",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) + 2 for i, h in enumerate(headers)]

    def line(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * w for w in widths) + right

    def row(values: list[str]) -> str:
        return "│" + "│".join(f" {v:<{w - 1}}" for v, w in zip(values, widths, strict=True)) + "│"

    out = [line("┌", "┬", "┐"), row(headers), line("├", "┼", "┤")]
    out += [row(c) for c in cells]
    out.append(line("└", "┴", "┘"))
    return out


def render_live_view(view: LiveView) -> str:
    """The live view in seed 001's layout."""
    delivery = view.actions_executed / view.sends_attempted if view.sends_attempted else 0.0
    failed = sum(view.failed_by_channel.values())
    failed_detail = ", ".join(f"{c}: {n}" for c, n in sorted(view.failed_by_channel.items()))
    lines = [
        "JOURNEY ORCHESTRATION DASHBOARD — Live View",
        "=============================================",
        f"As of: {view.as_of:%Y-%m-%d %H:%M} UTC ({view.org_id})",
        "",
        f"ACTIVE JOURNEYS: {view.active_journeys} | Total customers in journeys: "
        f"{view.customers_in_journeys:,}",
        "",
        "JOURNEY PIPELINE:",
        *(_table(view.pipeline) if view.pipeline else ["  (no enrollments yet)"]),
        "",
        "REAL-TIME TRIGGER ACTIVITY (Last 1 Hour):",
        f"  Triggers fired: {view.triggers_fired:,}",
        f"  Actions executed: {view.actions_executed:,} ({delivery:.1%} delivery rate)",
        f"  Failed deliveries: {failed:,}" + (f" ({failed_detail})" if failed_detail else ""),
        f"  Suppressed (frequency cap): {view.suppressed_cap:,}",
        f"  Suppressed (opt-out): {view.suppressed_opt_out:,}",
        "",
        "NEXT BEST ACTION STATS:",
        f"  NBA decisions: {view.nba_decisions:,} | Avg confidence score: "
        + ("n/a" if view.nba_average_confidence is None else f"{view.nba_average_confidence:.1%}"),
    ]
    if view.top_actions:
        lines.append("  Top recommended actions:")
        for rank, (action, count) in enumerate(view.top_actions, start=1):
            lines.append(f"    {rank}. {action}: {count:,} [{count / view.nba_decisions:.1%}]")
    lines += ["", "ALERTS:"]
    if not view.alerts:
        lines.append("  ✓ no active alerts")
    for severity, journey_id, message in view.alerts:
        mark = "✗" if severity == "critical" else "⚠"
        lines.append(f"  {mark} {journey_id}: {message}")
    return "\n".join(lines)
