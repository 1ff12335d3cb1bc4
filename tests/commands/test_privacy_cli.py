"""``journeys customer export`` and ``journeys customer erase`` as real processes."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.privacy import privacy_requests
from tests.support.cli_process import Cli
from tests.support.temporal import running_worker


async def test_a_customer_is_exported_and_erased_from_the_cli(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    cli = Cli(settings, dev_env)
    async with running_worker(dev_env.client, settings, store):
        code, tracked, _ = await cli(
            "track", "--org", "acme", "--customer", "c-9", "--event", "demo_started", "--json"
        )
        assert code == 0
        assert tracked["enrolled"] == ["journey:acme:demo_tour:c-9"]
        code, exported, err = await cli("customer", "export", "--org", "acme", "--customer", "c-9")
        assert code == 0, err
        assert '"event_id"' in exported
        assert '"demo_started"' in exported
        code, _, err = await cli("customer", "erase", "--org", "acme", "--customer", "c-9")
        assert code != 0
        assert "--yes" in err
        code, erased, err = await cli(
            "customer", "erase", "--org", "acme", "--customer", "c-9", "--yes", "--json"
        )
        assert code == 0, err
        # Enrollments ended by an erasure are covered by the API's test: here the demo
        # tour may have run to its end while the processes started.
        assert erased["erased"]["events"] == 1
        code, _, err = await cli("customer", "export", "--customer", "bad id")
        assert code != 0
        assert "--customer" in err
    with store.transaction() as session:
        audit = privacy_requests(session, org_id="acme", customer_id="c-9")
        assert [(r.kind, r.requested_by) for r in audit] == [("export", "cli"), ("erase", "cli")]
