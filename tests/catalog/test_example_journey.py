"""The README's "Write your own journey" example, end to end.

Its YAML file through ``journeys validate`` (a real CLI process), and its
catalog module, named by ``JOURNEYS_CATALOG``, on the time-skipping server
through the public client, with the sends it makes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog.configured import configured_catalog
from journeys.catalog.examples import first_project
from journeys.client import TrackedEvent
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.api_process import ROOT
from tests.support.temporal import finished, journey_client, running_worker
from tests.support.waiting import eventually

EXAMPLE_CATALOG = "journeys.catalog.examples.first_project:CATALOG"
EXAMPLE_YAML = Path(first_project.__file__).with_name("first_project_v2.yaml")


def validate(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("JOURNEYS_")}
    return subprocess.run(
        [sys.executable, "-m", "journeys.cli", "validate", str(path)],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_shows_the_example_module_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text()
    guide = readme[readme.index("## Write your own journey") :]
    shown = guide[guide.index("```python\n") + len("```python\n") : guide.index("```\n")]
    module = Path(first_project.__file__).read_text()
    assert shown == module[module.index("from __future__") :]


def test_the_example_yaml_validates_against_the_example_catalog(tmp_path: Path) -> None:
    done = validate(EXAMPLE_YAML, JOURNEYS_CATALOG=EXAMPLE_CATALOG)
    assert (done.returncode, done.stdout) == (0, "ok: first_project@2 (8 steps) is valid\n")

    # Its templates come from the example module: the shipped catalog does not know them.
    shipped = validate(EXAMPLE_YAML)
    assert shipped.returncode == 1
    assert "step 'welcome': unknown template 'first_project_welcome'" in shipped.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE_YAML.read_text().replace("on_timeout: by_plan", "on_timeout: gone"))
    failed = validate(broken, JOURNEYS_CATALOG=EXAMPLE_CATALOG)
    assert failed.returncode == 1
    assert "journey 'first_project' version 2 step 'wait_for_project'" in failed.stderr
    assert "'gone'" in failed.stderr


async def test_the_example_catalog_runs_and_sends_its_own_templates(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    settings = settings.model_copy(update={"catalog": EXAMPLE_CATALOG})
    catalog = configured_catalog(settings)
    assert [journey.key for journey in catalog.current_versions()] == ["first_project@1"]
    client = journey_client(time_skipping_env.client, store, settings, catalog)
    for customer in ("maker", "browser"):
        await client.identify("acme", customer, attributes={"first_name": customer.title()})
    async with running_worker(time_skipping_env.client, settings, store):
        maker = await client.track(
            TrackedEvent(org_id="acme", customer_id="maker", name="workspace_created")
        )
        browser = await client.track(
            TrackedEvent(org_id="acme", customer_id="browser", name="workspace_created")
        )
        assert maker.enrolled == ["journey:acme:first_project:maker"]
        assert browser.enrolled == ["journey:acme:first_project:browser"]

        # wait_for_event counts only the events that arrive once it has started.
        async def waiting_for_project() -> bool:
            state = await client.get_enrollment("acme", "maker", "first_project")
            return state.current_step == "wait_for_project"

        await eventually(waiting_for_project)
        routed = await client.track(
            TrackedEvent(org_id="acme", customer_id="maker", name="project_created")
        )
        assert routed.signalled == maker.enrolled
        made = await finished(time_skipping_env, maker.enrolled[0])
        nudged = await finished(time_skipping_env, browser.enrolled[0])

    assert (made.outcome, made.path) == (
        "activated",
        ["welcome", "wait_for_project", "tips", "activated"],
    )
    assert (nudged.outcome, nudged.path) == (
        "nudged",
        ["welcome", "wait_for_project", "nudge", "not_yet"],
    )
    with store.transaction() as session:
        sends = session.scalars(select(CommunicationLog).order_by(CommunicationLog.id)).all()
    by_customer = {
        customer: [
            (s.template, s.channel, s.status, s.subject) for s in sends if s.customer_id == customer
        ]
        for customer in ("maker", "browser")
    }
    assert by_customer == {
        "maker": [
            ("first_project_welcome", "email", "sent", "Welcome, Maker: your workspace is ready"),
            ("first_project_tips", "email", "sent", "Maker, three tips for your first project"),
        ],
        "browser": [
            ("first_project_welcome", "email", "sent", "Welcome, Browser: your workspace is ready"),
            ("first_project_nudge", "email", "sent", "Your first project takes two minutes"),
        ],
    }
