"""What the Temporal UI shows for an enrollment at start: its static summary and details.

The client passes them when it starts the workflow (``static_summary``,
``static_details``); each timer and activity carries its own summary, set by
the interpreter (``Day 3 wait until ...``, ``send welcome by email``).
"""

from __future__ import annotations

from journeys.language import JourneyDefinition
from journeys.language.steps import (
    DecideStep,
    ExitStep,
    ExperimentStep,
    HumanTaskStep,
    SendStep,
    TransitionStep,
    WaitForEventStep,
    WaitStep,
)


def enrollment_summary(definition: JourneyDefinition, customer_id: str) -> str:
    """One line: the journey, its version and the customer."""
    return f"{definition.metadata.name} ({definition.key}) for {customer_id}"


def enrollment_details(definition: JourneyDefinition) -> str:
    """Markdown: the journey's purpose, its goal and exit events, and its steps."""
    lines = [f"**{definition.metadata.name}** — `{definition.key}`"]
    if definition.metadata.business_objective:
        lines.append(f"Objective: {definition.metadata.business_objective}")
    if definition.goal_events:
        lines.append(f"Goal events: {', '.join(definition.goal_events)}")
    if definition.exit_events:
        lines.append(f"Exit events: {', '.join(definition.exit_events)}")
    lines.append("")
    for name, step in definition.steps.items():
        lines.append(f"- `{name}`: {describe_step(step)}")
    return "\n".join(lines)


def describe_step(step: object) -> str:
    """A step in a few words."""
    match step:
        case SendStep():
            return f"send {step.template} by {' / '.join(c.value for c in step.channels)}"
        case WaitStep(day=day) if day is not None:
            return f"wait until Day {day}"
        case WaitStep():
            return f"wait {step.duration}"
        case WaitForEventStep():
            return f"wait for {' or '.join(sorted(step.events))} (up to {step.timeout})"
        case DecideStep():
            return f"decide by {step.scorer}"
        case ExperimentStep():
            return f"experiment {step.experiment}: " + ", ".join(
                f"{arm.name} {arm.weight}%" for arm in step.arms
            )
        case HumanTaskStep():
            return f"{step.kind} task: {step.title}"
        case TransitionStep():
            return f"move to {step.journey}"
        case ExitStep():
            return f"exit ({step.outcome})"
        case _:
            return str(getattr(step, "type", "step")).replace("_", " ")
