"""Short constructors for the catalog's common steps (they build ordinary language models)."""

from __future__ import annotations

from journeys.language import (
    BranchCase,
    BranchStep,
    Channel,
    EventCountCondition,
    SendStep,
    WaitStep,
)


def email(template: str, next: str, *, fallback: bool = True, description: str = "") -> SendStep:
    """An email, with in-app as the fallback channel unless ``fallback`` is False."""
    channels = [Channel.EMAIL, Channel.IN_APP] if fallback else [Channel.EMAIL]
    return SendStep(channels=channels, template=template, next=next, description=description)


def in_app(template: str, next: str, *, description: str = "") -> SendStep:
    """An in-app message."""
    return SendStep(
        channels=[Channel.IN_APP], template=template, next=next, description=description
    )


def push(template: str, next: str, *, description: str = "") -> SendStep:
    """A push notification, with in-app as the fallback."""
    return SendStep(
        channels=[Channel.PUSH, Channel.IN_APP],
        template=template,
        next=next,
        description=description,
    )


def until_day(day: int, next: str, *, label: str = "") -> WaitStep:
    """Wait until Day ``day`` of the journey (``label``: the seed's name for that day)."""
    return WaitStep(day=day, next=next, description=label or f"Day {day}")


def if_event(event: str, then: str, otherwise: str, *, description: str = "") -> BranchStep:
    """Branch on whether ``event`` happened since enrollment."""
    return BranchStep(
        cases=[BranchCase(when=EventCountCondition(event=event), next=then)],
        otherwise=otherwise,
        description=description,
    )
