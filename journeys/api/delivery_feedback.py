"""Delivery feedback endpoints: provider webhooks, tracked links, the open pixel, unsubscribe.

None of these take an API key: providers authenticate by their signature
(email API: Svix headers; SMS API: ``X-Twilio-Signature``) and recipients by
the signature in the tracking URL. Every accepted event takes one path:
:func:`journeys.store.delivery_feedback.record_delivery_feedback` (the send,
once; consent, suppression and the communication log) and, in the same
transaction, the matching behaviour event (``email_opened``, ``sms_delivered``...),
stored unrouted and then routed, so it reaches the journeys waiting for it
even across a Temporal outage; an unsubscribe from every channel also
ends the customer's enrollments. A refused event changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.service import RPCError

from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.tenancy import REQUEST_ORG
from journeys.client import ID_PATTERN, JourneyClient, TrackedEvent
from journeys.delivery.feedback_events import (
    EMAIL_EVENTS_PATH,
    SMS_STATUS_PATH,
    FeedbackEvent,
    ProviderFeedback,
    email_api_feedback,
    journey_event_name,
    sms_status_feedback,
)
from journeys.delivery.tracking import ONE_CLICK_BODY, LinkTracker, TrackedAction
from journeys.errors import FeedbackRefusedError
from journeys.routing.event_router import PendingRoute
from journeys.settings import JourneySettings
from journeys.store.delivery_feedback import AppliedFeedback, record_delivery_feedback
from journeys.store.tables.communication import CommunicationLog

log = structlog.get_logger(__name__)

router = APIRouter(tags=["delivery feedback"], responses=ERROR_RESPONSES)

TRACKING_SOURCE = "tracking"
"""The source of feedback recorded by tracked links, the pixel and unsubscribe links."""

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""A transparent 1x1 GIF."""

SendKey = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The send's idempotency key")]
OrgPath = Annotated[str, Path(pattern=ID_PATTERN, description="The send's organisation")]
Signature = Annotated[str, Query(alias="s", min_length=1, max_length=64)]


class FeedbackAccepted(BaseModel):
    """What a feedback event did.

    Attributes:
        recorded: False for an event acknowledged but not applied (an SMS status
            that is not final, or an event received before: a provider's retry,
            a second click).
        event: The behaviour event routed to the customer's journeys.
        routed: False when Temporal was unreachable: the event is stored and
            the engine routes it once Temporal is back.
        suppressed: The channel is now suppressed for the customer.
        opted_out: The customer opted out of the channel.
        signalled: Enrollments the event reached.
        exited: Enrollments ended by an unsubscribe from every channel.
    """

    recorded: bool
    event: str = ""
    routed: bool = True
    suppressed: bool = False
    opted_out: bool = False
    signalled: list[str] = []
    exited: list[str] = []


def _client(request: Request) -> JourneyClient:
    client: JourneyClient = request.app.state.client
    return client


def _settings(request: Request) -> JourneySettings:
    settings: JourneySettings = request.app.state.settings
    return settings


def _tracker(request: Request) -> LinkTracker:
    settings = _settings(request)
    secret = settings.tracking_secret.get_secret_value()
    if not secret:
        raise FeedbackRefusedError(404, "s", "tracking is not configured on this server")
    return LinkTracker(settings.resolved_public_base_url, secret)


