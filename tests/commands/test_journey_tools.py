"""The journey CLI tools: validate, graph, simulate (with their bad inputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.catalog.welcome import WELCOME_V1
from journeys.cli import main
from journeys.commands.exit_codes import EXIT_INVALID, EXIT_NOT_FOUND
from journeys.devtools.simulation import simulate
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


def test_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "journey_onboarding_v2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD")
    assert "day_30_success: decide by onboarding_success" in out
    assert "-->|> 75|" in out
    assert main(["graph", "no_such_journey"]) == EXIT_NOT_FOUND
    assert "no journey 'no_such_journey'" in capsys.readouterr().err


def test_simulate_refuses_bad_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "journey_onboarding_v2", "--customers", "0"]) == EXIT_INVALID
    assert "--customers: must be at least 1" in capsys.readouterr().err
    assert main(["simulate", "journey_onboarding_v2", "--days", "0"]) == EXIT_INVALID
    assert "--days: must be at least 1" in capsys.readouterr().err


async def test_simulation_reports_outcomes_and_paths() -> None:
    lines: list[str] = []
    report = await simulate("journey_celebration", 5, 2, progress=lines.append)
    assert report.outcomes == {"celebrated": 5}
    assert sum(report.profiles.values()) == 5
    assert report.paths == {"celebrated": 5}
    assert any("5/5 enrollments ended" in line for line in lines)
    assert "simulated 5 customers through journey_celebration@1" in report.render()
