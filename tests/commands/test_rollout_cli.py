"""``journeys rollout`` as real processes: JSON output, exit codes, errors that change nothing."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog
from journeys.commands.exit_codes import EXIT_CONFLICT
from journeys.routing.live_versions import LiveVersions
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.journey_versions import rollout_changes
from tests.support.cli_process import Cli
from tests.support.rollout_journeys import JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.rollout_scenarios import saved_meanwhile

CATALOG_SETTING = "tests.support.rollout_journeys:ROLLOUT_JOURNEYS"


async def test_rollout_commands_publish_ramp_rollback_retire_and_status(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    cli = Cli(settings, dev_env)
    cli.env["JOURNEYS_CATALOG"] = CATALOG_SETTING
    org = ("--org", "cli-org")
    code, published, _ = await cli(
        "rollout", "publish", JOURNEY_ID, "2", "--weight", "10", *org, "--reason", "canary",
        "--actor", "ana", "--json",
    )  # fmt: skip
    assert code == 0
    assert [(v["version"], v["state"], v["weight"]) for v in published["rollout"]["versions"]] == [
        (1, "active", 90),
        (2, "active", 10),
        (3, "draft", 0),
    ]
    bad = await asyncio.gather(
        cli("rollout", "ramp", JOURNEY_ID, "2=50", "1=40", *org, "--json"),
        cli("rollout", "retire", JOURNEY_ID, "1", "--policy", "evict", *org),
        cli("rollout", "publish", "nope", "1", *org),
        cli("rollout", "ramp", JOURNEY_ID, "3=10", "1=90", *org, "--json"),
    )
    assert [code for code, _, _ in bad] == [2, 2, 3, 4]
    assert bad[0][1] == {"error": "weights: sum to 90, not 100", "exit_code": 2}
    assert "--policy: 'evict' is not one of pin, drain, migrate" in bad[1][2]
    assert "no journey 'nope'" in bad[2][2]
    assert "unknown template 'no_such_template'" in bad[3][1]["error"]

    code, rolled, _ = await cli("rollout", "rollback", JOURNEY_ID, *org, "--json")
    assert (code, rolled["action"]) == (0, "rollback")
    (code, status, _), (text_code, text, _) = await asyncio.gather(
        cli("rollout", "status", JOURNEY_ID, *org, "--json"),
        cli("rollout", "status", JOURNEY_ID, *org),
    )
    assert (code, text_code) == (0, 0)
    assert [(v["version"], v["state"], v["weight"], v["policy"]) for v in status["versions"]] == [
        (1, "active", 100, "pin"),
        (2, "retired", 0, "pin"),
        (3, "draft", 0, "pin"),
    ]
    assert [(c["action"], c["actor"], c["reason"]) for c in status["changes"]] == [
        ("rollback", status["changes"][0]["actor"], ""),
        ("publish", "ana", "canary"),
    ]
    assert status["changes"][0]["actor"].startswith("cli:")
    assert "v1  active   100%" in text
    assert "v2  retired    0%  policy pin" in text


async def test_a_change_saved_while_the_cli_changes_the_rollout_makes_it_exit_conflict(
    dev_env: WorkflowEnvironment, settings: JourneySettings, pg_store: Store
) -> None:
    """The CLI read the rollout, then another change was saved: it changes nothing."""
    url = pg_store.engine.url.render_as_string(hide_password=False)
    cli = Cli(settings.model_copy(update={"database_url": url}), dev_env)
    cli.env["JOURNEYS_CATALOG"] = CATALOG_SETTING
    ramp = cli("rollout", "ramp", JOURNEY_ID, "1=100", "--org", "acme", "--json")
    code, answer, _ = await saved_meanwhile(pg_store, "acme", ramp)
    assert (code, answer["exit_code"]) == (EXIT_CONFLICT, EXIT_CONFLICT)
    assert "changed by another change at the same time" in answer["error"]
    versions = LiveVersions(Catalog(ROLLOUT_JOURNEYS), 0)
    with pg_store.transaction() as session:
        assert versions.rollout(session, "acme", JOURNEY_ID).weights() == {1: 90, 2: 10}
        assert [c.actor for c in rollout_changes(session, "acme", JOURNEY_ID)] == ["ana"]
