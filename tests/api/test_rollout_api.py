"""Rollouts over the HTTP API of a real ``journeys api`` process, and a client in this one.

Both processes read the stored rollout through their own cache: a change made by
either is seen by the other within ``rollout_cache_seconds``, with no restart.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.routing.rollout_control import RolloutControl
from journeys.routing.rollouts import BUCKETS, rollout_bucket
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.api_process import api_process, issue_key
from tests.support.rollout_journeys import JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.rollout_scenarios import saved_meanwhile
from tests.support.temporal import journey_client, running_worker
from tests.support.waiting import eventually

CATALOG = Catalog(ROLLOUT_JOURNEYS)
CATALOG_SETTING = "tests.support.rollout_journeys:ROLLOUT_JOURNEYS"


def customer_on_v1_at_90_10(prefix: str) -> str:
    """A customer id whose bucket a 90/10 rollout gives v1 (the first 90% of buckets)."""
    for n in range(100):
        who = f"{prefix}-{n}"
        if rollout_bucket(who, JOURNEY_ID) < BUCKETS * 9 // 10:
            return who
    raise AssertionError("no such customer among 100")


async def test_rollout_changes_over_the_api_and_a_client_without_restarts(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    org = f"ro-{uuid.uuid4().hex[:8]}"
    key = issue_key(store, org)
    headers = {"X-API-Key": key}
    client = journey_client(dev_env.client, store, settings, CATALOG)
    address = dev_env.client.service_client.config.target_host

    def weights_in_client() -> dict[int, int]:
        with store.transaction() as session:
            return client.versions.rollout(session, org, JOURNEY_ID).weights()

    assert weights_in_client() == {1: 100}
    log = tmp_path / "api.log"
    with api_process(settings, address, log, JOURNEYS_CATALOG=CATALOG_SETTING) as url:
        async with (
            running_worker(dev_env.client, settings, store, CATALOG),
            httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http,
        ):
            base = f"/v1/journeys/{JOURNEY_ID}/rollout"

            enrolled: dict[str, int] = {}

            async def enroll(who: str) -> dict[str, Any]:
                answer = await http.post(
                    "/v1/enrollments", json={"customer_id": who, "journey_id": JOURNEY_ID}
                )
                assert answer.status_code == 201, answer.text
                enrolled[who] = answer.json()["journey_version"]
                return dict(answer.json())

            first_customer = customer_on_v1_at_90_10("api-first")
            first = await enroll(first_customer)
            assert first["journey_version"] == 1

            # The API changes the rollout; this process's client sees it.
            published = await http.post(
                f"{base}/publish", json={"version": 2, "weight": 10, "reason": "canary"}
            )
            assert published.status_code == 200, published.text
            assert published.json()["rollout"]["versions"][1] == {
                "version": 2,
                "state": "active",
                "weight": 10,
                "policy": "pin",
                "migrate_to": None,
            }

            async def client_sees_canary() -> bool:
                return weights_in_client() == {1: 90, 2: 10}

            await eventually(client_sees_canary)

            # This process changes it; the API process sees it.
            control = RolloutControl(dev_env.client, store, client.versions)
            await control.ramp(org, JOURNEY_ID, {2: 100, 1: 0}, actor="client", reason="ramp")
            attempts = iter(range(1000))

            async def api_enrolls_on_v2() -> bool:
                return bool((await enroll(f"api-next-{next(attempts)}"))["journey_version"] == 2)

            await eventually(api_enrolls_on_v2)

            status = await http.get(base)
            assert status.status_code == 200
            body = status.json()
            assert [(v["version"], v["state"], v["weight"]) for v in body["versions"]] == [
                (1, "active", 0),
                (2, "active", 100),
                (3, "draft", 0),
            ]
            assert [c["action"] for c in body["changes"]] == ["ramp", "publish"]
            assert body["changes"][0]["actor"] == "client"
            assert body["changes"][1]["actor"].startswith("api-key:")
            assert body["changes"][1]["reason"] == "canary"
            on_v1 = {who for who, version in enrolled.items() if version == 1}
            on_v2 = {who for who, version in enrolled.items() if version == 2}

            async def counted_by_step() -> bool:
                found = (await http.get(base)).json()["versions"]
                return (found[0]["running_by_step"], found[1]["running_by_step"]) == (
                    {"wait_click": len(on_v1)},
                    {"wait_click": len(on_v2)},
                )

            await eventually(counted_by_step)
            listed = await http.get(
                "/v1/enrollments", params={"journey_id": JOURNEY_ID, "version": 1}
            )
            assert {e["customer_id"] for e in listed.json()["enrollments"]} == on_v1

            await control.retire(org, JOURNEY_ID, 1, actor="client")
            # Bad input: a clear error naming the problem, and nothing changes.
            refusals = {
                "unknown journey": (
                    await http.post("/v1/journeys/nope/rollout/publish", json={"version": 1}),
                    404,
                    "no journey 'nope'",
                ),
                "unknown version": (
                    await http.post(f"{base}/publish", json={"version": 9}),
                    404,
                    "has no version 9",
                ),
                "weights": (
                    await http.post(f"{base}/ramp", json={"weights": {"1": 50, "2": 40}}),
                    422,
                    "body.weights: sum to 90, not 100",
                ),
                "last active": (
                    await http.post(f"{base}/retire", json={"version": 2}),
                    409,
                    "the last active version",
                ),
                "draft failing checks": (
                    await http.post(f"{base}/ramp", json={"weights": {"3": 10, "2": 90}}),
                    409,
                    "unknown template 'no_such_template'",
                ),
                "no step map": (
                    await http.post(f"{base}/rollback", json={"policy": "migrate"}),
                    409,
                    "declares no step map from version 2",
                ),
                "policy": (
                    await http.post(f"{base}/retire", json={"version": 1, "policy": "evict"}),
                    422,
                    "body.policy",
                ),
            }
            for name, (answer, code, message) in refusals.items():
                assert answer.status_code == code, (name, answer.text)
                assert message in answer.json()["error"]["message"], (name, answer.text)
            after = (await http.get(base)).json()
            assert [c["action"] for c in after["changes"]] == ["retire", "ramp", "publish"]
            # A v1 enrollment (pinned) runs under another workflow id than the newest
            # version's conflict group: state and exit over HTTP still reach it.
            enrollment = f"/v1/enrollments/{first_customer}/{JOURNEY_ID}"
            state = await http.get(enrollment)
            assert state.status_code == 200, state.text
            assert state.json()["journey_version"] == 1
            exited = await http.post(f"{enrollment}/exit", json={"reason": "api test"})
            assert exited.status_code == 202, exited.text
            assert exited.json()["workflow_id"] == first["workflow_id"]
            unauthenticated = await http.get(base, headers={"X-API-Key": "wrong"})
            assert unauthenticated.status_code == 401


async def test_a_change_saved_while_the_api_changes_the_rollout_answers_409(
    dev_env: WorkflowEnvironment, settings: JourneySettings, pg_store: Store, tmp_path: Path
) -> None:
    url = pg_store.engine.url.render_as_string(hide_password=False)
    settings = settings.model_copy(update={"database_url": url})
    org = f"ro-{uuid.uuid4().hex[:8]}"
    headers = {"X-API-Key": issue_key(pg_store, org)}
    address = dev_env.client.service_client.config.target_host
    with api_process(
        settings, address, tmp_path / "api.log", JOURNEYS_CATALOG=CATALOG_SETTING
    ) as api:
        async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as http:
            ramp = http.post(
                f"/v1/journeys/{JOURNEY_ID}/rollout/ramp", json={"weights": {"1": 100}}
            )
            answer = await saved_meanwhile(pg_store, org, ramp)
            assert answer.status_code == 409, answer.text
            assert answer.json()["error"]["code"] == "rollout_conflict"
            status = (await http.get(f"/v1/journeys/{JOURNEY_ID}/rollout")).json()
    assert [(v["version"], v["weight"]) for v in status["versions"]] == [(1, 90), (2, 10), (3, 0)]
    assert [c["actor"] for c in status["changes"]] == ["ana"]
