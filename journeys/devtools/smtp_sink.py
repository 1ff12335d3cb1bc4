"""A local SMTP sink for the embedded stack, writing every email to ``<data_dir>/mailbox/``.

Each message becomes one ``.eml`` file, so a newcomer can open what was sent.

``journeys dev`` starts it (``start_smtp_sink(settings)``) on ``smtp_host:smtp_port``
when ``email_provider`` is ``smtp``; it can also run alone:
``python -m journeys.devtools.smtp_sink``.
"""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from journeys.commands.runtime import entry_point_settings
from journeys.settings import JourneySettings

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def mailbox_dir(settings: JourneySettings) -> Path:
    """The folder the sink writes received mail to."""
    return settings.data_dir / "mailbox"


class MailboxHandler:
    """aiosmtpd handler writing each received message to a folder.

    Args:
        folder: Where ``.eml`` files are written (created when needed).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Write the message as ``<time>-<n>-<message id>.eml``."""
        content: bytes = envelope.content
        message = message_from_bytes(content, policy=default_policy)
        message_id = _UNSAFE.sub("_", str(message.get("Message-ID", "")).strip("<>"))[:80]
        with self._lock:
            self._count += 1
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{self._count:06d}-{message_id}.eml"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(content)
        return "250 Message accepted for delivery"


def start_smtp_sink(settings: JourneySettings) -> Controller:
    """Start the sink on ``smtp_host:smtp_port`` in a background thread; ``.stop()`` it."""
    controller = Controller(
        MailboxHandler(mailbox_dir(settings)),
        hostname=settings.smtp_host,
        port=settings.smtp_port,
    )
    controller.start()
    return controller


def main() -> None:
    """Run the sink until interrupted."""
    settings = entry_point_settings()
    controller = start_smtp_sink(settings)
    print(
        f"SMTP sink on {settings.smtp_host}:{settings.smtp_port},"
        f" writing to {mailbox_dir(settings).resolve()}"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
