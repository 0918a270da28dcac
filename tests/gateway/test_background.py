"""The background runner: relays run every tick, retention sweeps only every few minutes
(a sweep scans its whole collection on FerretDB), and a failing job does not stop the rest."""

import asyncio
import contextlib

from gateway.background import run_jobs_forever


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
