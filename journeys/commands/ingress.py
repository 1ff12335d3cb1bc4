"""Ingress commands: api, api-key, enroll, track, import, list, show, journeys, tasks.

Every command takes ``--json`` for scripts; exit codes are those of
:mod:`journeys.commands.exit_codes`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import BaseModel, ValidationError

from journeys.client import JourneyClient, TrackedEvent, TrackResult
from journeys.commands.exit_codes import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REJECTED_LINES,
    exit_code_of,
)
from journeys.commands.runtime import load_settings, one_shot_log_settings
from journeys.commands.text_tables import render_table
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.errors import (
    ConfigurationError,
    InvalidInputError,
    JourneyError,
)
from journeys.routing.task_outcomes import HumanTaskView, claim_task, complete_task, find_tasks
from journeys.settings import JourneySettings
from journeys.store.human_tasks import TASK_STATUSES

IMPORT_BATCH_SIZE = 200
"""Events stored per transaction by ``journeys import``."""

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ingress commands."""
    api = subparsers.add_parser(
        "api",
        help="run the HTTP API (uvicorn)",
        description="Migrate the store and serve the HTTP API; OpenAPI docs at /docs.",
    )
    api.add_argument("--host", help="interface to bind (JOURNEYS_API_HOST)")
    api.add_argument("--port", type=int, help="port (JOURNEYS_API_PORT)")
    api.set_defaults(handler=run_api)

    keys = subparsers.add_parser("api-key", help="create, list and disable API keys")
    key_commands = keys.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    create = key_commands.add_parser("create", help="issue a key for an organisation")
    create.add_argument("--org", required=True, help="organisation id")
    create.add_argument("--name", default="", help="label, e.g. the service using it")
    _json_flag(create)
    create.set_defaults(handler=run_key_create)
    listing = key_commands.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--org", help="only this organisation")
    _json_flag(listing)
    listing.set_defaults(handler=run_key_list)
    disable = key_commands.add_parser("disable", help="disable a key at once")
    disable.add_argument("key_id", help="the key id (the part after jk_)")
    _json_flag(disable)
    disable.set_defaults(handler=run_key_disable)

    enroll = subparsers.add_parser("enroll", help="enroll a customer in a journey")
    _org_flag(enroll)
    enroll.add_argument("--customer", required=True, help="customer id")
    enroll.add_argument("--journey", required=True, help="journey id")
    enroll.add_argument(
        "--version", type=int, help="an active journey version (default: the rollout's choice)"
    )
    _json_flag(enroll)
    enroll.set_defaults(handler=run_enroll)

    track = subparsers.add_parser("track", help="track one behaviour event")
    _org_flag(track)
    track.add_argument("--customer", required=True, help="customer id")
    track.add_argument("--event", required=True, help="event name, e.g. account_created")
    track.add_argument("--event-id", help="unique event id (default: random)")
    track.add_argument("--at", help="when it happened, ISO 8601 with zone (default: now)")
    track.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="event property (repeatable; values are JSON if they parse, else strings)",
    )
    _json_flag(track)
    track.set_defaults(handler=run_track)

    importer = subparsers.add_parser(
        "import",
        help="import events from a JSONL or CSV file",
        description="Each line is an event (customer_id, name, optional event_id,"
        " occurred_at, org_id, properties; CSV columns other than these become string"
        " properties). Invalid lines are written, with the reason, to the rejected file;"
        " exit status 5 when any line was rejected.",
    )
    importer.add_argument("file", type=Path, help="a .jsonl or .csv file")
    importer.add_argument("--format", choices=["jsonl", "csv"], help="default: by extension")
    importer.add_argument("--org", help="organisation of lines without org_id (default org)")
    importer.add_argument(
        "--rejected", type=Path, help="where rejected lines go (default: FILE.rejected.jsonl)"
    )
    importer.add_argument("--batch-size", type=int, default=IMPORT_BATCH_SIZE)
    _json_flag(importer)
    importer.set_defaults(handler=run_import)

    listing = subparsers.add_parser("list", help="list enrollments (Temporal visibility)")
    _org_flag(listing)
    listing.add_argument("--customer", help="only this customer")
    listing.add_argument("--journey", help="only this journey")
    listing.add_argument("--status", choices=[s.value for s in EnrollmentStatus])
    listing.add_argument("--version", type=int, help="only enrollments on this journey version")
    listing.add_argument("--limit", type=int, default=100)
    _json_flag(listing)
    listing.set_defaults(handler=run_list)

    show = subparsers.add_parser("show", help="one enrollment's state and path")
    _org_flag(show)
    show.add_argument("--customer", required=True, help="customer id")
    show.add_argument("--journey", required=True, help="journey id")
    _json_flag(show)
    show.set_defaults(handler=run_show)

    catalog = subparsers.add_parser("journeys", help="the catalog: journeys, versions, status")
    _json_flag(catalog)
    catalog.set_defaults(handler=run_catalog)

    tasks = subparsers.add_parser("tasks", help="tasks for people: list, claim, complete")
    task_commands = tasks.add_subparsers(dest="task_command", metavar="ACTION", required=True)
    task_list = task_commands.add_parser(
        "list", help="tasks by owner, status, due time or overdue, soonest due first"
    )
    _org_flag(task_list)
    task_list.add_argument("--owner", help="the step's owner or who claimed the task")
    task_list.add_argument("--status", choices=list(TASK_STATUSES))
    task_list.add_argument("--due-before", help="only tasks due before this ISO 8601 time")
    task_list.add_argument("--overdue", action="store_true", help="only undone tasks past due")
    task_list.add_argument("--limit", type=int, default=100)
    _json_flag(task_list)
    task_list.set_defaults(handler=run_tasks_list)
    claim = task_commands.add_parser("claim", help="take a task on")
    claim.add_argument("task_id", type=int, help="the task's id")
    claim.add_argument("--by", required=True, help="who takes it on")
    _org_flag(claim)
    _json_flag(claim)
    claim.set_defaults(handler=run_task_claim)
    complete = task_commands.add_parser(
        "complete",
        help="record a task's outcome; its journey receives <kind>_<outcome>",
    )
    complete.add_argument("task_id", type=int, help="the task's id")
    complete.add_argument("--outcome", required=True, help="e.g. completed, no_answer")
    _org_flag(complete)
    _json_flag(complete)
    complete.set_defaults(handler=run_task_complete)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (for scripts)")


