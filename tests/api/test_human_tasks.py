"""Tasks for people through the HTTP API and the CLI, against the dev server and a worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.human_tasks import OVERDUE_TASK_ALERT, HumanTaskActivities
from activities.ops_alerts import OpsAlerts
from journeys.contracts.activities import HumanTaskRequest
from journeys.contracts.enrollment import EnrollmentResult
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.human_tasks import create_human_task
from tests.support.api_process import api_process, issue_key
from tests.support.cli_process import Cli
from tests.support.network import new_customer_id
from tests.support.provider_servers import HttpProviderServer
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually

AT_RISK = "journey_at_risk_retention"
"""Its CSM call step waits for ``csm_call_completed`` and then exits ``retained``."""


@pytest.fixture(scope="module")
def tasks_settings(tmp_path_factory: pytest.TempPathFactory) -> JourneySettings:
    folder = tmp_path_factory.mktemp("tasks_api")
    return JourneySettings(
        data_dir=folder / "data",
        task_queue=f"tasks-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{folder / 'store.db'}",
    )


@pytest.fixture(scope="module")
def tasks_store(tasks_settings: JourneySettings) -> Iterator[Store]:
    store = Store(tasks_settings.resolved_database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def api_url(
    dev_env: WorkflowEnvironment, tasks_settings: JourneySettings, tasks_store: Store
) -> Iterator[str]:
    address = dev_env.client.service_client.config.target_host
    with api_process(tasks_settings, address, tasks_settings.data_dir.parent / "api.log") as url:
        yield url


@pytest.fixture
async def http(api_url: str, tasks_store: Store) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"X-API-Key": issue_key(tasks_store, "acme")}
    async with httpx.AsyncClient(base_url=api_url, timeout=30, headers=headers) as client:
        yield client


async def enroll_and_wait_for_task(
    dev_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    http: httpx.AsyncClient,
) -> tuple[str, dict[str, Any]]:
    """Enroll a new customer in the at-risk journey; its CSM call task once created."""
    customer_id = new_customer_id()
    client = journey_client(dev_env.client, store, settings)
    started = await client.enroll("acme", customer_id, AT_RISK)
    found: list[dict[str, Any]] = []

    async def task_listed() -> bool:
        response = await http.get("/v1/tasks", params={"status": "open"})
        assert response.status_code == 200, response.text
        found[:] = [t for t in response.json()["tasks"] if t["customer_id"] == customer_id]
        return bool(found)

    await eventually(task_listed)
    return started.workflow_id, found[0]


async def test_a_completed_csm_task_moves_its_journey_on(
    dev_env: WorkflowEnvironment,
    tasks_settings: JourneySettings,
    tasks_store: Store,
    http: httpx.AsyncClient,
) -> None:
    async with running_worker(dev_env.client, tasks_settings, tasks_store):
        workflow_id, task = await enroll_and_wait_for_task(
            dev_env, tasks_settings, tasks_store, http
        )
        assert (task["kind"], task["journey_id"], task["overdue"]) == ("csm_call", AT_RISK, False)

        claimed = await http.post(f"/v1/tasks/{task['id']}/claim", json={"claimed_by": "ann"})
        assert claimed.status_code == 200, claimed.text
        assert (claimed.json()["status"], claimed.json()["claimed_by"]) == ("claimed", "ann")
        mine = await http.get("/v1/tasks", params={"owner": "ann"})
        assert [t["id"] for t in mine.json()["tasks"]] == [task["id"]]
        taken = await http.post(f"/v1/tasks/{task['id']}/claim", json={"claimed_by": "bob"})
        assert taken.status_code == 422
        assert taken.json()["error"]["field"] == "body.claimed_by"

        done = await http.post(f"/v1/tasks/{task['id']}/complete", json={"outcome": "completed"})
        assert done.status_code == 200, done.text
        assert done.json()["event"] == "csm_call_completed"
        assert done.json()["signalled"] == [workflow_id]
        handle = dev_env.client.get_workflow_handle(workflow_id, result_type=EnrollmentResult)
        result = await handle.result()
    assert (result.outcome, result.path[-2:]) == ("retained", ["csm_call", "retained"])
    listed = await http.get("/v1/tasks", params={"status": "done", "owner": "ann"})
    assert [(t["id"], t["outcome"]) for t in listed.json()["tasks"]] == [(task["id"], "completed")]
    other = await http.post(f"/v1/tasks/{task['id']}/complete", json={"outcome": "no_answer"})
    assert other.status_code == 422
    assert other.json()["error"]["field"] == "body.outcome"


async def test_task_endpoints_refuse_bad_input_with_the_field(http: httpx.AsyncClient) -> None:
    cases = [
        (await http.get("/v1/tasks", params={"status": "lost"}), "query.status"),
        (await http.get("/v1/tasks", params={"limit": 0}), "query.limit"),
        (await http.get("/v1/tasks", params={"due_before": "soon"}), "query.due_before"),
        (await http.post("/v1/tasks/1/complete", json={"outcome": "Done!"}), "body.outcome"),
        (await http.post("/v1/tasks/1/claim", json={"claimed_by": ""}), "body.claimed_by"),
        (
            await http.post("/v1/tasks/999999/complete", json={"outcome": "completed"}),
            "body.task_id",
        ),
        (await http.post("/v1/tasks/0/claim", json={"claimed_by": "ann"}), "path.task_id"),
        (
            await http.post("/v1/tasks/2147483648/claim", json={"claimed_by": "ann"}),
            "path.task_id",
        ),
    ]
    for response, field in cases:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field, response.text
    anonymous = await http.get("/v1/tasks", headers={"X-API-Key": ""})
    assert anonymous.status_code == 401


async def test_tasks_from_the_command_line(
    dev_env: WorkflowEnvironment,
    tasks_settings: JourneySettings,
    tasks_store: Store,
    http: httpx.AsyncClient,
) -> None:
    cli = Cli(tasks_settings, dev_env)
    async with running_worker(dev_env.client, tasks_settings, tasks_store):
        workflow_id, task = await enroll_and_wait_for_task(
            dev_env, tasks_settings, tasks_store, http
        )
        task_id = str(task["id"])
        code, listed, _ = await cli("tasks", "list", "--org", "acme", "--status", "open", "--json")
        assert code == 0
        assert task["id"] in [t["id"] for t in listed["tasks"]]
        code, claimed, _ = await cli("tasks", "claim", task_id, "--by", "cy", "--org", "acme")
        assert code == 0
        assert "cy" in claimed
        code, done, _ = await cli(
            "tasks", "complete", task_id, "--outcome", "completed", "--org", "acme", "--json"
        )
        assert code == 0
        assert done["signalled"] == [workflow_id]
        handle = dev_env.client.get_workflow_handle(workflow_id, result_type=EnrollmentResult)
        assert (await handle.result()).outcome == "retained"
    code, _, error = await cli("tasks", "complete", task_id, "--outcome", "Nope", "--org", "acme")
    assert code == 2
    assert "outcome" in error
    code, _, error = await cli("tasks", "list", "--due-before", "tomorrow")
    assert code == 2
    assert "--due-before" in error


def test_overdue_tasks_raise_one_ops_alert_each(store: Store) -> None:
    slack = HttpProviderServer().start()
    try:
        tasks = HumanTaskActivities(store, OpsAlerts(slack.url + "/slack", interval_seconds=300))
        now = datetime.now(UTC)
        with store.transaction() as session:
            for key, due in (("late#1", now - timedelta(hours=1)), ("soon#1", now + timedelta(1))):
                create_human_task(
                    session,
                    HumanTaskRequest(
                        org_id="acme",
                        customer_id="c-late",
                        journey_id=AT_RISK,
                        workflow_id="wf",
                        enrollment_id="enr-late",
                        task_key=key,
                        kind="csm_call",
                        title="Call",
                        owner="ann",
                        due_at=due,
                    ),
                )
        assert tasks.alert_overdue() == 1
        assert tasks.alert_overdue() == 0
        assert len(slack.requests) == 1
        text = slack.requests[0].json()["text"]
        assert OVERDUE_TASK_ALERT in text
        assert "csm_call" in text
        assert "ann" in text
    finally:
        slack.stop()
