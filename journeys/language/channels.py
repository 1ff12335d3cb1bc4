"""The delivery channels a journey can send on; the one list of them."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """A delivery channel."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    IN_APP = "in_app"
    WEBHOOK = "webhook"


CHANNELS: tuple[Channel, ...] = tuple(Channel)
"""Every channel, in the order of the enum."""

HTML_CHANNELS: frozenset[Channel] = frozenset({Channel.IN_APP})
"""Channels whose bodies are shown as HTML (the product's inbox): customer data is escaped."""
