"""The provider interface every channel implements."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from journeys.language.channels import Channel


class OutgoingMessage(BaseModel):
    """A rendered message ready for a provider.

    Attributes:
        idempotency_key: Stable per enrollment, step visit and channel; providers
            that accept one get it (and email uses it for the Message-ID).
    """

    org_id: str
    customer_id: str
    channel: Channel
    template: str
    subject: str
    body: str
    idempotency_key: str


class DeliveryReceipt(BaseModel):
    """What the provider said: its own message id, if any."""

    provider: str
    provider_message_id: str = ""


class ChannelProvider(Protocol):
    """Delivers messages on one channel.

    Implementations raise :class:`journeys.errors.PermanentDeliveryError` when
    the message can never be delivered on this channel and
    :class:`journeys.errors.TransientDeliveryError` when a retry may succeed.
    """

    name: str

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Deliver one message."""
        ...
