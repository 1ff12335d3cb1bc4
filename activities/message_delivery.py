"""The send activity: consent check, idempotent reservation, provider call, log."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.providers import ChannelProvider, OutgoingMessage
from journeys.activity_contracts import (
    DELIVER_MESSAGE_ACTIVITY,
    SendOutcome,
    SendRequest,
    SendStatus,
)
from journeys.errors import (
    INVALID_INPUT_ERROR_TYPE,
    PERMANENT_DELIVERY_ERROR_TYPE,
    TRANSIENT_DELIVERY_ERROR_TYPE,
    InvalidInputError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from journeys.language.channels import Channel
from journeys.message_templates import render_message
from journeys.store import Store
from journeys.store.communication_log import (
    RESERVED,
    finish_send,
    reserve_send,
    send_idempotency_key,
)
from journeys.store.consent import is_opted_out
from journeys.store.customers import find_customer

log = structlog.get_logger(__name__)


class MessageDeliveryActivities:
    """Sends messages exactly once per enrollment, step visit and channel.

    Args:
        store: The store holding consent, profiles and the communication log.
        providers: The provider of each channel.
    """

    def __init__(self, store: Store, providers: Mapping[Channel, ChannelProvider]):
        self._store = store
        self._providers = providers

    @activity.defn(name=DELIVER_MESSAGE_ACTIVITY)
    def deliver_message(self, request: SendRequest) -> SendOutcome:
        """Deliver one message on one channel, at most once.

        The send's row is reserved under its idempotency key before the
        provider is called; a retry that finds the row finished returns the
        recorded outcome without calling the provider again.
        """
        key = send_idempotency_key(request)
        bound = log.bind(
            org_id=request.org_id,
            customer_id=request.customer_id,
            journey_id=request.journey_id,
            workflow_id=request.workflow_id,
            step_key=request.step_key,
            channel=request.channel.value,
        )
        provider = self._providers.get(request.channel)
        if provider is None:
            raise _application_error(
                PermanentDeliveryError(f"no provider configured for {request.channel.value}")
            )
        with self._store.transaction() as session:
            row, created = reserve_send(session, request, key=key)
            if not created and row.status != RESERVED:
                bound.info("send already recorded", status=row.status)
                return SendOutcome(
                    status=SendStatus(row.status),
                    channel=request.channel,
                    idempotency_key=key,
                    message_id=row.id,
                    duplicate=True,
                    detail=row.detail,
                )
            if is_opted_out(
                session,
                org_id=request.org_id,
                customer_id=request.customer_id,
                channel=request.channel.value,
            ):
                row.status = SendStatus.SUPPRESSED.value
                row.detail = "opted out"
                bound.info("send suppressed by consent")
                return SendOutcome(
                    status=SendStatus.SUPPRESSED,
                    channel=request.channel,
                    idempotency_key=key,
                    message_id=row.id,
                    detail=row.detail,
                )
            customer = find_customer(
                session, org_id=request.org_id, customer_id=request.customer_id
            )
            profile = dict(customer.attributes) if customer else {}
            try:
                rendered = render_message(request.template, {**profile, **request.data})
            except InvalidInputError as err:
                row.status, row.detail = SendStatus.FAILED.value, str(err)
                raise _application_error(err) from err
            row.subject, row.body = rendered.subject, rendered.body
            message_id = row.id
        message = OutgoingMessage(
            org_id=request.org_id,
            customer_id=request.customer_id,
            channel=request.channel,
            template=request.template,
            subject=rendered.subject,
            body=rendered.body,
            idempotency_key=key,
        )
        try:
            receipt = provider.deliver(message)
        except PermanentDeliveryError as err:
            self._finish(key, SendStatus.FAILED, str(err))
            bound.warning("send failed permanently", error=str(err))
            raise _application_error(err) from err
        except TransientDeliveryError as err:
            bound.warning("send failed, will retry", error=str(err))
            raise _application_error(err) from err
        detail = f"{receipt.provider}:{receipt.provider_message_id}"
        self._finish(key, SendStatus.SENT, detail)
        bound.info("message sent", provider=receipt.provider)
        return SendOutcome(
            status=SendStatus.SENT,
            channel=request.channel,
            idempotency_key=key,
            message_id=message_id,
            detail=detail,
        )

    def _finish(self, key: str, status: SendStatus, detail: str) -> None:
        with self._store.transaction() as session:
            finish_send(session, key=key, status=status.value, detail=detail)


def _application_error(err: Exception) -> ApplicationError:
    """Map the engine's delivery errors to ApplicationError types retry policies match."""
    if isinstance(err, PermanentDeliveryError):
        return ApplicationError(str(err), type=PERMANENT_DELIVERY_ERROR_TYPE, non_retryable=True)
    if isinstance(err, InvalidInputError):
        return ApplicationError(str(err), type=INVALID_INPUT_ERROR_TYPE, non_retryable=True)
    return ApplicationError(str(err), type=TRANSIENT_DELIVERY_ERROR_TYPE)
