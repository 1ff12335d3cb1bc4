"""Journeys: customer-journey orchestration on Temporal.

Every enrollment of a customer in a journey is one durable Temporal workflow.
The public API is :data:`__all__`: the client (:class:`JourneyClient`, enroll,
track), the journey language (:class:`JourneyDefinition` and its steps), the
catalog, the settings and the errors. Each name is imported when first used,
so ``import journeys`` stays light and workflow code can import the pure
journey language without pulling in the store or the Temporal client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journeys.catalog import (
        SHIPPED_JOURNEYS,
        Catalog,
        default_catalog,
    )
    from journeys.client import (
        EnrollmentSummary,
        EnrollResult,
        JourneyClient,
        OptOutResult,
        TrackedEvent,
        TrackResult,
    )
    from journeys.contracts.enrollment import (
        EnrollmentState,
        EnrollmentStatus,
    )
    from journeys.errors import (
        AmbiguousDeliveryError,
        ConfigurationError,
        DeliveryError,
        DevStackError,
        EnrollmentNotFoundError,
        EnrollmentRefusedError,
        InvalidInputError,
        InvalidTimeZoneError,
        JourneyDefinitionError,
        JourneyError,
        PermanentDeliveryError,
        StoreError,
        TransientDeliveryError,
        UnknownCustomerError,
        UnknownJourneyError,
        UnknownModelError,
    )
    from journeys.language import (
        CHANNELS,
        AttributeCondition,
        BranchCase,
        BranchStep,
        CappedPolicy,
        Channel,
        DecideStep,
        EntryEventTimeCondition,
        EntryTrigger,
        EventCountCondition,
        ExitStep,
        ExperimentArm,
        ExperimentStep,
        FrequencyCap,
        HumanTaskStep,
        JourneyDefinition,
        JourneyMetadata,
        LifecycleStageCondition,
        QuietHours,
        ReentryPolicy,
        ScoreBand,
        ScoreCondition,
        SendStep,
        SetAttributeStep,
        Step,
        TransitionStep,
        WaitForEventStep,
        WaitStep,
        WaitUntilDateStep,
        WaitUntilTimeStep,
    )
    from journeys.language.behaviour_events import (
        BehaviourEvent,
    )
    from journeys.language.loading import (
        load_definition,
    )
    from journeys.settings import (
        JourneySettings,
    )

__version__ = "0.1.0"

_HOME_OF: dict[str, str] = {
    "JourneyClient": "journeys.client",
    "TrackedEvent": "journeys.client",
    "TrackResult": "journeys.client",
    "EnrollResult": "journeys.client",
    "EnrollmentSummary": "journeys.client",
    "OptOutResult": "journeys.client",
    "EnrollmentState": "journeys.contracts.enrollment",
    "EnrollmentStatus": "journeys.contracts.enrollment",
    "JourneySettings": "journeys.settings",
    "Catalog": "journeys.catalog",
    "default_catalog": "journeys.catalog",
    "SHIPPED_JOURNEYS": "journeys.catalog",
    "load_definition": "journeys.language.loading",
    "BehaviourEvent": "journeys.language.behaviour_events",
    "CHANNELS": "journeys.language",
    "AttributeCondition": "journeys.language",
    "BranchCase": "journeys.language",
    "BranchStep": "journeys.language",
    "CappedPolicy": "journeys.language",
    "Channel": "journeys.language",
    "DecideStep": "journeys.language",
    "EntryEventTimeCondition": "journeys.language",
    "EntryTrigger": "journeys.language",
    "EventCountCondition": "journeys.language",
    "ExitStep": "journeys.language",
    "ExperimentArm": "journeys.language",
    "ExperimentStep": "journeys.language",
    "FrequencyCap": "journeys.language",
    "HumanTaskStep": "journeys.language",
    "JourneyDefinition": "journeys.language",
    "JourneyMetadata": "journeys.language",
    "LifecycleStageCondition": "journeys.language",
    "QuietHours": "journeys.language",
    "ReentryPolicy": "journeys.language",
    "ScoreBand": "journeys.language",
    "ScoreCondition": "journeys.language",
    "SendStep": "journeys.language",
    "SetAttributeStep": "journeys.language",
    "Step": "journeys.language",
    "TransitionStep": "journeys.language",
    "WaitForEventStep": "journeys.language",
    "WaitStep": "journeys.language",
    "WaitUntilDateStep": "journeys.language",
    "WaitUntilTimeStep": "journeys.language",
    "JourneyError": "journeys.errors",
    "ConfigurationError": "journeys.errors",
    "JourneyDefinitionError": "journeys.errors",
    "UnknownJourneyError": "journeys.errors",
    "InvalidInputError": "journeys.errors",
    "InvalidTimeZoneError": "journeys.errors",
    "EnrollmentRefusedError": "journeys.errors",
    "EnrollmentNotFoundError": "journeys.errors",
    "StoreError": "journeys.errors",
    "UnknownCustomerError": "journeys.errors",
    "UnknownModelError": "journeys.errors",
    "DevStackError": "journeys.errors",
    "DeliveryError": "journeys.errors",
    "PermanentDeliveryError": "journeys.errors",
    "TransientDeliveryError": "journeys.errors",
    "AmbiguousDeliveryError": "journeys.errors",
}
"""Where each public name is defined; imported from there on first use."""

__all__ = [
    "CHANNELS",
    "SHIPPED_JOURNEYS",
    "AmbiguousDeliveryError",
    "AttributeCondition",
    "BehaviourEvent",
    "BranchCase",
    "BranchStep",
    "CappedPolicy",
    "Catalog",
    "Channel",
    "ConfigurationError",
    "DecideStep",
    "DeliveryError",
    "DevStackError",
    "EnrollResult",
    "EnrollmentNotFoundError",
    "EnrollmentRefusedError",
    "EnrollmentState",
    "EnrollmentStatus",
    "EnrollmentSummary",
    "EntryEventTimeCondition",
    "EntryTrigger",
    "EventCountCondition",
    "ExitStep",
    "ExperimentArm",
    "ExperimentStep",
    "FrequencyCap",
    "HumanTaskStep",
    "InvalidInputError",
    "InvalidTimeZoneError",
    "JourneyClient",
    "JourneyDefinition",
    "JourneyDefinitionError",
    "JourneyError",
    "JourneyMetadata",
    "JourneySettings",
    "LifecycleStageCondition",
    "OptOutResult",
    "PermanentDeliveryError",
    "QuietHours",
    "ReentryPolicy",
    "ScoreBand",
    "ScoreCondition",
    "SendStep",
    "SetAttributeStep",
    "Step",
    "StoreError",
    "TrackResult",
    "TrackedEvent",
    "TransientDeliveryError",
    "TransitionStep",
    "UnknownCustomerError",
    "UnknownJourneyError",
    "UnknownModelError",
    "WaitForEventStep",
    "WaitStep",
    "WaitUntilDateStep",
    "WaitUntilTimeStep",
    "__version__",
    "default_catalog",
    "load_definition",
]


def __getattr__(name: str) -> object:
    """Import a public name from its home on first use (PEP 562)."""
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (for completion)."""
    return sorted(__all__)
