"""The journey CLI tools: validate, graph, simulate (with their bad inputs)."""

from __future__ import annotations

import json
from datetime import time, timedelta
from pathlib import Path

import pytest

from journeys.catalog import default_catalog
from journeys.catalog.activation_retention import ACTIVATION_RETENTION_V3
from journeys.catalog.welcome import WELCOME_V1
from journeys.cli import main
from journeys.commands.exit_codes import EXIT_INVALID, EXIT_NOT_FOUND
from journeys.commands.journey_tools import condition_text, duration_text, mermaid
from journeys.devtools.simulation import simulate_on_temporal
from journeys.language import (
    AttributeCondition,
    BranchCase,
    BranchStep,
    EntryTrigger,
    EventCountCondition,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    LifecycleStageCondition,
    ScoreCondition,
    WaitForEventStep,
    WaitStep,
    WaitUntilTimeStep,
)
from journeys.language.loading import dump_definition


def test_validate_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "welcome.yaml"
    path.write_text(dump_definition(WELCOME_V1))
    assert main(["validate", str(path)]) == 0
    assert "ok: journey_welcome@1 (7 steps) is valid" in capsys.readouterr().out


def test_validate_refuses_a_bad_file_naming_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(dump_definition(WELCOME_V1).replace("template: great_start", "template: nope"))
    assert main(["validate", str(path)]) == 1
    error = capsys.readouterr().err
    assert (
        "journey 'journey_welcome' version 1 step 'great_start': unknown template 'nope'" in error
    )


def test_validate_checks_entry_time_windows_and_event_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "blueprint.yaml"
    good.write_text(dump_definition(ACTIVATION_RETENTION_V3))
    assert main(["validate", str(good)]) == 0
    capsys.readouterr()
    text = dump_definition(ACTIVATION_RETENTION_V3)
    assert "within: P7D" in text
    bad_window = tmp_path / "bad_window.yaml"
    bad_window.write_text(text.replace("within: P7D", "within: -P7D"))
    assert main(["validate", str(bad_window)]) == 1
    assert "within" in (error := capsys.readouterr().err)
    assert "must be positive" in error
    both = tmp_path / "both.yaml"
    both.write_text(text.replace("        events:\n", "        event: login\n        events:\n", 1))
    assert main(["validate", str(both)]) == 1
    assert "give exactly one of event and events" in capsys.readouterr().err


def test_validate_and_graph_name_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == EXIT_INVALID
    assert capsys.readouterr().err == f"error: file: {missing} is not a file\n"
    assert main(["graph", str(missing)]) == EXIT_INVALID
    assert capsys.readouterr().err == f"error: journey: {missing} is not a file\n"


def test_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "journey_onboarding_v2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD")
    assert "day_30_success: decide by onboarding_success" in out
    assert '-->|"onboarding_success > 75"|' in out
    assert '-->|"day_3_engagement tier high"|' not in out
    assert '-->|"engagement tier high"|' in out
    assert main(["graph", "no_such_journey"]) == EXIT_NOT_FOUND
    assert "no journey 'no_such_journey'" in capsys.readouterr().err


GRAPHED = JourneyDefinition(
    id="graphed",
    version=1,
    metadata=JourneyMetadata(name="Every label the graph writes"),
    entry=EntryTrigger(event="signed_up"),
    start="by_engagement",
    steps={
        "by_engagement": BranchStep(
            cases=[
                BranchCase(
                    when=ScoreCondition(scorer="engagement", op="gte", value=70), next="pause"
                ),
                BranchCase(
                    when=EventCountCondition(event="clicked", within=timedelta(days=2)),
                    also=[AttributeCondition(attribute="plan", op="in", value=["pro", "team"])],
                    next="pause",
                ),
                BranchCase(
                    when=EventCountCondition(event="login", at_least=0, at_most=0),
                    next="pause",
                ),
                BranchCase(when=LifecycleStageCondition(stages=["trial"]), next="pause"),
            ],
            otherwise="until_nine",
        ),
        "pause": WaitStep(duration=timedelta(days=3), next="reply"),
        "until_nine": WaitUntilTimeStep(at=time(9), weekdays=[0, 1, 2, 3, 4], next="reply"),
        "reply": WaitForEventStep(
            events={"replied": "done"}, timeout=timedelta(hours=36), on_timeout="done"
        ),
        "done": ExitStep(),
    },
)


def test_graph_labels_edges_with_their_conditions_and_waits_with_durations() -> None:
    graph = mermaid(GRAPHED)
    ids = {"by_engagement": "s0", "pause": "s1", "until_nine": "s2", "reply": "s3", "done": "s4"}
    assert f'{ids["by_engagement"]} -->|"engagement >= 70"| {ids["pause"]}' in graph
    assert '-->|"clicked within 2d and plan in [pro, team]"|' in graph
    assert '-->|"no login since enrollment"|' in graph
    assert '-->|"stage = trial"|' in graph
    assert f'{ids["by_engagement"]} -->|"otherwise"| {ids["until_nine"]}' in graph
    assert '["pause: wait 3d"]' in graph
    assert '["until_nine: wait until 09:00 Mon/Tue/Wed/Thu/Fri (local time)"]' in graph
    assert '["reply: wait up to 1d 12h for replied"]' in graph
    assert f'{ids["reply"]} -->|"no event in 1d 12h"| {ids["done"]}' in graph
    assert "|event_count|" not in graph
    assert "|score|" not in graph


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(days=3), "3d"),
        (timedelta(days=1, hours=12), "1d 12h"),
        (timedelta(minutes=90), "1h 30m"),
        (timedelta(seconds=45), "45s"),
        (timedelta(milliseconds=250), "250ms"),
    ],
)
def test_durations_are_written_compactly(duration: timedelta, text: str) -> None:
    assert duration_text(duration) == text


