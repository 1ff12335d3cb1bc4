"""The send activity against real providers on loopback: SMTP (aiosmtpd) and HTTP servers."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import ApplicationError

from activities.human_tasks import HumanTaskActivities
from activities.ops_alerts import OpsAlerts
from activities.providers.http_channels import SIGNATURE_HEADER, TIMESTAMP_HEADER
from journeys.contracts.activities import HumanTaskRequest, SendStatus
from journeys.errors import (
    INVALID_INPUT_ERROR_TYPE,
    INVALID_TIME_ZONE_ERROR_TYPE,
    PERMANENT_DELIVERY_ERROR_TYPE,
    TRANSIENT_DELIVERY_ERROR_TYPE,
    InvalidInputError,
)
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.communication_log import customer_sends, send_idempotency_key
from journeys.store.consent import ALL_CHANNELS, ConsentStatus, record_consent
from journeys.store.customers import upsert_customer
from journeys.store.delivery_feedback import apply_delivery_feedback
from journeys.store.inbox import list_inbox, mark_inbox_message
from journeys.store.send_slots import (
    SendContent,
    decide_send,
    lock_customer_sends,
    record_provider_outcome,
)
from journeys.store.tables.communication import CommunicationLog, InboxMessage, ProviderAttempt
from journeys.store.tables.customers import Customer
from tests.support.delivery import ORG, SECRET, activities_for, customer, provider_settings, request
from tests.support.provider_servers import Behaviour, HttpProviderServer, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def http() -> Iterator[HttpProviderServer]:
    server = HttpProviderServer().start()
    yield server
    server.stop()


def log_row(store: Store, key: str) -> CommunicationLog:
    with store.transaction() as session:
        return session.scalars(
            select(CommunicationLog).where(CommunicationLog.idempotency_key == key)
        ).one()


def test_every_channel_happy_path_and_retries_never_resend(store, settings, smtp, http):
    config = provider_settings(settings, smtp, http)
    delivery = activities_for(store, config)
    customer(store, "c1")
    outcomes = {
        channel: delivery.deliver_message(request("c1", channel))
        for channel in (Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.WEBHOOK, Channel.IN_APP)
    }
    assert {channel: o.status for channel, o in outcomes.items()} == {
        channel: SendStatus.SENT for channel in outcomes
    }

    email_key = outcomes[Channel.EMAIL].idempotency_key
    [email] = smtp.messages
    assert email["Message-ID"] == f"<{email_key}@journeys.local>"
    assert email["To"] == "c1@example.com"
    assert "Hi Ada, I noticed your usage dropped 40% this month." in email.get_content()

    by_path = {recorded.path: recorded for recorded in http.requests}
    sms = by_path["/2010-04-01/Accounts/AC123/Messages.json"]
    assert sms.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    form = parse_qs(sms.body.decode())
    assert form["To"] == ["+15551234567"]
    assert form["From"] == ["+15550000000"]
    assert sms.headers["idempotency-key"] == outcomes[Channel.SMS].idempotency_key

    push = by_path["/v1/projects/proj/messages:send"]
    assert push.headers["authorization"] == "Bearer push-token"
    assert push.json()["message"]["token"] == "device-c1"
    assert push.json()["message"]["notification"]["title"] == "Ada, a quick check-in"

    hook = by_path["/hooks/journeys"]
    signed = hook.headers[TIMESTAMP_HEADER.lower()].encode() + b"." + hook.body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hook.headers[SIGNATURE_HEADER.lower()] == f"sha256={expected}"
    assert hook.json()["links"] == ["https://example.com/book-a-call"]

    with store.transaction() as session:
        [inbox] = list_inbox(session, org_id=ORG, customer_id="c1")
        assert inbox.read_at is None
        assert inbox.subject == "Ada, a quick check-in"
        acknowledged = mark_inbox_message(
            session, org_id=ORG, customer_id="c1", message_id=inbox.id, acknowledge=True
        )
        assert acknowledged.read_at is not None
        assert acknowledged.acknowledged_at is not None
        assert list_inbox(session, org_id=ORG, customer_id="c1", unread_only=True) == []
        with pytest.raises(InvalidInputError, match="message_id"):
            mark_inbox_message(session, org_id=ORG, customer_id="c1", message_id=9999)
        with pytest.raises(InvalidInputError, match="limit"):
            list_inbox(session, org_id=ORG, customer_id="c1", limit=0)

    row = log_row(store, email_key)
    assert row.status == "sent"
    assert row.subject == "Ada, a quick check-in"
    assert row.links == ["https://example.com/book-a-call"]
    assert row.content_source == "personalised"

    again = {channel: delivery.deliver_message(request("c1", channel)) for channel in outcomes}
    assert all(o.duplicate and o.status is SendStatus.SENT for o in again.values())
    assert len(smtp.messages) == 1
    assert len(http.requests) == 3
    assert delivery.metrics.value("sends", "email", "sent") == 1


def test_email_over_http_api_carries_message_id_and_idempotency_key(store, settings, smtp, http):
    config = provider_settings(
        settings, smtp, http, email_provider="http", email_api_url=http.url + "/v3/mail/send"
    )
    customer(store, "c2")
    outcome = activities_for(store, config).deliver_message(request("c2", Channel.EMAIL))
    assert outcome.status is SendStatus.SENT
    [sent] = http.requests
    assert sent.path == "/v3/mail/send"
    assert sent.json()["to"] == ["c2@example.com"]
    assert sent.json()["headers"]["Message-ID"] == f"<{outcome.idempotency_key}@journeys.local>"
    assert sent.headers["idempotency-key"] == outcome.idempotency_key


def test_opt_out_between_scheduling_and_sending_is_honoured_across_journeys(
    store, settings, smtp, http
):
    config = provider_settings(settings, smtp, http)
    delivery = activities_for(store, config)
    customer(store, "c3")
    scheduled = [
        request("c3", Channel.EMAIL, journey_id="churn"),
        request("c3", Channel.PUSH, journey_id="onboarding", enrollment_id="other-enrollment"),
    ]
    with store.transaction() as session:
        record_consent(
            session,
            org_id=ORG,
            customer_id="c3",
            channel=ALL_CHANNELS,
            status=ConsentStatus.OPTED_OUT,
            source="preference centre",
            at=datetime.now(UTC),
        )
    outcomes = [delivery.deliver_message(item) for item in scheduled]
    assert [o.status for o in outcomes] == [SendStatus.SUPPRESSED, SendStatus.SUPPRESSED]
    assert smtp.messages == []
    assert http.requests == []
    assert log_row(store, outcomes[0].idempotency_key).detail == "opted out"


def test_sms_needs_explicit_opt_in(store, settings, smtp, http):
    customer(store, "c4", sms_opt_in=False)
    outcome = activities_for(store, provider_settings(settings, smtp, http)).deliver_message(
        request("c4", Channel.SMS)
    )
    assert outcome.status is SendStatus.SUPPRESSED
    assert outcome.detail == "no explicit opt-in for sms"
    assert http.requests == []


def test_failures_are_classified_and_retry_after_is_honoured(store, settings, smtp, http):
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    customer(store, "c5")
    http.script.extend([Behaviour(503), Behaviour(429, {"Retry-After": "7"})])
    for expected_delay in (None, timedelta(seconds=7)):
        with pytest.raises(ApplicationError) as failure:
            delivery.deliver_message(request("c5", Channel.PUSH))
        assert failure.value.type == TRANSIENT_DELIVERY_ERROR_TYPE
        assert not failure.value.non_retryable
        assert failure.value.next_retry_delay == expected_delay
    sent = delivery.deliver_message(request("c5", Channel.PUSH))
    assert sent.status is SendStatus.SENT
    assert len(http.requests) == 1
    with store.transaction() as session:
        attempts = session.scalars(
            select(ProviderAttempt.outcome)
            .where(ProviderAttempt.idempotency_key == sent.idempotency_key)
            .order_by(ProviderAttempt.id)
        ).all()
    assert attempts == ["retrying", "retrying", "sent"]

    http.script.append(Behaviour(400))
    with pytest.raises(ApplicationError) as permanent:
        delivery.deliver_message(request("c5", Channel.WEBHOOK))
    assert permanent.value.type == PERMANENT_DELIVERY_ERROR_TYPE
    assert permanent.value.non_retryable
    failed = log_row(store, send_idempotency_key(request("c5", Channel.WEBHOOK)))
    assert failed.status == "failed"
    assert failed.slot_at is None

    smtp.refused.add("c5@example.com")
    with pytest.raises(ApplicationError) as bounced:
        delivery.deliver_message(request("c5", Channel.EMAIL))
    assert bounced.value.non_retryable
    assert "550" in str(bounced.value)

    customer(store, "c6")
    smtp.failures_left = 1
    with pytest.raises(ApplicationError) as greylisted:
        delivery.deliver_message(request("c6", Channel.EMAIL))
    assert not greylisted.value.non_retryable
    assert "451" in str(greylisted.value)
    assert delivery.deliver_message(request("c6", Channel.EMAIL)).status is SendStatus.SENT

    with pytest.raises(ApplicationError) as no_template:
        delivery.deliver_message(request("c6", Channel.PUSH, template="nope"))
    assert no_template.value.type == INVALID_INPUT_ERROR_TYPE


def test_missing_address_fails_permanently(store, settings, smtp, http):
    with store.transaction() as session:
        upsert_customer(session, org_id=ORG, customer_id="noaddr", attributes={})
    with pytest.raises(ApplicationError, match="no push_token") as failure:
        activities_for(store, provider_settings(settings, smtp, http)).deliver_message(
            request("noaddr", Channel.PUSH)
        )
    assert failure.value.non_retryable


def test_timeout_after_sending_is_unknown_alerted_and_never_resent(store, settings, smtp, http):
    alerts_server = HttpProviderServer().start()
    try:
        config = provider_settings(
            settings, smtp, http, ops_alert_webhook_url=alerts_server.url + "/slack"
        )
        delivery = activities_for(store, config)
        customer(store, "c7")
        http.script.append(Behaviour(200, hang=1.5))
        outcome = delivery.deliver_message(request("c7", Channel.PUSH))
        assert outcome.status is SendStatus.UNKNOWN
        again = delivery.deliver_message(request("c7", Channel.PUSH))
        assert again.status is SendStatus.UNKNOWN
        assert again.duplicate
        [alert] = alerts_server.requests
        assert "send_outcome_unknown" in alert.json()["text"]
        assert delivery.metrics.value("sends", "push", "unknown") == 1
    finally:
        alerts_server.stop()


def test_crash_between_reservation_and_record(store, settings, smtp, http):
    """An attempt that died after reserving leaves ``reserved``: unknown, unless the provider
    de-duplicates by key (in-app), in which case it is sent again safely, once."""
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    customer(store, "c8")
    for channel in (Channel.SMS, Channel.IN_APP):
        crashed = request("c8", channel)
        with store.transaction() as session:
            decide_send(
                session,
                crashed,
                customer=lock_customer_sends(session, org_id=crashed.org_id, customer_id="c8"),
                key=send_idempotency_key(crashed),
                content=SendContent(subject="s", body="b"),
                caps=[],
                quiet_hours=None,
                resend_in_doubt=False,
                now=datetime.now(UTC),
            )
    sms = delivery.deliver_message(request("c8", Channel.SMS))
    assert sms.status is SendStatus.UNKNOWN
    assert http.requests == []
    # The interrupted attempt's late answer: a retryable error leaves it unknown,
    # a definite one corrects the record.
    for late, expected in (("retrying", "unknown"), ("sent", "sent")):
        with store.transaction() as session:
            record_provider_outcome(
                session,
                key=sms.idempotency_key,
                status=late,
                detail="late",
                provider="sms_api",
                now=datetime.now(UTC),
            )
        assert log_row(store, sms.idempotency_key).status == expected
    in_app = delivery.deliver_message(request("c8", Channel.IN_APP))
    assert in_app.status is SendStatus.SENT
    with store.transaction() as session:
        assert len(list_inbox(session, org_id=ORG, customer_id="c8")) == 1


def test_in_app_delivery_commits_with_its_decision_or_not_at_all(store, settings, smtp, http):
    """The inbox write joins the decision's transaction: when the inbox refuses the
    message, no reservation is left behind (no ``reserved`` row, no cap slot), and
    the retry delivers it once."""
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    customer(store, "c12")
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER inbox_down BEFORE INSERT ON inbox_messages"
            " BEGIN SELECT RAISE(ABORT, 'inbox down'); END"
        )
    send = request("c12", Channel.IN_APP)
    key = send_idempotency_key(send)
    with pytest.raises(IntegrityError, match="inbox down"):
        delivery.deliver_message(send)
    with store.transaction() as session:
        assert (
            session.scalars(
                select(CommunicationLog).where(CommunicationLog.idempotency_key == key)
            ).all()
            == []
        )
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER inbox_down")
    outcome = delivery.deliver_message(send)
    again = delivery.deliver_message(send)
    assert (outcome.status, again.status, again.duplicate) == (
        SendStatus.SENT,
        SendStatus.SENT,
        True,
    )
    assert log_row(store, key).status == SendStatus.SENT.value
    with store.transaction() as session:
        inbox = session.scalars(
            select(InboxMessage).where(InboxMessage.idempotency_key == key)
        ).all()
    assert len(inbox) == 1


OPERATOR_CAPS_JSON = (
    '[{"channel": "email", "limit": 2, "window": "P7D"},'
    ' {"channel": null, "limit": 8, "window": "P7D"}]'
)
"""The operator caps example of the settings' documentation."""


