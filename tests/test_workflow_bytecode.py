"""Workers cache the bytecode of the modules the workflow sandbox re-imports on every run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from workers.workflow_bytecode import cache_workflow_bytecode, sandboxed_module_sources
from workflows import journey_workflow
from workflows.journey_workflow import JourneyWorkflow


def test_the_workflow_module_and_its_package_are_the_sources() -> None:
    sources = sandboxed_module_sources([JourneyWorkflow])
    assert Path(journey_workflow.__file__) in sources
    assert Path(sys.modules["workflows"].__file__ or "") in sources


def test_bytecode_is_written_where_imports_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    written = cache_workflow_bytecode([JourneyWorkflow])
    expected = Path(importlib.util.cache_from_source(journey_workflow.__file__))
    assert expected in written and expected.is_relative_to(tmp_path)
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
