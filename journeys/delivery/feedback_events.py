"""Delivery feedback in the shapes of the providers we send through (pure: parse and verify).

* The email API's event webhooks (Svix scheme, as Resend signs them): JSON
  ``{"type": "email.delivered", "created_at": ..., "data": {"email_id": ...,
  "tags": {"org_id": ..., "idempotency_key": ...}, "bounce": {"type":
  "Permanent"}, "click": {"link": ...}}}`` with ``svix-id``, ``svix-timestamp``
  and ``svix-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.
* The SMS API's status callbacks (REST shape): a form POST with
  ``MessageSid``, ``MessageStatus`` and ``ErrorCode`` to the ``StatusCallback``
  URL the send named (``?org=...&send=...``), signed with ``X-Twilio-Signature:
  base64(HMAC-SHA1(auth token, URL + sorted name+value pairs))``.

Both become one :class:`ProviderFeedback`, which the store applies on one path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel

from journeys.errors import FeedbackRefusedError
from journeys.language.channels import Channel

EMAIL_EVENTS_PATH = "/v1/feedback/email"
"""Where the email API posts its event webhooks."""

SMS_STATUS_PATH = "/v1/feedback/sms"
"""Where the SMS API posts status callbacks (the ``StatusCallback`` of each send)."""


class FeedbackEvent(StrEnum):
    """Kinds of delivery feedback (also the names of the events the store records)."""

    DELIVERED = "message_delivered"
    OPENED = "message_opened"
    CLICKED = "message_clicked"
    BOUNCED = "message_bounced"
    COMPLAINED = "message_complained"
    UNSUBSCRIBED = "message_unsubscribed"

    @property
    def verb(self) -> str:
        """``delivered``, ``opened``...: the event's name after ``message_``."""
        return self.value.removeprefix("message_")


def journey_event_name(event: FeedbackEvent, channel: str) -> str:
    """The behaviour event journeys wait for: ``email_opened``, ``sms_delivered``..."""
    return f"{channel}_{event.verb}"


class ProviderFeedback(BaseModel):
    """One verified feedback event about one send.

    Attributes:
        source: Who reported it (``email_api``, ``sms_api``, ``tracking``).
        source_event_id: The reporter's id of the event; a second event with the
            same source and id is a replay.
        bounce_type: ``hard`` or ``soft`` (bounces only; only hard ones suppress).
        link: The link clicked, when known.
    """

    org_id: str
    idempotency_key: str
    event: FeedbackEvent
    source: str
    source_event_id: str
    occurred_at: datetime
    bounce_type: str = "hard"
    link: str = ""


EMAIL_API_EVENTS: dict[str, FeedbackEvent] = {
    "email.delivered": FeedbackEvent.DELIVERED,
    "email.opened": FeedbackEvent.OPENED,
    "email.clicked": FeedbackEvent.CLICKED,
    "email.bounced": FeedbackEvent.BOUNCED,
    "email.complained": FeedbackEvent.COMPLAINED,
    "email.unsubscribed": FeedbackEvent.UNSUBSCRIBED,
}
"""Event types of the email API's webhooks."""

SMS_STATUSES: dict[str, tuple[FeedbackEvent, str]] = {
    "delivered": (FeedbackEvent.DELIVERED, ""),
    "undelivered": (FeedbackEvent.BOUNCED, "soft"),
    "failed": (FeedbackEvent.BOUNCED, "hard"),
}
"""Final SMS statuses and what they mean; the others (queued, sent...) are acknowledged only."""

FEEDBACK_CHANNEL: dict[str, Channel] = {"email_api": Channel.EMAIL, "sms_api": Channel.SMS}
"""The channel each provider's feedback is about."""


def _refuse(status: int, field: str, problem: str) -> FeedbackRefusedError:
    return FeedbackRefusedError(status, field, problem)


