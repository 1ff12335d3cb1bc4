"""The sweeper: routes events that were stored but never routed.

``track`` stores an event before it routes it, so an event survives a Temporal
outage or a process killed between the commit and the signal; it stays
unrouted in the store. The journey worker runs this sweeper: every
``unrouted_event_sweep_seconds`` it routes the events left unrouted for longer
than ``unrouted_event_grace_seconds`` (the grace keeps it from racing the
``track`` calls still routing them), oldest first, until none is left or
Temporal fails again. Routing twice is harmless: enrollments drop event ids
they have seen.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from journeys.routing.event_router import EventRouter, EventRouting

log = structlog.get_logger(__name__)

SWEEP_BATCH_EVENTS = 500
"""Unrouted events read and routed at a time."""


class UnroutedEventSweeper:
    """Routes the events left unrouted, periodically.

    Args:
        router: Plans and routes the events.
        interval_seconds: Pause between sweeps (``unrouted_event_sweep_seconds``).
        grace_seconds: Events younger than this are left to the ``track`` call
            routing them (``unrouted_event_grace_seconds``).
        batch_events: Events routed at a time.
    """

    def __init__(
        self,
        router: EventRouter,
        *,
        interval_seconds: float,
        grace_seconds: float,
        batch_events: int = SWEEP_BATCH_EVENTS,
    ):
        self._router = router
        self._interval = interval_seconds
        self._grace = timedelta(seconds=grace_seconds)
        self._batch = batch_events

    async def sweep(self) -> int:
        """Route the unrouted events older than the grace period; returns how many were routed.

        Stops at the first batch in which some event could not be routed (they
        are tried again at the next sweep).
        """
        routed = 0
        while True:
            received_before = datetime.now(UTC) - self._grace
            outcomes = await self._router.route_unrouted(
                received_before=received_before, limit=self._batch
            )
            done = sum(isinstance(outcome, EventRouting) for outcome in outcomes)
            routed += done
            failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
            if failures:
                log.warning(
                    "unrouted events left for the next sweep",
                    failed=len(failures),
                    routed=done,
                    error=str(failures[0]),
                )
                return routed
            if len(outcomes) < self._batch:
                if routed:
                    log.info("routed events left unrouted", events=routed)
                return routed

    async def run(self) -> None:
        """Sweep until cancelled; a sweep that fails (store or Temporal down) is retried."""
        while True:
            try:
                await self.sweep()
            except Exception as err:  # the next sweep tries again
                log.warning("sweep of unrouted events failed", error=str(err))
            await asyncio.sleep(self._interval)
