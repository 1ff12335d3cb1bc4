"""Channel providers: one interface, one implementation per delivery mechanism."""

from activities.providers.base import ChannelProvider, DeliveryReceipt, OutgoingMessage
from activities.providers.in_app import InAppProvider
from activities.providers.outbox import OutboxProvider

__all__ = [
    "ChannelProvider",
    "DeliveryReceipt",
    "InAppProvider",
    "OutboxProvider",
    "OutgoingMessage",
]
