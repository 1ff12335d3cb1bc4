"""The journeys of the throughput benchmark, importable by every process it starts.

The ``journeys api`` and ``journeys worker`` processes of the benchmark route to
:data:`BENCH_CATALOG` through ``JOURNEYS_CATALOG=bench.bench_journeys:BENCH_CATALOG``.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog import Catalog
from journeys.language import (
    BranchCase,
    BranchStep,
    Channel,
    EntryTrigger,
    EventCountCondition,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitForEventStep,
)

BENCH_JOURNEY = JourneyDefinition(
    id="bench_journey",
    version=1,
    metadata=JourneyMetadata(name="Throughput benchmark", average_duration="seconds"),
    entry=EntryTrigger(event="bench_started"),
    start="wait_for_click",
    steps={
        "wait_for_click": WaitForEventStep(
            events={"bench_clicked": "send_thanks"},
            timeout=timedelta(hours=2),
            on_timeout="timed_out",
        ),
        "send_thanks": SendStep(channels=[Channel.IN_APP], template="tour_done", next="done"),
        "done": ExitStep(outcome="converted"),
        "timed_out": ExitStep(outcome="no_click"),
    },
    channels=[Channel.IN_APP],
)
"""The baseline's shape: start on an event, wait for a second event, one send, complete."""

LISTENER_JOURNEY = JourneyDefinition(
    id="bench_listener",
    version=1,
    metadata=JourneyMetadata(name="Benchmark listener", average_duration="hours"),
    entry=EntryTrigger(event="bench_listening"),
    start="wait_for_stop",
    steps={
        "wait_for_stop": WaitForEventStep(
            events={"bench_stop": "pinged"}, timeout=timedelta(hours=2), on_timeout="pinged"
        ),
        "pinged": BranchStep(
            cases=[BranchCase(when=EventCountCondition(event="bench_ping"), next="done_pinged")],
            otherwise="done",
        ),
        "done": ExitStep(outcome="not_pinged"),
        "done_pinged": ExitStep(outcome="pinged"),
    },
    channels=[Channel.IN_APP],
)
"""Listens to ``bench_ping`` (a later branch counts it) without moving: the target of
``/v1/track`` events that signal a running enrollment."""

BENCH_CATALOG = Catalog([BENCH_JOURNEY, LISTENER_JOURNEY])
"""What the benchmark's processes route to."""
