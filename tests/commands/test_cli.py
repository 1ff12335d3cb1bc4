"""The ``journeys`` command itself: --version, a fast --help, aligned tables."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import journeys
from journeys.cli import build_parser, main
from journeys.commands.runtime import one_shot_log_settings
from journeys.commands.text_tables import render_table
from journeys.settings import JourneySettings
from tests.support.api_process import ROOT
from tests.support.network import free_port

HEAVY_LIBRARIES = ("sklearn", "scipy", "numpy", "joblib", "alembic")
"""Libraries the CLI needs only for some commands (models, migrations): not for --help."""


def readme_command_rows() -> set[str]:
    """The commands named in the first column of the README's table of commands."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("### The commands") :]
    table = table[: table.index("\n\n", table.index("| Command |"))]
    rows = [line for line in table.splitlines() if line.startswith("| `journeys ")]
    return {" ".join(row.split("`")[1].split()[:3]) for row in rows}


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name (none for a leaf command)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_command_and_action_is_in_the_readme() -> None:
    expected: set[str] = set()
    for name, parser in subcommands(build_parser()).items():
        actions = subcommands(parser)
        expected |= {f"journeys {name} {a}" for a in actions} if actions else {f"journeys {name}"}
    documented = readme_command_rows()
    missing = sorted(
        command
        for command in expected
        if not any(row == command or row.startswith(command + " ") for row in documented)
    )
    assert missing == [], f"commands missing from the README's table of commands: {missing}"
    assert len(expected) >= 23


SEED_CITATION = re.compile(r"\bseeds? \d{3}", re.IGNORECASE)
"""How the product brief's documents are cited in code comments: not for users."""


def test_the_readme_and_the_help_state_rules_not_seed_numbers() -> None:
    texts = {"README.md": (ROOT / "README.md").read_text()}
    for name, parser in subcommands(build_parser()).items():
        texts[f"journeys {name} --help"] = parser.format_help()
        for action, leaf in subcommands(parser).items():
            texts[f"journeys {name} {action} --help"] = leaf.format_help()
    cited = {where: SEED_CITATION.findall(text) for where, text in texts.items()}
    assert {where: found for where, found in cited.items() if found} == {}


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"journeys {importlib.metadata.version('journeys')}\n"
    assert importlib.metadata.version("journeys") == journeys.__version__


def test_the_cli_and_its_help_import_no_model_or_migration_library() -> None:
    probe = (
        "import json, sys\n"
        "from journeys.cli import build_parser\n"
        "build_parser().format_help()\n"
        f"heavy = {HEAVY_LIBRARIES!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


def test_model_training_still_finds_scikit_learn() -> None:
    probe = (
        "import sys\n"
        "from journeys.scoring.predictive_models import ModelName, fit_model\n"
        "rows = [[float(i % 7), float(i % 3)] for i in range(80)]\n"
        "labels = [int(row[0] > 3) for row in rows]\n"
        "pipeline, metrics = fit_model(ModelName.CHURN_RISK, rows, labels)\n"
        "print('sklearn' in sys.modules, metrics.train_rows)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "60"]


def test_one_shot_commands_log_warnings_only_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOURNEYS_LOG_LEVEL", raising=False)
    assert one_shot_log_settings(JourneySettings()).log_level == "warning"
    monkeypatch.setenv("JOURNEYS_LOG_LEVEL", "debug")
    assert one_shot_log_settings(JourneySettings()).log_level == "debug"


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    # `journeys journeys | head -1`, with the reader gone before the first write.
    process = subprocess.Popen(
        [sys.executable, "-m", "journeys.cli", "journeys"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (141, "")


def test_a_command_without_temporal_says_what_to_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "journeys.cli", "list"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("JOURNEYS_")},
            "JOURNEYS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "JOURNEYS_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "(JOURNEYS_TEMPORAL_ADDRESS); is `journeys dev` running?" in done.stderr


def test_tables_have_a_header_and_aligned_columns() -> None:
    table = render_table(
        ["CUSTOMER", "JOURNEY", "STEP"],
        [["a-very-long-customer-id", "demo_tour", "ping"], ["ada", "journey_welcome", ""]],
    )
    assert table.splitlines() == [
        "CUSTOMER                 JOURNEY          STEP",
        "a-very-long-customer-id  demo_tour        ping",
        "ada                      journey_welcome",
    ]
    with pytest.raises(ValueError, match="a row has 2 cells for 3 columns"):
        render_table(["A", "B", "C"], [["1", "2"]])


def test_the_catalog_listing_is_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journeys"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["JOURNEY", "VERSION", "STATUS", "ENTRY", "EVENT", "STEPS", "NAME"]
    welcome = next(row for row in rows if row.startswith("journey_welcome "))
    for column in ("VERSION", "STATUS", "ENTRY EVENT", "STEPS", "NAME"):
        assert all(row[header.index(column) - 1] == " " for row in rows), column
    assert welcome[header.index("ENTRY EVENT") :].startswith("account_created ")
