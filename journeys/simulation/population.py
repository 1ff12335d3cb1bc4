"""Behaviour profiles and the synthetic population drawn from them.

A profiles file (YAML or JSON; the shipped defaults are
``journeys/simulation/behaviour_profiles.yaml``) lists customer types, each
with its share of the population, the profile attributes, time zones and
consent its customers get, and the behaviour events they produce, dated in
days after enrollment::

    profiles:
      - name: steady               # unique
        weight: 35                 # relative share of the population (> 0)
        attributes:                # one value drawn per customer from each list
          plan: [starter, pro]
        timezones: [Europe/Paris]  # IANA zones, one drawn per customer (default UTC)
        consents: {sms: opted_in}  # channel (or "all") -> opted_in / opted_out
        events:
          - name: login            # event name
            day: 0                 # first occurrence, days after enrollment (>= 0)
            every_days: 2          # repeat every N days until the horizon (optional)
            until_day: 20          # last day of the repetition (optional)
            count: 1               # events at each occurrence (>= 1)
            probability: 1.0       # chance of each event (0-1)
            properties: {feature: "feature_{n}"}   # {n}: the event's number in its rule

Customer ``i`` of a population is drawn from its own random stream
(seed and ``i``), so a population is the same for a given seed whatever the
order, batch or process it is generated in.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from journeys.errors import InvalidInputError
from journeys.language.schedule import customer_zone
from journeys.language.steps import EVENT_NAME_PATTERN
from journeys.simulation.activities import CustomerEvent, SimulatedCustomer
from journeys.store.consent import CONSENT_CHANNELS, ConsentStatus

DEFAULT_PROFILES_FILE = Path(__file__).with_name("behaviour_profiles.yaml")
"""The shipped behaviour profiles (the default population)."""

PropertyValue = str | int | float | bool


class EventRule(BaseModel):
    """Events a profile's customers produce (see the module docs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=EVENT_NAME_PATTERN)
    day: float = Field(default=0, ge=0)
    every_days: float | None = Field(default=None, gt=0)
    until_day: float | None = Field(default=None, ge=0)
    count: int = Field(default=1, ge=1, le=1_000)
    probability: float = Field(default=1.0, ge=0, le=1)
    properties: dict[str, PropertyValue] = Field(default_factory=dict)

    def days(self, horizon_days: float) -> Iterator[float]:
        """The days this rule fires on, up to ``horizon_days``."""
        last = horizon_days if self.until_day is None else min(self.until_day, horizon_days)
        if self.every_days is None:
            if self.day <= last:
                yield self.day
            return
        occurrence = 0
        while (day := self.day + occurrence * self.every_days) <= last:
            yield day
            occurrence += 1


class BehaviourProfile(BaseModel):
    """A type of customer: its share, profile and behaviour (see the module docs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    weight: float = Field(gt=0)
    attributes: dict[str, list[PropertyValue]] = Field(default_factory=dict)
    timezones: list[str] = Field(default_factory=lambda: ["UTC"], min_length=1)
    consents: dict[str, ConsentStatus] = Field(default_factory=dict)
    events: list[EventRule] = Field(default_factory=list)

    @field_validator("attributes")
    @classmethod
    def _values_to_draw_from(
        cls, attributes: dict[str, list[PropertyValue]]
    ) -> dict[str, list[PropertyValue]]:
        for name, values in attributes.items():
            if not values:
                raise ValueError(f"attribute {name!r} needs at least one value")
        return attributes

    @field_validator("timezones")
    @classmethod
    def _known_zones(cls, zones: list[str]) -> list[str]:
        for zone in zones:
            customer_zone(zone)
        return zones

    @field_validator("consents")
    @classmethod
    def _known_channels(cls, consents: dict[str, ConsentStatus]) -> dict[str, ConsentStatus]:
        for channel in consents:
            if channel not in CONSENT_CHANNELS:
                raise ValueError(
                    f"unknown channel {channel!r} (one of {', '.join(CONSENT_CHANNELS)})"
                )
        return consents


class BehaviourProfiles(BaseModel):
    """The population's mix of behaviour profiles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profiles: list[BehaviourProfile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> BehaviourProfiles:
        names = [profile.name for profile in self.profiles]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"profile names must be unique; repeated: {', '.join(duplicates)}")
        return self