async def apply_feedback(client: JourneyClient, feedback: ProviderFeedback) -> FeedbackAccepted:
    """The one path of delivery feedback: the store, then the journeys.

    The feedback and its behaviour event commit in one transaction, the event
    unrouted; routing follows. With Temporal unreachable the answer is still
    2xx (``routed`` false): the worker's sweep of unrouted events, or the
    provider's retry, routes the event later. A replay changes nothing and
    routes only what an earlier attempt left unrouted.

    Raises:
        FeedbackRefusedError: unknown send (404).
    """
    # The organisation is named by the verified payload: store work runs in its scope.
    REQUEST_ORG.set(feedback.org_id)
    structlog.contextvars.bind_contextvars(org_id=feedback.org_id)

    def write() -> tuple[AppliedFeedback, TrackedEvent, tuple[PendingRoute, ...]]:
        with client.store.transaction() as session:
            applied = record_delivery_feedback(session, feedback)
            event = _behaviour_event(feedback, applied)
            [recorded] = client.record_events(session, [event], now=datetime.now(UTC))
            return applied, event, recorded.routes

    applied, event, routes = await asyncio.to_thread(write)
    accepted = FeedbackAccepted(
        recorded=not applied.replayed,
        event=event.name,
        suppressed=applied.effect.suppressed,
        opted_out=applied.effect.opted_out,
    )
    if routes:
        # The customer's earlier unrouted events go first, as for ``track``; the last is ours.
        routing = (await client.router.route_all(routes))[-1]
        if isinstance(routing, RPCError):
            log.warning(
                "feedback event left for the sweep of unrouted events",
                event_id=event.event_id,
                error=routing.message,
            )
            accepted.routed = False
        elif isinstance(routing, Exception):
            raise routing
        else:
            accepted.signalled = routing.signalled
    if applied.effect.global_opt_out:
        result = await client.opt_out(
            feedback.org_id, applied.customer_id, channel="all", source=feedback.source
        )
        accepted.exited = result.exited
    log.info(
        "delivery feedback applied",
        feedback_event=event.name,
        idempotency_key=feedback.idempotency_key,
        source=feedback.source,
        replayed=applied.replayed,
        suppressed=applied.effect.suppressed,
    )
    return accepted


def _behaviour_event(feedback: ProviderFeedback, applied: AppliedFeedback) -> TrackedEvent:
    """The event journeys hear about the feedback; its id is the same for every replay."""
    digest = hashlib.sha256(f"{feedback.source}|{feedback.source_event_id}".encode()).hexdigest()
    return TrackedEvent(
        org_id=feedback.org_id,
        customer_id=applied.customer_id,
        name=journey_event_name(feedback.event, applied.channel),
        event_id=f"feedback:{digest[:40]}",
        occurred_at=feedback.occurred_at,
        properties={
            "channel": applied.channel,
            "idempotency_key": feedback.idempotency_key,
            "journey_id": applied.journey_id,
            "source": feedback.source,
        },
    )


@router.post(EMAIL_EVENTS_PATH, summary="Email API event webhook (Svix-signed)")
async def email_events(request: Request) -> FeedbackAccepted:
    """Delivered, opened, clicked, bounced, complained or unsubscribed, for one email.

    401 for a missing, wrong or stale signature; 404 for an unknown send;
    422 for a payload we cannot read. An event received before (the provider's
    retry) answers 200 with ``recorded`` false and changes nothing.
    """
    settings = _settings(request)
    feedback = email_api_feedback(
        request.headers,
        await request.body(),
        secret=settings.email_webhook_secret.get_secret_value(),
        now=datetime.now(UTC),
        tolerance_seconds=settings.feedback_tolerance_seconds,
    )
    return await apply_feedback(_client(request), feedback)


@router.post(SMS_STATUS_PATH, summary="SMS status callback (signed with the auth token)")
async def sms_status(request: Request) -> FeedbackAccepted:
    """A delivery status of one SMS; ``delivered``, ``undelivered`` and ``failed`` are applied.

    401 for a missing or wrong ``X-Twilio-Signature``; 404 unknown send; a replay
    answers 200 with ``recorded`` false.
    """
    settings = _settings(request)
    # The callback is application/x-www-form-urlencoded: plain pairs, no files.
    form = dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))
    url = settings.resolved_public_base_url + SMS_STATUS_PATH
    if request.url.query:
        url += "?" + request.url.query
    feedback = sms_status_feedback(
        url,
        form,
        signature=request.headers.get("X-Twilio-Signature", ""),
        auth_token=settings.sms_auth_token.get_secret_value(),
        now=datetime.now(UTC),
    )
    if feedback is None:
        return FeedbackAccepted(recorded=False)
    return await apply_feedback(_client(request), feedback)


