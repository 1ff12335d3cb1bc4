"""``journeys dev``, ``worker`` and ``migrate`` as a user runs them: real processes, real ports."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import Catalog, default_catalog
from journeys.catalog.demo_tour import DEMO_TOUR_V1
from journeys.catalog.examples.first_project import FIRST_PROJECT_V1
from journeys.cli import main
from journeys.client import TrackedEvent
from journeys.commands.exit_codes import EXIT_FAILURE, EXIT_INVALID
from journeys.contracts import search_attributes
from journeys.devtools.dev_stack import (
    DEMO_CUSTOMERS,
    BannerExample,
    TemporalDevServer,
    banner,
    cli_invocation,
    demo_event_id,
    run_dev_stack,
)
from journeys.devtools.temporal_binaries import temporal_cli_path
from journeys.errors import ConfigurationError, DevStackError
from journeys.language import EntryTrigger
from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.network import free_port
from tests.support.temporal import journey_client
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 120.0
STOP_SECONDS = 60.0
PROGRESS_LINE = re.compile(r"^(journeys dev: |  (ok|\.\.|--)   )")
"""A line of ``journeys dev``'s startup progress (and nothing else may come before its banner)."""

DEMO_ENROLLMENTS = 2 * len(DEMO_CUSTOMERS)
"""Every demo customer enrolls in the welcome journey and in the demo tour."""


def cli_env(**settings: str) -> dict[str, str]:
    """The environment of a CLI process: ours without JOURNEYS_ settings, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JOURNEYS_")}
    env.update({f"JOURNEYS_{key.upper()}": value for key, value in settings.items()})
    return env


def run_cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeys.cli", *args],
        cwd=ROOT,
        env=cli_env(**settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class DevProcess:
    """A running ``journeys dev`` with its output in files."""

    def __init__(self, folder: Path, env: dict[str, str], name: str):
        self.stdout_path = folder / f"{name}.out"
        self.stderr_path = folder / f"{name}.err"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "journeys.cli", "dev"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )

    @property
    def output(self) -> str:
        return self.stdout_path.read_text()

    def diagnostics(self) -> str:
        return f"stdout:\n{self.output}\nstderr (tail):\n{self.stderr_path.read_text()[-3000:]}"

    def wait_for_banner(self) -> int:
        """Wait until the stack is up; returns the Temporal dev server's pid."""
        deadline = time.monotonic() + START_SECONDS
        while "Journey engine is running." not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"journeys dev did not come up\n{self.diagnostics()}")
            time.sleep(0.2)
        found = re.search(r"Temporal dev server \(pid (\d+)\)", self.output)
        assert found, self.diagnostics()
        return int(found.group(1))

    def interrupt(self, number: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C (or another signal); returns the exit status."""
        self.process.send_signal(number)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"journeys dev did not stop\n{self.diagnostics()}") from None

    def stop(self) -> None:
        """SIGTERM (so the dev server is stopped too), SIGKILL if that does not end it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)


@pytest.fixture
def dev_processes() -> Iterator[list[DevProcess]]:
    """Kills whatever ``journeys dev`` a failing test left running."""
    processes: list[DevProcess] = []
    yield processes
    for process in processes:
        process.stop()


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def demo_workflows(address: str, expected: int) -> dict[str, WorkflowExecutionStatus | None]:
    """Demo enrollments by workflow id, once ``expected`` are visible (bounded wait)."""
    client = await Client.connect(address)
    listed: list[tuple[str, WorkflowExecutionStatus | None]] = []
    for _ in range(300):
        listed = [(e.id, e.status) async for e in client.list_workflows("JourneyOrgId = 'demo'")]
        if len(listed) >= expected:
            break
        await asyncio.sleep(0.2)
    ids = [workflow_id for workflow_id, _ in listed]
    assert len(ids) == len(set(ids)), f"an enrollment was made twice: {sorted(ids)}"
    assert len(ids) == expected, f"{len(ids)} demo enrollments visible: {sorted(ids)}"
    return dict(listed)


