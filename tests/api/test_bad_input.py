"""Bad input is refused with 422 before anything is written; a 500 keeps its request id.

Bodies are sent as raw bytes: lone surrogates, NUL characters, ``NaN``,
``Infinity`` and ``1e999`` are what a JSON parser accepts and a store cannot keep.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text
from temporalio.testing import WorkflowEnvironment

from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.customers import Customer
from journeys.store.tables.events import Event
from tests.support.api_process import api_process, issue_key
from tests.support.network import new_customer_id

ORG = "badinput"


@pytest.fixture(scope="module")
def bad_input_settings(tmp_path_factory: pytest.TempPathFactory) -> JourneySettings:
    folder = tmp_path_factory.mktemp("bad_input")
    return JourneySettings(
        data_dir=folder / "data",
        task_queue=f"bad-input-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{folder / 'store.db'}",
    )


@pytest.fixture(scope="module")
def bad_input_store(bad_input_settings: JourneySettings) -> Iterator[Store]:
    store = Store(bad_input_settings.resolved_database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def api_log(bad_input_settings: JourneySettings) -> Path:
    return Path(bad_input_settings.data_dir).parent / "api.log"


@pytest.fixture(scope="module")
def base_url(
    dev_env: WorkflowEnvironment,
    bad_input_settings: JourneySettings,
    bad_input_store: Store,
    api_log: Path,
) -> Iterator[str]:
    address = dev_env.client.service_client.config.target_host
    with api_process(bad_input_settings, address, api_log) as url:
        yield url


@pytest.fixture(scope="module")
def key(bad_input_store: Store) -> str:
    return issue_key(bad_input_store, ORG)


def post_raw(base_url: str, key: str, path: str, body: str) -> httpx.Response:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    return httpx.post(f"{base_url}{path}", content=body.encode(), headers=headers, timeout=30)


def rows(store: Store, customer_id: str) -> tuple[int, int]:
    with store.transaction() as session:
        events = session.scalar(
            select(func.count()).where(Event.org_id == ORG, Event.customer_id == customer_id)
        )
        customers = session.scalar(
            select(func.count()).where(Customer.org_id == ORG, Customer.customer_id == customer_id)
        )
    return int(events or 0), int(customers or 0)


def track(who: str, **fields: str) -> str:
    parts = [f'"customer_id": "{who}"', '"name": "page_viewed"']
    parts += [f'"{name}": {value}' for name, value in fields.items()]
    return "{" + ", ".join(parts) + "}"


BAD_TRACKS = [
    ({"occurred_at": '"0001-01-01T00:00:00+14:00"'}, "body.occurred_at"),
    ({"occurred_at": '"9999-12-31T23:59:59-14:00"'}, "body.occurred_at"),
    ({"properties": '{"plan": "\\ud800"}'}, "body.properties.plan"),
    ({"properties": '{"plan": "a\\u0000b"}'}, "body.properties.plan"),
    ({"properties": '{"\\udfff": "x"}'}, "body.properties."),
    ({"properties": '{"amount": NaN}'}, "body.properties.amount"),
    ({"properties": '{"amount": Infinity}'}, "body.properties.amount"),
    ({"properties": '{"amount": -Infinity}'}, "body.properties.amount"),
    ({"properties": '{"amount": 1e999}'}, "body.properties.amount"),
    ({"properties": '{"amount": 100000000000000000000000}'}, "body.properties.amount"),
    ({"properties": json.dumps({"blob": "x" * 1_001})}, "body.properties.blob"),
    ({"properties": json.dumps({"lifecycle_stage": "s" * 65})}, "body.properties"),
    ({"properties": '{"lifecycle_stage": 3}'}, "body.properties"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_TRACKS)
def test_bad_events_get_422_and_nothing_is_stored(
    base_url: str, key: str, bad_input_store: Store, fields: dict[str, str], field: str
) -> None:
    who = new_customer_id()
    response = post_raw(base_url, key, "/v1/track", track(who, **fields))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"].startswith(field), response.text
    batch = post_raw(base_url, key, "/v1/batch", '{"events": [' + track(who, **fields) + "]}")
    assert batch.status_code == 422, batch.text
    assert rows(bad_input_store, who) == (0, 0)


BAD_ATTRIBUTES = [
    ('{"name": "\\ud800"}', "name: contains a lone surrogate"),
    ('{"name": "a\\u0000"}', "name: contains a NUL character"),
    ('{"score": NaN}', "score: is not a finite number"),
    ('{"nested": {"deep": [1, Infinity]}}', "nested.deep[1]: is not a finite number"),
    ('{"big": 1e999}', "big: is not a finite number"),
    ('{"\\ud800": 1}', "contains a lone surrogate"),
    (json.dumps({"blob": "x" * 9_000}), "blob: is larger than"),
]


@pytest.mark.parametrize(("attributes", "problem"), BAD_ATTRIBUTES)
def test_bad_attributes_get_422_and_the_profile_stays_usable(
    base_url: str, key: str, bad_input_store: Store, attributes: str, problem: str
) -> None:
    who = new_customer_id()
    body = f'{{"customer_id": "{who}", "attributes": {attributes}}}'
    response = post_raw(base_url, key, "/v1/identify", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "body.attributes"
    assert problem in response.json()["error"]["message"]
    assert rows(bad_input_store, who) == (0, 0)
    fine = post_raw(base_url, key, "/v1/identify", f'{{"customer_id": "{who}"}}')
    assert fine.status_code == 200, fine.text


ENROLL = '"customer_id": "c-1", "journey_id": "demo_tour"'
BAD_BODIES = [
    (
        "/v1/identify",
        '{"customer_id": "c-1", "lifecycle_stage": "\\ud800"}',
        "body.lifecycle_stage",
    ),
    ("/v1/enrollments", "{" + ENROLL + ', "version": "1"}', "body.version"),
    ("/v1/enrollments", "{" + ENROLL + ', "version": true}', "body.version"),
    ("/v1/enrollments/c-1/demo_tour/exit", '{"reason": "\\ud800"}', "body.reason"),
    (
        "/v1/customers/c-1/consent",
        '{"channel": "email", "status": "opted_out", "source": "a\\u0000"}',
        "body.source",
    ),
    (
        "/api/journey/event",
        '{"clientId": "c-1", "stage": "onboarding", "eventType": "x", "metadata": {"n": NaN}}',
        "body.metadata",
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_BODIES)
def test_bad_fields_get_422_naming_them(
    base_url: str, key: str, bad_input_store: Store, path: str, body: str, field: str
) -> None:
    response = post_raw(base_url, key, path, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert rows(bad_input_store, "c-1") == (0, 0)


def test_a_server_error_keeps_its_request_id_the_connection_and_its_logged_status(
    base_url: str, key: str, bad_input_store: Store, api_log: Path
) -> None:
    # A store that lost a table is a fault of ours (500), not of the caller or of availability.
    with bad_input_store.engine.begin() as connection:
        connection.execute(text("DROP TABLE inbox_messages"))
    address = urlsplit(base_url)
    wire = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    wire.auto_open = 0
    wire.connect()
    request_id = f"fault-{uuid.uuid4().hex[:8]}"
    wire.request(
        "GET", "/v1/customers/c-1/inbox", headers={"X-API-Key": key, "X-Request-ID": request_id}
    )
    failed = wire.getresponse()
    body: dict[str, Any] = json.loads(failed.read())
    assert failed.status == 500
    assert failed.getheader("X-Request-ID") == request_id
    assert body["request_id"] == request_id
    assert body["error"]["code"] == "internal_error"
    assert failed.getheader("Connection") != "close"
    wire.request("GET", "/healthz")
    again = wire.getresponse()
    assert again.status == 200
    again.read()
    wire.close()
    logged = [json.loads(line) for line in api_log.read_text().splitlines() if request_id in line]
    assert {"event": "request", "status": 500} in [
        {"event": entry.get("event"), "status": entry.get("status")} for entry in logged
    ]
