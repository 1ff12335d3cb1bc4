"""structlog configuration: JSON lines unless the log stream is a terminal."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

from journeys.settings import JourneySettings

TEMPORAL_CONTEXT_FIELDS = {
    "workflow_id": "workflow_id",
    "run_id": "run_id",
    "workflow_run_id": "run_id",
    "workflow_type": "workflow_type",
    "activity_type": "activity_type",
    "attempt": "attempt",
}
"""Fields of the Temporal SDK's log context (``temporal_workflow``/``temporal_activity``) kept."""


def lift_temporal_context(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Copy the workflow id (and run, type, attempt) from Temporal SDK log records.

    ``workflow.logger`` and ``activity.logger`` put them in an ``extra`` dict;
    lifted to top-level fields, they are searchable like our own bound ids.
    """
    record = event.get("_record")
    for extra in ("temporal_workflow", "temporal_activity"):
        context = getattr(record, extra, None)
        if isinstance(context, dict):
            for source, target in TEMPORAL_CONTEXT_FIELDS.items():
                if source in context:
                    event.setdefault(target, context[source])
    return event


def configure_logging(settings: JourneySettings, stream: TextIO | None = None) -> None:
    """Configure structlog and the standard library's logging for this process.

    Log records carry whatever the caller binds (org_id, customer_id,
    journey_id, workflow_id) plus level and ISO timestamp.

    Args:
        settings: Level and format (``auto``: JSON unless the stream is a terminal).
        stream: Where records go; stderr by default (``journeys dev`` gives a file,
            so that its terminal shows its progress and banner only).
    """
    stream = stream or sys.stderr
    level = getattr(logging, settings.log_level.upper())
    as_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not stream.isatty()
    )
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, lift_temporal_context],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