async def test_dev_runs_demo_stops_on_ctrl_c_and_keeps_its_data(
    tmp_path: Path, dev_processes: list[DevProcess]
) -> None:
    temporal_port, ui_port, api_port = free_port(), free_port(), free_port()
    dashboard_port = free_port()
    env = cli_env(
        data_dir=str(tmp_path / "data"),
        temporal_port=str(temporal_port),
        temporal_ui_port=str(ui_port),
        api_port=str(api_port),
        dashboard_port=str(dashboard_port),
        log_format="json",
    )
    address = f"127.0.0.1:{temporal_port}"

    first = DevProcess(tmp_path, env, "first")
    dev_processes.append(first)
    server_pid = await asyncio.to_thread(first.wait_for_banner)
    assert f"http://localhost:{ui_port}" in first.output
    dashboard = f"http://127.0.0.1:{dashboard_port}"
    assert f"Dashboard    {dashboard}" in first.output

    async def dashboard_answers() -> bool:
        async with httpx.AsyncClient() as http:
            try:
                return (await http.get(f"{dashboard}/_stcore/health")).text == "ok"
            except httpx.TransportError:
                return False

    await eventually(dashboard_answers, seconds=60)
    assert str(tmp_path / "data" / "outbox.jsonl") in first.output
    progress, banner = first.output.split("Journey engine is running.")
    assert all(PROGRESS_LINE.match(line) for line in progress.splitlines() if line), progress
    assert f"Logs         {tmp_path / 'data' / 'journeys.log'}" in banner
    assert "add the JourneyStep and JourneyStatus columns with" in banner
    assert "User Metadata tab shows its Current Details" in banner
    before = await demo_workflows(address, DEMO_ENROLLMENTS)
    assert set(before) == {
        f"journey:demo:{journey}:{customer.customer_id}"
        for journey in ("journey_welcome", "demo_tour")
        for customer in DEMO_CUSTOMERS
    }
    assert await asyncio.to_thread(first.interrupt) == 0, first.diagnostics()
    assert "journeys dev: stopped" in first.output
    assert process_gone(server_pid)
    assert (tmp_path / "data" / "temporal.db").exists()
    assert first.stderr_path.read_text() == "", first.diagnostics()
    assert '"customer_id": "ada"' in (tmp_path / "data" / "journeys.log").read_text()

    second = DevProcess(tmp_path, env, "second")
    dev_processes.append(second)
    second_server_pid = await asyncio.to_thread(second.wait_for_banner)
    assert "sent on an earlier start" in second.output
    after = await demo_workflows(address, DEMO_ENROLLMENTS)
    assert set(after) == set(before)
    assert await asyncio.to_thread(second.interrupt, signal.SIGTERM) == 0, second.diagnostics()
    assert "journeys dev: stopped" in second.output
    assert process_gone(second_server_pid)

    store = Store(JourneySettings(data_dir=tmp_path / "data").resolved_database_url)
    try:
        with store.engine.connect() as connection:
            demo_ids = {
                row[0]
                for row in connection.exec_driver_sql("select event_id from events").fetchall()
            }
    finally:
        store.dispose()
    assert demo_event_id("ada", "account_created") in demo_ids
    assert len(demo_ids) == len(set(demo_ids))


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + STOP_SECONDS
    while not process_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_nothing_journeys_dev_started_outlives_it(
    tmp_path: Path, dev_processes: list[DevProcess]
) -> None:
    temporal_port, ui_port, api_port = free_port(), free_port(), free_port()
    dashboard_port = free_port()
    env = cli_env(
        data_dir=str(tmp_path / "data"),
        temporal_port=str(temporal_port),
        temporal_ui_port=str(ui_port),
        api_port=str(api_port),
        dashboard_port=str(dashboard_port),
    )
    killed = DevProcess(tmp_path, env, "killed")
    dev_processes.append(killed)
    server_pid = killed.wait_for_banner()
    assert "web dashboard on" in killed.output, killed.diagnostics()
    killed.process.kill()
    killed.process.wait(timeout=STOP_SECONDS)
    assert wait_gone(server_pid), "the dev server outlived kill -9"
    assert wait_port_closed(dashboard_port), "the web dashboard outlived kill -9"

    # A server orphaned where the parent-death signal does not exist (not Linux):
    # the pid file lets the next start stop it rather than refuse the port.
    settings = JourneySettings(
        data_dir=tmp_path / "data", temporal_port=temporal_port, temporal_ui_port=ui_port
    )
    orphan_server = TemporalDevServer(settings)
    with (tmp_path / "orphan.log").open("wb") as orphan_log:
        orphan = subprocess.Popen(
            orphan_server.command(), stdout=orphan_log, stderr=subprocess.STDOUT
        )
    orphan_server.pid_path.write_text(f"{orphan.pid}\n")
    try:
        hung_up = DevProcess(tmp_path, env, "hung_up")
        dev_processes.append(hung_up)
        second_pid = hung_up.wait_for_banner()
        assert f"stopped Temporal dev server {orphan.pid} left by an earlier run" in hung_up.output
        assert orphan.wait(timeout=STOP_SECONDS) == -signal.SIGKILL
        assert hung_up.interrupt(signal.SIGHUP) == 0
        assert "journeys dev: stopped" in hung_up.output, hung_up.diagnostics()
        assert wait_gone(second_pid)
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()


