"""Journey analytics of a known population equal the figures computed by hand."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from journeys.analytics.journey_report import JourneyReport
from journeys.analytics.queries import ReportRequest, requested_report
from journeys.catalog import Catalog
from journeys.commands.exit_codes import EXIT_INVALID, EXIT_NOT_FOUND
from journeys.contracts.activities import DecisionCandidate, DecisionRecord
from journeys.errors import InvalidInputError, UnknownJourneyError
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.decision_audit import record_decision
from tests.support.api_process import ROOT, api_process, issue_key, server_env
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import MEASURED, measured_catalog, walk_population
from tests.support.prometheus_text import exposes
from tests.support.temporal import journey_client, running_worker

CATALOG_ENV = {"JOURNEYS_CATALOG": "tests.support.measured_population:MEASURED_JOURNEYS"}
HOURS_TO_DAY_3 = 72.0
ONE_MINUTE_IN_HOURS = 1 / 60


def around_now() -> tuple[datetime, datetime]:
    """A range holding the population's starts and (in skipped workflow time) its sends."""
    now = datetime.now(UTC)
    return now - timedelta(days=1), now + timedelta(days=7)


def check_whole_population(report: JourneyReport) -> None:
    """Seven entered: 4 short (goal, engaged, quiet, closed), 3 long (goal, engaged, quiet)."""
    assert (report.entered, report.active) == (7, 0)
    assert (report.completed, report.goal_reached, report.dropped) == (4, 2, 1)
    assert report.completion_rate == pytest.approx(4 / 7)
    assert report.goal_conversion == pytest.approx(2 / 7)
    assert report.dropoff_rate == pytest.approx(1 / 7)
    assert report.left_by_outcome == {
        "completed_journey": 4,
        "goal_reached": 2,
        "exit_event:account_closed": 1,
    }
    funnel = {s.step: (s.reached, s.dropped_here) for s in report.steps}
    assert [s.step for s in report.steps] == list(MEASURED.steps)
    assert funnel == {
        "split": (7, 0),
        "welcome_short": (4, 0),
        "welcome_long": (3, 0),
        "day_0": (7, 1),
        "nudge": (2, 0),
        "day_3": (4, 0),
        "done": (4, 0),
    }
    assert report.steps[3].dropoff_rate == pytest.approx(1 / 7)
    # Completed customers end on Day 3 of workflow time.
    assert report.time_to_complete.count == 4
    assert report.time_to_complete.median_hours == pytest.approx(
        HOURS_TO_DAY_3, abs=ONE_MINUTE_IN_HOURS
    )
    assert report.time_to_complete.p90_hours == pytest.approx(
        HOURS_TO_DAY_3, abs=ONE_MINUTE_IN_HOURS
    )
    # The goal events arrive during Day 0's wait, before its one-day timeout.
    assert report.time_to_first_value.count == 2
    assert 0 < (report.time_to_first_value.p90_hours or 0) < 24
    # Seven welcomes and two nudges (the quiet customers), all in-app and sent.
    assert report.sends == {"in_app": {"sent": 9}}
    assert report.suppressions == {}
    assert report.decisions == []
    arms = {(a.arm, a.entered, a.completed, a.goal_reached, a.dropped) for a in report.arms}
    assert arms == {("short", 4, 2, 1, 1), ("long", 3, 2, 1, 0)}


