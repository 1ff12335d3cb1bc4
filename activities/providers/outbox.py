"""The offline outbox: messages for channels with no provider configured go to a file."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from activities.providers.base import DeliveryReceipt, OutgoingMessage


class OutboxProvider:
    """Appends each message as one JSON line to ``path`` (readable with ``tail -f``).

    Args:
        path: The outbox file; its folder is created when needed.
    """

    name = "outbox"

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Append the message to the outbox file."""
        line = json.dumps(message.model_dump(mode="json"), sort_keys=True)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(line + "\n")
        return DeliveryReceipt(provider=self.name, provider_message_id=message.idempotency_key)
