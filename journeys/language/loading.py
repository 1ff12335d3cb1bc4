"""Load journey definitions from YAML or JSON files (the same model as the catalog's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from journeys.errors import JourneyDefinitionError
from journeys.language.definition import JourneyDefinition


def parse_definition(document: Any) -> JourneyDefinition:
    """Build a definition from parsed YAML/JSON data.

    Raises:
        JourneyDefinitionError: naming the journey, version and step (where
            there is one) of the first problem found.
    """
    if not isinstance(document, dict):
        raise JourneyDefinitionError("?", "?", "a journey definition is a mapping")
    journey_id = str(document.get("id", "?"))
    version = document.get("version", "?")
    try:
        return JourneyDefinition.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        location = [str(part) for part in first["loc"]]
        step = location[1] if len(location) > 1 and location[0] == "steps" else None
        field = ".".join(location[2:] if step else location) or ("step" if step else "definition")
        raise JourneyDefinitionError(
            journey_id, version, f"{field}: {first['msg']}", step=step
        ) from err


def load_definition(path: Path) -> JourneyDefinition:
    """Read and validate a definition from a ``.yaml``/``.yml``/``.json`` file.

    Raises:
        JourneyDefinitionError: the file is unreadable, not YAML/JSON, or invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise JourneyDefinitionError("?", "?", f"cannot read {path}: {err}") from err
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise JourneyDefinitionError("?", "?", f"{path} is not valid YAML/JSON: {err}") from err
    return parse_definition(document)


def dump_definition(definition: JourneyDefinition) -> str:
    """The definition as YAML (durations as ISO 8601 strings)."""
    return yaml.safe_dump(definition.model_dump(mode="json", exclude_none=True), sort_keys=False)
