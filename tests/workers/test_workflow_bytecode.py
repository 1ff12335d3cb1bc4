"""Workers run the workflow sandbox when set to, and cache what it re-imports on every run."""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from journeys.settings import JourneySettings
from journeys.store import Store
from workers.journey_worker import ACTIVITY_THREADS, build_worker
from workers.workflow_bytecode import cache_workflow_bytecode, sandboxed_module_sources
from workflows import journey_interpreter, journey_workflow
from workflows.journey_workflow import JourneyWorkflow


def test_the_workflow_module_its_interpreter_and_their_package_are_the_sources() -> None:
    sources = sandboxed_module_sources([JourneyWorkflow])
    assert Path(journey_workflow.__file__) in sources
    assert Path(journey_interpreter.__file__) in sources
    assert Path(sys.modules["workflows"].__file__ or "") in sources
    assert all(source.parent.name == "workflows" for source in sources)


def test_bytecode_is_written_where_imports_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    written = cache_workflow_bytecode([JourneyWorkflow])
    expected = Path(importlib.util.cache_from_source(journey_workflow.__file__))
    assert expected in written
    assert expected.is_relative_to(tmp_path)
    assert expected.read_bytes()[:4] == importlib.util.MAGIC_NUMBER
    # A current cache is left alone (an installed, read-only one stays valid).
    expected.chmod(0o444)
    written_at = expected.stat().st_mtime_ns
    assert cache_workflow_bytecode([JourneyWorkflow]) == written
    assert expected.stat().st_mtime_ns == written_at


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(sys, "pycache_prefix", str(blocker))
    assert cache_workflow_bytecode([JourneyWorkflow]) == []


@pytest.mark.parametrize(
    ("sandboxed", "runner"),
    [(False, UnsandboxedWorkflowRunner), (True, SandboxedWorkflowRunner)],
    ids=["default", "workflow_sandbox"],
)
async def test_the_setting_decides_the_workflow_runner(
    dev_env: WorkflowEnvironment,
    settings: JourneySettings,
    store: Store,
    sandboxed: bool,
    runner: type,
) -> None:
    configured = settings.model_copy(update={"workflow_sandbox": sandboxed})
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(dev_env.client, configured, store, executor)
    assert type(worker.config()["workflow_runner"]) is runner
