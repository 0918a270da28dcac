"""Named leases on the real FerretDB: one holder at a time, renewal, release, takeover after
the holder dies, and work that runs only while its process holds the lease."""

import asyncio
import contextlib
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.leases import HOLDER, LEASES, Lease, LeaseRunner
from schema.kernel.time import utcnow

SHORT = timedelta(seconds=1)


async def test_one_of_many_contenders_takes_a_free_lease(db: AsyncDatabase) -> None:
    contenders = [Lease(db, "jobs:x", holder=f"p{i}") for i in range(8)]
    won = await asyncio.gather(*(lease.acquire() for lease in contenders))
    assert sum(won) == 1
    winner = contenders[won.index(True)]
    assert await winner.current_holder() == winner.holder
    assert await winner.acquire()   # renewal by the holder
    assert not any(await asyncio.gather(*(c.acquire() for c in contenders if c is not winner)))


async def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew(
        db: AsyncDatabase) -> None:
    dead = Lease(db, "jobs:y", holder="dead", ttl=SHORT)
    alive = Lease(db, "jobs:y", holder="alive", ttl=SHORT)
    assert await dead.acquire()
    assert not await alive.acquire()
    await asyncio.sleep(SHORT.total_seconds() + 0.1)
    assert await dead.current_holder() is None
    assert await alive.acquire()
    assert not await dead.acquire()
    assert await dead.current_holder() == "alive"


async def test_release_hands_over_at_once_and_only_by_the_holder(db: AsyncDatabase) -> None:
    first, second = Lease(db, "upkeep", holder="a"), Lease(db, "upkeep", holder="b")
    assert await first.acquire()
    assert not await second.release()   # not its lease: nothing changes
    assert await first.current_holder() == "a"
    assert await first.release()
    assert await second.acquire()


async def test_leases_of_different_names_are_independent(db: AsyncDatabase) -> None:
    assert await Lease(db, "jobs:live", holder="a").acquire()
    assert await Lease(db, "jobs:sandbox", holder="b").acquire()
    assert HOLDER.count(":") == 2   # host:pid:random, the default holder of this process


class _Work:
    """Counts how many instances of the guarded work run at once (at most one, always)."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.starts = 0

    async def __call__(self) -> None:
        self.running += 1
        self.starts += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.Event().wait()
        finally:
            self.running -= 1


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_two_runners_never_run_the_work_at_once_and_a_stop_hands_over(
        db: AsyncDatabase) -> None:
    work = _Work()
    runners = [LeaseRunner(Lease(db, "jobs:z", holder=f"p{i}", ttl=SHORT), work, 0.1)
               for i in range(2)]
    tasks = [asyncio.create_task(r.run_forever()) for r in runners]
    await asyncio.sleep(0.6)
    assert work.running == 1 and work.most == 1
    holder = next(i for i, r in enumerate(runners) if r.holding)
    await _cancel(tasks[holder])   # a clean stop releases: the other takes over at its next round
    await asyncio.sleep(0.4)
    other = runners[1 - holder]
    assert other.holding and work.running == 1 and work.most == 1
    await _cancel(tasks[1 - holder])
    assert work.running == 0
    assert await Lease(db, "jobs:z").current_holder() is None


async def test_work_starts_only_once_a_dead_holders_term_has_ended(db: AsyncDatabase) -> None:
    assert await Lease(db, "jobs:w", holder="died-holding-it", ttl=SHORT).acquire()
    work = _Work()
    runner = LeaseRunner(Lease(db, "jobs:w", holder="successor", ttl=SHORT), work, 0.1)
    task = asyncio.create_task(runner.run_forever())
    await asyncio.sleep(0.5)
    assert work.starts == 0
    await asyncio.sleep(SHORT.total_seconds())
    assert work.starts == 1 and runner.holding
    await _cancel(task)


async def test_a_holder_whose_lease_was_taken_stops_its_work(db: AsyncDatabase) -> None:
    """Another process took the lease (say this one stalled past its term): the work stops at
    the next round instead of running beside the new holder's."""
    work = _Work()
    runner = LeaseRunner(Lease(db, "jobs:v", holder="stalled", ttl=timedelta(seconds=30)),
                         work, 0.1)
    task = asyncio.create_task(runner.run_forever())
    await asyncio.sleep(0.3)
    assert work.running == 1
    await update_claimed(db[LEASES], db, "jobs:v", lambda _current: {
        "holder": "rival", "expiresAt": utcnow() + timedelta(seconds=30), "since": utcnow()})
    await asyncio.sleep(0.3)
    assert work.running == 0 and not runner.holding
    await _cancel(task)
    assert await Lease(db, "jobs:v").current_holder() == "rival"   # its lease is not released


async def test_work_that_fails_is_started_again_while_the_lease_is_held(
        db: AsyncDatabase) -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("first round fails")
        await asyncio.Event().wait()

    runner = LeaseRunner(Lease(db, "jobs:u", holder="p", ttl=SHORT), flaky, 0.05)
    task = asyncio.create_task(runner.run_forever())
    await asyncio.sleep(0.4)
    assert calls == 2 and runner.holding
    await _cancel(task)
