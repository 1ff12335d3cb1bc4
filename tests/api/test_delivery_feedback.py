"""Delivery feedback end to end: a real ``journeys api`` process, the dev server, a worker,
real SMTP and HTTP provider servers on loopback, and SQLite."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from activities.message_delivery import MessageDeliveryActivities
from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.client import JourneyClient, TrackedEvent
from journeys.contracts.activities import SendOutcome, SendStatus
from journeys.decisioning.customer_decisions import ChannelRequest, CustomerDecisions
from journeys.delivery.feedback_events import (
    EMAIL_EVENTS_PATH,
    SMS_STATUS_PATH,
    email_api_signature,
    sms_status_signature,
)
from journeys.language import (
    Channel,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitForEventStep,
)
from journeys.scoring.predictive_models import ModelRegistry
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.events import find_unrouted_event
from journeys.store.tables.communication import CommunicationLog, FeedbackReceipt
from journeys.store.tables.customers import Consent, Suppression
from tests.support.api_process import api_process
from tests.support.delivery import ORG, activities_for, customer, provider_settings, request
from tests.support.network import new_customer_id
from tests.support.provider_servers import HttpProviderServer, SmtpServer
from tests.support.routing import unreachable_temporal
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually

WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LWtleS1vZi10aGUtZW1haWwtYXBp"
TRACKING_SECRET = "tracking-secret-for-tests"
SMS_TOKEN = "tok"


def _journey(journey_id: str) -> JourneyDefinition:
    """Email now, wait for ``go``, then an email-only send."""
    return JourneyDefinition(
        id=journey_id,
        version=1,
        metadata=JourneyMetadata(name=journey_id),
        start="first",
        steps={
            "first": SendStep(channels=[Channel.EMAIL], template="churn_outreach", next="hold"),
            "hold": WaitForEventStep(
                events={"go": "second"}, timeout=timedelta(minutes=5), on_timeout="done"
            ),
            "second": SendStep(channels=[Channel.EMAIL], template="churn_outreach", next="done"),
            "done": ExitStep(),
        },
    )


FEEDBACK_JOURNEYS = [_journey("journey_feedback_a"), _journey("journey_feedback_b")]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http_provider() -> Iterator[HttpProviderServer]:
    server = HttpProviderServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def feedback_settings(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer, http_provider: HttpProviderServer
) -> JourneySettings:
    folder = tmp_path_factory.mktemp("feedback_api")
    base = JourneySettings(
        data_dir=folder / "data",
        task_queue=f"feedback-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{folder / 'store.db'}",
    )
    return provider_settings(
        base,
        smtp,
        http_provider,
        tracking_secret=TRACKING_SECRET,
        email_webhook_secret=WEBHOOK_SECRET,
        sms_auth_token=SMS_TOKEN,
    )


@pytest.fixture(scope="module")
def feedback_store(feedback_settings: JourneySettings) -> Iterator[Store]:
    store = Store(feedback_settings.resolved_database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def api_url(
    dev_env: WorkflowEnvironment, feedback_settings: JourneySettings, feedback_store: Store
) -> Iterator[str]:
    address = dev_env.client.service_client.config.target_host
    log = feedback_settings.data_dir.parent / "api.log"
    with api_process(
        feedback_settings,
        address,
        log,
        JOURNEYS_TRACKING_SECRET=TRACKING_SECRET,
        JOURNEYS_EMAIL_WEBHOOK_SECRET=WEBHOOK_SECRET,
        JOURNEYS_SMS_AUTH_TOKEN=SMS_TOKEN,
    ) as url:
        yield url


@pytest.fixture(scope="module")
def sender_settings(feedback_settings: JourneySettings, api_url: str) -> JourneySettings:
    """The worker's settings: tracked links point at the API process."""
    return feedback_settings.model_copy(update={"public_base_url": api_url})


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        yield client


def email_webhook(
    kind: str, key: str, *, event_id: str | None = None, **data: Any
) -> dict[str, Any]:
    """A signed email API webhook for the send ``key``: headers and body."""
    body = json.dumps(
        {
            "type": kind,
            "created_at": datetime.now(UTC).isoformat(),
            "data": {"email_id": "m1", "tags": {"org_id": ORG, "idempotency_key": key}, **data},
        }
    ).encode()
    svix_id = event_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(int(time.time()))
    return {
        "content": body,
        "headers": {
            "svix-id": svix_id,
            "svix-timestamp": stamp,
            "svix-signature": email_api_signature(WEBHOOK_SECRET, svix_id, stamp, body),
            "content-type": "application/json",
        },
    }


