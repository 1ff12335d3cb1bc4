"""In-app messages: the communication log row is the customer's inbox entry."""

from __future__ import annotations

from activities.providers.base import DeliveryReceipt, OutgoingMessage


class InAppProvider:
    """Delivers in-app messages by keeping them in the store for the app to read."""

    name = "in_app"

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Nothing leaves the machine: the logged message is what the app reads."""
        return DeliveryReceipt(provider=self.name, provider_message_id=message.idempotency_key)