async def _tracking_hit(
    request: Request, action: TrackedAction, org_id: str, key: str, signature: str, index: int = 0
) -> tuple[FeedbackAccepted, list[str]]:
    """Verify a tracking URL and record its event once; returns the send's links too."""
    tracker = _tracker(request)
    if not tracker.verify(action, org_id, key, signature, index):
        raise FeedbackRefusedError(401, "s", "tracking signature does not match the URL")
    client = _client(request)
    REQUEST_ORG.set(org_id)

    def links() -> list[str] | None:
        with client.store.transaction() as session:
            found = session.scalars(
                select(CommunicationLog.links).where(
                    CommunicationLog.idempotency_key == key, CommunicationLog.org_id == org_id
                )
            ).one_or_none()
            return None if found is None else list(found)

    stored = await asyncio.to_thread(links)
    if stored is None:
        raise FeedbackRefusedError(404, "send", f"no send {key!r} in organisation {org_id!r}")
    event = {
        TrackedAction.CLICK: FeedbackEvent.CLICKED,
        TrackedAction.OPEN: FeedbackEvent.OPENED,
        TrackedAction.UNSUBSCRIBE: FeedbackEvent.UNSUBSCRIBED,
    }[action]
    feedback = ProviderFeedback(
        org_id=org_id,
        idempotency_key=key,
        event=event,
        source=TRACKING_SOURCE,
        # One event per send, action and link: a second click, open or unsubscribe is a repeat.
        source_event_id=f"{action.value}:{key}:{index}",
        occurred_at=datetime.now(UTC),
        link=stored[index] if action is TrackedAction.CLICK and index < len(stored) else "",
    )
    if action is TrackedAction.CLICK and index >= len(stored):
        raise FeedbackRefusedError(404, "index", f"the send has no link {index}")
    return await apply_feedback(client, feedback), stored


@router.get("/v1/t/{org_id}/{key}/click/{index}", summary="Tracked link: record and redirect")
async def tracked_click(
    org_id: OrgPath,
    key: SendKey,
    index: Annotated[int, Path(ge=0, le=99)],
    s: Signature,
    request: Request,
) -> RedirectResponse:
    """Record the click against the send and redirect to the link stored with it."""
    _, links = await _tracking_hit(request, TrackedAction.CLICK, org_id, key, s, index)
    return RedirectResponse(links[index], status_code=302)


@router.get("/v1/t/{org_id}/{key}/open", summary="Open pixel")
async def open_pixel(org_id: OrgPath, key: SendKey, s: Signature, request: Request) -> Response:
    """Record the email's open; answers a transparent 1x1 GIF."""
    await _tracking_hit(request, TrackedAction.OPEN, org_id, key, s)
    return Response(PIXEL_GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/v1/t/{org_id}/{key}/unsubscribe", summary="Unsubscribe page")
async def unsubscribe_page(
    org_id: OrgPath, key: SendKey, s: Signature, request: Request
) -> HTMLResponse:
    """A page with one button that unsubscribes (a GET never unsubscribes: link scanners)."""
    if not _tracker(request).verify(TrackedAction.UNSUBSCRIBE, org_id, key, s):
        raise FeedbackRefusedError(401, "s", "tracking signature does not match the URL")
    return HTMLResponse(
        "<html><body><form method='post'>"
        "<input type='hidden' name='List-Unsubscribe' value='One-Click'>"
        "<button type='submit'>Unsubscribe</button></form></body></html>"
    )


@router.post("/v1/t/{org_id}/{key}/unsubscribe", summary="One-click unsubscribe (RFC 8058)")
async def unsubscribe(
    org_id: OrgPath, key: SendKey, s: Signature, request: Request
) -> FeedbackAccepted:
    """Opt the customer out of the send's channel; every later send on it is suppressed.

    The body must be ``List-Unsubscribe=One-Click`` (RFC 8058).
    """
    body = (await request.body()).decode(errors="replace").strip()
    if body != ONE_CLICK_BODY:
        raise FeedbackRefusedError(422, "body", f"must be {ONE_CLICK_BODY!r} (RFC 8058)")
    accepted, _ = await _tracking_hit(request, TrackedAction.UNSUBSCRIBE, org_id, key, s)
    return accepted
