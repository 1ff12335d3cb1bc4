"""The journey language: pure pydantic models, safe to import from workflow code."""

from journeys.language.channels import CHANNELS, Channel
from journeys.language.definition import (
    EntryTrigger,
    JourneyDefinition,
    JourneyMetadata,
    ReentryPolicy,
)
from journeys.language.steps import (
    BranchCase,
    BranchStep,
    EventCountCondition,
    ExitStep,
    SendStep,
    Step,
    WaitForEventStep,
    WaitStep,
)

__all__ = [
    "CHANNELS",
    "BranchCase",
    "BranchStep",
    "Channel",
    "EntryTrigger",
    "EventCountCondition",
    "ExitStep",
    "JourneyDefinition",
    "JourneyMetadata",
    "ReentryPolicy",
    "SendStep",
    "Step",
    "WaitForEventStep",
    "WaitStep",
]
