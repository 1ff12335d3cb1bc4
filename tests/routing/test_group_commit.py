"""Group commit: concurrent callers share transactions, and one caller's failure stays its own."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Sequence

import pytest

from journeys.routing.group_commit import GroupCommit

SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("scope", default="none")


class Ledger:
    """A store stand-in that records each transaction's items; refuses items named ``bad``."""

    def __init__(self) -> None:
        self.transactions: list[list[str]] = []
        self.scopes: list[str] = []
        self.writing = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def write(self, items: Sequence[str]) -> list[str]:
        self.writing.set()
        self.release.wait(timeout=10)
        if "bad" in items:
            raise ValueError("bad item")
        self.transactions.append(list(items))
        self.scopes.append(SCOPE.get())
        return [item.upper() for item in items]


async def held_first_write(
    ledger: Ledger, commits: GroupCommit[str, str], item: str
) -> asyncio.Task[list[str]]:
    """Submit ``item`` and return once its transaction is in progress, held until released."""
    ledger.release.clear()
    first = asyncio.create_task(commits.submit([item]))
    await asyncio.to_thread(ledger.writing.wait, 10)
    return first


async def queued() -> None:
    """Let the submitting tasks just created queue their requests."""
    await asyncio.sleep(0)


async def test_requests_arriving_during_a_write_share_the_next_transaction() -> None:
    ledger = Ledger()
    commits = GroupCommit(ledger.write)
    first = await held_first_write(ledger, commits, "a0")
    rest = [asyncio.create_task(commits.submit([f"b{i}", f"c{i}"])) for i in range(20)]
    await queued()
    ledger.release.set()
    assert await first == ["A0"]
    assert [await task for task in rest] == [[f"B{i}", f"C{i}"] for i in range(20)]
    assert ledger.transactions[0] == ["a0"]
    assert ledger.transactions[1] == [item for i in range(20) for item in (f"b{i}", f"c{i}")]
    assert len(ledger.transactions) == 2


async def test_a_failing_request_fails_alone() -> None:
    ledger = Ledger()
    commits = GroupCommit(ledger.write)
    first = await held_first_write(ledger, commits, "a")
    good = asyncio.create_task(commits.submit(["g1"]))
    bad = asyncio.create_task(commits.submit(["bad"]))
    later = asyncio.create_task(commits.submit(["g2"]))
    await queued()
    ledger.release.set()
    assert await first == ["A"]
    assert await good == ["G1"]
    assert await later == ["G2"]
    with pytest.raises(ValueError, match="bad item"):
        await bad
    assert ["bad"] not in ledger.transactions
    assert sorted(item for tx in ledger.transactions for item in tx) == ["a", "g1", "g2"]


async def test_a_transaction_takes_at_most_max_items() -> None:
    ledger = Ledger()
    commits = GroupCommit(ledger.write, max_items=5)
    first = await held_first_write(ledger, commits, "x")
    rest = [asyncio.create_task(commits.submit([f"i{n}", f"j{n}"])) for n in range(6)]
    oversized = asyncio.create_task(commits.submit([f"big{n}" for n in range(8)]))
    await queued()
    ledger.release.set()
    await asyncio.gather(first, *rest, oversized)
    assert [len(tx) for tx in ledger.transactions] == [1, 4, 4, 4, 8]


async def test_a_cancelled_caller_still_has_its_items_written() -> None:
    ledger = Ledger()
    commits = GroupCommit(ledger.write)
    first = await held_first_write(ledger, commits, "a")
    impatient = asyncio.create_task(commits.submit(["kept"]))
    await queued()
    impatient.cancel()
    ledger.release.set()
    assert await first == ["A"]
    with pytest.raises(asyncio.CancelledError):
        await impatient
    for _ in range(100):
        if ["kept"] in ledger.transactions:
            break
        await asyncio.sleep(0.01)
    assert ledger.transactions == [["a"], ["kept"]]


async def test_only_one_partition_shares_a_transaction_in_its_own_context() -> None:
    """As the API's requests: each organisation's events are written in its own scope."""
    ledger = Ledger()
    commits = GroupCommit(ledger.write)

    async def request(org: str, item: str) -> list[str]:
        SCOPE.set(org)
        return await commits.submit([item], partition=org)

    ledger.release.clear()
    first = asyncio.create_task(request("acme", "a0"))
    await asyncio.to_thread(ledger.writing.wait, 10)
    tasks = [
        asyncio.create_task(request(org, f"{org[0]}{i}"))
        for i in range(1, 4)
        for org in ("acme", "globex")
    ]
    await queued()
    ledger.release.set()
    await asyncio.gather(first, *tasks)
    assert ledger.transactions == [["a0"], ["a1", "a2", "a3"], ["g1", "g2", "g3"]]
    assert ledger.scopes == ["acme", "acme", "globex"]