def _org_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", help="organisation id (default: JOURNEYS_DEFAULT_ORG)")


def _emit(arguments: argparse.Namespace, payload: Any, text: str) -> None:
    if arguments.json:
        data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
        print(json.dumps(data, indent=2, default=str))
    else:
        print(text)


def _fail(arguments: argparse.Namespace, code: int, message: str) -> int:
    if getattr(arguments, "json", False):
        print(json.dumps({"error": message, "exit_code": code}))
    print(f"error: {message}", file=sys.stderr)
    return code


def _with_client(
    arguments: argparse.Namespace, work: Callable[[JourneyClient], Awaitable[T]]
) -> tuple[T | None, int]:
    """Run ``work`` with a connected client; map the engine's errors to exit codes.

    Logs go to stderr, so that stdout carries only the command's output.
    """
    from journeys.structured_logs import configure_logging

    settings = load_settings()
    configure_logging(one_shot_log_settings(settings))

    async def main() -> T:
        try:
            client = await JourneyClient.connect(settings)
        except RuntimeError as err:
            raise ConfigurationError(
                f"cannot reach Temporal at {settings.temporal_address}"
                " (JOURNEYS_TEMPORAL_ADDRESS); is `journeys dev` running?"
                f" ({err})"
            ) from None
        async with client:
            return await work(client)

    try:
        return asyncio.run(main()), EXIT_OK
    except JourneyError as err:
        return None, _fail(arguments, exit_code_of(err), str(err))


