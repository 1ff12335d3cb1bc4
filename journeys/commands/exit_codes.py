"""Exit codes of the ``journeys`` CLI, and which error ends a command with which.

Every command returns one of these; :func:`exit_code_of` is the only mapping
from the engine's errors to them (the README's table lists the same codes).
"""

from __future__ import annotations

import signal

from journeys.errors import (
    EnrollmentNotFoundError,
    EnrollmentRefusedError,
    InvalidInputError,
    JourneyError,
    RolloutConflictError,
    RolloutRefusedError,
    UnknownCustomerError,
    UnknownJourneyError,
    UnknownModelError,
)

EXIT_OK = 0
"""The command did what it was asked."""

EXIT_FAILURE = 1
"""The command failed (e.g. Temporal or the store unreachable, a model not trained)."""

EXIT_INVALID = 2
"""Invalid input: an argument, an option or a ``JOURNEYS_*`` setting (argparse uses 2 too)."""

EXIT_NOT_FOUND = 3
"""What the command names does not exist: a journey, an enrollment, a customer, a model."""

EXIT_REFUSED = 4
"""Refused: by the journey's re-entry or conflict rules, or a rollout change that cannot be made."""

EXIT_REJECTED_LINES = 5
"""``journeys import`` finished, and rejected some lines."""

EXIT_CONFLICT = 6
"""Another rollout change of the journey was made at the same time; nothing changed, retry."""

EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (128 + SIGINT, as shells report it)."""

EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
"""The reader of the output went away (141, as a tool killed by SIGPIPE reports)."""


def exit_code_of(error: JourneyError) -> int:
    """The exit code a command ends with when ``error`` stops it."""
    if isinstance(error, InvalidInputError):
        return EXIT_INVALID
    if isinstance(
        error,
        UnknownJourneyError | EnrollmentNotFoundError | UnknownCustomerError | UnknownModelError,
    ):
        return EXIT_NOT_FOUND
    if isinstance(error, RolloutConflictError):
        return EXIT_CONFLICT
    if isinstance(error, EnrollmentRefusedError | RolloutRefusedError):
        return EXIT_REFUSED
    return EXIT_FAILURE
