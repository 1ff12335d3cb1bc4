"""The ingress commands as real ``journeys`` processes against the dev server and a worker."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from journeys.settings import JourneySettings
from journeys.store import Store
from tests.support.cli_process import Cli
from tests.support.temporal import running_worker


async def test_track_enroll_show_list_and_catalog(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    cli = Cli(settings, dev_env)
    async with running_worker(dev_env.client, settings, store):
        (code, tracked, _), (enroll_code, enrolled, _) = await asyncio.gather(
            cli("track", "--org", "acme", "--customer", "c-1", "--event", "demo_started", "--json"),
            cli("enroll", "--org", "acme", "--customer", "c-2", "--journey", "demo_tour", "--json"),
        )
        assert code == 0
        assert tracked["enrolled"] == ["journey:acme:demo_tour:c-1"]
        assert (enroll_code, enrolled["workflow_id"]) == (0, "journey:acme:demo_tour:c-2")

        catalog, bad_name, bad_property, refused, unknown, state, missing = await asyncio.gather(
            cli("journeys", "--json"),
            cli("track", "--customer", "c-1", "--event", "Bad Name"),
            cli("track", "--customer", "c-1", "--event", "x_done", "--property", "novalue"),
            cli("enroll", "--org", "acme", "--customer", "c-2", "--journey", "demo_tour", "--json"),
            cli("enroll", "--customer", "c-2", "--journey", "nope"),
            cli("show", "--org", "acme", "--customer", "c-2", "--journey", "demo_tour", "--json"),
            cli("show", "--org", "acme", "--customer", "zz", "--journey", "demo_tour"),
        )
        assert catalog[0] == 0
        assert {(j["id"], j["version"], j["status"]) for j in catalog[1]} >= {
            ("demo_tour", 1, "active"),
            ("journey_welcome", 1, "active"),
        }
        assert (bad_name[0], "name" in bad_name[2]) == (2, True)
        assert (bad_property[0], "--property" in bad_property[2]) == (2, True)
        assert (refused[0], refused[1]["exit_code"]) == (4, 4)
        assert (unknown[0], "nope" in unknown[2]) == (3, True)
        assert state[0] == 0
        assert state[1]["journey_id"] == "demo_tour"
        assert state[1]["path"][0]["step"] == "ping"
        assert missing[0] == 3

        deadline = asyncio.get_running_loop().time() + 20
        while True:
            code, listed, _ = await cli("list", "--org", "acme", "--customer", "c-2", "--json")
            assert code == 0
            if listed:
                break
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.3)
        assert [e["workflow_id"] for e in listed] == ["journey:acme:demo_tour:c-2"]
        # Without JOURNEYS_LOG_LEVEL, a one-shot command prints its answer and no log lines.
        quiet = Cli(settings, dev_env)
        del quiet.env["JOURNEYS_LOG_LEVEL"]
        code, answer, err = await quiet(
            "track", "--org", "acme", "--customer", "c-3", "--event", "demo_started"
        )
        assert (code, err) == (0, ""), err
        assert "enrolled journey:acme:demo_tour:c-3" in answer
        code, table, _ = await cli("list", "--org", "acme", "--customer", "c-2")
        header, row = table.splitlines()
        assert header.split() == [
            "CUSTOMER",
            "JOURNEY",
            "VERSION",
            "STATUS",
            "STEP",
            "STARTED",
            "(UTC)",
        ]
        assert row.split()[:3] == ["c-2", "demo_tour", "1"]
        for column in ("JOURNEY", "VERSION", "STATUS", "STARTED"):
            at = header.index(column)
            assert row[at - 1] == " ", (column, table)
            assert row[at] != " ", (column, table)
        for customer_id in ("c-1", "c-2", "c-3"):
            handle = dev_env.client.get_workflow_handle(f"journey:acme:demo_tour:{customer_id}")
            with contextlib.suppress(RPCError):
                await handle.terminate("test over")


async def test_import_accepts_good_lines_and_writes_rejected_ones_with_reasons(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    cli = Cli(settings, dev_env)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    lines = [
        json.dumps({"customer_id": "i-1", "name": "page_viewed", "event_id": "e1"}),
        json.dumps({"customer_id": "i-2", "name": "page_viewed", "event_id": "e2"}),
        json.dumps({"customer_id": "i-1", "name": "page_viewed", "event_id": "e1"}),
        "{broken json",
        json.dumps({"customer_id": "i-3"}),
        json.dumps({"customer_id": "i-3", "name": "page_viewed", "occurred_at": future}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"customer_id": "i-4", "name": "page_viewed", "properties": {"n": 1}}),
    ]
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(lines) + "\n")
    code, summary, _ = await cli(
        "import", str(source), "--org", "acme", "--json", "--batch-size", "2"
    )
    assert code == 5
    assert (summary["lines"], summary["accepted"], summary["duplicates"], summary["rejected"]) == (
        8,
        3,
        1,
        4,
    )
    rejected_text = await asyncio.to_thread(Path(summary["rejected_file"]).read_text)
    rejected = [json.loads(line) for line in rejected_text.splitlines()]
    assert [r["line"] for r in rejected] == [4, 5, 6, 7]
    assert "not valid JSON" in rejected[0]["reason"]
    assert rejected[1]["reason"] == "name: is required"
    assert rejected[2]["reason"].startswith("occurred_at:")
    assert rejected[3]["reason"] == "not a JSON object"
    assert rejected[0]["raw"] == "{broken json"

    table = tmp_path / "events.csv"
    table.write_text(
        "customer_id,name,event_id,plan\nk-1,demo_started,k1,pro\nk-2,Bad Name,k2,free\n"
    )
    async with running_worker(dev_env.client, settings, store):
        code, summary, _ = await cli("import", str(table), "--org", "acme", "--json")
        with contextlib.suppress(RPCError):
            handle = dev_env.client.get_workflow_handle("journey:acme:demo_tour:k-1")
            await handle.terminate("test over")
    assert code == 5
    assert (summary["accepted"], summary["rejected"], summary["enrolled"]) == (1, 1, 1)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"customer_id": "g-1", "name": "page_viewed"}) + "\n")
    missing, imported = await asyncio.gather(
        cli("import", str(tmp_path / "missing.jsonl")), cli("import", str(good), "--org", "acme")
    )
    assert missing[0] == 2
    assert (imported[0], "1 accepted" in imported[1]) == (0, True)
    assert not (tmp_path / "good.jsonl.rejected.jsonl").exists()


async def test_api_keys_are_created_listed_and_disabled(
    dev_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    cli = Cli(settings, dev_env)
    code, issued, _ = await cli("api-key", "create", "--org", "acme", "--name", "ci", "--json")
    assert code == 0
    assert issued["key"].startswith(f"jk_{issued['key_id']}_")
    (code, listed, _), unknown, bad_org = await asyncio.gather(
        cli("api-key", "list", "--json"),
        cli("api-key", "disable", "0000000000000000"),
        cli("api-key", "create", "--org", "bad org"),
    )
    assert [(k["key_id"], k["disabled"]) for k in listed] == [(issued["key_id"], False)]
    assert "key" not in listed[0]
    code, _, _ = await cli("api-key", "disable", issued["key_id"])
    assert code == 0
    code, listed, _ = await cli("api-key", "list", "--org", "acme", "--json")
    assert listed[0]["disabled"] is True
    assert unknown[0] == 3
    assert (bad_org[0], "org_id" in bad_org[2]) == (2, True)
