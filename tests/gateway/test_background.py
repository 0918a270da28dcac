"""The background runner: relays run every tick, retention sweeps only every few minutes
(a sweep scans its whole collection on FerretDB), and a failing job does not stop the rest."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.background import (
    WithBackground,
    lease_for,
    run_jobs_forever,
    run_jobs_under_lease,
    run_under_lease,
)
from schema.kernel.leases import Lease


async def test_sweeps_run_once_per_sweep_interval_while_jobs_keep_ticking() -> None:
    runs = {"job": 0, "sweep": 0, "broken": 0}

    def counting(name: str, fails: bool = False):
        async def job(_db: object) -> int:
            runs[name] += 1
            if fails:
                raise RuntimeError("boom")
            return 0
        return job

    task = asyncio.create_task(run_jobs_forever(
        None, [counting("broken", fails=True), counting("job")], [counting("sweep")],  # type: ignore[arg-type]
        interval_s=0.01, sweep_every_s=60.0))
    await asyncio.sleep(0.3)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert runs["sweep"] == 1
    assert runs["job"] >= 5 and runs["broken"] == runs["job"]


async def test_each_job_gets_the_database_its_runner_was_started_for() -> None:
    """The server starts one runner per database (live, sandbox); a job has no principal, so
    the database it is handed is the only thing that tells it which mode it works in."""
    seen: list[tuple[str, object]] = []

    def recording(name: str):
        async def job(db: object) -> int:
            seen.append((name, db))
            return 0
        return job

    runners = [asyncio.create_task(run_jobs_forever(
        db, [recording("relay")], [recording("sweep")], interval_s=0.01))  # type: ignore[arg-type]
        for db in ("live-db", "sandbox-db")]
    await asyncio.sleep(0.1)
    for runner in runners:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    for name in ("relay", "sweep"):
        assert {db for job, db in seen if job == name} == {"live-db", "sandbox-db"}


async def _stop(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_of_two_processes_only_the_lease_holder_runs_the_jobs(db: AsyncDatabase) -> None:
    """Two servers on one database: every relay round is run by one of them, never both, and
    the other takes over when the holder stops."""
    ran: list[str] = []

    def relay(process: str):
        async def job(_db: AsyncDatabase) -> int:
            ran.append(process)
            return 0
        return job

    ttl = timedelta(seconds=1)
    tasks = {name: asyncio.create_task(run_jobs_under_lease(
        db, [relay(name)], lease=Lease(db, f"jobs:{db.name}", holder=name, ttl=ttl),
        renew_every_s=0.1, interval_s=0.02)) for name in ("first", "second")}
    await asyncio.sleep(0.6)
    assert len(ran) >= 5 and len(set(ran)) == 1
    holder = ran[-1]
    assert await lease_for(db, "jobs").current_holder() == holder
    await _stop(tasks[holder])
    ran.clear()
    await asyncio.sleep(0.5)
    other = "second" if holder == "first" else "first"
    assert ran and set(ran) == {other}
    await _stop(tasks[other])


async def test_other_work_runs_under_its_own_lease(db: AsyncDatabase) -> None:
    """The OAuth upkeep holds ``auth-upkeep:<db>``, apart from the jobs' lease: two processes
    may each hold one."""
    started: list[str] = []

    def upkeep(process: str):
        async def forever() -> None:
            started.append(process)
            await asyncio.Event().wait()
        return forever

    tasks = [asyncio.create_task(run_under_lease(
        db, "auth-upkeep", upkeep(name),
        lease=Lease(db, f"auth-upkeep:{db.name}", holder=name), renew_every_s=0.1))
        for name in ("a", "b")]
    await asyncio.sleep(0.4)
    assert len(started) == 1
    assert await lease_for(db, "auth-upkeep").current_holder() == started[0]
    assert await lease_for(db, "jobs").current_holder() is None
    await _stop(*tasks)


async def test_with_background_runs_its_loops_between_start_up_and_shutdown() -> None:
    """The loops start once the wrapped app's own start-up completed, and are cancelled
    before its shutdown runs; requests pass through untouched."""
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        events.append("app started")
        yield
        events.append("app stopped")

    async def loop() -> None:
        events.append("loop started")
        try:
            await asyncio.Event().wait()
        finally:
            events.append("loop cancelled")

    async def home(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = WithBackground(Starlette(routes=[Route("/", home)], lifespan=lifespan),
                         lambda: [loop()])
    inbox: asyncio.Queue[dict] = asyncio.Queue()
    outbox: asyncio.Queue[dict] = asyncio.Queue()
    running = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}},
                                      inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    await asyncio.sleep(0.01)
    assert events == ["app started", "loop started"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://app") as http:
        assert (await http.get("/")).status_code == 200
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
    await running
    assert events == ["app started", "loop started", "loop cancelled", "app stopped"]
