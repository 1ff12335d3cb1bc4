"""What ``journeys`` exports: no name disappears, each imports, ``import journeys`` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import journeys

PUBLIC_NAMES = {
    "__version__",
    # the client and what it answers
    "JourneyClient",
    "TrackedEvent",
    "TrackResult",
    "EnrollResult",
    "EnrollmentSummary",
    "EnrollmentState",
    "EnrollmentStatus",
    "OptOutResult",
    # settings and catalog
    "JourneySettings",
    "Catalog",
    "default_catalog",
    "SHIPPED_JOURNEYS",
    # the journey language
    "JourneyDefinition",
    "JourneyMetadata",
    "EntryTrigger",
    "EntryEventTimeCondition",
    "ReentryPolicy",
    "load_definition",
    "BehaviourEvent",
    "Channel",
    "CHANNELS",
    "FrequencyCap",
    "QuietHours",
    "CappedPolicy",
    "Step",
    "SendStep",
    "WaitStep",
    "WaitUntilTimeStep",
    "WaitUntilDateStep",
    "WaitForEventStep",
    "BranchStep",
    "BranchCase",
    "DecideStep",
    "ScoreBand",
    "ExperimentStep",
    "ExperimentArm",
    "SetAttributeStep",
    "HumanTaskStep",
    "TransitionStep",
    "ExitStep",
    "EventCountCondition",
    "AttributeCondition",
    "LifecycleStageCondition",
    "ScoreCondition",
    # the errors
    "JourneyError",
    "ConfigurationError",
    "JourneyDefinitionError",
    "UnknownJourneyError",
    "InvalidInputError",
    "InvalidTimeZoneError",
    "EnrollmentRefusedError",
    "EnrollmentNotFoundError",
    "StoreError",
    "UnknownCustomerError",
    "UnknownModelError",
    "DevStackError",
    "DeliveryError",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "AmbiguousDeliveryError",
}
"""The public API as documented; removing one of these is a breaking change."""


def test_no_public_name_disappears() -> None:
    assert PUBLIC_NAMES - set(journeys.__all__) == set()


@pytest.mark.parametrize("name", sorted(journeys.__all__))
def test_every_exported_name_imports(name: str) -> None:
    # What ``from journeys import <name>`` runs: the lazy import from the name's home.
    imported = getattr(__import__("journeys", fromlist=[name]), name)
    assert imported is getattr(journeys, name)
    assert name in dir(journeys)


def test_errors_are_one_tree() -> None:
    errors = [getattr(journeys, name) for name in journeys.__all__ if name.endswith("Error")]
    assert errors
    assert all(issubclass(error, journeys.JourneyError) for error in errors)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Journeyclient'"):
        _ = journeys.Journeyclient


def test_import_journeys_loads_nothing_heavy() -> None:
    probe = (
        "import sys, journeys; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'temporalio', 'sqlalchemy', 'sklearn', 'pydantic', 'httpx', 'fastapi'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == "[]"
