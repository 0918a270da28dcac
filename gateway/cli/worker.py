"""``loopgate worker``: deliver webhooks, alone (``loopgate serve`` runs the same dispatcher).

Any number of workers and servers share the work through leases in the database
(:mod:`partners.webhooks.dispatcher`): start more to deliver more, stop one at any time.
SIGTERM or SIGINT stops it cleanly: it claims no new work, lets the deliveries in flight
finish (for up to ``--drain`` seconds; what is still unfinished then is cut off and sent
again by another worker), releases its leases so another worker takes over at once, and
exits 0. A worker that dies without that is replaced once its leases run out. One dispatcher
runs per database: the live one and its sandbox. Every ``--status-every`` seconds a line on
stderr says how many deliveries succeeded and failed.
"""

import argparse
import asyncio
import signal
import time
from collections import Counter
from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import console_err
from gateway.cli._database import add_settings_arguments, with_database
from partners.webhooks.dispatcher import Dispatcher, DispatcherSettings, stop_within
from schema.kernel.sandbox import Databases

SIGNALS = (signal.SIGTERM, signal.SIGINT)
DRAIN_S = 15.0
STATUS_EVERY_S = 60.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="deliver webhooks (runs until SIGTERM or "
                                   "SIGINT, then stops cleanly)")
    parser.add_argument("--concurrency", type=int, default=DispatcherSettings.concurrency,
                        help="requests in flight at once per database (default %(default)s)")
    parser.add_argument("--drain", type=float, default=DRAIN_S,
                        help="on SIGTERM/SIGINT, seconds the deliveries in flight may take to "
                             "finish (default %(default)s)")
    parser.add_argument("--status-every", type=float, default=STATUS_EVERY_S,
                        help="seconds between progress lines on stderr; 0: none (default "
                             "%(default)s)")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for name, value, low in (("--concurrency", args.concurrency, 1), ("--drain", args.drain, 0),
                             ("--status-every", args.status_every, 0)):
        if value < low:
            console_err.print(f"[bold red]error:[/] {name} must be at least {low}")
            return 2
    settings = DispatcherSettings(concurrency=args.concurrency)

    async def work(db: AsyncDatabase) -> None:
        databases = Databases.beside(db).each()
        console_err.print(f"delivering webhooks of {', '.join(d.name for d in databases)}")
        await deliver_until_signalled([Dispatcher(each, settings) for each in databases],
                                      args.drain, args.status_every)

    with_database(args, work)
    return 0


def _totals(dispatchers: Sequence[Dispatcher]) -> Counter[str]:
    total: Counter[str] = Counter()
    for dispatcher in dispatchers:
        total.update(dispatcher.counts)
    return total


async def _report(dispatchers: Sequence[Dispatcher], every_s: float) -> None:
    """A progress line every ``every_s`` seconds: the last period's outcomes and the rate."""
    before, since = _totals(dispatchers), time.monotonic()
    while True:
        await asyncio.sleep(every_s)
        now, elapsed = _totals(dispatchers), time.monotonic() - since
        delivered, failed = now["delivered"] - before["delivered"], now["failed"] - before["failed"]
        errors = now["round_errors"] - before["round_errors"]
        console_err.print(f"webhooks: {delivered} delivered, {failed} failed in the last "
                          f"{elapsed:.0f} s ({delivered * 60 / elapsed:.0f}/min); "
                          f"{now['delivered']} delivered since start"
                          + (f"; {errors} rounds failed (see the log)" if errors else ""))
        before, since = now, time.monotonic()


async def deliver_until_signalled(dispatchers: Sequence[Dispatcher], drain_s: float,
                                  status_every_s: float) -> None:
    """Run the dispatchers until SIGTERM or SIGINT, then stop them cleanly (see the module's
    docstring). A dispatcher that fails stops the others and its error is raised."""
    loop = asyncio.get_running_loop()
    signalled: asyncio.Future[signal.Signals] = loop.create_future()

    def on_signal(signum: signal.Signals) -> None:
        if not signalled.done():
            signalled.set_result(signum)

    for signum in SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    tasks = [asyncio.create_task(d.run_forever()) for d in dispatchers]
    reporter = asyncio.create_task(_report(dispatchers, status_every_s)) \
        if status_every_s > 0 else None
    try:
        await asyncio.wait([signalled, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        if signalled.done():
            console_err.print(f"{signalled.result().name}: stopping; deliveries in flight "
                              f"have {drain_s:g} s to finish")
        cut_off = await stop_within(dispatchers, tasks, drain_s)
        if reporter is not None:
            reporter.cancel()
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)
    total = _totals(dispatchers)
    console_err.print(f"stopped: {total['delivered']} delivered, {total['failed']} failed "
                      f"since start; {cut_off} dispatcher(s) cut off after "
                      f"{drain_s:g} s; leases released")
    for task in tasks:
        failure = task.exception() if task.done() and not task.cancelled() else None
        if failure is not None:
            raise failure
