"""One poller per followed feed in a process, shared by every subscription following it.

Subscriptions follow partner feeds (:mod:`schema.kernel.subscriptions`); a merchant's order
board, its campaign charts and its stock alerts all follow the same feed. Polled one by one,
N subscriptions of a partner would cost N watermark reads a poll; a :class:`FeedWatch` reads
the feed once (the watermark, then new pages) and hands each new batch of entries to every
:class:`Listener`. It polls every ``poll_s`` seconds, backing off to ``max_poll_s`` while
nothing arrives; a failing read (the database away) is logged and tried again, so listeners
just wait. The watch stops with its last listener.

A listener gets the entries numbered after the watch's position when it joined
(:attr:`Listener.start`); a subscriber starting further back reads the feed itself up to that
number first. A listener that falls :data:`MAX_PENDING` entries behind is dropped
(:attr:`Listener.lagged`): its subscriber reads the feed itself again from where it was,
then joins again, so a slow subscriber never holds entries in memory without bound.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel import feeds

_log = logging.getLogger(__name__)

MAX_PENDING = 10_000
_PAGE = 100

Document = dict[str, Any]


@dataclass(eq=False)
class Listener:
    """What a watch has read for one subscriber since :attr:`start`."""

    start: int
    pending: list[Document] = field(default_factory=list)
    lagged: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def take(self) -> list[Document]:
        """The entries read since the last take (waits for some; empty once lagged)."""
        while not self.pending and not self.lagged:
            await self.arrived.wait()
            self.arrived.clear()
        taken, self.pending = self.pending, []
        return taken


class FeedWatch:
    """The shared poller of feed ``key`` of ``db``; get it with :func:`watch`."""

    def __init__(self, db: AsyncDatabase, key: str, poll_s: float, max_poll_s: float) -> None:
        self.db, self.key = db, key
        self.poll_s, self.max_poll_s = poll_s, max_poll_s
        self.position: int | None = None
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None

    async def join(self) -> Listener:
        if self.position is None:
            self.position = await feeds.watermark(self.db, self.key)
        listener = Listener(self.position)
        self.listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll())
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        if not self.listeners:
            if self._task is not None:
                self._task.cancel()
                self._task = None
            if _WATCHES.get(_key(self.db, self.key)) is self:
                del _WATCHES[_key(self.db, self.key)]

    async def _poll(self) -> None:
        wait = self.poll_s
        while True:
            try:
                assert self.position is not None
                page = await feeds.read(self.db, self.key, self.position, _PAGE)
            except Exception:
                _log.exception("reading feed %s failed; trying again", self.key)
                wait = self.max_poll_s
                await asyncio.sleep(wait)
                continue
            self.position = page.cursor
            if page.entries:
                self._hand_out(page.entries)
            if page.more:
                continue
            wait = self.poll_s if page.entries else min(wait * 1.5, self.max_poll_s)
            await asyncio.sleep(wait)

    def _hand_out(self, entries: list[Document]) -> None:
        for listener in list(self.listeners):
            if len(listener.pending) + len(entries) > MAX_PENDING:
                listener.lagged = True
                listener.pending = []
                self.listeners.discard(listener)
            else:
                listener.pending.extend(entries)
            listener.arrived.set()


_WATCHES: dict[tuple[int, int, str, str], FeedWatch] = {}


def _key(db: AsyncDatabase, key: str) -> tuple[int, int, str, str]:
    return (id(asyncio.get_running_loop()), id(db.client), db.name, key)


def watch(db: AsyncDatabase, key: str, poll_s: float, max_poll_s: float) -> FeedWatch:
    """This process's watch of feed ``key`` of ``db`` (made by the first subscriber; its
    poll intervals are that subscriber's)."""
    found = _WATCHES.get(_key(db, key))
    if found is None:
        found = _WATCHES[_key(db, key)] = FeedWatch(db, key, poll_s, max_poll_s)
    return found
