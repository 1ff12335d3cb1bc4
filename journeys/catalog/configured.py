"""The catalog a deployment routes to: the shipped journeys, or the team's own.

``JOURNEYS_CATALOG=package.module:attribute`` names a :class:`Catalog` (or a
sequence of journey definitions) in the team's own code, so journeys live as
versioned code next to the product and every process (worker, API, CLI, dev
stack) routes to the same set.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from journeys.catalog import Catalog, default_catalog
from journeys.errors import ConfigurationError
from journeys.language import JourneyDefinition
from journeys.settings import JourneySettings


def configured_catalog(settings: JourneySettings) -> Catalog:
    """The catalog named by ``settings.catalog``; the shipped journeys when it is empty.

    Raises:
        ConfigurationError: the module cannot be imported, has no such
            attribute, or the attribute is not a catalog of journey definitions.
    """
    if not settings.catalog:
        return default_catalog()
    module_name, _, attribute = settings.catalog.partition(":")
    problem = f"setting catalog (JOURNEYS_CATALOG={settings.catalog!r})"
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigurationError(f"{problem}: cannot import {module_name}: {err}") from err
    if not hasattr(module, attribute):
        raise ConfigurationError(f"{problem}: {module_name} has no attribute {attribute!r}")
    value = getattr(module, attribute)
    if isinstance(value, Catalog):
        return value
    if (
        isinstance(value, Sequence)
        and value
        and all(isinstance(item, JourneyDefinition) for item in value)
    ):
        return Catalog(list(value))
    raise ConfigurationError(
        f"{problem}: {attribute} is a {type(value).__name__}, not a Catalog"
        " or a non-empty list of JourneyDefinition"
    )
