"""``JOURNEYS_CATALOG``: a team's own journeys, named by import path, routed to by every process."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.catalog.configured import configured_catalog
from journeys.catalog.demo_tour import DEMO_TOUR_V1
from journeys.errors import ConfigurationError, JourneyDefinitionError
from journeys.settings import JourneySettings

TEAM_JOURNEY = DEMO_TOUR_V1.model_copy(update={"id": "team_tour"})
TEAM_CATALOG = Catalog([TEAM_JOURNEY])
NOT_A_CATALOG = {"team_tour": TEAM_JOURNEY}


def test_empty_means_the_shipped_journeys() -> None:
    catalog = configured_catalog(JourneySettings(catalog=""))
    assert {j.key for j in catalog.all_versions()} == {j.key for j in SHIPPED_JOURNEYS}


def test_a_catalog_or_a_list_of_definitions_in_the_teams_code() -> None:
    own = configured_catalog(JourneySettings(catalog=f"{__name__}:TEAM_CATALOG"))
    assert own is TEAM_CATALOG
    assert own.get("team_tour") == TEAM_JOURNEY
    listed = configured_catalog(JourneySettings(catalog="journeys.catalog:SHIPPED_JOURNEYS"))
    assert len(listed.all_versions()) == len(SHIPPED_JOURNEYS)


def test_the_environment_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYS_CATALOG", f"{__name__}:TEAM_CATALOG")
    assert configured_catalog(JourneySettings()) is TEAM_CATALOG


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("no_such_module_here:CATALOG", "cannot import no_such_module_here"),
        (f"{__name__}:MISSING", "has no attribute 'MISSING'"),
        (f"{__name__}:NOT_A_CATALOG", "is a dict, not a Catalog"),
    ],
)
def test_unusable_references_name_the_setting(reference: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        configured_catalog(JourneySettings(catalog=reference))
    assert "JOURNEYS_CATALOG" in str(raised.value)
    assert message in str(raised.value)


@pytest.mark.parametrize("reference", ["team.journeys", "team journeys:CATALOG", ":CATALOG"])
def test_malformed_references_are_refused_when_settings_load(reference: str) -> None:
    with pytest.raises(ValidationError) as raised:
        JourneySettings(catalog=reference)
    assert raised.value.errors()[0]["loc"] == ("catalog",)


def test_a_version_given_twice_names_the_journey_and_version() -> None:
    with pytest.raises(JourneyDefinitionError) as raised:
        Catalog([TEAM_JOURNEY, TEAM_JOURNEY.model_copy()])
    assert (raised.value.journey_id, raised.value.version) == ("team_tour", TEAM_JOURNEY.version)
    assert str(raised.value) == (
        f"journey 'team_tour' version {TEAM_JOURNEY.version}: is in the catalog twice"
    )
