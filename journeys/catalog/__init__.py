"""The catalog of shipped journeys and the index that routes events to them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from journeys.catalog.demo_tour import DEMO_TOUR_V1
from journeys.catalog.welcome import WELCOME_V1
from journeys.errors import UnknownJourneyError
from journeys.language import JourneyDefinition


class Catalog:
    """Journey versions by id, with per-event indexes for routing.

    Args:
        definitions: Every version of every journey; ``id@version`` must be unique.
    """

    def __init__(self, definitions: Iterable[JourneyDefinition]):
        self._versions: dict[str, dict[int, JourneyDefinition]] = defaultdict(dict)
        for definition in definitions:
            if definition.version in self._versions[definition.id]:
                raise ValueError(f"{definition.key} is in the catalog twice")
            self._versions[definition.id][definition.version] = definition
        self._by_entry: dict[str, list[JourneyDefinition]] = defaultdict(list)
        self._by_listened: dict[str, list[JourneyDefinition]] = defaultdict(list)
        for journey in self.current_versions():
            if journey.entry.event:
                self._by_entry[journey.entry.event].append(journey)
            for name in journey.listened_events():
                self._by_listened[name].append(journey)

    def get(self, journey_id: str, version: int | None = None) -> JourneyDefinition:
        """A journey version (the newest when ``version`` is None).

        Raises:
            UnknownJourneyError: no such journey or version.
        """
        versions = self._versions.get(journey_id)
        if not versions:
            raise UnknownJourneyError(f"no journey {journey_id!r} in the catalog")
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise UnknownJourneyError(f"journey {journey_id!r} has no version {version}")
        return versions[version]

    def current_versions(self) -> list[JourneyDefinition]:
        """The newest version of every journey, sorted by id."""
        return [self.get(journey_id) for journey_id in sorted(self._versions)]

    def entered_by(self, event_name: str) -> list[JourneyDefinition]:
        """Journeys whose entry trigger is ``event_name``."""
        return self._by_entry.get(event_name, [])

    def listening_to(self, event_name: str) -> list[JourneyDefinition]:
        """Journeys whose running enrollments need ``event_name``."""
        return self._by_listened.get(event_name, [])


def default_catalog() -> Catalog:
    """The catalog of journeys shipped with the engine."""
    return Catalog([WELCOME_V1, DEMO_TOUR_V1])


__all__ = ["Catalog", "default_catalog"]