def sms_callback(api_url: str, key: str, status: str) -> dict[str, Any]:
    """A signed SMS status callback for the send ``key``."""
    query = urlencode({"org": ORG, "send": key})
    form = {"MessageSid": "SM1", "MessageStatus": status, "AccountSid": "AC123"}
    url = f"{api_url}{SMS_STATUS_PATH}?{query}"
    return {
        "url": url,
        "data": form,
        "headers": {"X-Twilio-Signature": sms_status_signature(SMS_TOKEN, url, form)},
    }


def send(
    delivery: MessageDeliveryActivities, customer_id: str, channel: Channel, step: str
) -> SendOutcome:
    outcome = delivery.deliver_message(request(customer_id, channel, step=step))
    assert outcome.status is SendStatus.SENT, outcome
    return outcome


def row(store: Store, key: str) -> CommunicationLog:
    with store.transaction() as session:
        return session.scalars(
            select(CommunicationLog).where(CommunicationLog.idempotency_key == key)
        ).one()


def state_of(store: Store, customer_id: str) -> tuple[int, int, int]:
    """Consent rows, suppressions and feedback receipts of the customer's sends."""
    with store.transaction() as session:
        consent = session.scalar(
            select(func.count()).select_from(Consent).where(Consent.customer_id == customer_id)
        )
        suppressed = session.scalar(
            select(func.count())
            .select_from(Suppression)
            .where(Suppression.customer_id == customer_id)
        )
        receipts = session.scalar(select(func.count()).select_from(FeedbackReceipt))
    return int(consent or 0), int(suppressed or 0), int(receipts or 0)


async def test_a_click_on_a_tracked_link_changes_the_next_channel_choice(
    http: httpx.AsyncClient,
    sender_settings: JourneySettings,
    feedback_store: Store,
    http_provider: HttpProviderServer,
) -> None:
    delivery = activities_for(feedback_store, sender_settings)
    customer_id = new_customer_id()
    customer(feedback_store, customer_id)
    send(delivery, customer_id, Channel.EMAIL, "news#1")
    sms = send(delivery, customer_id, Channel.SMS, "news#2")
    decisions = CustomerDecisions(
        feedback_store, ModelRegistry(sender_settings.data_dir / "models")
    )
    choose = ChannelRequest(org_id=ORG, customer_id=customer_id, record=False)
    assert decisions.channel(choose).channel is Channel.EMAIL

    form = next(
        parse_qs(request.body.decode())
        for request in http_provider.requests
        if request.headers.get("idempotency-key") == sms.idempotency_key
    )
    tracked = urlsplit(re.findall(r"http://\S+/v1/t/\S+", form["Body"][0])[0])
    response = await http.get(f"{tracked.path}?{tracked.query}")
    assert response.status_code == 302, response.text
    assert response.headers["location"] == "https://example.com/book-a-call"
    assert row(feedback_store, sms.idempotency_key).clicked_at is not None
    assert decisions.channel(choose).channel is Channel.SMS


async def test_an_unsubscribe_webhook_ends_sends_on_that_channel_in_every_running_journey(
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    sender_settings: JourneySettings,
    feedback_store: Store,
    smtp: SmtpServer,
) -> None:
    catalog = Catalog([*SHIPPED_JOURNEYS, *FEEDBACK_JOURNEYS])
    client: JourneyClient = journey_client(dev_env.client, feedback_store, sender_settings, catalog)
    customer_id = new_customer_id()
    customer(feedback_store, customer_id)
    async with running_worker(dev_env.client, sender_settings, feedback_store):
        started = [await client.enroll(ORG, customer_id, j.id) for j in FEEDBACK_JOURNEYS]

        def sent_keys() -> list[str]:
            with feedback_store.transaction() as session:
                return list(
                    session.scalars(
                        select(CommunicationLog.idempotency_key).where(
                            CommunicationLog.customer_id == customer_id,
                            CommunicationLog.status == SendStatus.SENT.value,
                        )
                    )
                )

        async def both_first_sends() -> bool:
            return len(sent_keys()) == 2

        await eventually(both_first_sends)
        first_key = sent_keys()[0]
        response = await http.post(
            EMAIL_EVENTS_PATH, **email_webhook("email.unsubscribed", first_key)
        )
        assert response.status_code == 200, response.text
        assert response.json()["opted_out"] is True
        assert response.json()["event"] == "email_unsubscribed"

        await client.track(TrackedEvent(org_id=ORG, customer_id=customer_id, name="go"))
        for enrollment in started:
            handle = dev_env.client.get_workflow_handle(enrollment.workflow_id)
            await handle.result()
    with feedback_store.transaction() as session:
        statuses = session.execute(
            select(CommunicationLog.journey_id, CommunicationLog.step_key, CommunicationLog.status)
            .where(CommunicationLog.customer_id == customer_id)
            .order_by(CommunicationLog.journey_id, CommunicationLog.id)
        ).all()
    assert [(journey, step, status) for journey, step, status in statuses] == [
        ("journey_feedback_a", "first#1", "sent"),
        ("journey_feedback_a", "second#1", "suppressed"),
        ("journey_feedback_b", "first#1", "sent"),
        ("journey_feedback_b", "second#1", "suppressed"),
    ]
    delivered_to = [str(message["To"]) for message in smtp.messages]
    assert delivered_to.count(f"{customer_id}@example.com") == 2