def load_profiles(path: Path | None = None) -> BehaviourProfiles:
    """Read and validate a behaviour profiles file (the shipped one when ``path`` is None).

    Raises:
        InvalidInputError: the file is unreadable, not YAML/JSON, or invalid;
            the message names the file, the field and the problem.
    """
    path = path or DEFAULT_PROFILES_FILE
    field = f"profiles file {path}"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InvalidInputError(field, f"cannot read it: {err.strerror or err}") from err
    except yaml.YAMLError as err:
        raise InvalidInputError(field, f"not valid YAML/JSON: {err}") from err
    try:
        return BehaviourProfiles.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "document"
        raise InvalidInputError(f"{field}: {location}", first["msg"]) from err


class PopulationSampler:
    """Draws customers of a population, one at a time (see the module docs).

    Args:
        profiles: The behaviour mix.
        seed: The population's seed.
        start: The population's first enrollment time.
        horizon_days: Days of behaviour to produce.
        delivered: Event names the journey listens to (delivered to the enrollment).
        spread: Enrollments are spread evenly at random over this time after
            ``start`` (whole seconds); each customer's events are dated from its own.
    """

    def __init__(
        self,
        profiles: BehaviourProfiles,
        *,
        seed: int,
        start: datetime,
        horizon_days: float,
        delivered: frozenset[str],
        spread: timedelta = timedelta(0),
    ) -> None:
        self._profiles = profiles.profiles
        self._weights = [profile.weight for profile in self._profiles]
        self._seed = seed
        self._start = start
        self._spread_seconds = spread.total_seconds()
        # Each profile's possible events, dated from enrollment, worked out once.
        self._events = {
            profile.name: [
                (
                    timedelta(days=day),
                    rule.name,
                    rule.properties,
                    rule.probability,
                    rule.name in delivered,
                )
                for rule in profile.events
                for day in rule.days(horizon_days)
                for _ in range(rule.count)
            ]
            for profile in self._profiles
        }
        self._numbers = {
            profile.name: [
                number
                for rule in profile.events
                for number in range(sum(1 for _ in rule.days(horizon_days)) * rule.count)
            ]
            for profile in self._profiles
        }

    def customer(self, index: int) -> SimulatedCustomer:
        """Customer ``index`` (the same for the same population and index)."""
        rng = random.Random(f"{self._seed}/{index}")
        enrolled_at = self._start + timedelta(seconds=int(rng.random() * self._spread_seconds))
        profile = rng.choices(self._profiles, weights=self._weights)[0]
        customer_id = f"sim-{index:06d}"
        attributes: dict[str, Any] = {
            name: rng.choice(values) for name, values in profile.attributes.items()
        }
        events: list[CustomerEvent] = []
        possible = self._events[profile.name]
        numbers = self._numbers[profile.name]
        for (offset, name, properties, probability, delivered), number in zip(
            possible, numbers, strict=True
        ):
            if probability < 1 and rng.random() >= probability:
                continue
            events.append(
                CustomerEvent(
                    event_id=f"{customer_id}-{len(events)}",
                    name=name,
                    occurred_at=enrolled_at + offset,
                    properties=_numbered(properties, number) if properties else {},
                    delivered=delivered,
                )
            )
        events.sort(key=lambda event: event.occurred_at)
        return SimulatedCustomer(
            customer_id=customer_id,
            attributes=attributes,
            timezone=rng.choice(profile.timezones),
            consents={channel: status.value for channel, status in profile.consents.items()},
            events=events,
            profile_name=profile.name,
            enrolled_at=enrolled_at,
        )


def _numbered(properties: dict[str, PropertyValue], number: int) -> dict[str, Any]:
    """Properties with ``{n}`` in string values replaced by the event's number in its rule."""
    return {
        name: value.replace("{n}", str(number)) if isinstance(value, str) else value
        for name, value in properties.items()
    }
