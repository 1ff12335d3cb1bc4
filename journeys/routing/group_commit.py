"""Group commit: concurrent callers share one store transaction.

Under concurrent load (an API process serving many requests, product code
tracking events from many tasks) every event would otherwise take a transaction
of its own, and on SQLite each of those competes for the database's single write
lock with the workers' sends. A :class:`GroupCommit` writes the first request at
once and gathers the requests that arrive meanwhile into the next transaction.

Only requests of one partition (for events: one organisation) share a
transaction, and it runs in the context of the first of them, so context the
store reads when a transaction begins (the API's organisation scope for
row-level security) is that partition's.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

MAX_ITEMS_PER_COMMIT = 500
"""Most items one shared transaction takes; a larger request is written alone."""


@dataclass
class _Request(Generic[Item, Outcome]):
    items: Sequence[Item]
    partition: Hashable
    context: contextvars.Context
    done: asyncio.Future[list[Outcome]]

    def succeed(self, outcomes: list[Outcome]) -> None:
        if not self.done.done():  # the caller may have been cancelled meanwhile
            self.done.set_result(outcomes)

    def fail(self, error: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(error)


class GroupCommit(Generic[Item, Outcome]):
    """Writes the items of concurrent callers together, one transaction at a time.

    Args:
        write: Writes items in one transaction and returns one outcome per item,
            in order. It runs in a worker thread, in the context of the first
            caller whose items it writes.
        max_items: Most items one transaction takes.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Item]], list[Outcome]],
        max_items: int = MAX_ITEMS_PER_COMMIT,
    ):
        self._write = write
        self._max_items = max_items
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: deque[_Request[Item, Outcome]] = deque()
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, items: Sequence[Item], *, partition: Hashable = None) -> list[Outcome]:
        """Write ``items`` with whatever else of their partition is waiting.

        Requests of one partition are written in the order they were submitted.
        A caller that is cancelled while waiting still has its items written.

        Args:
            items: What to write.
            partition: Only requests with an equal partition share a transaction.

        Returns:
            The outcomes of ``items``, in order.

        Raises:
            Exception: What ``write`` raised for these items. When a shared
                transaction fails, each request is written again alone, so one
                caller's bad items fail only that caller.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Requests left by a loop that has ended have no caller to answer.
            self._loop, self._waiting, self._writer = loop, deque(), None
        request: _Request[Item, Outcome] = _Request(
            items, partition, contextvars.copy_context(), loop.create_future()
        )
        self._waiting.append(request)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await request.done

    async def _write_waiting(self) -> None:
        while self._waiting:
            await self._commit(self._next_batch())

    def _next_batch(self) -> list[_Request[Item, Outcome]]:
        """The oldest request and the later ones of its partition that fit beside it."""
        first = self._waiting.popleft()
        batch, count, full = [first], len(first.items), False
        others: deque[_Request[Item, Outcome]] = deque()
        while self._waiting:
            request = self._waiting.popleft()
            if request.partition != first.partition:
                others.append(request)
            elif not full and count + len(request.items) <= self._max_items:
                batch.append(request)
                count += len(request.items)
            else:
                # Later requests of the partition wait too, to keep its order.
                full = True
                others.append(request)
        self._waiting = others
        return batch

    async def _commit(self, batch: list[_Request[Item, Outcome]]) -> None:
        items = [item for request in batch for item in request.items]
        write = functools.partial(batch[0].context.run, self._write, items)
        try:
            outcomes = await asyncio.get_running_loop().run_in_executor(None, write)
        except Exception as err:
            if len(batch) == 1:
                batch[0].fail(err)
                return
            for request in batch:
                await self._commit([request])
            return
        start = 0
        for request in batch:
            request.succeed(outcomes[start : start + len(request.items)])
            start += len(request.items)
