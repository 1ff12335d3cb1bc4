"""``journeys simulate --from-store``: real customers' stored events through a version.

It reports what the version would have sent and decided, and never calls a
provider nor writes to the store (the communication log above all).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from journeys.catalog import default_catalog
from journeys.cli import main
from journeys.language import Channel, FrequencyCap
from journeys.language.loading import dump_definition
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.consent import ConsentStatus, record_consent
from journeys.store.customers import upsert_customer
from journeys.store.events import record_event
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment, HumanTask
from journeys.store.tables.events import Event
from tests.support.provider_servers import HttpProviderServer, SmtpServer

ORG = "acme"
SINCE = datetime(2026, 3, 2, tzinfo=UTC)
ENTRY = "initial_setup_completed"


def store_events(store: Store, customer_id: str, events: list[tuple[str, datetime, dict]]) -> None:  # type: ignore[type-arg]
    with store.transaction() as session:
        for name, at, properties in events:
            record_event(
                session,
                org_id=ORG,
                event_id=uuid.uuid4().hex,
                customer_id=customer_id,
                name=name,
                occurred_at=at,
                properties=properties,
            )


@pytest.fixture
def real_customers(store: Store) -> Store:
    """One customer who entered onboarding and engaged (score 51); one who never entered it;
    one whose events are all before the backtest's first day."""
    entered = SINCE + timedelta(days=1, hours=10)
    with store.transaction() as session:
        upsert_customer(
            session,
            org_id=ORG,
            customer_id="engaged",
            attributes={"signup_source": "referral", "role": "Analyst", "email": "e@example.com"},
        )
        record_consent(
            session,
            org_id=ORG,
            customer_id="engaged",
            channel="sms",
            status=ConsentStatus.OPTED_IN,
            source="test",
            at=SINCE,
        )
    store_events(
        store,
        "engaged",
        [
            (ENTRY, entered, {}),
            ("login", entered, {}),
            ("feature_used", entered, {"feature": "reports"}),
            ("core_workflow_completed", entered, {}),
            ("session_ended", entered, {"duration_minutes": 16}),
        ],
    )
    store_events(store, "browsing", [("login", SINCE + timedelta(days=2), {})])
    store_events(store, "earlier", [(ENTRY, SINCE - timedelta(days=3), {})])
    return store


@pytest.fixture
def providers() -> Iterator[tuple[SmtpServer, HttpProviderServer]]:
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    yield smtp, http
    smtp.stop()
    http.stop()


def store_counts(store: Store) -> dict[str, int]:
    with store.transaction() as session:
        return {
            table.__name__: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (CommunicationLog, DecisionAudit, Enrollment, HumanTask, Event)
        }


def test_a_backtest_reports_what_a_version_would_have_done_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: JourneySettings,
    real_customers: Store,
    providers: tuple[SmtpServer, HttpProviderServer],
) -> None:
    smtp, http = providers
    for name, value in {
        "JOURNEYS_DATABASE_URL": settings.resolved_database_url,
        "JOURNEYS_EMAIL_PROVIDER": "smtp",
        "JOURNEYS_SMTP_PORT": str(smtp.port),
        "JOURNEYS_SMS_PROVIDER": "http",
        "JOURNEYS_SMS_API_BASE_URL": http.url,
        "JOURNEYS_PUSH_PROVIDER": "http",
        "JOURNEYS_PUSH_API_BASE_URL": http.url,
        "JOURNEYS_WEBHOOK_URL": http.url,
    }.items():
        monkeypatch.setenv(name, value)
    before = store_counts(real_customers)
    code = main(
        [
            "simulate",
            "journey_onboarding_v2",
            "--from-store",
            "--since",
            SINCE.date().isoformat(),
            "--org",
            ORG,
            "--json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["customers"] == 1
    assert report["not_enrolled"] == 1
    assert report["outcomes"] == {"activated": 1}
    assert report["decisions"]["day_3_engagement"] == {"high_engagement_email": 1}
    assert sum(report["sends_per_channel"].values()) == 10
    assert report["transitions"] == {"journey_active_user_nurture": 1}
    assert smtp.messages == []
    assert http.requests == []
    assert store_counts(real_customers) == before
    assert before["CommunicationLog"] == 0


def test_a_draft_backtests_too(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    settings: JourneySettings,
    real_customers: Store,
) -> None:
    """A draft (a definition file) with a one-email-a-week cap: emails held back, later."""
    draft = (
        default_catalog()
        .get("journey_onboarding_v2")
        .model_copy(
            update={
                "version": 2,
                "frequency_caps": [FrequencyCap(channel=Channel.EMAIL, limit=1)],
            }
        )
    )
    path = tmp_path / "draft.yaml"
    path.write_text(dump_definition(draft))
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", settings.resolved_database_url)
    arguments = ["--from-store", "--since", SINCE.date().isoformat(), "--org", ORG, "--json"]
    assert main(["simulate", "--compare", "journey_onboarding_v2@1", str(path), *arguments]) == 0
    first, second = json.loads(capsys.readouterr().out)["compare"]
    assert (first["journey"], second["journey"]) == (
        "journey_onboarding_v2@1",
        "journey_onboarding_v2@2",
    )
    emails = [report["sends_per_channel_per_day"]["email"] for report in (first, second)]
    assert emails[0] != emails[1]
    assert second["frequency_caps_hit"]["email"] > first["frequency_caps_hit"].get("email", 0)
