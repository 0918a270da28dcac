"""The outbox relay loses nothing: a relay cancelled, or failing, at any one of its database
steps leaves nothing the next relay does not move, exactly once; a marker goes only after a
pass that began after its write; a document that cannot be pulled holds up no other;
sequences count 1, 2, 3 … per resource, whatever the relay rewrites; concurrent writers and
relays lose nothing; events are swept after the retention.

The stopped relay runs over the real database through :class:`Faulty`, which counts the
relay's operations and stops it at the chosen one: every operation before it really happens.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.schema import SUBGRAPH as CATALOG
from schema.kernel.claims import CLAIM_LEASE, CLAIMS, update_claimed
from schema.kernel.events import (
    EVENTS,
    OUTBOX,
    PENDING,
    RETENTION_ENV,
    SEQUENCE,
    SETTLED,
    RelayError,
    append_event,
    batch_marker,
    make_event,
    mark_pending,
    pending_marker,
    relay_outboxes,
    retention,
    sweep_events,
)
from schema.kernel.time import utcnow
from schema.stores.schema import SUBGRAPH as STORES

THINGS = "things"
PARTNER = "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA"
_OPERATIONS = frozenset({"find", "find_one", "insert_one", "insert_many", "update_one",
                         "update_many", "replace_one", "delete_one", "delete_many",
                         "bulk_write"})

Document = dict[str, Any]


class Injected(RuntimeError):
    """The database error a :class:`Faulty` database answers at the chosen step."""


class Faulty:
    """``db`` whose operation number ``stop_at`` (from 0) fails: ``cancelled`` cancels the
    relay's task there, and every later operation fails too (the relay is gone); ``failed``
    makes only that operation raise :class:`Injected`."""

    def __init__(self, db: AsyncDatabase, stop_at: int | None = None,
                 mode: str = "cancelled") -> None:
        self.db, self.stop_at, self.mode = db, stop_at, mode
        self.steps = 0
        self.dead = False
        self.relay: asyncio.Task[int] | None = None

    def __getitem__(self, name: str) -> "_FaultyCollection":
        return _FaultyCollection(self, self.db[name])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def step(self) -> None:
        number, self.steps = self.steps, self.steps + 1
        if self.dead:
            raise asyncio.CancelledError
        if number != self.stop_at:
            return
        if self.mode == "failed":
            raise Injected(f"step {number}")
        self.dead = True
        assert self.relay is not None
        self.relay.cancel()
        raise asyncio.CancelledError


class _FaultyCollection:
    def __init__(self, faulty: Faulty, collection: Any) -> None:
        self.faulty, self.collection = faulty, collection

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.collection, name)
        if name not in _OPERATIONS:
            return attribute
        if name == "find":   # returns a cursor; the query is sent when it is read
            def find(*args: Any, **kwargs: Any) -> Any:
                self.faulty.step()
                return attribute(*args, **kwargs)
            return find

        async def operation(*args: Any, **kwargs: Any) -> Any:
            self.faulty.step()
            return await attribute(*args, **kwargs)
        return operation


async def stopped_relay(faulty: Faulty) -> None:
    """Run a relay over ``faulty`` until it ends, however it ends."""
    faulty.relay = asyncio.create_task(relay_outboxes(faulty))  # type: ignore[arg-type]
    with contextlib.suppress(asyncio.CancelledError, Injected, RelayError):
        await faulty.relay


def _bump(document_id: str) -> Callable[[Document | None], Document]:
    """A change of a thing with its event, as a domain writes one."""
    def change(current: Document | None) -> Document:
        n = (current or {}).get("n", 0) + 1
        return {**(current or {}), "n": n,
                **append_event(current, "store.updated", PARTNER, "Thing", document_id,
                               {"n": n}, utcnow())}
    return change


async def claimed_write(db: AsyncDatabase, document_id: str) -> None:
    await update_claimed(db[THINGS], db, document_id, _bump(document_id))


async def write(db: AsyncDatabase, document_id: str) -> None:
    """One writer's change: marked before and after its claimed write."""
    await mark_pending(db, [pending_marker(THINGS, document_id)])
    await claimed_write(db, document_id)
    await mark_pending(db, [pending_marker(THINGS, document_id)])