def _org(arguments: argparse.Namespace, settings: JourneySettings | None = None) -> str:
    return str(arguments.org or (settings or load_settings()).default_org)


def run_api(arguments: argparse.Namespace) -> int:
    """``journeys api``: migrate the store and serve the API until interrupted."""
    import uvicorn

    from journeys.api import create_app
    from journeys.store import Store
    from journeys.structured_logs import configure_logging

    settings = load_settings(api_host=arguments.host, api_port=arguments.port)
    configure_logging(settings)
    store = Store.from_settings(settings)
    try:
        store.migrate()
    finally:
        store.dispose()
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        timeout_keep_alive=settings.api_keep_alive_seconds,
        log_config=None,
        access_log=False,
    )
    return EXIT_OK


def _key_store() -> Any:
    from journeys.store import Store

    store = Store.from_settings(load_settings())
    store.migrate()
    return store


def run_key_create(arguments: argparse.Namespace) -> int:
    """``journeys api-key create``: print a new key once."""
    from journeys.store.tenancy import create_api_key

    store = _key_store()
    try:
        with store.transaction() as session:
            issued = create_api_key(session, org_id=arguments.org, name=arguments.name)
    except InvalidInputError as err:
        return _fail(arguments, EXIT_INVALID, str(err))
    finally:
        store.dispose()
    _emit(
        arguments,
        issued,
        f"{issued.key}\n(key id {issued.key_id} for org {issued.org_id};"
        " shown once, only its hash is stored)",
    )
    return EXIT_OK


def run_key_list(arguments: argparse.Namespace) -> int:
    """``journeys api-key list``."""
    from journeys.store.tenancy import list_api_keys

    store = _key_store()
    try:
        with store.transaction() as session:
            keys = list_api_keys(session, org_id=arguments.org)
    finally:
        store.dispose()
    lines = [
        f"{k.key_id}  {k.org_id:<20} {'disabled' if k.disabled else 'active':<9}"
        f" {k.created_at:%Y-%m-%d %H:%M}  {k.name}"
        for k in keys
    ]
    _emit(arguments, [k.model_dump(mode="json") for k in keys], "\n".join(lines) or "no keys")
    return EXIT_OK


def run_key_disable(arguments: argparse.Namespace) -> int:
    """``journeys api-key disable``."""
    from journeys.store.tenancy import disable_api_key

    store = _key_store()
    try:
        with store.transaction() as session:
            found = disable_api_key(session, arguments.key_id)
    finally:
        store.dispose()
    if not found:
        return _fail(arguments, EXIT_NOT_FOUND, f"no API key {arguments.key_id!r}")
    _emit(arguments, {"key_id": arguments.key_id, "disabled": True}, "disabled")
    return EXIT_OK


def run_enroll(arguments: argparse.Namespace) -> int:
    """``journeys enroll``."""
    org = _org(arguments)
    result, code = _with_client(
        arguments,
        lambda client: client.enroll(
            org, arguments.customer, arguments.journey, version=arguments.version
        ),
    )
    if result is not None:
        _emit(arguments, result, f"enrolled: {result.workflow_id}")
    return code


def _property(text: str) -> tuple[str, Any]:
    key, separator, raw = text.partition("=")
    if not separator or not key:
        raise InvalidInputError("--property", f"{text!r} is not KEY=VALUE")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def _event(fields: dict[str, Any], where: str) -> TrackedEvent:
    """A validated event; InvalidInputError names the field (``line 3: name: ...``)."""
    try:
        return TrackedEvent.model_validate(fields)
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "event"
        message = "is required" if first["type"] == "missing" else first["msg"]
        raise InvalidInputError(f"{where}{name}", message) from None


