"""The HTTP API over a real ``journeys api`` process, the dev server, a worker and SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.common import TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from journeys.catalog.configured import configured_catalog
from journeys.contracts import search_attributes
from journeys.contracts.enrollment import INTERPRETER_REVISION, EnrollmentInput
from journeys.errors import InvalidInputError
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.customers import Customer
from journeys.store.tables.events import Event
from journeys.store.tenancy import disable_api_key, find_api_key
from tests.support.api_process import api_process, issue_key
from tests.support.network import new_customer_id
from tests.support.temporal import running_worker
from tests.support.waiting import eventually
from workflows.journey_workflow import JourneyWorkflow

JSON = dict[str, Any]


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> JourneySettings:
    folder = tmp_path_factory.mktemp("http_api")
    return JourneySettings(
        data_dir=folder / "data",
        task_queue=f"api-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{folder / 'store.db'}",
        api_max_body_bytes=20_000,
        api_max_batch_events=5,
    )


@pytest.fixture(scope="module")
def api_store(api_settings: JourneySettings) -> Iterator[Store]:
    store = Store(api_settings.resolved_database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture(scope="module")
async def base_url(
    dev_env: WorkflowEnvironment, api_settings: JourneySettings, api_store: Store
) -> AsyncIterator[str]:
    address = dev_env.client.service_client.config.target_host
    log = api_settings.data_dir.parent / "api.log"
    with api_process(
        api_settings,
        address,
        log,
        JOURNEYS_API_MAX_BODY_BYTES=str(api_settings.api_max_body_bytes),
        JOURNEYS_API_MAX_BATCH_EVENTS=str(api_settings.api_max_batch_events),
    ) as url:
        async with running_worker(dev_env.client, api_settings, api_store):
            yield url


@pytest.fixture(scope="module")
def acme_key(api_store: Store) -> str:
    return issue_key(api_store, "acme")


@pytest.fixture(scope="module")
def globex_key(api_store: Store) -> str:
    return issue_key(api_store, "globex")


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def stored_events(store: Store, org_id: str, customer_id: str) -> int:
    with store.transaction() as session:
        return int(
            session.scalar(
                select(func.count()).where(Event.org_id == org_id, Event.customer_id == customer_id)
            )
            or 0
        )


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> JSON:
    assert response.status_code == status, response.text
    body: JSON = response.json()
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    if field is not None:
        assert body["error"]["field"] == field, body
        assert body["error"]["message"].startswith(field), body
    return body


async def test_keys_are_required_and_bound_to_their_organisation(
    http: httpx.AsyncClient, api_store: Store, acme_key: str
) -> None:
    event = {"customer_id": new_customer_id(), "name": "page_viewed"}
    assert_error(await http.post("/v1/track", json=event), 401)
    assert_error(await http.post("/v1/track", json=event, headers=auth("jk_nonsense")), 401)
    forged = acme_key[:-4] + "AAAA"
    assert_error(await http.post("/v1/track", json=event, headers=auth(forged)), 401)

    bearer = await http.post(
        "/v1/track", json=event, headers={"Authorization": f"Bearer {acme_key}"}
    )
    assert bearer.status_code == 200, bearer.text

    other_org = {**event, "org_id": "globex"}
    assert_error(
        await http.post("/v1/track", json=other_org, headers=auth(acme_key)), 403, "org_id"
    )

    disabled = issue_key(api_store, "acme")
    with api_store.transaction() as session:
        info = find_api_key(session, disabled)
        assert info is not None
        assert info.org_id == "acme"
        disable_api_key(session, info.key_id)
    assert_error(await http.post("/v1/track", json=event, headers=auth(disabled)), 403)
    with api_store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) is not None


async def test_request_ids_are_echoed_or_generated(http: httpx.AsyncClient) -> None:
    mine = await http.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert mine.headers["x-request-id"] == "trace-42"
    generated = await http.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


async def test_an_event_no_journey_listens_to_is_stored_once(
    http: httpx.AsyncClient, api_store: Store, acme_key: str
) -> None:
    who = new_customer_id()
    event = {"customer_id": who, "name": "page_viewed", "event_id": f"ev-{who}"}
    first = await http.post("/v1/track", json=event, headers=auth(acme_key))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "event_id": f"ev-{who}",
        "stored": True,
        "enrolled": [],
        "signalled": [],
        "skipped": [],
    }
    again = await http.post("/v1/track", json=event, headers=auth(acme_key))
    assert again.status_code == 200
    assert again.json()["stored"] is False
    assert stored_events(api_store, "acme", who) == 1


async def test_a_lifecycle_stage_property_moves_the_customer(
    http: httpx.AsyncClient, api_store: Store, acme_key: str
) -> None:
    who = new_customer_id()
    event = {
        "customer_id": who,
        "name": "plan_upgraded",
        "properties": {"lifecycle_stage": "growth"},
    }
    assert (await http.post("/v1/track", json=event, headers=auth(acme_key))).status_code == 200
    with api_store.transaction() as session:
        stage = session.scalar(
            select(Customer.lifecycle_stage).where(
                Customer.org_id == "acme", Customer.customer_id == who
            )
        )
    assert stage == "growth"


async def test_bad_events_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, api_store: Store, acme_key: str, api_settings: JourneySettings
) -> None:
    who = new_customer_id()
    headers = auth(acme_key)
    missing = await http.post("/v1/track", json={"customer_id": who}, headers=headers)
    assert_error(missing, 422, "body.name")
    wrong_type = {"customer_id": who, "name": "x_done", "properties": ["a"]}
    assert_error(
        await http.post("/v1/track", json=wrong_type, headers=headers), 422, "body.properties"
    )
    bad_name = {"customer_id": who, "name": "Has Spaces"}
    assert_error(await http.post("/v1/track", json=bad_name, headers=headers), 422, "body.name")
    unknown_field = {"customer_id": who, "name": "x_done", "colour": "red"}
    assert_error(
        await http.post("/v1/track", json=unknown_field, headers=headers), 422, "body.colour"
    )
    naive = {"customer_id": who, "name": "x_done", "occurred_at": "2026-01-01T09:00:00"}
    assert_error(await http.post("/v1/track", json=naive, headers=headers), 422, "body.occurred_at")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    ahead = {"customer_id": who, "name": "x_done", "occurred_at": future}
    assert_error(await http.post("/v1/track", json=ahead, headers=headers), 422, "body.occurred_at")
    not_json = await http.post(
        "/v1/track", content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert_error(not_json, 422)
    huge = {"customer_id": who, "name": "x_done", "properties": {"blob": "x" * 30_000}}
    assert_error(await http.post("/v1/track", json=huge, headers=headers), 413, None)

    half_bad = {
        "events": [
            {"customer_id": who, "name": "x_done"},
            {"customer_id": who, "name": "NOT VALID"},
        ]
    }
    assert_error(
        await http.post("/v1/batch", json=half_bad, headers=headers), 422, "body.events[1].name"
    )
    late = {
        "events": [
            {"customer_id": who, "name": "x_done"},
            {"customer_id": who, "name": "x_done", "occurred_at": future},
        ]
    }
    assert_error(
        await http.post("/v1/batch", json=late, headers=headers), 422, "body.events[1].occurred_at"
    )
    too_many = {"events": [{"customer_id": who, "name": "x_done"}] * 6}
    assert_error(await http.post("/v1/batch", json=too_many, headers=headers), 422, "body.events")
    assert stored_events(api_store, "acme", who) == 0


async def test_a_batch_stores_all_and_reports_duplicates(
    http: httpx.AsyncClient, api_store: Store, acme_key: str
) -> None:
    who = new_customer_id()
    events = [{"customer_id": who, "name": "x_done", "event_id": f"{who}-{n}"} for n in range(3)]
    answer = await http.post("/v1/batch", json={"events": events}, headers=auth(acme_key))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["stored"], answer.json()["duplicates"]) == (3, 0)
    again = await http.post("/v1/batch", json={"events": events[1:]}, headers=auth(acme_key))
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 2)
    assert stored_events(api_store, "acme", who) == 3


async def test_identify_validates_and_merges_the_profile(
    http: httpx.AsyncClient, acme_key: str
) -> None:
    who = new_customer_id()
    first = await http.post(
        "/v1/identify",
        json={"customer_id": who, "attributes": {"plan": "pro"}, "timezone": "Europe/Paris"},
        headers=auth(acme_key),
    )
    assert first.status_code == 200, first.text
    second = await http.post(
        "/v1/identify",
        json={"customer_id": who, "attributes": {"first_name": "Ada"}},
        headers=auth(acme_key),
    )
    assert second.json()["attributes"] == {"plan": "pro", "first_name": "Ada"}
    assert second.json()["timezone"] == "Europe/Paris"
    bad = await http.post(
        "/v1/identify",
        json={"customer_id": who, "timezone": "Mars/Olympus"},
        headers=auth(acme_key),
    )
    assert_error(bad, 422, "body.timezone")


async def test_enrollments_start_list_show_and_exit(
    http: httpx.AsyncClient, acme_key: str, globex_key: str
) -> None:
    who = new_customer_id()
    headers = auth(acme_key)
    started = await http.post(
        "/v1/enrollments", json={"customer_id": who, "journey_id": "demo_tour"}, headers=headers
    )
    assert started.status_code == 201, started.text
    workflow_id = started.json()["workflow_id"]
    assert workflow_id == f"journey:acme:demo_tour:{who}"
    again = await http.post(
        "/v1/enrollments", json={"customer_id": who, "journey_id": "demo_tour"}, headers=headers
    )
    assert_error(again, 409)
    unknown = await http.post(
        "/v1/enrollments", json={"customer_id": who, "journey_id": "no_such"}, headers=headers
    )
    assert_error(unknown, 404, "journey_id")

    async def waiting_for_click() -> bool:
        state = await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)
        return state.status_code == 200 and state.json()["waiting_for"] == ["demo_clicked"]

    await eventually(waiting_for_click)

    async def listed() -> bool:
        found = await http.get(f"/v1/customers/{who}/journeys", headers=headers)
        return [e["workflow_id"] for e in found.json()["enrollments"]] == [workflow_id]

    await eventually(listed)
    filtered = await http.get(
        "/v1/enrollments", params={"customer_id": who, "status": "active"}, headers=headers
    )
    assert [e["journey_id"] for e in filtered.json()["enrollments"]] == ["demo_tour"]

    # Another organisation sees nothing of it.
    assert_error(await http.get(f"/v1/enrollments/{who}/demo_tour", headers=auth(globex_key)), 404)
    theirs = await http.get(f"/v1/customers/{who}/journeys", headers=auth(globex_key))
    assert theirs.json()["enrollments"] == []
    assert_error(
        await http.post(
            f"/v1/enrollments/{who}/demo_tour/exit", json={"reason": "x"}, headers=auth(globex_key)
        ),
        404,
    )

    ended = await http.post(
        f"/v1/enrollments/{who}/demo_tour/exit", json={"reason": "support"}, headers=headers
    )
    assert ended.status_code == 202, ended.text

    async def exited() -> bool:
        state = await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)
        return bool(state.json()["status"] == "exited")

    await eventually(exited)
    state = (await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)).json()
    assert state["outcome"] == "exit_requested:support"
    assert_error(
        await http.get("/v1/enrollments", params={"status": "bogus"}, headers=headers),
        422,
        "query.status",
    )
    assert_error(
        await http.get(f"/v1/enrollments/{who}/bad%20id", headers=headers), 422, "path.journey_id"
    )


async def test_an_organisation_cannot_reach_another_through_the_id_separator(
    http: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    api_settings: JourneySettings,
    api_store: Store,
    acme_key: str,
) -> None:
    with pytest.raises(InvalidInputError, match="org_id"):
        issue_key(api_store, "acme:demo_tour")
    # An enrollment of organisation ``acme:demo_tour`` (started before ':' was refused):
    # its id is the one acme's key computes for customer ``demo_tour:<who>``.
    who = new_customer_id()
    definition = configured_catalog(api_settings).get("demo_tour")
    theirs = f"journey:acme:demo_tour:demo_tour:{who}"
    await dev_env.client.start_workflow(
        JourneyWorkflow.run,
        EnrollmentInput(
            org_id="acme:demo_tour",
            customer_id=who,
            definition=definition,
            max_signals_per_run=api_settings.max_signals_per_run,
            interpreter_revision=INTERPRETER_REVISION,
        ),
        id=theirs,
        task_queue=api_settings.task_queue,
        search_attributes=TypedSearchAttributes(
            search_attributes.enrollment_attributes(
                org_id="acme:demo_tour",
                customer_id=who,
                journey_id=definition.id,
                journey_version=definition.version,
                current_step=definition.start,
                status="active",
                lifecycle_stage=None,
            )
        ),
    )
    handle = dev_env.client.get_workflow_handle(theirs)

    async def waiting() -> bool:
        state = await handle.query(JourneyWorkflow.state)
        return state.current_step == "wait_for_click"

    await eventually(waiting)
    headers = auth(acme_key)
    read = await http.get(f"/v1/enrollments/demo_tour:{who}/demo_tour", headers=headers)
    assert_error(read, 404)
    ended = await http.post(
        f"/v1/enrollments/demo_tour:{who}/demo_tour/exit", json={"reason": "x"}, headers=headers
    )
    assert_error(ended, 404)
    assert (await handle.query(JourneyWorkflow.state)).status == "active"
    named = await http.post(
        "/v1/track",
        json={"customer_id": who, "name": "page_viewed", "org_id": "acme:demo_tour"},
        headers=headers,
    )
    assert_error(named, 422, "body.org_id")


async def test_events_route_to_running_enrollments_and_fill_the_inbox(
    http: httpx.AsyncClient, acme_key: str, globex_key: str
) -> None:
    who = new_customer_id()
    headers = auth(acme_key)
    entry = await http.post(
        "/v1/track", json={"customer_id": who, "name": "demo_started"}, headers=headers
    )
    assert entry.json()["enrolled"] == [f"journey:acme:demo_tour:{who}"]
    # Entering again while enrolled only delivers the event to the running enrollment.
    again = await http.post(
        "/v1/track", json={"customer_id": who, "name": "demo_started"}, headers=headers
    )
    assert (again.json()["enrolled"], again.json()["signalled"]) == (
        [],
        [f"journey:acme:demo_tour:{who}"],
    )

    async def waiting() -> bool:
        state = await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)
        return bool(state.json()["current_step"] == "wait_for_click")

    await eventually(waiting)
    click = await http.post(
        "/v1/track", json={"customer_id": who, "name": "demo_clicked"}, headers=headers
    )
    assert click.json()["signalled"] == [f"journey:acme:demo_tour:{who}"]

    async def converted() -> bool:
        state = await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)
        return bool(state.json()["outcome"] == "converted")

    await eventually(converted)

    async def two_messages() -> bool:
        inbox = await http.get(f"/v1/customers/{who}/inbox", headers=headers)
        return [m["template"] for m in inbox.json()["messages"]] == ["tour_done", "tour_ping"]

    await eventually(two_messages)
    theirs = await http.get(f"/v1/customers/{who}/inbox", headers=auth(globex_key))
    assert theirs.json()["messages"] == []


async def test_a_global_opt_out_ends_running_enrollments(
    http: httpx.AsyncClient, acme_key: str
) -> None:
    who = new_customer_id()
    headers = auth(acme_key)
    await http.post("/v1/track", json={"customer_id": who, "name": "demo_started"}, headers=headers)
    await http.post(
        "/v1/track", json={"customer_id": who, "name": "account_created"}, headers=headers
    )
    bad = await http.post(
        f"/v1/customers/{who}/consent",
        json={"channel": "pigeon", "status": "opted_out"},
        headers=headers,
    )
    assert_error(bad, 422, "body.channel")

    email_only = await http.post(
        f"/v1/customers/{who}/consent",
        json={"channel": "email", "status": "opted_out"},
        headers=headers,
    )
    assert email_only.json()["exited"] == []
    everything = await http.post(
        f"/v1/customers/{who}/consent",
        json={"channel": "all", "status": "opted_out", "source": "preference_center"},
        headers=headers,
    )
    assert everything.status_code == 200, everything.text
    assert sorted(everything.json()["exited"]) == [
        f"journey:acme:demo_tour:{who}",
        f"journey:acme:journey_welcome:{who}",
    ]
    consent = (await http.get(f"/v1/customers/{who}/consent", headers=headers)).json()
    assert {(c["channel"], c["status"]) for c in consent["consent"]} == {
        ("all", "opted_out"),
        ("email", "opted_out"),
    }

    async def ended() -> bool:
        state = await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)
        return bool(state.json()["outcome"] == "exit_requested:opt_out:preference_center")

    await eventually(ended)


async def test_a_customer_is_exported_then_erased_and_enrollments_end(
    http: httpx.AsyncClient, acme_key: str, globex_key: str
) -> None:
    who = new_customer_id()
    headers = auth(acme_key)
    profile = {"customer_id": who, "attributes": {"email": f"{who}@example.com"}}
    assert (await http.post("/v1/identify", json=profile, headers=headers)).status_code == 200
    entry = await http.post(
        "/v1/track", json={"customer_id": who, "name": "demo_started"}, headers=headers
    )
    [workflow_id] = entry.json()["enrolled"]

    async def pinged() -> bool:
        inbox = await http.get(f"/v1/customers/{who}/inbox", headers=headers)
        return [m["template"] for m in inbox.json()["messages"]] == ["tour_ping"]

    await eventually(pinged)
    exported = (await http.get(f"/v1/customers/{who}/export", headers=headers)).json()
    assert exported["data"]["profile"][0]["attributes"] == {"email": f"{who}@example.com"}
    assert [e["name"] for e in exported["data"]["events"]] == ["demo_started"]
    assert [m["template"] for m in exported["data"]["inbox_messages"]] == ["tour_ping"]
    theirs = (await http.get(f"/v1/customers/{who}/export", headers=auth(globex_key))).json()
    assert all(rows == [] for rows in theirs["data"].values())

    erased = await http.post(f"/v1/customers/{who}/erase", headers=headers)
    assert erased.status_code == 200, erased.text
    assert erased.json()["exited"] == [workflow_id]
    assert erased.json()["erased"]["events"] == 1

    async def ended() -> bool:
        state = await http.get(f"/v1/enrollments/{who}/demo_tour", headers=headers)
        return bool(state.json()["status"] == "exited")

    await eventually(ended)
    after = (await http.get(f"/v1/customers/{who}/export", headers=headers)).json()["data"]
    assert after["profile"] == []
    assert after["events"] == []
    assert after["inbox_messages"] == []
    assert [(c["channel"], c["status"], c["source"]) for c in after["consent"]] == [
        ("all", "opted_out", "erasure")
    ]
    assert {row["body"] for row in after["communication_log"]} == {"[erased]"}
    assert_error(await http.post("/v1/customers/bad%20id/erase", headers=headers), 422)


async def test_health_readiness_and_openapi(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": "ok", "temporal": "ok"}
    spec = (await http.get("/openapi.json")).json()
    assert {"/v1/track", "/v1/batch", "/v1/identify", "/v1/enrollments"} <= set(spec["paths"])
    assert_error(await http.get("/v1/nowhere"), 404)
    assert_error(await http.delete("/v1/track"), 405)


async def test_the_api_log_carries_request_ids(
    http: httpx.AsyncClient, api_settings: JourneySettings
) -> None:
    request_id = f"trace-{uuid.uuid4().hex[:8]}"
    await http.get("/healthz", headers={"X-Request-ID": request_id})
    log = Path(api_settings.data_dir.parent / "api.log")

    async def logged() -> bool:
        return f'"request_id": "{request_id}"' in await asyncio.to_thread(log.read_text)

    await eventually(logged, seconds=5)


async def test_seed_003_client_journey_endpoints(
    http: httpx.AsyncClient, acme_key: str, globex_key: str
) -> None:
    headers = auth(acme_key)
    client_id = new_customer_id()
    bad_stage = {"clientId": client_id, "stage": "dreaming", "eventType": "x"}
    assert_error(
        await http.post("/api/journey/event", json=bad_stage, headers=headers), 422, "body.stage"
    )
    for _ in range(2):
        tracked = await http.post(
            "/api/journey/event",
            json={
                "clientId": client_id,
                "stage": "billing",
                "eventType": "invoice_overdue",
                "metadata": {"sentiment": "negative"},
            },
            headers=headers,
        )
        assert tracked.status_code == 201, tracked.text

    journey = (await http.get(f"/api/journey/client/{client_id}", headers=headers)).json()
    assert [e["stage"] for e in journey["journey"]] == ["billing", "billing"]
    # Base 50 + billing (index 5) * 5 - 3 risks * 10 = 45; three risks is HIGH.
    assert (journey["score"]["score"], journey["score"]["risk_level"]) == (45, "HIGH")
    assert journey["score"]["recommended_actions"] == [
        "send_voice_message",
        "email_outreach",
        "concierge_personal_intervention",
    ]
    action = (await http.get(f"/api/journey/next-action/{client_id}", headers=headers)).json()
    assert action["action"]["action"] == "send_voice_message"
    assert action["action"]["priority"] == "high"

    mine = (await http.get("/api/journey/high-risk", headers=headers)).json()
    assert client_id in {c["client_id"] for c in mine["clients"]}
    theirs = (await http.get("/api/journey/high-risk", headers=auth(globex_key))).json()
    assert client_id not in {c["client_id"] for c in theirs["clients"]}
    elsewhere = (
        await http.get(f"/api/journey/client/{client_id}", headers=auth(globex_key))
    ).json()
    assert elsewhere["journey"] == []

    upsell = new_customer_id()
    await http.post(
        "/v1/track",
        json={
            "customer_id": upsell,
            "name": "seats_added",
            "properties": {"journey_stage": "upsell_candidate"},
        },
        headers=headers,
    )
    candidates = (await http.get("/api/journey/upsell-candidates", headers=headers)).json()
    assert upsell in {c["client_id"] for c in candidates["clients"]}


async def test_an_idle_connection_outlives_a_clients_keep_alive(base_url: str) -> None:
    """The API keeps idle connections longer than httpx (5 s) keeps its own.

    Otherwise the server may close a connection just as a client reuses it, and the
    client's request fails with a read error.
    """
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    try:
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(6)  # idle longer than httpx keeps a connection (5 s)
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
            assert head.startswith(b"HTTP/1.1 200"), head
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            assert b'"ok"' in await reader.readexactly(length)
    finally:
        writer.close()