def email_api_feedback(  # noqa: C901 - verify, then one case per webhook field
    headers: Mapping[str, str], body: bytes, *, secret: str, now: datetime, tolerance_seconds: int
) -> ProviderFeedback:
    """Verify and read one email API webhook.

    Raises:
        FeedbackRefusedError: 401 missing or wrong signature, or a timestamp
            outside the tolerance (a replay); 422 a payload we cannot read.
    """
    if not secret:
        raise _refuse(401, "svix-signature", "email webhooks are not configured on this server")
    event_id = headers.get("svix-id", "")
    stamp = headers.get("svix-timestamp", "")
    signatures = headers.get("svix-signature", "")
    for name, value in (("svix-id", event_id), ("svix-timestamp", stamp)):
        if not value:
            raise _refuse(401, name, "missing header")
    if not signatures:
        raise _refuse(401, "svix-signature", "missing header")
    try:
        sent_at = datetime.fromtimestamp(int(stamp), UTC)
    except ValueError as err:
        raise _refuse(401, "svix-timestamp", "not a Unix time") from err
    if abs((now - sent_at).total_seconds()) > tolerance_seconds:
        raise _refuse(401, "svix-timestamp", "outside the tolerance: stale or replayed event")
    expected = email_api_signature(secret, event_id, stamp, body)
    offered = [part.split(",", 1)[-1] for part in signatures.split()]
    if not any(hmac.compare_digest(expected.split(",", 1)[1], sig) for sig in offered):
        raise _refuse(401, "svix-signature", "signature does not match the body")
    payload = _json_object(body)
    kind = payload.get("type")
    if kind not in EMAIL_API_EVENTS:
        known = ", ".join(sorted(EMAIL_API_EVENTS))
        raise _refuse(422, "type", f"unknown event type {kind!r}; one of {known}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise _refuse(422, "data", "must be an object")
    tags = _tags(data.get("tags"))
    org_id, key = tags.get("org_id", ""), tags.get("idempotency_key", "")
    if not org_id or not key:
        raise _refuse(422, "data.tags", "must name org_id and idempotency_key (sent with it)")
    bounce = _object(data.get("bounce"))
    click = _object(data.get("click"))
    return ProviderFeedback(
        org_id=org_id,
        idempotency_key=key,
        event=EMAIL_API_EVENTS[kind],
        source="email_api",
        source_event_id=event_id,
        occurred_at=sent_at,
        bounce_type="soft" if str(bounce.get("type", "")).lower() == "transient" else "hard",
        link=str(click.get("link", "")),
    )


def email_api_signature(secret: str, event_id: str, stamp: str, body: bytes) -> str:
    """The ``svix-signature`` value (``v1,<base64>``) of a webhook, for ``whsec_<base64>`` keys."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        key = secret.encode()
    digest = hmac.new(key, f"{event_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sms_status_feedback(
    url: str, form: Mapping[str, str], *, signature: str, auth_token: str, now: datetime
) -> ProviderFeedback | None:
    """Verify and read one SMS status callback; None for a status that is not final.

    Raises:
        FeedbackRefusedError: 401 missing or wrong signature; 422 a callback
            without ``MessageSid``/``MessageStatus`` or a URL not naming the send.
    """
    if not auth_token:
        raise _refuse(401, "X-Twilio-Signature", "SMS callbacks are not configured on this server")
    if not signature:
        raise _refuse(401, "X-Twilio-Signature", "missing header")
    if not hmac.compare_digest(sms_status_signature(auth_token, url, form), signature):
        raise _refuse(401, "X-Twilio-Signature", "signature does not match the URL and form")
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not sid or not status:
        raise _refuse(422, "MessageSid" if not sid else "MessageStatus", "missing form field")
    query = parse_qs(urlsplit(url).query)
    org_id, key = query.get("org", [""])[0], query.get("send", [""])[0]
    if not org_id or not key:
        raise _refuse(422, "send", "the callback URL names no organisation and send")
    if status not in SMS_STATUSES:
        return None
    event, bounce_type = SMS_STATUSES[status]
    return ProviderFeedback(
        org_id=org_id,
        idempotency_key=key,
        event=event,
        source="sms_api",
        source_event_id=f"{sid}:{status}",
        occurred_at=now,
        bounce_type=bounce_type or "hard",
    )


def sms_status_signature(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` of a callback: URL plus sorted name+value pairs, HMAC-SHA1."""
    text = url + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError as err:
        raise _refuse(422, "body", "not JSON") from err
    if not isinstance(payload, dict):
        raise _refuse(422, "body", "must be a JSON object")
    return payload


def _object(raw: object) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _tags(raw: object) -> dict[str, str]:
    """Tags as an object, or as a list of ``{name, value}`` (both shapes are in use)."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {
            str(tag.get("name")): str(tag.get("value"))
            for tag in raw
            if isinstance(tag, dict) and "name" in tag
        }
    return {}
