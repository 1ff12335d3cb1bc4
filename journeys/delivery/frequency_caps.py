"""Frequency caps: how many sends a customer may get per channel and in total per window.

Pure rules (no I/O): the store counts the sends and asks these functions whether
one more fits and, if not, when the window frees a slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap

WEEK = timedelta(days=7)

BLUEPRINT_FREQUENCY_CAPS: tuple[FrequencyCap, ...] = (
    FrequencyCap(channel=Channel.EMAIL, limit=2, window=WEEK),
    FrequencyCap(channel=Channel.PUSH, limit=3, window=WEEK),
    FrequencyCap(channel=Channel.SMS, limit=1, window=WEEK),
    FrequencyCap(channel=Channel.IN_APP, limit=5, window=WEEK),
    FrequencyCap(channel=None, limit=8, window=WEEK),
)
"""Seed 001's blueprint: email 2/week, push 3/week, SMS 1/week, in-app 5/week, total 8/week."""


def applicable_caps(caps: Iterable[FrequencyCap], channel: Channel) -> list[FrequencyCap]:
    """The caps that count a send on ``channel``: its own and the cross-channel ones."""
    return [cap for cap in caps if cap.channel is None or cap.channel == channel]


def longest_window(caps: Iterable[FrequencyCap]) -> timedelta:
    """How far back the sends must be counted to judge every cap (zero without caps)."""
    return max((cap.window for cap in caps), default=timedelta(0))


def slot_frees_at(
    caps: Iterable[FrequencyCap],
    channel: Channel,
    earlier_sends: Sequence[tuple[Channel, datetime]],
    now: datetime,
) -> datetime | None:
    """When one more send on ``channel`` fits every cap; None if it fits now.

    Args:
        caps: Every cap in force (global and the journey's); all must hold.
        channel: The channel of the send being decided.
        earlier_sends: Channel and slot time of the customer's sends that hold
            a slot (sent, in flight or of unknown outcome), across all journeys.
        now: The time of the send.

    A cap of ``limit`` per ``window`` is full when ``limit`` sends fall after
    ``now - window`` (a send stamped a moment after ``now`` by a concurrent
    decision counts too); a slot frees when the oldest of the sends that must
    drop out leaves the window.
    """
    frees_at: datetime | None = None
    for cap in applicable_caps(caps, channel):
        times = sorted(
            at
            for sent_on, at in earlier_sends
            if (cap.channel is None or sent_on == cap.channel) and at > now - cap.window
        )
        if len(times) < cap.limit:
            continue
        cap_frees_at = times[len(times) - cap.limit] + cap.window
        frees_at = cap_frees_at if frees_at is None else max(frees_at, cap_frees_at)
    return frees_at