async def settle(db: AsyncDatabase) -> None:
    """Let time pass for the markers (they become settled) and for the revision claims
    (the one a stopped relay held becomes abandoned)."""
    await db[PENDING].update_many({}, {"$set": {"createdAt": utcnow() - SETTLED - timedelta(
        seconds=1)}})
    await db[CLAIMS].update_many({}, {"$set": {"at": utcnow() - 2 * CLAIM_LEASE}})


async def outboxes(db: AsyncDatabase) -> Document:
    """Five events in four documents, marked every way a writer leaves them: ``a`` by two
    writers, ``b`` and ``c`` by one bulk write (a batch marker), ``d`` by a writer that died
    after writing and before marking again, ``e`` by one that died before writing."""
    await write(db, "a")
    await write(db, "a")
    await mark_pending(db, [batch_marker(THINGS, ["b", "c"])])
    await claimed_write(db, "b")
    await claimed_write(db, "c")
    await mark_pending(db, [batch_marker(THINGS, ["b", "c"])])
    await mark_pending(db, [pending_marker(THINGS, "d")])
    await claimed_write(db, "d")
    await mark_pending(db, [pending_marker(THINGS, "e")])
    return {"a": 2, "b": 1, "c": 1, "d": 1}


async def assert_moved_once(db: AsyncDatabase, expected: Document) -> None:
    """Every event in ``events`` once, numbered 1 … n per resource."""
    events = await db[EVENTS].find({}).to_list()
    by_resource: dict[str, list[int]] = {}
    for event in events:
        by_resource.setdefault(event["resource"]["id"], []).append(event["sequence"])
    assert {r: sorted(s) for r, s in by_resource.items()} == {
        r: list(range(1, n + 1)) for r, n in expected.items()}
    written = [e["_id"] for d in await db[THINGS].find({}).to_list() for e in d[OUTBOX]]
    assert set(written) <= {e["_id"] for e in events}


async def assert_all_moved(db: AsyncDatabase, expected: Document) -> None:
    await assert_moved_once(db, expected)
    assert [d[OUTBOX] for d in await db[THINGS].find({}).to_list()] == [[]] * len(expected)
    assert await db[PENDING].count_documents({}) == 0


async def reset(db: AsyncDatabase) -> None:
    for name in (THINGS, EVENTS, PENDING, CLAIMS):
        await db[name].delete_many({})


@pytest.mark.parametrize("settled", [False, True], ids=["first-pass", "settled-pass"])
@pytest.mark.parametrize("mode", ["cancelled", "failed"])
async def test_a_relay_stopped_at_any_step_leaves_nothing_the_next_relay_does_not_move(
        db, mode, settled):
    async def prepared() -> Document:
        await reset(db)
        expected = await outboxes(db)
        if settled:   # the relay's pass is then the last one, which deletes the markers
            await settle(db)
        return expected

    expected = await prepared()
    whole = Faulty(db)
    assert await relay_outboxes(whole) == 5  # type: ignore[arg-type]
    assert whole.steps > 15

    for stop_at in range(whole.steps):
        await prepared()
        faulty = Faulty(db, stop_at, mode)
        await stopped_relay(faulty)
        assert faulty.steps > stop_at, "the relay ended before the step it was to stop at"

        with contextlib.suppress(RelayError):   # a pull the stopped relay claimed waits
            await relay_outboxes(db)
        await assert_moved_once(db, expected)
        await settle(db)
        await relay_outboxes(db)
        await assert_all_moved(db, expected)
        assert await relay_outboxes(db) == 0


async def test_a_marker_outlives_a_write_that_comes_after_a_relay_read_the_document(db):
    await mark_pending(db, [pending_marker(THINGS, "x")])   # the writer marks,
    assert await relay_outboxes(db) == 0                    # a relay reads "x" before its write,
    await claimed_write(db, "x")                            # the writer writes and dies
    assert await relay_outboxes(db) == 0                    # the marker has had its first pass
    assert await db[PENDING].count_documents({}) == 1       # but is kept until it has settled
    await settle(db)
    assert await relay_outboxes(db) == 1
    await assert_all_moved(db, {"x": 1})


