"""The HTTP providers: email API, SMS, FCM v1 push and signed webhooks.

SMS uses the common REST shape (account SID / auth token). Every request
carries the send's idempotency key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from activities.providers.base import DeliveryReceipt, OutgoingMessage, require_recipient
from activities.providers.http_delivery import post, timeout
from activities.providers.smtp_email import EMAIL_ADDRESS, message_id_for
from journeys.errors import PermanentDeliveryError

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header carrying the send's idempotency key on every HTTP provider request."""

SIGNATURE_HEADER = "X-Journeys-Signature"
"""Webhook header: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``."""

TIMESTAMP_HEADER = "X-Journeys-Timestamp"
"""Webhook header: Unix time of the request, part of the signed text (replay protection)."""


EMAIL_TAG_ORG = "org_id"
"""Tag of an HTTP email naming its organisation (echoed in the provider's events)."""

EMAIL_TAG_SEND = "idempotency_key"
"""Tag of an HTTP email naming its send (echoed in the provider's events)."""


class HttpEmailProvider:
    """Email through an HTTP API: JSON ``{from, to, subject, text, html, headers, tags}``.

    Authenticated with a bearer key; the tags name the organisation and the send,
    so the provider's event webhooks can be matched to it.

    Args:
        url: The API endpoint.
        api_key: Bearer token.
        sender: The From address.
        message_id_domain: Domain part of the Message-ID header.
        timeout_seconds: Connect/read timeout.
    """

    name = "email_api"

    def __init__(
        self, *, url: str, api_key: str, sender: str, message_id_domain: str, timeout_seconds: float
    ):
        self.url, self.sender, self.message_id_domain = url, sender, message_id_domain
        self._client = httpx.Client(timeout=timeout(timeout_seconds), headers=_bearer(api_key))

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """POST the email; the answer's ``id`` is the provider's message id."""
        recipient = require_recipient(message)
        if not EMAIL_ADDRESS.match(recipient):
            raise PermanentDeliveryError(f"{self.name}: invalid email address {recipient!r}")
        response = post(
            self._client,
            self.name,
            self.url,
            headers={IDEMPOTENCY_HEADER: message.idempotency_key},
            json={
                "from": self.sender,
                "to": [recipient],
                "subject": message.subject,
                "text": message.body,
                **({"html": message.html} if message.html else {}),
                "headers": {
                    **message.headers,
                    "Message-ID": message_id_for(message.idempotency_key, self.message_id_domain),
                },
                # Echoed in the provider's event webhooks: they name the send.
                "tags": [
                    {"name": EMAIL_TAG_ORG, "value": message.org_id},
                    {"name": EMAIL_TAG_SEND, "value": message.idempotency_key},
                ],
            },
        )
        return DeliveryReceipt(provider=self.name, provider_message_id=_field(response, "id"))


class HttpSmsProvider:
    """SMS through the common REST shape, with basic auth (account SID, auth token).

    The message is a form POST to ``{base}/2010-04-01/Accounts/{sid}/Messages.json``.

    Args:
        base_url: API base URL.
        account_sid: Account SID.
        auth_token: Auth token.
        sender: The From number.
        timeout_seconds: Connect/read timeout.
        status_callback_url: Where the provider posts delivery status
            (the API's ``/v1/feedback/sms``); empty: no callbacks.
    """

    name = "sms_api"

    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        timeout_seconds: float,
        status_callback_url: str = "",
    ):
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.sender = sender
        self.status_callback_url = status_callback_url
        self._client = httpx.Client(
            timeout=timeout(timeout_seconds), auth=httpx.BasicAuth(account_sid, auth_token)
        )

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """POST the SMS; the answer's ``sid`` is the provider's message id."""
        response = post(
            self._client,
            self.name,
            self.url,
            headers={IDEMPOTENCY_HEADER: message.idempotency_key},
            data={
                "To": require_recipient(message),
                "From": self.sender,
                "Body": message.body,
                **self._status_callback(message),
            },
        )
        return DeliveryReceipt(provider=self.name, provider_message_id=_field(response, "sid"))

    def _status_callback(self, message: OutgoingMessage) -> dict[str, str]:
        """The ``StatusCallback`` parameter naming the organisation and the send."""
        if not self.status_callback_url:
            return {}
        query = urlencode({"org": message.org_id, "send": message.idempotency_key})
        return {"StatusCallback": f"{self.status_callback_url}?{query}"}


class FcmPushProvider:
    """Push through the FCM v1 shape: ``POST {base}/v1/projects/{project}/messages:send``.

    Args:
        base_url: API base URL.
        project_id: Project id.
        access_token: OAuth bearer token.
        timeout_seconds: Connect/read timeout.
    """

    name = "fcm"

    def __init__(
        self, *, base_url: str, project_id: str, access_token: str, timeout_seconds: float
    ):
        self.url = f"{base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self._client = httpx.Client(timeout=timeout(timeout_seconds), headers=_bearer(access_token))

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """POST the notification; the answer's ``name`` is the provider's message id."""
        response = post(
            self._client,
            self.name,
            self.url,
            headers={IDEMPOTENCY_HEADER: message.idempotency_key},
            json={
                "message": {
                    "token": require_recipient(message),
                    "notification": {"title": message.subject, "body": message.body},
                    "data": {
                        "idempotency_key": message.idempotency_key,
                        "template": message.template,
                    },
                }
            },
        )
        return DeliveryReceipt(provider=self.name, provider_message_id=_field(response, "name"))


class WebhookProvider:
    """JSON POST of the message, signed with HMAC-SHA256 over ``"<timestamp>.<body>"``.

    Args:
        url: The receiver.
        secret: The shared HMAC key.
        timeout_seconds: Connect/read timeout.
        clock: Unix time source of the timestamp header.
    """

    name = "webhook"

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        timeout_seconds: float,
        clock: Callable[[], float] = time.time,
    ):
        self.url, self._secret, self._clock = url, secret.encode(), clock
        self._client = httpx.Client(timeout=timeout(timeout_seconds))

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        """POST the signed JSON message."""
        body = json.dumps(
            {
                "idempotency_key": message.idempotency_key,
                "org_id": message.org_id,
                "customer_id": message.customer_id,
                "template": message.template,
                "subject": message.subject,
                "body": message.body,
                "links": message.links,
            },
            sort_keys=True,
        ).encode()
        stamp = str(int(self._clock()))
        post(
            self._client,
            self.name,
            self.url,
            headers={
                "Content-Type": "application/json",
                IDEMPOTENCY_HEADER: message.idempotency_key,
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: webhook_signature(self._secret, stamp, body),
            },
            content=body,
        )
        return DeliveryReceipt(provider=self.name, provider_message_id=message.idempotency_key)


def webhook_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value a receiver recomputes to authenticate a webhook."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _field(response: httpx.Response, name: str) -> str:
    try:
        value = response.json().get(name, "")
    except (ValueError, AttributeError):
        return ""
    return str(value)
