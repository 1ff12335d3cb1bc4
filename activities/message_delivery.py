"""The send activity: one message on one channel, at most once, with every guarantee.

Per attempt, in ONE store transaction locked per customer: read the profile,
render the content (personalised, else segment, else generic), decide the send
(idempotency key, consent and suppression, quiet hours, frequency caps across
all journeys) and reserve it; only then call the provider, and record what it
said. Providers that deliver into the store itself (the in-app inbox) deliver
and are recorded inside that same transaction: exactly once, never in doubt.

* A retry after a known outcome returns it without calling the provider.
* A send found ``reserved`` was left by an attempt that crashed (or timed out)
  between the provider call and its record: it becomes ``unknown``, is counted
  and alerted, and is not resent, unless the channel's provider de-duplicates
  by idempotency key (``delivery_resend_unknown_channels``).
* Transient provider failures (connection, 5xx, 429) raise a retryable error,
  honouring ``Retry-After``; permanent ones (invalid address, other 4xx, hard
  bounce) a non-retryable one, so the workflow moves to the next channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery_metrics import DeliveryMetrics
from activities.ops_alerts import OpsAlerts
from activities.providers import ChannelProvider, DeliveryReceipt, OutgoingMessage
from activities.providers.base import RECIPIENT_ATTRIBUTES, InStoreProvider
from journeys.contracts.activities import (
    DELIVER_MESSAGE_ACTIVITY,
    RECORD_SEND_FAILURE_ACTIVITY,
    SendFailure,
    SendOutcome,
    SendRequest,
    SendStatus,
)
from journeys.delivery.templates import TEMPLATES, MessageTemplate, RenderedMessage, render_message
from journeys.delivery.tracking import LinkTracker, html_body
from journeys.errors import (
    INVALID_INPUT_ERROR_TYPE,
    INVALID_TIME_ZONE_ERROR_TYPE,
    PERMANENT_DELIVERY_ERROR_TYPE,
    TRANSIENT_DELIVERY_ERROR_TYPE,
    AmbiguousDeliveryError,
    InvalidInputError,
    InvalidTimeZoneError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from journeys.language.channels import HTML_CHANNELS, Channel
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.communication_log import send_idempotency_key
from journeys.store.send_slots import (
    RETRYING,
    SendContent,
    SendDecision,
    Verdict,
    decide_send,
    lock_customer_sends,
    record_provider_outcome,
    record_send_failure,
)
from journeys.store.tables.base import utcnow
from journeys.store.tables.customers import Customer

log = structlog.get_logger(__name__)

SENDS_METRIC = "sends"
"""Counter of send outcomes (one per activity attempt that decides or finishes a send)."""

ATTEMPTS_METRIC = "provider_attempts"
"""Counter of provider calls by outcome (sent, failed, retrying, unknown)."""


class MessageDeliveryActivities:
    """Sends messages exactly once per enrollment, step visit and channel.

    Args:
        store: The store holding consent, profiles and the communication log.
        providers: The provider of each channel.
        settings: Global caps, default quiet hours, the resend policy of
            unknown outcomes and the ops alert webhook.
        metrics: Counters of outcomes (a fresh set by default).
        alerts: Ops alerts (by default from ``settings``).
        clock: The time of send decisions (caps and quiet hours).
        templates: The message templates, by id (the catalog's; default the shipped ones).
    """

    def __init__(
        self,
        store: Store,
        providers: Mapping[Channel, ChannelProvider],
        settings: JourneySettings,
        *,
        metrics: DeliveryMetrics | None = None,
        alerts: OpsAlerts | None = None,
        clock: Callable[[], datetime] = utcnow,
        templates: Mapping[str, MessageTemplate] = TEMPLATES,
    ):
        self._store = store
        self._templates = templates
        self._providers = providers
        self._settings = settings
        self.metrics = metrics or DeliveryMetrics()
        self._alerts = alerts or OpsAlerts(
            settings.ops_alert_webhook_url,
            interval_seconds=settings.ops_alert_interval_seconds,
        )
        self._clock = clock
        secret = settings.tracking_secret.get_secret_value()
        self._tracker = LinkTracker(settings.resolved_public_base_url, secret) if secret else None

    @activity.defn(name=DELIVER_MESSAGE_ACTIVITY)
    def deliver_message(self, request: SendRequest) -> SendOutcome:
        """Deliver one message on one channel, at most once (see the module docs)."""
        key = send_idempotency_key(request)
        channel = request.channel
        bound = log.bind(
            org_id=request.org_id,
            customer_id=request.customer_id,
            journey_id=request.journey_id,
            workflow_id=request.workflow_id,
            step_key=request.step_key,
            channel=channel.value,
            idempotency_key=key,
        )
        provider = self._providers.get(channel)
        if provider is None:
            raise _application_error(
                PermanentDeliveryError(f"no provider configured for {channel.value}")
            )
        resend_in_doubt = channel in self._settings.delivery_resend_unknown_channels
        # One transaction: the lock, the profile read under it, the decision.
        with self._store.transaction() as session:
            customer = lock_customer_sends(
                session, org_id=request.org_id, customer_id=request.customer_id
            )
            profile = dict(customer.attributes) if customer else {}
            rendered, decision = self._render_and_decide(
                session, request, customer, profile, key, resend_in_doubt, bound
            )
            if decision.verdict is Verdict.DONE:
                return self._decided(request, key, decision, bound)
            attribute = RECIPIENT_ATTRIBUTES.get(channel)
            message = self._tracked(
                OutgoingMessage(
                    org_id=request.org_id,
                    customer_id=request.customer_id,
                    channel=channel,
                    template=request.template,
                    subject=rendered.subject,
                    body=rendered.body,
                    idempotency_key=key,
                    to=str(profile.get(attribute) or "") if attribute else "",
                    links=rendered.links,
                )
            )
            stored: DeliveryReceipt | None = None
            if isinstance(provider, InStoreProvider):
                stored = provider.deliver_in(session, message)
                record_provider_outcome(
                    session,
                    key=key,
                    status=SendStatus.SENT.value,
                    detail=_receipt_detail(stored),
                    provider=provider.name,
                    now=self._clock(),
                )
        if stored is not None:
            # Counted once the delivery and its record have committed.
            self.metrics.count(ATTEMPTS_METRIC, channel.value, SendStatus.SENT.value)
            return self._sent(request, key, decision, stored, bound)
        try:
            receipt = provider.deliver(message)
        except PermanentDeliveryError as err:
            self._record(key, SendStatus.FAILED.value, str(err), provider, channel)
            bound.warning("send failed permanently", error=str(err))
            raise _application_error(err) from err
        except TransientDeliveryError as err:
            if isinstance(err, AmbiguousDeliveryError) and not resend_in_doubt:
                return self._unknown(request, key, decision, str(err), provider, bound)
            last_try = 0 < request.attempts_allowed <= activity.info().attempt
            self._record(
                key, SendStatus.FAILED.value if last_try else RETRYING, str(err), provider, channel
            )
            self._alerts.alert("provider_failing", channel.value, f"{provider.name}: {err}")
            bound.warning("send failed, will retry", error=str(err), retry_after=err.retry_after)
            raise _application_error(err) from err
        except Exception as err:
            # An unexpected failure inside the provider: it may have sent.
            if not resend_in_doubt:
                return self._unknown(request, key, decision, repr(err), provider, bound)
            self._record(key, RETRYING, repr(err), provider, channel)
            raise _application_error(err) from err
        self._record(key, SendStatus.SENT.value, _receipt_detail(receipt), provider, channel)
        return self._sent(request, key, decision, receipt, bound)

    def _tracked(self, message: OutgoingMessage) -> OutgoingMessage:
        """The message with tracked links, and for email the open pixel and one-click unsubscribe.

        Untouched when no ``tracking_secret`` is set.
        """
        tracker = self._tracker
        if tracker is None:
            return message
        org_id, key = message.org_id, message.idempotency_key
        body = tracker.track_links(message.body, message.links, org_id, key)
        if message.channel is not Channel.EMAIL:
            return message.model_copy(update={"body": body})
        return message.model_copy(
            update={
                "body": body,
                "html": html_body(body, tracker.open_pixel(org_id, key)),
                "headers": tracker.email_headers(org_id, key),
            }
        )

    @activity.defn(name=RECORD_SEND_FAILURE_ACTIVITY)
    def record_send_failure(self, failure: SendFailure) -> None:
        """Record a send whose last channel failed for good: logged ``failed``, counted, alerted.

        Idempotent: a retry after the row was marked failed counts and alerts nothing more.
        """
        request = failure.request
        key = send_idempotency_key(request)
        with self._store.transaction() as session:
            _, changed = record_send_failure(
                session, request, key=key, reason=failure.reason, now=self._clock()
            )
        if not changed:
            return
        self.metrics.count(SENDS_METRIC, request.channel.value, SendStatus.FAILED.value)
        self._alerts.alert(
            "send_failed",
            request.channel.value,
            f"send {key} of {request.customer_id} in {request.journey_id} failed: {failure.reason}",
        )
        log.error(
            "send failed",
            org_id=request.org_id,
            customer_id=request.customer_id,
            workflow_id=request.workflow_id,
            channel=request.channel.value,
            idempotency_key=key,
            reason=failure.reason,
        )

    def _render_and_decide(
        self,
        session: Session,
        request: SendRequest,
        customer: Customer | None,
        profile: dict[str, Any],
        key: str,
        resend_in_doubt: bool,
        bound: structlog.typing.FilteringBoundLogger,
    ) -> tuple[RenderedMessage, SendDecision]:
        """Render the message and decide the send, under the customer's send lock.

        Raises:
            ApplicationError: non-retryable: an unknown template or missing content,
                or a stored time zone that no retry can mend.
        """
        try:
            rendered = render_message(
                request.template,
                {**profile, **request.data},
                self._templates,
                html=request.channel in HTML_CHANNELS,
            )
        except InvalidInputError as err:
            raise _application_error(err) from err
        try:
            decision = decide_send(
                session,
                request,
                customer=customer,
                key=key,
                content=SendContent(
                    subject=rendered.subject,
                    body=rendered.body,
                    links=rendered.links,
                    source=rendered.source.value,
                ),
                caps=[*self._settings.delivery_frequency_caps, *request.frequency_caps],
                quiet_hours=request.quiet_hours or self._settings.delivery_quiet_hours,
                resend_in_doubt=resend_in_doubt,
                now=request.requested_at or self._clock(),
            )
        except InvalidTimeZoneError as err:
            bound.error("send failed: the customer's time zone is invalid", error=str(err))
            raise ApplicationError(
                f"customer {request.customer_id!r} {err}",
                type=INVALID_TIME_ZONE_ERROR_TYPE,
                non_retryable=True,
            ) from err
        return rendered, decision

    def _sent(
        self,
        request: SendRequest,
        key: str,
        decision: SendDecision,
        receipt: DeliveryReceipt,
        bound: structlog.typing.FilteringBoundLogger,
    ) -> SendOutcome:
        """A send the provider took (already recorded)."""
        self.metrics.count(SENDS_METRIC, request.channel.value, SendStatus.SENT.value)
        bound.info("message sent", provider=receipt.provider, attempt=decision.attempt)
        return SendOutcome(
            status=SendStatus.SENT,
            channel=request.channel,
            idempotency_key=key,
            message_id=decision.message_id,
            detail=_receipt_detail(receipt),
        )

    def _decided(
        self,
        request: SendRequest,
        key: str,
        decision: SendDecision,
        bound: structlog.typing.FilteringBoundLogger,
    ) -> SendOutcome:
        """A send settled without calling the provider (recorded, suppressed, capped...)."""
        assert decision.status is not None
        status = decision.status
        if not decision.duplicate:
            self.metrics.count(SENDS_METRIC, request.channel.value, status.value)
        if decision.in_doubt:
            self.metrics.count(ATTEMPTS_METRIC, request.channel.value, status.value)
            self._alerts.alert(
                "send_outcome_unknown",
                request.channel.value,
                f"send {key} of {request.customer_id} was interrupted after reservation;"
                " recorded as unknown, not resent",
            )
        bound.info("send settled", status=status.value, duplicate=decision.duplicate)
        return SendOutcome(
            status=status,
            channel=request.channel,
            idempotency_key=key,
            message_id=decision.message_id,
            duplicate=decision.duplicate,
            detail=decision.detail,
            retry_at=decision.retry_at,
        )

    def _unknown(
        self,
        request: SendRequest,
        key: str,
        decision: SendDecision,
        detail: str,
        provider: ChannelProvider,
        bound: structlog.typing.FilteringBoundLogger,
    ) -> SendOutcome:
        self._record(key, SendStatus.UNKNOWN.value, detail, provider, request.channel)
        self.metrics.count(SENDS_METRIC, request.channel.value, SendStatus.UNKNOWN.value)
        self._alerts.alert("send_outcome_unknown", request.channel.value, detail)
        bound.error("send outcome unknown; not resent", error=detail)
        return SendOutcome(
            status=SendStatus.UNKNOWN,
            channel=request.channel,
            idempotency_key=key,
            message_id=decision.message_id,
            detail=detail,
        )

    def _record(
        self, key: str, status: str, detail: str, provider: ChannelProvider, channel: Channel
    ) -> None:
        self.metrics.count(ATTEMPTS_METRIC, channel.value, status)
        with self._store.transaction() as session:
            record_provider_outcome(
                session,
                key=key,
                status=status,
                detail=detail,
                provider=provider.name,
                now=self._clock(),
            )


def _receipt_detail(receipt: DeliveryReceipt) -> str:
    return f"{receipt.provider}:{receipt.provider_message_id}"


def _application_error(err: Exception) -> ApplicationError:
    """Map the engine's delivery errors to ApplicationError types retry policies match."""
    if isinstance(err, PermanentDeliveryError):
        return ApplicationError(str(err), type=PERMANENT_DELIVERY_ERROR_TYPE, non_retryable=True)
    if isinstance(err, InvalidInputError):
        return ApplicationError(str(err), type=INVALID_INPUT_ERROR_TYPE, non_retryable=True)
    retry_after = err.retry_after if isinstance(err, TransientDeliveryError) else None
    return ApplicationError(
        str(err),
        type=TRANSIENT_DELIVERY_ERROR_TYPE,
        next_retry_delay=timedelta(seconds=retry_after) if retry_after is not None else None,
    )