def run_track(arguments: argparse.Namespace) -> int:
    """``journeys track``."""
    settings = load_settings()
    fields: dict[str, Any] = {
        "org_id": _org(arguments, settings),
        "customer_id": arguments.customer,
        "name": arguments.event,
    }
    try:
        fields["properties"] = dict(_property(p) for p in arguments.property)
        if arguments.event_id:
            fields["event_id"] = arguments.event_id
        if arguments.at:
            fields["occurred_at"] = arguments.at
        event = _event(fields, "")
    except InvalidInputError as err:
        return _fail(arguments, EXIT_INVALID, str(err))
    result, code = _with_client(arguments, lambda client: client.track(event))
    if result is not None:
        _emit(arguments, result, _describe(result))
    return code


def _describe(result: TrackResult) -> str:
    if not result.stored:
        return f"duplicate: event {result.event_id} was stored before; nothing routed"
    parts = [f"stored {result.event_id}"]
    parts += [f"enrolled {w}" for w in result.enrolled]
    parts += [f"signalled {w}" for w in result.signalled]
    parts += [f"skipped {s.journey_id}: {s.reason}" for s in result.skipped]
    return "\n".join(parts)


@dataclass
class ImportSummary:
    """What ``journeys import`` did."""

    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    enrolled: int = 0
    signalled: int = 0
    rejected_file: str | None = None
    first_rejections: list[str] = field(default_factory=list)

    def reject(self, number: int, raw: str, reason: str, rejected: TextIO) -> None:
        """Count a rejected line and write it, with its reason, to the rejected file."""
        self.rejected += 1
        if len(self.first_rejections) < 5:
            self.first_rejections.append(f"line {number}: {reason}")
        rejected.write(json.dumps({"line": number, "reason": reason, "raw": raw}) + "\n")

    def count(self, results: list[TrackResult]) -> None:
        """Count what a stored batch did."""
        for result in results:
            self.accepted += result.stored
            self.duplicates += not result.stored
            self.enrolled += len(result.enrolled)
            self.signalled += len(result.signalled)


TRACKED_FIELDS = ("org_id", "customer_id", "name", "event_id", "occurred_at", "properties")


def _csv_fields(row: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {k: v for k, v in row.items() if k in TRACKED_FIELDS and v}
    fields["properties"] = {
        k: v for k, v in row.items() if k not in TRACKED_FIELDS and k and v not in (None, "")
    }
    return fields


def _read_lines(path: Path, kind: str) -> Iterator[tuple[int, str, dict[str, Any] | str]]:
    """(line number, raw text, fields or the reason the line cannot be parsed)."""
    with path.open(newline="", encoding="utf-8") as handle:
        if kind == "csv":
            reader = csv.DictReader(handle)
            for row in reader:
                raw = ",".join(v or "" for v in row.values())
                if None in row:
                    yield reader.line_num, raw, "more values than header columns"
                    continue
                yield reader.line_num, raw, _csv_fields(row)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                yield number, line.rstrip("\n"), f"not valid JSON: {err.msg}"
                continue
            if not isinstance(value, dict):
                yield number, line.rstrip("\n"), "not a JSON object"
                continue
            yield number, line.rstrip("\n"), value


class _Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal, or forced)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool):
        self.total = max(total, 1)
        self.stream = stream
        self.enabled = enabled

    def show(self, done: int, summary: ImportSummary) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / self.total)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"
            f"  accepted {summary.accepted}  duplicates {summary.duplicates}"
            f"  rejected {summary.rejected}"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def run_import(arguments: argparse.Namespace) -> int:
    """``journeys import``: validate every line, store and route the valid ones in batches."""
    path: Path = arguments.file
    if not path.is_file():
        return _fail(arguments, EXIT_INVALID, f"file: {path} does not exist")
    kind = arguments.format or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if arguments.batch_size < 1:
        return _fail(arguments, EXIT_INVALID, "--batch-size: must be at least 1")
    settings = load_settings()
    org = _org(arguments, settings)
    rejected_path: Path = arguments.rejected or path.with_name(path.name + ".rejected.jsonl")
    summary = ImportSummary()
    with path.open(encoding="utf-8") as handle:
        total = sum(1 for line in handle if line.strip()) - (1 if kind == "csv" else 0)

    async def work(client: JourneyClient) -> ImportSummary:
        progress = _Progress(total, sys.stderr, sys.stderr.isatty() and not arguments.json)
        pending: list[TrackedEvent] = []
        with rejected_path.open("w", encoding="utf-8") as rejected:
            for number, raw, parsed in _read_lines(path, kind):
                summary.lines += 1
                event = _event_of_line(parsed, org, client.latest_acceptable_time())
                if isinstance(event, str):
                    summary.reject(number, raw, event, rejected)
                    continue
                pending.append(event)
                if len(pending) >= arguments.batch_size:
                    summary.count(await client.track_batch(pending))
                    pending.clear()
                    progress.show(summary.lines, summary)
            if pending:
                summary.count(await client.track_batch(pending))
            progress.show(summary.lines, summary)
            progress.close()
        return summary

    result, code = _with_client(arguments, work)
    if result is None:
        return code
    if result.rejected:
        result.rejected_file = str(rejected_path)
    else:
        rejected_path.unlink(missing_ok=True)
    _emit(arguments, result.__dict__, _import_report(result))
    return EXIT_REJECTED_LINES if result.rejected else EXIT_OK