async def test_bounces_suppress_the_channel(
    http: httpx.AsyncClient, api_url: str, sender_settings: JourneySettings, feedback_store: Store
) -> None:
    delivery = activities_for(feedback_store, sender_settings)
    customer_id = new_customer_id()
    customer(feedback_store, customer_id)
    sms = send(delivery, customer_id, Channel.SMS, "bounce#1")
    email = send(delivery, customer_id, Channel.EMAIL, "bounce#2")

    pending = await http.post(**sms_callback(api_url, sms.idempotency_key, "sent"))
    assert pending.status_code == 200
    assert pending.json()["recorded"] is False
    failed = await http.post(**sms_callback(api_url, sms.idempotency_key, "failed"))
    assert failed.status_code == 200, failed.text
    assert failed.json() | {"signalled": []} == {
        "recorded": True,
        "event": "sms_bounced",
        "routed": True,
        "suppressed": True,
        "opted_out": False,
        "signalled": [],
        "exited": [],
    }
    bounced = await http.post(
        EMAIL_EVENTS_PATH,
        **email_webhook("email.bounced", email.idempotency_key, bounce={"type": "Permanent"}),
    )
    assert bounced.status_code == 200
    assert bounced.json()["suppressed"] is True

    later_sms = delivery.deliver_message(request(customer_id, Channel.SMS, step="bounce#3"))
    later_email = delivery.deliver_message(request(customer_id, Channel.EMAIL, step="bounce#4"))
    assert later_sms.status is SendStatus.SUPPRESSED
    assert later_sms.detail.endswith("bounce")
    assert later_email.status is SendStatus.SUPPRESSED


