"""In-app messages: kept in the customer's inbox in the store, read through the API."""

from __future__ import annotations

from sqlalchemy.orm import Session

from activities.providers.base import DeliveryReceipt, InStoreProvider, OutgoingMessage
from journeys.store import Store
from journeys.store.inbox import deliver_to_inbox


class InAppProvider(InStoreProvider):
    """Puts in-app messages in the store's inbox, once per idempotency key.

    Args:
        store: The store holding the inbox.
    """

    name = "in_app"

    def __init__(self, store: Store):
        self._store = store

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Insert the inbox entry in a transaction of its own."""
        with self._store.transaction() as session:
            return self.deliver_in(session, message)

    def deliver_in(self, session: Session, message: OutgoingMessage) -> DeliveryReceipt:
        """Insert the inbox entry (a repeat of the same key changes nothing)."""
        entry_id = deliver_to_inbox(
            session,
            org_id=message.org_id,
            customer_id=message.customer_id,
            idempotency_key=message.idempotency_key,
            template=message.template,
            subject=message.subject,
            body=message.body,
            links=message.links,
        )
        return DeliveryReceipt(provider=self.name, provider_message_id=str(entry_id))
