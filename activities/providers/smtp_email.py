"""Email over SMTP, with a deterministic Message-ID from the send's idempotency key."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage

from activities.providers.base import DeliveryReceipt, OutgoingMessage, require_recipient
from journeys.errors import AmbiguousDeliveryError, PermanentDeliveryError, TransientDeliveryError

EMAIL_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
"""A plausible email address; anything else fails permanently before any SMTP call."""


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The Message-ID of a send: the same for every attempt, so receivers can de-duplicate."""
    return f"<{idempotency_key}@{domain}>"


class SmtpEmailProvider:
    """Sends email through an SMTP server (optionally STARTTLS and AUTH).

    Args:
        host: SMTP server.
        port: SMTP port.
        sender: The From address.
        message_id_domain: Domain part of the Message-ID.
        timeout: Seconds for connecting and each SMTP command.
        starttls: Upgrade the connection with STARTTLS before sending.
        username: Login (empty: no AUTH).
        password: Password.
        tls_context: TLS settings for STARTTLS (default: verify certificates).
    """

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        message_id_domain: str,
        timeout: float,
        starttls: bool = False,
        username: str = "",
        password: str = "",
        tls_context: ssl.SSLContext | None = None,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.message_id_domain, self.timeout = message_id_domain, timeout
        self.starttls, self.username, self.password = starttls, username, password
        self.tls_context = tls_context

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:  # noqa: C901 - one outcome per SMTP failure kind
        """Send one email; 5xx replies are permanent, 4xx and connection failures transient."""
        recipient = require_recipient(message)
        if not EMAIL_ADDRESS.match(recipient):
            raise PermanentDeliveryError(f"smtp: invalid email address {recipient!r}")
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = recipient
        email["Subject"] = message.subject
        email["Message-ID"] = message_id_for(message.idempotency_key, self.message_id_domain)
        email["X-Journeys-Idempotency-Key"] = message.idempotency_key
        for name, value in message.headers.items():
            email[name] = value
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        try:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as err:
            raise TransientDeliveryError(f"smtp: cannot connect: {err!r}") from err
        try:
            self._prepare(connection)
            try:
                connection.send_message(email)
            except (smtplib.SMTPServerDisconnected, TimeoutError) as err:
                raise AmbiguousDeliveryError(f"smtp: no answer to the message: {err!r}") from err
        except smtplib.SMTPAuthenticationError as err:
            # A configuration problem of ours, not of the recipient: retry and alert.
            raise TransientDeliveryError(f"smtp: authentication failed: {err!r}") from err
        except smtplib.SMTPRecipientsRefused as err:
            code, reply = next(iter(err.recipients.values()))
            raise _by_code(code, f"recipient refused: {reply!r}") from err
        except smtplib.SMTPResponseException as err:
            raise _by_code(err.smtp_code, repr(err.smtp_error)) from err
        except (smtplib.SMTPException, OSError) as err:
            raise TransientDeliveryError(f"smtp: {err!r}") from err
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()
        return DeliveryReceipt(provider=self.name, provider_message_id=email["Message-ID"])

    def _prepare(self, connection: smtplib.SMTP) -> None:
        connection.ehlo()
        if self.starttls:
            connection.starttls(context=self.tls_context or ssl.create_default_context())
            connection.ehlo()
        if self.username:
            connection.login(self.username, self.password)


def _by_code(code: int, detail: str) -> PermanentDeliveryError | TransientDeliveryError:
    """5xx SMTP replies are permanent (hard bounce); the rest may pass later."""
    if 500 <= code < 600:
        return PermanentDeliveryError(f"smtp {code}: {detail}")
    return TransientDeliveryError(f"smtp {code}: {detail}")