def test_global_caps_are_empty_by_default_and_read_from_the_documented_example(monkeypatch):
    assert JourneySettings().delivery_frequency_caps == []
    monkeypatch.setenv("JOURNEYS_DELIVERY_FREQUENCY_CAPS", OPERATOR_CAPS_JSON)
    assert JourneySettings().delivery_frequency_caps == [
        FrequencyCap(channel=Channel.EMAIL, limit=2, window=timedelta(days=7)),
        FrequencyCap(channel=None, limit=8, window=timedelta(days=7)),
    ]


def operator_capped(settings: JourneySettings, smtp, http) -> JourneySettings:
    """Provider settings with an operator cap of 2 emails a week."""
    return provider_settings(
        settings,
        smtp,
        http,
        delivery_frequency_caps=[{"channel": "email", "limit": 2, "window": "P7D"}],
    )


def test_caps_hold_across_journeys_and_report_when_the_window_frees(store, settings, smtp, http):
    start = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    now = [start]
    delivery = activities_for(store, operator_capped(settings, smtp, http), clock=lambda: now[0])
    customer(store, "c9")
    first = delivery.deliver_message(request("c9", Channel.EMAIL, journey_id="a"))
    now[0] = start + timedelta(days=1)
    second = delivery.deliver_message(
        request("c9", Channel.EMAIL, journey_id="b", enrollment_id="enr-b")
    )
    now[0] = start + timedelta(days=2)
    third = delivery.deliver_message(
        request("c9", Channel.EMAIL, journey_id="c", enrollment_id="enr-c")
    )
    assert [first.status, second.status, third.status] == [
        SendStatus.SENT,
        SendStatus.SENT,
        SendStatus.CAPPED,
    ]
    assert third.retry_at == start + timedelta(days=7)
    tight = request(
        "c9",
        Channel.PUSH,
        enrollment_id="enr-d",
        frequency_caps=[FrequencyCap(channel=None, limit=2, window=timedelta(days=3))],
    )
    assert delivery.deliver_message(tight).status is SendStatus.CAPPED
    now[0] = start + timedelta(days=7)
    retried = delivery.deliver_message(
        request("c9", Channel.EMAIL, journey_id="c", enrollment_id="enr-c")
    )
    assert retried.status is SendStatus.SENT
    assert len(smtp.messages) == 3


