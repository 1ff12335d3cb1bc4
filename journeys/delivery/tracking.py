"""Tracked links, the open pixel and one-click unsubscribe URLs of a send (pure).

Every URL names the organisation, the send's idempotency key and what it
records, and carries an HMAC-SHA256 signature over them with the operator's
``tracking_secret``: a recipient can follow it, nobody can forge one for another
send, and a click redirects only to a link stored with the send (no open
redirect). Emails carry ``List-Unsubscribe`` and ``List-Unsubscribe-Post``
headers (RFC 2369, RFC 8058 one-click) pointing at the unsubscribe URL.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from urllib.parse import quote

from journeys.errors import InvalidInputError

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
"""The form body an RFC 8058 one-click unsubscribe POST carries."""


class TrackedAction(StrEnum):
    """What a tracking URL records when it is followed."""

    CLICK = "click"
    OPEN = "open"
    UNSUBSCRIBE = "unsubscribe"


class LinkTracker:
    """Builds and verifies the tracking URLs of sends.

    Args:
        base_url: Where recipients reach the API (``public_base_url``), no trailing slash.
        secret: The HMAC key (``tracking_secret``).
    """

    def __init__(self, base_url: str, secret: str):
        if not secret:
            raise InvalidInputError("tracking_secret", "must be set to sign tracking URLs")
        self.base_url = base_url.rstrip("/")
        self._secret = secret.encode()

    def signature(self, action: TrackedAction, org_id: str, key: str, index: int = 0) -> str:
        """The signature of one tracking URL."""
        text = f"{action.value}|{org_id}|{key}|{index}".encode()
        return hmac.new(self._secret, text, hashlib.sha256).hexdigest()[:32]

    def verify(
        self, action: TrackedAction, org_id: str, key: str, signature: str, index: int = 0
    ) -> bool:
        """Whether ``signature`` was made by :meth:`signature` for these values."""
        return hmac.compare_digest(self.signature(action, org_id, key, index), signature)

    def url(self, action: TrackedAction, org_id: str, key: str, index: int = 0) -> str:
        """The URL recording ``action`` for the send (``index``: the link's place, for clicks)."""
        path = f"{self.base_url}/v1/t/{quote(org_id, safe='')}/{key}/{action.value}"
        if action is TrackedAction.CLICK:
            path += f"/{index}"
        return f"{path}?s={self.signature(action, org_id, key, index)}"

    def track_links(self, body: str, links: list[str], org_id: str, key: str) -> str:
        """The body with every stored link replaced by its tracked URL (longest links first)."""
        order = sorted(range(len(links)), key=lambda i: len(links[i]), reverse=True)
        placeholders = {i: f"\x00{i}\x00" for i in order}
        for i in order:
            body = body.replace(links[i], placeholders[i])
        for i in order:
            body = body.replace(placeholders[i], self.url(TrackedAction.CLICK, org_id, key, i))
        return body

    def email_headers(self, org_id: str, key: str) -> dict[str, str]:
        """``List-Unsubscribe`` with one-click (RFC 8058) for an email of the send."""
        return {
            "List-Unsubscribe": f"<{self.url(TrackedAction.UNSUBSCRIBE, org_id, key)}>",
            "List-Unsubscribe-Post": ONE_CLICK_BODY,
        }

    def open_pixel(self, org_id: str, key: str) -> str:
        """An HTML image tag loading the open pixel of the send."""
        return (
            f'<img src="{self.url(TrackedAction.OPEN, org_id, key)}"'
            ' width="1" height="1" alt="" style="display:none">'
        )


def html_body(text: str, pixel: str) -> str:
    """A minimal HTML alternative of a text email, with the open pixel at the end."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paragraphs = "".join(f"<p>{line}</p>" for line in escaped.split("\n\n"))
    return f"<html><body>{paragraphs}{pixel}</body></html>"