def _event_of_line(parsed: dict[str, Any] | str, org: str, latest: datetime) -> TrackedEvent | str:
    """The event an imported line holds, or the reason the line is rejected."""
    if isinstance(parsed, str):
        return parsed
    parsed.setdefault("org_id", org)
    try:
        event = _event(parsed, "")
    except InvalidInputError as err:
        return str(err)
    if event.occurred_at > latest:
        return "occurred_at: is too far in the future"
    return event


def _import_report(result: ImportSummary) -> str:
    """The summary ``journeys import`` prints, with the first rejected lines."""
    text = (
        f"{result.lines} lines: {result.accepted} accepted, {result.duplicates} duplicates,"
        f" {result.rejected} rejected; {result.enrolled} enrollments started,"
        f" {result.signalled} signals"
    )
    if result.rejected:
        text += "\n" + "\n".join(result.first_rejections)
        text += f"\nrejected lines (with reasons): {result.rejected_file}"
    return text


def run_list(arguments: argparse.Namespace) -> int:
    """``journeys list``."""
    org = _org(arguments)
    status = EnrollmentStatus(arguments.status) if arguments.status else None
    found, code = _with_client(
        arguments,
        lambda client: client.list_enrollments(
            org,
            customer_id=arguments.customer,
            journey_id=arguments.journey,
            status=status,
            version=arguments.version,
            limit=arguments.limit,
        ),
    )
    if found is None:
        return code
    table = render_table(
        ["CUSTOMER", "JOURNEY", "VERSION", "STATUS", "STEP", "STARTED (UTC)"],
        [
            [
                e.customer_id,
                e.journey_id,
                "" if e.journey_version is None else str(e.journey_version),
                e.status or "?",
                e.current_step or "",
                f"{e.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            ]
            for e in found
        ],
    )
    _emit(
        arguments,
        [e.model_dump(mode="json") for e in found],
        table if found else "no enrollments",
    )
    return code


def run_show(arguments: argparse.Namespace) -> int:
    """``journeys show``."""
    org = _org(arguments)
    state, code = _with_client(
        arguments,
        lambda client: client.get_enrollment(org, arguments.customer, arguments.journey),
    )
    if state is None:
        return code
    lines = [
        f"{state.customer_id} in {state.journey_id}@{state.journey_version}: {state.status.value}"
        + (f" ({state.outcome})" if state.outcome else ""),
        f"current step: {state.current_step}",
    ]
    if state.waiting_for:
        lines.append(f"waiting for: {', '.join(state.waiting_for)}")
    if state.wait_until:
        lines.append(f"waiting until: {state.wait_until:%Y-%m-%d %H:%M:%S %Z}")
    lines.append("path:")
    lines += [f"  {entry.entered_at:%Y-%m-%d %H:%M:%S}  {entry.step}" for entry in state.path]
    _emit(arguments, state, "\n".join(lines))
    return code


def run_catalog(arguments: argparse.Namespace) -> int:
    """``journeys journeys``: every shipped journey version (``*`` marks the current one)."""
    from journeys.catalog.configured import configured_catalog

    catalog = configured_catalog(load_settings())
    current = {(j.id, j.version) for j in catalog.current_versions()}
    rows: list[dict[str, Any]] = [
        {
            "id": journey.id,
            "version": journey.version,
            "current": (journey.id, journey.version) in current,
            "name": journey.metadata.name,
            "status": journey.metadata.status,
            "entry_event": journey.entry.event,
            "conflict_group": journey.conflict_group,
            "priority": journey.priority,
            "reentry": journey.reentry.value,
            "steps": len(journey.steps),
        }
        for journey in catalog.all_versions()
    ]
    table = render_table(
        ["JOURNEY", "VERSION", "STATUS", "ENTRY EVENT", "STEPS", "NAME"],
        [
            [
                r["id"],
                f"{r['version']}{' (current)' if r['current'] else ''}",
                r["status"],
                r["entry_event"] or "(API only)",
                str(r["steps"]),
                r["name"],
            ]
            for r in rows
        ],
    )
    _emit(arguments, rows, table)
    return EXIT_OK


def _task_line(task: HumanTaskView) -> str:
    flags = " OVERDUE" if task.overdue else ""
    who = task.claimed_by or task.owner or "unassigned"
    return (
        f"{task.id}\t{task.status}{flags}\t{task.kind}\t{task.customer_id}\t{who}"
        f"\tdue {task.due_at.isoformat(timespec='minutes')}\t{task.title}"
    )


def run_tasks_list(arguments: argparse.Namespace) -> int:
    """``journeys tasks list``."""
    org_id = _org(arguments)
    due_before = None
    if arguments.due_before:
        try:
            due_before = _aware_time(arguments.due_before, "--due-before")
        except InvalidInputError as err:
            return _fail(arguments, EXIT_INVALID, str(err))
    found, code = _with_client(
        arguments,
        lambda client: find_tasks(
            client,
            org_id,
            owner=arguments.owner,
            status=arguments.status,
            due_before=due_before,
            overdue=arguments.overdue,
            limit=arguments.limit,
        ),
    )
    if found is not None:
        _emit(
            arguments,
            {"tasks": [task.model_dump(mode="json") for task in found]},
            "\n".join(_task_line(task) for task in found) or "no tasks",
        )
    return code


def run_task_claim(arguments: argparse.Namespace) -> int:
    """``journeys tasks claim``."""
    org_id = _org(arguments)
    task, code = _with_client(
        arguments, lambda client: claim_task(client, org_id, arguments.task_id, arguments.by)
    )
    if task is not None:
        _emit(arguments, task, _task_line(task))
    return code


def run_task_complete(arguments: argparse.Namespace) -> int:
    """``journeys tasks complete``."""
    org_id = _org(arguments)
    done, code = _with_client(
        arguments,
        lambda client: complete_task(client, org_id, arguments.task_id, arguments.outcome),
    )
    if done is not None:
        signalled = ", ".join(done.signalled) or "no running enrollment"
        _emit(arguments, done, f"{_task_line(done.task)}\nsent {done.event} to {signalled}")
    return code


def _aware_time(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInputError(option, "not an ISO 8601 time") from err
    if value.tzinfo is None:
        raise InvalidInputError(option, "must include a time zone (e.g. 2026-01-01T09:00:00Z)")
    return value