async def test_emails_carry_one_click_unsubscribe_and_an_open_pixel(
    http: httpx.AsyncClient,
    sender_settings: JourneySettings,
    feedback_store: Store,
    smtp: SmtpServer,
) -> None:
    delivery = activities_for(feedback_store, sender_settings)
    customer_id = new_customer_id()
    customer(feedback_store, customer_id)
    email = send(delivery, customer_id, Channel.EMAIL, "pixel#1")
    message = next(m for m in smtp.messages if str(m["To"]) == f"{customer_id}@example.com")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = str(message["List-Unsubscribe"]).strip("<>")
    html = next(part for part in message.walk() if part.get_content_type() == "text/html")
    pixel_url = html.get_content().split('src="', 1)[1].split('"', 1)[0]

    pixel = await http.get(pixel_url)
    assert pixel.status_code == 200
    assert pixel.headers["content-type"] == "image/gif"
    assert row(feedback_store, email.idempotency_key).opened_at is not None

    page = await http.get(unsubscribe_url)
    assert page.status_code == 200
    assert "<form" in page.text
    assert state_of(feedback_store, customer_id)[1] == 0  # a GET never unsubscribes
    wrong = await http.post(unsubscribe_url, content=b"please")
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "body"
    one_click = await http.post(
        unsubscribe_url,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert one_click.json()["opted_out"] is True
    after = delivery.deliver_message(request(customer_id, Channel.EMAIL, step="pixel#2"))
    assert after.status is SendStatus.SUPPRESSED


async def test_bad_feedback_is_refused_with_a_clear_error_and_changes_nothing(
    http: httpx.AsyncClient, api_url: str, sender_settings: JourneySettings, feedback_store: Store
) -> None:
    delivery = activities_for(feedback_store, sender_settings)
    customer_id = new_customer_id()
    customer(feedback_store, customer_id)
    email = send(delivery, customer_id, Channel.EMAIL, "bad#1")
    sms = send(delivery, customer_id, Channel.SMS, "bad#2")
    key = email.idempotency_key
    accepted = email_webhook("email.delivered", key, event_id="msg_once")
    assert (await http.post(EMAIL_EVENTS_PATH, **accepted)).status_code == 200
    before = state_of(feedback_store, customer_id)

    async def refused(response_call: Any, status: int, field: str) -> None:
        response = await response_call
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["field"] == field, error
        assert error["message"].startswith(field), error
        assert state_of(feedback_store, customer_id) == before

    forged = email_webhook("email.complained", key)
    forged["headers"]["svix-signature"] = "v1,bm90IHRoZSBzaWduYXR1cmU="
    await refused(http.post(EMAIL_EVENTS_PATH, **forged), 401, "svix-signature")
    unsigned = email_webhook("email.complained", key)
    del unsigned["headers"]["svix-signature"]
    await refused(http.post(EMAIL_EVENTS_PATH, **unsigned), 401, "svix-signature")
    stale = email_webhook("email.complained", key)
    body = stale["content"]
    old = str(int(time.time()) - 3600)
    stale["headers"]["svix-timestamp"] = old
    stale["headers"]["svix-signature"] = email_api_signature(
        WEBHOOK_SECRET, stale["headers"]["svix-id"], old, body
    )
    await refused(http.post(EMAIL_EVENTS_PATH, **stale), 401, "svix-timestamp")
    replayed = await http.post(EMAIL_EVENTS_PATH, **accepted)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["recorded"] is False
    assert state_of(feedback_store, customer_id) == before
    unknown = email_webhook("email.complained", "0" * 64)
    await refused(http.post(EMAIL_EVENTS_PATH, **unknown), 404, "send")
    nonsense = email_webhook("email.exploded", key)
    await refused(http.post(EMAIL_EVENTS_PATH, **nonsense), 422, "type")

    callback = sms_callback(api_url, sms.idempotency_key, "failed")
    callback["headers"]["X-Twilio-Signature"] = "AAAA"
    await refused(http.post(**callback), 401, "X-Twilio-Signature")
    tampered = sms_callback(api_url, sms.idempotency_key, "failed")
    tampered["data"] = {**tampered["data"], "MessageStatus": "delivered"}
    await refused(http.post(**tampered), 401, "X-Twilio-Signature")

    forged_click = f"/v1/t/{ORG}/{key}/click/0?s={'0' * 32}"
    await refused(http.get(forged_click), 401, "s")
    forged_unsubscribe = f"/v1/t/{ORG}/{key}/unsubscribe?s={'0' * 32}"
    await refused(http.post(forged_unsubscribe, content=b"List-Unsubscribe=One-Click"), 401, "s")
    assert row(feedback_store, key).clicked_at is None


async def test_feedback_routes_the_customers_earlier_unrouted_event_before_its_own(
    dev_env: WorkflowEnvironment,
    http: httpx.AsyncClient,
    sender_settings: JourneySettings,
    feedback_store: Store,
) -> None:
    """An event of the customer left unrouted (a 503 nobody retried) is routed by the
    next feedback, ahead of the feedback's own event, as ``track`` does."""
    delivery = activities_for(feedback_store, sender_settings)
    customer_id = new_customer_id()
    customer(feedback_store, customer_id)
    sent = send(delivery, customer_id, Channel.EMAIL, "news#order")
    start = TrackedEvent(
        org_id=ORG, customer_id=customer_id, name="demo_started", event_id=f"s-{customer_id}"
    )
    down = journey_client(await unreachable_temporal(), feedback_store, sender_settings)
    with pytest.raises(RuntimeError, match="Failed client connect"):
        await down.track(start)
    with feedback_store.transaction() as session:
        assert find_unrouted_event(session, org_id=ORG, event_id=start.event_id) is not None

    response = await http.post(
        EMAIL_EVENTS_PATH, **email_webhook("email.opened", sent.idempotency_key)
    )
    assert response.status_code == 200, response.text
    with feedback_store.transaction() as session:
        assert find_unrouted_event(session, org_id=ORG, event_id=start.event_id) is None
    enrollment = dev_env.client.get_workflow_handle(f"journey:{ORG}:demo_tour:{customer_id}")
    await enrollment.terminate("test over")
