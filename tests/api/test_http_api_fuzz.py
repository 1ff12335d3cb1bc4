"""Schema fuzzing of the API's OpenAPI spec (schemathesis): no request gets a 5xx.

The API and a worker run as real processes (``journeys api``, ``journeys worker``)
so that the synchronous fuzzing loop never blocks them.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from temporalio.testing import WorkflowEnvironment

from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.api_process import ROOT, api_process, issue_key, server_env

MAX_EXAMPLES = 6
"""Examples per operation: keeps the whole fuzz run well under a minute."""


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> JourneySettings:
    folder = tmp_path_factory.mktemp("fuzz")
    return JourneySettings(
        data_dir=folder / "data",
        task_queue=f"fuzz-{uuid.uuid4().hex[:12]}",
        database_url=f"sqlite:///{folder / 'store.db'}",
    )


@pytest.fixture(scope="module")
def fuzz_key(fuzz_settings: JourneySettings) -> Iterator[str]:
    store = Store(fuzz_settings.resolved_database_url)
    store.migrate()
    yield issue_key(store, "fuzzco")
    store.dispose()


@pytest.fixture(scope="module")
def fuzz_url(
    dev_env: WorkflowEnvironment, fuzz_settings: JourneySettings, fuzz_key: str
) -> Iterator[str]:
    address = dev_env.client.service_client.config.target_host
    folder = Path(fuzz_settings.data_dir).parent
    with (folder / "worker.log").open("wb") as worker_log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "journeys.cli", "worker"],
            cwd=ROOT,
            env=server_env(fuzz_settings, address),
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            with api_process(fuzz_settings, address, folder / "api.log") as url:
                yield url
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def test_no_request_gets_a_server_error(fuzz_url: str, fuzz_key: str) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 15
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(headers={"X-API-Key": fuzz_key}, checks=[not_a_server_error])

            try:
                call()
            except Unsatisfiable:
                # No invalid input exists for an operation without parameters or body.
                assert mode is GenerationMode.NEGATIVE, operation.label
