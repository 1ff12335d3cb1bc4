"""A journey report as text for the terminal (``journeys report``)."""

from __future__ import annotations

from journeys.analytics.journey_report import Durations, JourneyReport


def _hours(durations: Durations) -> str:
    if durations.median_hours is None or durations.p90_hours is None:
        return "n/a"
    return (
        f"median {durations.median_hours / 24:.1f} days, p90 {durations.p90_hours / 24:.1f} days"
        f" ({durations.count})"
    )


def render_report(report: JourneyReport) -> str:
    """The report in the shape of seed 001's dashboard sections."""
    scope = f"{report.journey_id}" + (f"@{report.version}" if report.version else "")
    if report.experiment:
        scope += f" [{report.experiment}={report.arm}]"
    lines = [
        f"JOURNEY REPORT — {scope} ({report.org_id})",
        f"From {report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC",
        "",
        f"Entered: {report.entered:,} | Active: {report.active:,} | Completed: "
        f"{report.completed:,} | Goal reached: {report.goal_reached:,} | Dropped: "
        f"{report.dropped:,}",
        f"Completion rate: {report.completion_rate:.1%} | Goal conversion: "
        f"{report.goal_conversion:.1%} | Drop-off rate: {report.dropoff_rate:.1%}",
        f"Time to complete: {_hours(report.time_to_complete)}",
        f"Time to first value: {_hours(report.time_to_first_value)}",
        "",
        "STEP FUNNEL:",
    ]
    width = max([len(s.step) for s in report.steps] + [4])
    for step in report.steps:
        lines.append(
            f"  {step.step:<{width}}  reached {step.reached:>7,}  dropped here "
            f"{step.dropped_here:>6,} ({step.dropoff_rate:.1%})"
        )
    lines += ["", "LEFT BY OUTCOME:"]
    for outcome, count in sorted(report.left_by_outcome.items(), key=lambda item: -item[1]):
        lines.append(f"  {outcome}: {count:,}")
    lines += ["", "SENDS BY CHANNEL AND STATUS:"]
    for channel, statuses in sorted(report.sends.items()):
        described = ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items()))
        lines.append(f"  {channel}: {described}")
    suppressed = ", ".join(f"{k} {v:,}" for k, v in sorted(report.suppressions.items()))
    lines.append(f"Suppressed: {suppressed or 'none'}")
    lines += ["", "DECISIONS:"]
    for decision in report.decisions:
        confidence = (
            f", avg confidence {decision.average_confidence:.1%}"
            if decision.average_confidence is not None
            else ""
        )
        lines.append(f"  {decision.decision} -> {decision.choice}: {decision.count:,}{confidence}")
    lines.append(f"Decision errors: {report.decision_errors:,} ({report.decision_error_rate:.1%})")
    if report.arms:
        lines += ["", "EXPERIMENT ARMS:"]
        for arm in report.arms:
            lines.append(
                f"  {arm.experiment}={arm.arm}: entered {arm.entered:,}, completion "
                f"{arm.completion_rate:.1%}, goal {arm.goal_conversion:.1%}"
            )
    return "\n".join(lines)