async def test_report_of_a_known_population(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    env = time_skipping_env
    catalog = measured_catalog()
    client = journey_client(env.client, store, settings, catalog)
    async with running_worker(env.client, settings, store):
        await walk_population(env, client)
    since, until = around_now()
    whole = ReportRequest(org_id=ORG, journey_id=MEASURED.id, since=since, until=until)
    check_whole_population(requested_report(store, catalog, whole))
    versioned = ReportRequest(
        org_id=ORG, journey_id=MEASURED.id, since=since, until=until, version=1
    )
    check_whole_population(requested_report(store, catalog, versioned))

    long_arm = requested_report(
        store,
        catalog,
        ReportRequest(
            org_id=ORG,
            journey_id=MEASURED.id,
            since=since,
            until=until,
            experiment="welcome_copy",
            arm="long",
        ),
    )
    assert (long_arm.entered, long_arm.completed, long_arm.goal_reached) == (3, 2, 1)
    assert long_arm.sends == {"in_app": {"sent": 4}}
    assert {s.step: s.reached for s in long_arm.steps}.get("welcome_short") is None

    later = ReportRequest(
        org_id=ORG, journey_id=MEASURED.id, since=until, until=until + timedelta(days=1)
    )
    assert requested_report(store, catalog, later).entered == 0

    env_vars = server_env(settings, env.client.service_client.config.target_host, **CATALOG_ENV)

    async def cli(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "journeys.cli",
            "report",
            *args,
            cwd=ROOT,
            env=env_vars,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    code, out, _ = await cli(
        MEASURED.id, "--org", ORG, "--until", until.isoformat(), "--days", "8", "--json"
    )
    assert code == 0
    check_whole_population(JourneyReport.model_validate(json.loads(out)))
    code, out, _ = await cli(MEASURED.id, "--org", ORG, "--until", until.isoformat(), "--days", "8")
    assert code == 0
    assert "Entered: 7" in out
    assert "STEP FUNNEL:" in out
    assert "welcome_copy=short" in out
    for args, message in [
        (["--days", "0"], "--days: must be between 1 and 366"),
        (["--since", "yesterday"], "--since: 'yesterday' is not an ISO 8601 time"),
        (["--since", "2026-11-01T00:00:00"], "--since: needs a time zone"),
        (["--experiment", "welcome_copy"], "arm: give experiment and arm together"),
        (["--version", "0"], "--version: must be at least 1"),
    ]:
        code, _, err = await cli(MEASURED.id, "--org", ORG, *args)
        assert code == EXIT_INVALID, (args, err)
        assert message in err, (args, err)
    code, _, err = await cli("no_such_journey", "--org", ORG)
    assert code == EXIT_NOT_FOUND
    assert "no_such_journey" in err

    key = issue_key(store, ORG)
    log = tmp_path / "api.log"
    with api_process(
        settings, env.client.service_client.config.target_host, log, **CATALOG_ENV
    ) as url:
        async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=30) as http:
            params = {"since": since.isoformat(), "until": until.isoformat()}
            answer = await http.get(f"/v1/journeys/{MEASURED.id}/report", params=params)
            assert answer.status_code == 200, answer.text
            check_whole_population(JourneyReport.model_validate(answer.json()))
            reversed_range = {"since": until.isoformat(), "until": since.isoformat()}
            bad = await http.get(f"/v1/journeys/{MEASURED.id}/report", params=reversed_range)
            assert bad.status_code == 422
            assert bad.json()["error"]["field"] == "query.until"
            bad = await http.get(f"/v1/journeys/{MEASURED.id}/report", params={"version": "0"})
            assert bad.status_code == 422
            assert "version" in bad.json()["error"]["field"]
            bad = await http.get(
                f"/v1/journeys/{MEASURED.id}/report", params={"experiment": "welcome_copy"}
            )
            assert bad.status_code == 422
            assert bad.json()["error"]["field"] == "query.arm"
            missing = await http.get("/v1/journeys/no_such_journey/report")
            assert missing.status_code == 404
            verdict = await http.get(f"/v1/journeys/{MEASURED.id}/experiments/welcome_copy")
            assert verdict.status_code == 200
            assert verdict.json()["verdict"] == "keep_running"
            assert [a["entered"] for a in verdict.json()["arms"]] == [4, 3]
            unknown = await http.get(f"/v1/journeys/{MEASURED.id}/experiments/nope")
            assert unknown.status_code == 422
            assert unknown.json()["error"]["field"] == "path.experiment"
            bad_metric = await http.get(
                f"/v1/journeys/{MEASURED.id}/experiments/welcome_copy", params={"metric": "x"}
            )
            assert bad_metric.json()["error"]["field"] == "query.metric"
            promote = f"/v1/journeys/{MEASURED.id}/experiments/welcome_copy/promote"
            for body, field, problem in [
                ({}, "path.experiment", "no winner yet"),
                ({"arm": "long"}, "body.arm", "long is not the winner"),
                ({"arm": "medium", "force": True}, "body.arm", "no arm 'medium'"),
                ({"force": True}, "body.force", "name the arm"),
            ]:
                refused = await http.post(promote, json=body)
                assert refused.status_code == 422, (body, refused.text)
                assert refused.json()["error"]["field"] == field, body
                assert problem in refused.json()["error"]["message"], body
            unknown_field = await http.post(promote, json={"winner": "long"})
            assert unknown_field.status_code == 422
            assert "winner" in unknown_field.json()["error"]["field"]
            elsewhere = await http.post(
                f"/v1/journeys/{MEASURED.id}/experiments/nope/promote", json={}
            )
            assert elsewhere.status_code == 422
            assert elsewhere.json()["error"]["field"] == "path.experiment"
            alerts = await http.get("/v1/alerts", params={"active": "false"})
            assert alerts.status_code == 200
            assert alerts.json() == {"alerts": []}
            bad_limit = await http.get("/v1/alerts", params={"limit": "0"})
            assert bad_limit.status_code == 422
            assert "limit" in bad_limit.json()["error"]["field"]
            scraped = (await http.get("/metrics")).text
            for name in ("journeys_events_routed_total", "journeys_alerts_active"):
                assert exposes(scraped, name), name
            assert 'journeys_alerts_active{rule="dropoff_spike",severity="critical"} 0.0' in scraped


def test_decisions_by_choice_with_average_confidence_and_errors(store: Store) -> None:
    """Next best action records confidences as candidate scores; a failed scorer is an error."""
    now = datetime.now(UTC)

    def decide(key: str, decision: str, choice: str, scores: dict[str, float], version: str):
        return DecisionRecord(
            org_id=ORG,
            customer_id=f"c-{key}",
            journey_id=MEASURED.id,
            enrollment_id=f"e-{key}",
            step_key=key,
            decision=decision,
            model_name="m",
            model_version=version,
            candidates=[DecisionCandidate(name=n, score=s) for n, s in scores.items()],
            choice=choice,
            rationale="",
            decided_at=now,
        )

    with store.transaction() as session:
        for record in [
            decide("1", "next_best_action", "email", {"email": 0.9, "push": 0.4}, "nba-1"),
            decide("2", "next_best_action", "email", {"email": 0.7, "push": 0.6}, "nba-1"),
            decide("3", "next_best_action", "push", {"email": 0.2, "push": 0.5}, "nba-1"),
            decide("4", "day_3_check", "low", {"low": 12.0, "high": 12.0}, "unavailable"),
        ]:
            record_decision(session, record)
    since, until = around_now()
    report = requested_report(
        store,
        Catalog([MEASURED]),
        ReportRequest(org_id=ORG, journey_id=MEASURED.id, since=since, until=until),
    )
    summary = {(d.decision, d.choice): (d.count, d.average_confidence) for d in report.decisions}
    assert summary[("next_best_action", "email")][0] == 2
    assert summary[("next_best_action", "email")][1] == pytest.approx(0.8)
    assert summary[("next_best_action", "push")] == (1, 0.5)
    assert summary[("day_3_check", "low")] == (1, None)
    assert (report.decision_errors, report.decision_error_rate) == (1, 0.25)


def test_bad_report_requests_name_the_field() -> None:
    catalog = Catalog([MEASURED])
    now = datetime.now(UTC)
    cases = [
        (dict(since=now, until=now), "until"),
        (dict(since=now - timedelta(days=400), until=now), "since"),
        (dict(since=now.replace(tzinfo=None), until=now), "since"),
        (dict(since=now - timedelta(days=1), until=now, arm="long"), "experiment"),
    ]
    for arguments, field in cases:
        with pytest.raises(InvalidInputError) as raised:
            requested_report(
                Store("sqlite://"),
                catalog,
                ReportRequest(org_id=ORG, journey_id=MEASURED.id, **arguments),  # type: ignore[arg-type]
            )
        assert raised.value.field == field
    with pytest.raises(UnknownJourneyError):
        requested_report(
            Store("sqlite://"),
            catalog,
            ReportRequest(org_id=ORG, journey_id="nope", since=now - timedelta(days=1), until=now),
        )
