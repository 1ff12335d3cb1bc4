"""The provider interface every channel implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from journeys.errors import PermanentDeliveryError
from journeys.language.channels import Channel

RECIPIENT_ATTRIBUTES: dict[Channel, str] = {
    Channel.EMAIL: "email",
    Channel.SMS: "phone",
    Channel.PUSH: "push_token",
}
"""The customer attribute holding each channel's address (the other channels need none)."""


class OutgoingMessage(BaseModel):
    """A rendered message ready for a provider.

    Attributes:
        to: The customer's address on the channel (email, phone number, push
            token); empty for channels that need none.
        idempotency_key: Stable per enrollment, step visit and channel; providers
            that accept one get it (and email uses it for the Message-ID).
        html: An HTML alternative of the body (email with tracking: the open pixel).
        headers: Extra headers of the message (email: ``List-Unsubscribe``).
    """

    org_id: str
    customer_id: str
    channel: Channel
    template: str
    subject: str
    body: str
    idempotency_key: str
    to: str = ""
    links: list[str] = Field(default_factory=list)
    html: str = ""
    headers: dict[str, str] = Field(default_factory=dict)


class DeliveryReceipt(BaseModel):
    """What the provider said: its own message id, if any."""

    provider: str
    provider_message_id: str = ""


class ChannelProvider(Protocol):
    """Delivers messages on one channel.

    Implementations raise :class:`journeys.errors.PermanentDeliveryError` when
    the message can never be delivered on this channel,
    :class:`journeys.errors.TransientDeliveryError` when a retry may succeed
    (with ``retry_after`` when the provider said how long to wait), and
    :class:`journeys.errors.AmbiguousDeliveryError` when the request reached
    the provider but its answer was lost.
    """

    name: str

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Deliver one message."""
        ...


class InStoreProvider(ABC):
    """A provider whose delivery is a write to the engine's own store (the in-app inbox).

    The send activity delivers through :meth:`deliver_in`, inside the
    transaction that decides and reserves the send: the message, its cap slot
    and its record commit together or not at all, so it is delivered exactly
    once and its outcome is never in doubt.
    """

    name: str

    @abstractmethod
    def deliver_in(self, session: Session, message: OutgoingMessage) -> DeliveryReceipt:
        """Deliver one message within the caller's transaction."""

    @abstractmethod
    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Deliver one message in a transaction of its own."""


def require_recipient(message: OutgoingMessage) -> str:
    """The message's address on its channel.

    Raises:
        PermanentDeliveryError: the customer has no address on the channel.
    """
    if not message.to:
        attribute = RECIPIENT_ATTRIBUTES.get(message.channel, "address")
        raise PermanentDeliveryError(
            f"customer {message.customer_id} has no {attribute} for {message.channel.value}"
        )
    return message.to