async def test_a_written_event_moves_at_once_and_its_markers_go_once_settled(db):
    await write(db, "x")
    assert await relay_outboxes(db) == 1
    assert await db[PENDING].count_documents({"relayedAt": {"$exists": True}}) == 2
    assert await relay_outboxes(db) == 0   # passed markers wait to settle; nothing re-read
    assert await db[PENDING].count_documents({}) == 2
    await settle(db)
    assert await relay_outboxes(db) == 0
    await assert_all_moved(db, {"x": 1})


async def test_a_document_that_cannot_be_pulled_does_not_hold_up_the_others(db):
    await write(db, "stuck")
    await write(db, "free")
    stuck = await db[THINGS].find_one({"_id": "stuck"})
    await db[CLAIMS].insert_one({"_id": f"{THINGS}:stuck:{stuck['rev'] + 1}", "at": utcnow()})
    with pytest.raises(RelayError, match="2 of 4"):   # the stuck document's two markers
        await relay_outboxes(db)
    assert (await db[THINGS].find_one({"_id": "free"}))[OUTBOX] == []
    assert await db[EVENTS].count_documents({}) == 2   # only the stuck one's pull waits
    assert await db[PENDING].count_documents({"relayedAt": {"$exists": False}}) == 2
    await settle(db)   # the claim's lease runs out: the next relay takes it over
    await relay_outboxes(db)
    await assert_all_moved(db, {"stuck": 1, "free": 1})


async def test_sequences_count_events_not_revisions(db):
    for _ in range(3):
        await write(db, "x")
        await relay_outboxes(db)   # each pull takes a revision of its own
    document = await db[THINGS].find_one({"_id": "x"})
    assert (document["rev"], document[SEQUENCE], document[OUTBOX]) == (6, 3, [])
    assert [e["sequence"] for e in await db[EVENTS].find({}).sort("sequence", 1).to_list()
            ] == [1, 2, 3]


async def test_concurrent_writers_and_relays_lose_nothing_and_number_without_gaps(db):
    writers, writes = 4, 5
    done = asyncio.Event()

    async def relaying() -> None:
        while not done.is_set():
            with contextlib.suppress(RelayError):
                await relay_outboxes(db)
            await asyncio.sleep(0.005)

    async def writing() -> None:
        for _ in range(writes):
            await write(db, "hot")

    relays = [asyncio.create_task(relaying()) for _ in range(2)]
    await asyncio.gather(*(writing() for _ in range(writers)))
    done.set()
    await asyncio.gather(*relays)
    with contextlib.suppress(RelayError):
        await relay_outboxes(db)
    await assert_moved_once(db, {"hot": writers * writes})
    await settle(db)
    await relay_outboxes(db)
    await assert_all_moved(db, {"hot": writers * writes})
    assert (await db[THINGS].find_one({"_id": "hot"}))["n"] == writers * writes


async def _event_aged(db: AsyncDatabase, days: int) -> str:
    event = make_event("store.updated", PARTNER, "Thing", f"t{days}", 1, {},
                       utcnow() - timedelta(days=days))
    await db[EVENTS].insert_one(event)
    return event["_id"]


async def test_events_are_swept_after_the_retention(db, monkeypatch):
    monkeypatch.delenv(RETENTION_ENV, raising=False)
    kept, old = await _event_aged(db, 29), await _event_aged(db, 31)
    assert retention() == timedelta(days=30)
    assert await sweep_events(db) == 1
    assert [e["_id"] for e in await db[EVENTS].find({}).to_list()] == [kept]
    assert old != kept

    monkeypatch.setenv(RETENTION_ENV, "7")
    assert await sweep_events(db) == 1
    assert await db[EVENTS].count_documents({}) == 0


def test_the_retention_setting_is_checked_and_the_sweep_runs_with_both_subgraphs(
        monkeypatch):
    monkeypatch.setenv(RETENTION_ENV, "0")
    with pytest.raises(ValueError, match=RETENTION_ENV):
        retention()
    assert sweep_events in STORES.sweeps and sweep_events in CATALOG.sweeps
