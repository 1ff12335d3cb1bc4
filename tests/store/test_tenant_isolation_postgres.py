"""Tenant isolation on PostgreSQL: through the API and directly through SQL as the API role."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from temporalio.testing import WorkflowEnvironment

from journeys.api.tenancy import REQUEST_ORG, install_org_scope
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.customers import Customer
from journeys.store.tenancy import API_ROLE, scope_transaction_to_org
from tests.support.api_process import api_process, issue_key
from tests.support.temporal import running_worker

pytestmark = pytest.mark.postgres

ORG_TABLES_QUERY = text(
    "SELECT c.table_name FROM information_schema.columns c"
    " JOIN information_schema.tables t"
    " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
    " WHERE c.table_schema = current_schema() AND c.column_name = 'org_id'"
    " AND t.table_type = 'BASE TABLE'"
)


def count_rows(store: Store, table: str, org_id: str, as_org: str | None) -> int:
    """Rows of ``org_id`` in ``table`` visible to the API role scoped to ``as_org``."""
    with store.engine.connect() as connection, connection.begin():
        if as_org is None:
            connection.execute(text(f"SET LOCAL ROLE {API_ROLE}"))
        else:
            scope_transaction_to_org(connection, as_org)
        return int(
            connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE org_id = :org'), {"org": org_id}
            ).scalar_one()
        )


async def test_one_organisation_cannot_reach_anothers_rows(
    dev_env: WorkflowEnvironment, pg_store: Store, settings: JourneySettings, tmp_path: Path
) -> None:
    pg_settings = settings.model_copy(update={"database_url": pg_store.url})
    acme, globex = issue_key(pg_store, "acme"), issue_key(pg_store, "globex")
    who = f"cust-{uuid.uuid4().hex[:8]}"
    address = dev_env.client.service_client.config.target_host
    with api_process(pg_settings, address, tmp_path / "api.log") as url:
        async with (
            running_worker(dev_env.client, pg_settings, pg_store),
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            a, g = {"X-API-Key": acme}, {"X-API-Key": globex}
            profile = {"customer_id": who, "attributes": {"plan": "enterprise"}}
            assert (await http.post("/v1/identify", json=profile, headers=a)).status_code == 200
            tracked = await http.post(
                "/v1/track", json={"customer_id": who, "name": "demo_started"}, headers=a
            )
            assert tracked.json()["enrolled"] == [f"journey:acme:demo_tour:{who}"]
            journey_event = {"clientId": who, "stage": "billing", "eventType": "invoice_overdue"}
            assert (
                await http.post("/api/journey/event", json=journey_event, headers=a)
            ).status_code == 201
            score = await http.get(f"/api/journey/client/{who}", headers=a)
            assert score.json()["journey"][0]["stage"] == "billing"

            # globex, with its own key, sees none of it ...
            assert (
                await http.get(f"/v1/enrollments/{who}/demo_tour", headers=g)
            ).status_code == 404
            listed = await http.get(f"/v1/customers/{who}/journeys", headers=g)
            assert listed.json()["enrollments"] == []
            theirs = (await http.get(f"/api/journey/client/{who}", headers=g)).json()
            assert theirs["journey"] == []
            assert (await http.get("/api/journey/high-risk", headers=g)).json()["clients"] == []
            # ... cannot write as acme ...
            forged = {"customer_id": who, "name": "demo_clicked", "org_id": "acme"}
            assert (await http.post("/v1/track", json=forged, headers=g)).status_code == 403
            # ... and the same customer id in globex is another customer.
            mine = {"customer_id": who, "attributes": {"plan": "free"}}
            answer = await http.post("/v1/identify", json=mine, headers=g)
            assert answer.json()["attributes"] == {"plan": "free"}
            again = await http.post("/v1/identify", json={"customer_id": who}, headers=a)
            assert again.json()["attributes"] == {"plan": "enterprise"}

            async def enrollment_recorded() -> bool:
                return (
                    await asyncio.to_thread(count_rows, pg_store, "enrollments", "acme", "acme")
                    == 1
                )

            deadline = asyncio.get_running_loop().time() + 20
            while not await enrollment_recorded():
                assert asyncio.get_running_loop().time() < deadline, "no enrollment row"
                await asyncio.sleep(0.2)
            exit_request = {"reason": "test over"}
            await http.post(f"/v1/enrollments/{who}/demo_tour/exit", json=exit_request, headers=a)

    with pg_store.engine.connect() as connection:
        org_tables = sorted(connection.execute(ORG_TABLES_QUERY).scalars())
        secured = set(
            connection.execute(
                text(
                    "SELECT tablename FROM pg_policies WHERE schemaname = current_schema()"
                    " AND policyname = 'journeys_org_isolation'"
                )
            ).scalars()
        )
        enabled = set(
            connection.execute(
                text("SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")
            ).scalars()
        )
    assert {"customers", "events", "enrollments", "client_journey_scores"} <= set(org_tables)
    assert set(org_tables) <= secured
    assert set(org_tables) <= enabled

    # Directly through SQL as the API role: each org sees only its own rows.
    for table in ("customers", "events", "enrollments", "client_journey_events"):
        assert count_rows(pg_store, table, "acme", "acme") >= 1, table
        assert count_rows(pg_store, table, "acme", "globex") == 0, table
        assert count_rows(pg_store, table, "acme", None) == 0, table
    assert count_rows(pg_store, "client_journey_scores", "acme", "acme") >= 1
    assert count_rows(pg_store, "client_journey_scores", "acme", "globex") == 0

    with pg_store.engine.connect() as connection, connection.begin():
        scope_transaction_to_org(connection, "globex")
        changed = connection.execute(
            text("UPDATE customers SET timezone = 'Asia/Tokyo' WHERE org_id = 'acme'")
        )
        assert changed.rowcount == 0
        deleted = connection.execute(text("DELETE FROM events WHERE org_id = 'acme'"))
        assert deleted.rowcount == 0
    forge = text(
        "INSERT INTO events (org_id, event_id, customer_id, name, properties,"
        " occurred_at, received_at)"
        " VALUES ('acme', 'forged', :who, 'x', '{}', now(), now())"
    )
    with pg_store.engine.connect() as connection:
        transaction = connection.begin()
        scope_transaction_to_org(connection, "globex")
        with pytest.raises(ProgrammingError, match="row-level security"):
            connection.execute(forge, {"who": who})
        transaction.rollback()
    with pg_store.engine.connect() as connection:
        timezone = connection.execute(
            text("SELECT timezone FROM customers WHERE org_id = 'acme' AND customer_id = :who"),
            {"who": who},
        ).scalar_one()
    assert timezone == "UTC"

    # The API's own store work runs the same way: as the API role, scoped to the key's org.
    install_org_scope()
    token = REQUEST_ORG.set("globex")
    try:
        with pg_store.transaction() as session:
            assert session.execute(text("SELECT current_user")).scalar_one() == API_ROLE
            assert session.scalars(select(Customer.org_id)).all() == ["globex"]
    finally:
        REQUEST_ORG.reset(token)
    with pg_store.transaction() as session:
        assert session.execute(text("SELECT current_user")).scalar_one() != API_ROLE


async def test_the_api_connects_as_a_role_that_cannot_become_another(
    dev_env: WorkflowEnvironment, pg_store: Store, settings: JourneySettings, tmp_path: Path
) -> None:
    api_url = make_url(pg_store.url).set(username=API_ROLE).render_as_string(hide_password=False)
    pg_settings = settings.model_copy(update={"database_url": pg_store.url})
    acme, globex = issue_key(pg_store, "acme"), issue_key(pg_store, "globex")
    address = dev_env.client.service_client.config.target_host
    with api_process(
        pg_settings, address, tmp_path / "api.log", JOURNEYS_API_DATABASE_URL=api_url
    ) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for key in (acme, globex):
                answer = await http.post(
                    "/v1/identify",
                    json={"customer_id": "shared-id", "attributes": {"plan": key[-4:]}},
                    headers={"X-API-Key": key},
                )
                assert answer.status_code == 200, answer.text
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
        with pg_store.engine.connect() as connection:
            users = set(
                connection.execute(
                    text(
                        "SELECT usename FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
        assert API_ROLE in users
    as_api = Store(api_url)
    try:
        with as_api.engine.connect() as connection:
            connection.exec_driver_sql("RESET ROLE")
            assert connection.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() == 0
            assert connection.exec_driver_sql("SELECT count(*) FROM api_keys").scalar_one() == 0
        with as_api.engine.connect() as connection, pytest.raises(ProgrammingError):
            connection.exec_driver_sql("SET ROLE postgres")
    finally:
        as_api.dispose()