def test_simulate_refuses_bad_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "journey_onboarding_v2", "--customers", "0"]) == EXIT_INVALID
    assert "--customers: must be at least 1" in capsys.readouterr().err
    assert main(["simulate", "journey_onboarding_v2", "--days", "0"]) == EXIT_INVALID
    assert "--days: must be at least 1" in capsys.readouterr().err


async def test_simulation_reports_outcomes_and_paths() -> None:
    lines: list[str] = []
    journey = default_catalog().get("journey_celebration")
    report = await simulate_on_temporal(journey, 5, 2, progress=lines.append)
    assert report.outcomes == {"celebrated": 5}
    assert sum(report.profiles.values()) == 5
    assert report.paths == {"celebrated": 5}
    assert any("5/5 enrollments ended" in line for line in lines)
    assert "simulated 5 customers through journey_celebration@1" in report.render()


def test_simulate_prints_json_and_writes_a_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "chart.html"
    arguments = ["simulate", "journey_onboarding_v2", "--customers", "40", "--days", "10"]
    assert main([*arguments, "--json", "--chart", str(chart)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["journey"] == "journey_onboarding_v2@2"
    assert sum(report["outcomes"].values()) == 40
    assert report["funnel"]["welcome_by_source"] == 40
    assert len(report["sends_per_channel_per_day"]["email"]) == 11
    page = chart.read_text()
    assert page.count("<svg") == 2
    assert "welcome_by_source" in page
    assert "journey day" in page


def test_simulate_compares_two_versions_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The catalog's newest version (2) against a draft version 3 from a definition file."""
    draft = WELCOME_V1.model_copy(update={"version": 3})
    path = tmp_path / "welcome_v3.json"
    path.write_text(json.dumps(draft.model_dump(mode="json")))
    assert main(["simulate", "--compare", "journey_welcome", str(path), "--customers", "30"]) == 0
    out = capsys.readouterr().out
    assert "what-if: journey_welcome@2 vs journey_welcome@3, the same 30 customers" in out
    assert "outcomes:" in out
    assert "sends per channel:" in out


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["journey_onboarding_v2@x"], "journey: the version in 'journey_onboarding_v2@x'"),
        (["journey_onboarding_v2", "--days", "0"], "--days: must be at least 1, not 0"),
        (["journey_onboarding_v2", "--days", "-3"], "--days: must be at least 1, not -3"),
        (["journey_onboarding_v2", "--days", "400"], "days: must be between 1 and 365"),
        (["journey_onboarding_v2", "--workers", "0"], "--workers: must be at least 1"),
        ([], "journey: name a journey"),
        (["--compare", "a", "b", "journey_welcome"], "either a journey or --compare"),
        (["journey_welcome", "--from-store"], "--from-store: needs --since DATE and --org ORG"),
        (
            ["journey_welcome", "--from-store", "--since", "last week", "--org", "acme"],
            "--since: must be a date YYYY-MM-DD, not 'last week'",
        ),
        (["journey_welcome", "--since", "2026-01-01"], "--since/--org: only with --from-store"),
        (["journey_welcome", "--engine", "temporal", "--json"], "--json: needs the simulator"),
    ],
)
def test_simulate_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], arguments: list[str], problem: str
) -> None:
    assert main(["simulate", *arguments]) == EXIT_INVALID
    assert problem in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["nope"], "no journey 'nope'"),
        (["journey_onboarding_v2@9"], "journey 'journey_onboarding_v2' has no version 9"),
    ],
)
def test_simulate_of_an_unknown_journey_exits_not_found(
    capsys: pytest.CaptureFixture[str], arguments: list[str], problem: str
) -> None:
    assert main(["simulate", *arguments]) == EXIT_NOT_FOUND
    assert problem in capsys.readouterr().err


def test_simulate_refuses_a_profiles_file_with_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text("profiles:\n  - {name: a, weight: -2}\n")
    assert main(["simulate", "journey_welcome", "--profiles", str(path)]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert f"profiles file {path}: profiles.0.weight: Input should be greater than 0" in err


def test_an_event_count_over_several_events_reads_as_none_of_them() -> None:
    condition = EventCountCondition(
        events=["login", "feature_used"], at_least=0, at_most=0, within=timedelta(days=21)
    )
    assert condition_text(condition) == "no feature_used, login within 21d"
    assert condition_text(EventCountCondition(events=["login", "feature_used"])) == (
        "any of feature_used, login since enrollment"
    )