def wait_port_closed(port: int, seconds: float = STOP_SECONDS) -> bool:
    """Whether nothing listens on ``port`` any more, within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


TEAM_TOUR = DEMO_TOUR_V1.model_copy(update={"id": "team_tour"})


async def test_dev_with_a_catalog_without_the_demo_journeys_skips_the_demo(
    tmp_path: Path,
) -> None:
    settings = JourneySettings(
        data_dir=tmp_path,
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        api_port=free_port(),
        log_level="warning",
    )
    lines: list[str] = []
    stack = asyncio.create_task(
        run_dev_stack(settings, say=lines.append, catalog=Catalog([TEAM_TOUR]))
    )
    try:
        deadline = time.monotonic() + 120
        while not any("demo:" in line for line in lines):
            assert not stack.done(), lines
            assert time.monotonic() < deadline, lines
            await asyncio.sleep(0.2)
    finally:
        stack.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stack
    assert "  ok   catalog: team_tour@1" in lines
    assert "  --   demo: skipped, the catalog has no demo_tour / journey_welcome" in lines


def test_the_banner_spells_the_cli_as_it_can_be_typed_here(tmp_path: Path) -> None:
    project = tmp_path / "project"
    venv_script = project / ".venv" / "bin" / "journeys"
    assert cli_invocation(".venv/bin/journeys", None, project) == ".venv/bin/journeys"
    assert cli_invocation(str(venv_script), None, project) == ".venv/bin/journeys"
    assert cli_invocation(str(venv_script), str(venv_script), project) == "journeys"
    assert cli_invocation("/opt/tools/bin/journeys", None, project) == "/opt/tools/bin/journeys"
    assert cli_invocation(str(ROOT / "journeys" / "cli.py"), None, project) == "journeys"
    text = banner(
        JourneySettings(data_dir=tmp_path),
        cli_commands=["track", "api-key"],
        cli=".venv/bin/journeys",
    )
    assert "  .venv/bin/journeys track --customer you --event account_created" in text
    assert "  .venv/bin/journeys api-key create --org demo" in text
    assert "enroll --customer" not in text


def test_the_banner_examples_use_the_served_catalog(tmp_path: Path) -> None:
    assert BannerExample.of(default_catalog()) == BannerExample("demo_tour", "account_created")
    own = BannerExample.of(Catalog([FIRST_PROJECT_V1]))
    assert own == BannerExample("first_project", "workspace_created")
    text = banner(
        JourneySettings(data_dir=tmp_path),
        cli_commands=["track", "enroll", "list"],
        example=own,
    )
    assert "  journeys track --customer you --event workspace_created" in text
    assert "  journeys enroll --customer you --journey first_project" in text
    assert 'name="workspace_created"' in text
    assert "demo_tour" not in text
    assert "account_created" not in text
    api_only = BannerExample.of(Catalog([TEAM_TOUR.model_copy(update={"entry": EntryTrigger()})]))
    assert api_only == BannerExample("team_tour", None)
    quiet = banner(JourneySettings(data_dir=tmp_path), cli_commands=["track"], example=api_only)
    assert "track" not in quiet.split("Logs")[1]


def test_dev_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "dev",
            data_dir=str(tmp_path),
            temporal_port=str(port),
            temporal_ui_port=str(free_port()),
            api_port=str(free_port()),
        )
    assert result.returncode == EXIT_FAILURE
    assert f"port {port} (temporal_port) is already in use" in result.stderr
    assert "JOURNEYS_TEMPORAL_PORT" in result.stderr


async def test_dev_refuses_the_same_port_twice(tmp_path: Path) -> None:
    port = free_port()
    settings = JourneySettings(data_dir=tmp_path, temporal_port=port, temporal_ui_port=port)
    with pytest.raises(ConfigurationError, match="temporal_ui_port and temporal_port are both"):
        await run_dev_stack(settings, say=lambda line: None)
    assert not (tmp_path / "temporal.db").exists()


async def test_dev_server_that_exits_at_once_is_reported(tmp_path: Path) -> None:
    settings = JourneySettings(
        data_dir=tmp_path, temporal_port=free_port(), temporal_ui_port=free_port()
    )
    server = TemporalDevServer(settings, binary=Path("/bin/false"))
    with pytest.raises(DevStackError, match="exited with status 1"):
        await server.start()
    assert server.pid is None


def test_bad_option_values_name_the_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "--temporal-port", "0"]) == EXIT_INVALID
    assert "temporal_port (--temporal-port)" in capsys.readouterr().err
    assert main(["dev", "--ui-port", "70000"]) == EXIT_INVALID
    assert "temporal_ui_port (--ui-port)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["dev", "--api-port", "eighty"])
    assert exit_info.value.code == EXIT_INVALID
    assert "invalid int value: 'eighty'" in capsys.readouterr().err


def test_bad_environment_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOURNEYS_TEMPORAL_PORT", "not-a-port")
    assert main(["worker"]) == EXIT_INVALID
    assert "temporal_port (JOURNEYS_TEMPORAL_PORT)" in capsys.readouterr().err
    monkeypatch.delenv("JOURNEYS_TEMPORAL_PORT")
    monkeypatch.setenv("JOURNEYS_API_KEEP_ALIVE_SECONDS", "0")
    assert main(["api"]) == EXIT_INVALID
    assert "api_keep_alive_seconds (JOURNEYS_API_KEEP_ALIVE_SECONDS)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "journeys.cli", "journeys"],
        ["-m", "journeys.cli", "graph", "journey_welcome"],
        ["-m", "workers.journey_worker"],
        ["-m", "journeys.devtools.smtp_sink"],
    ],
)
def test_settings_read_at_entry_points_name_the_bad_variable(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=cli_env(smtp_port="not-a-port"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_INVALID
    assert result.stderr.startswith("error: smtp_port (JOURNEYS_SMTP_PORT): "), result.stderr
    assert "Traceback" not in result.stderr


def test_worker_without_temporal_says_where_it_looked(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = run_cli(
        "worker", temporal_address=address, database_url=f"sqlite:///{tmp_path / 'store.db'}"
    )
    assert result.returncode == EXIT_FAILURE
    assert f"cannot reach Temporal at {address} (JOURNEYS_TEMPORAL_ADDRESS)" in result.stderr


def test_migrate_creates_the_schema_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["migrate", "--database-url", url]) == 0
    assert main(["migrate", "--database-url", url]) == 0
    assert f"store migrated: {url}" in capsys.readouterr().out
    store = Store(url)
    try:
        assert {"customers", "events"} <= set(inspect(store.engine).get_table_names())
    finally:
        store.dispose()


def test_migrate_rejects_bad_database_urls(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--database-url", "not a url"]) == EXIT_INVALID
    assert "database_url: not a database URL" in capsys.readouterr().err
    assert (
        main(["migrate", "--database-url", f"postgresql://nobody@127.0.0.1:{free_port()}/x"])
        == EXIT_FAILURE
    )
    assert "cannot migrate postgresql+psycopg://nobody@127.0.0.1" in capsys.readouterr().err


async def test_temporal_setup_registers_the_search_attributes() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        dev_server_extra_args=["--log-level", "error"],
    )
    try:
        address = env.client.service_client.config.target_host
        result = await asyncio.to_thread(
            run_cli, "temporal-setup", "--wait", "30", temporal_address=address
        )
        assert result.returncode == 0, result.stderr
        assert f"search attributes registered on {address}" in result.stdout
        listed = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        for key in search_attributes.ALL_KEYS:
            assert listed.custom_attributes[key.name] == key.indexed_value_type.value
    finally:
        await env.shutdown()


def test_temporal_setup_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["temporal-setup", "--wait", "0"]) == EXIT_INVALID
    assert "error: --wait: must be more than 0" in capsys.readouterr().err
    address = f"127.0.0.1:{free_port()}"
    result = run_cli("temporal-setup", "--wait", "1", temporal_address=address)
    assert result.returncode == EXIT_FAILURE
    assert f"cannot reach Temporal at {address} (JOURNEYS_TEMPORAL_ADDRESS) within 1s" in (
        result.stderr
    )


async def test_worker_command_runs_journeys_and_stops_on_sigterm(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    env = cli_env(
        temporal_address=dev_env.client.service_client.config.target_host,
        task_queue=settings.task_queue,
        database_url=settings.resolved_database_url,
        data_dir=str(settings.data_dir),
        log_format="json",
    )
    with (tmp_path / "worker.err").open("w") as err:
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "journeys.cli", "worker", cwd=ROOT, env=env, stderr=err
        )
    try:
        client = journey_client(dev_env.client, store, settings)
        tracked = await client.track(
            TrackedEvent(org_id="acme", customer_id="by-cli-worker", name="account_created")
        )
        state = None
        for _ in range(300):
            state = await client.get_enrollment("acme", "by-cli-worker", "journey_welcome")
            if state.current_step == "wait_day_1":
                break
            await asyncio.sleep(0.2)
        assert state is not None
        assert state.current_step == "wait_day_1"
        await client.exit("acme", "by-cli-worker", "journey_welcome", reason="test over")
        await dev_env.client.get_workflow_handle(tracked.enrolled[0]).result()
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), STOP_SECONDS) == 0
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert '"logger": "temporalio.worker._worker"' in (tmp_path / "worker.err").read_text()