def test_transactional_sends_are_exempt_from_caps_and_hold_no_slot(store, settings, smtp, http):
    start = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    now = [start]
    delivery = activities_for(store, operator_capped(settings, smtp, http), clock=lambda: now[0])
    customer(store, "c11")
    receipts = [
        delivery.deliver_message(
            request("c11", Channel.EMAIL, step=f"receipt#{n}", transactional=True)
        )
        for n in range(3)
    ]
    assert [r.status for r in receipts] == [SendStatus.SENT] * 3
    assert all(log_row(store, r.idempotency_key).slot_at is None for r in receipts)
    marketing = [
        delivery.deliver_message(request("c11", Channel.EMAIL, step=f"news#{n}")) for n in range(3)
    ]
    assert [m.status for m in marketing] == [SendStatus.SENT, SendStatus.SENT, SendStatus.CAPPED]
    late_receipt = delivery.deliver_message(
        request("c11", Channel.EMAIL, step="receipt#4", transactional=True)
    )
    assert late_receipt.status is SendStatus.SENT
    assert len(smtp.messages) == 6


def test_quiet_hours_defer_until_morning_in_the_customer_time_zone(store, settings, smtp, http):
    evening_utc = datetime(2026, 2, 2, 13, 0, tzinfo=UTC)  # 22:00 in Tokyo
    now = [evening_utc]
    delivery = activities_for(store, provider_settings(settings, smtp, http), clock=lambda: now[0])
    customer(store, "tokyo", tz="Asia/Tokyo")
    customer(store, "paris", tz="Europe/Paris")
    quiet = QuietHours()
    deferred = delivery.deliver_message(request("tokyo", Channel.EMAIL, quiet_hours=quiet))
    assert deferred.status is SendStatus.DEFERRED
    assert deferred.retry_at == datetime(2026, 2, 2, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo
    assert (
        delivery.deliver_message(request("paris", Channel.EMAIL, quiet_hours=quiet)).status
        is SendStatus.SENT
    )
    now[0] = deferred.retry_at
    later = delivery.deliver_message(request("tokyo", Channel.EMAIL, quiet_hours=quiet))
    assert later.status is SendStatus.SENT
    assert not later.duplicate
    assert sorted(m["To"] for m in smtp.messages) == ["paris@example.com", "tokyo@example.com"]


def test_a_stored_zone_that_is_not_one_fails_the_send_once_named(store, settings, smtp, http):
    """A zone stored before zones were checked: a non-retryable failure, no provider call."""
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    customer(store, "lost")
    with store.transaction() as session:
        session.execute(
            update(Customer).where(Customer.customer_id == "lost").values(timezone="Mars/Base")
        )
    with pytest.raises(ApplicationError) as failure:
        delivery.deliver_message(request("lost", Channel.EMAIL, quiet_hours=QuietHours()))
    assert failure.value.type == INVALID_TIME_ZONE_ERROR_TYPE
    assert failure.value.non_retryable
    assert failure.value.message == (
        "customer 'lost' timezone: unknown IANA time zone 'Mars/Base' (e.g. Europe/Paris)"
    )
    assert smtp.messages == []


def test_delivery_feedback_updates_suppression_consent_and_the_log(store, settings, smtp, http):
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    customer(store, "c10")
    sent = delivery.deliver_message(request("c10", Channel.EMAIL))
    with store.transaction() as session:
        opened = apply_delivery_feedback(
            session, ORG, "c10", "message_opened", {"idempotency_key": sent.idempotency_key}
        )
        assert opened is not None
        assert opened.stamped_send
        bounced = apply_delivery_feedback(
            session, ORG, "c10", "message_bounced", {"channel": "email", "bounce_type": "hard"}
        )
        assert bounced is not None
        assert bounced.suppressed
        assert apply_delivery_feedback(session, ORG, "c10", "page_viewed", {}) is None
        with pytest.raises(InvalidInputError, match=r"properties\.channel"):
            apply_delivery_feedback(session, ORG, "c10", "message_bounced", {"channel": "fax"})
    assert log_row(store, sent.idempotency_key).opened_at is not None
    after_bounce = delivery.deliver_message(request("c10", Channel.EMAIL, step="next#1"))
    assert after_bounce.status is SendStatus.SUPPRESSED
    assert after_bounce.detail.endswith("bounce")
    with store.transaction() as session:
        effect = apply_delivery_feedback(
            session, ORG, "c10", "message_unsubscribed", {"channel": "all"}
        )
        assert effect is not None
        assert effect.global_opt_out
    assert delivery.deliver_message(request("c10", Channel.PUSH)).status is SendStatus.SUPPRESSED


def test_ops_alerts_are_rate_limited_per_kind_and_channel(http):
    ticks = [0.0]
    alerts = OpsAlerts(http.url + "/slack", interval_seconds=60, clock=lambda: ticks[0])
    assert alerts.alert("provider_failing", "sms", "503")
    assert not alerts.alert("provider_failing", "sms", "503 again")
    assert alerts.alert("provider_failing", "push", "503")
    ticks[0] = 61.0
    assert alerts.alert("provider_failing", "sms", "still 503")
    assert len(http.requests) == 3


def test_human_task_is_created_once_per_step_visit(store):
    tasks = HumanTaskActivities(store)
    task = HumanTaskRequest(
        org_id=ORG,
        customer_id="c11",
        journey_id="churn",
        workflow_id="wf",
        enrollment_id="enr",
        task_key="csm_call#1",
        kind="csm_call",
        title="Call Ada about declining usage",
        owner="csm@acme.test",
        due_at=datetime(2026, 5, 5, 9, 0, tzinfo=UTC),
    )
    first = tasks.create_human_task(task)
    second = tasks.create_human_task(task)
    assert not first.duplicate
    assert second.duplicate
    assert first.task_id == second.task_id


def test_customer_sends_lists_the_log_and_refuses_a_bad_limit(store, settings, smtp, http):
    customer(store, "c12")
    activities_for(store, provider_settings(settings, smtp, http)).deliver_message(
        request("c12", Channel.EMAIL)
    )
    with store.transaction() as session:
        [row] = customer_sends(session, org_id=ORG, customer_id="c12")
        assert row.status == "sent"
        assert row.subject == "Ada, a quick check-in"
        with pytest.raises(InvalidInputError, match="limit"):
            customer_sends(session, org_id=ORG, customer_id="c12", limit=0)


def test_smtp_with_starttls_and_auth(tmp_path):
    import ssl
    import subprocess

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from activities.providers import OutgoingMessage, SmtpEmailProvider
    from tests.support.network import free_port

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((session.authenticated, envelope.content))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"mailer", b"pw"))

    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        message = OutgoingMessage(
            org_id=ORG,
            customer_id="tls",
            channel=Channel.EMAIL,
            template="t",
            subject="Hello",
            body="Body",
            idempotency_key="k" * 64,
            to="tls@example.com",
        )

        def provider(password: str) -> SmtpEmailProvider:
            return SmtpEmailProvider(
                host="127.0.0.1",
                port=port,
                sender="journeys@example.com",
                message_id_domain="example.com",
                timeout=5,
                starttls=True,
                username="mailer",
                password=password,
                tls_context=ssl.create_default_context(cafile=str(cert)),
            )

        receipt = provider("pw").deliver(message)
        assert receipt.provider_message_id == f"<{'k' * 64}@example.com>"
        assert len(received) == 1
        assert received[0][0]
    finally:
        controller.stop()


def test_markup_in_customer_data_is_escaped_in_the_inbox_and_plain_in_email(
    store, settings, smtp, http
):
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    customer(store, "c20")
    markup = "<img src=x onerror=alert(1)>"
    with store.transaction() as session:
        upsert_customer(session, org_id=ORG, customer_id="c20", attributes={"first_name": markup})
    assert delivery.deliver_message(request("c20", Channel.IN_APP)).status is SendStatus.SENT
    assert delivery.deliver_message(request("c20", Channel.EMAIL)).status is SendStatus.SENT
    with store.transaction() as session:
        [message] = session.scalars(
            select(InboxMessage).where(InboxMessage.customer_id == "c20")
        ).all()
    assert "<img" not in message.body
    assert "<img" not in message.subject
    assert message.body.startswith("Hi &lt;img src=x onerror=alert(1)&gt;, I noticed")
    [email] = smtp.messages
    assert email.get_content().startswith(f"Hi {markup}, I noticed")
