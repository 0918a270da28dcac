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
