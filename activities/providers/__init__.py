"""Channel providers: one interface, one implementation per delivery mechanism."""

from activities.providers.base import ChannelProvider, DeliveryReceipt, OutgoingMessage
from activities.providers.http_channels import (
    FcmPushProvider,
    HttpEmailProvider,
    HttpSmsProvider,
    WebhookProvider,
)
from activities.providers.in_app import InAppProvider
from activities.providers.outbox import OutboxProvider
from activities.providers.smtp_email import SmtpEmailProvider

__all__ = [
    "ChannelProvider",
    "DeliveryReceipt",
    "FcmPushProvider",
    "HttpEmailProvider",
    "HttpSmsProvider",
    "InAppProvider",
    "OutboxProvider",
    "OutgoingMessage",
    "SmtpEmailProvider",
    "WebhookProvider",
]
