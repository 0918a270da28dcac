"""One composition at a time per database, across every process.

A registration reads the ACTIVE subgraphs, composes them with its own and publishes the
result. Two registrations doing that side by side would each compose without the other's
subgraph, and the later publish would drop the earlier one from the graph. So the read,
compose, store and publish run in a *turn*: a kernel lease (:class:`schema.kernel.leases.
Lease`, ``partner-subgraphs:graph`` in the database concerned) held by one operation at a
time. Each operation is its own holder (two registrations in one process take turns too),
waits up to :data:`TURN_WAIT_S` for its turn, and releases the lease when done; a holder
that died leaves the lease to expire after :data:`TURN_TTL` (a turn composes twice and
writes a few documents: well under a second).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase
from ulid import ULID

from schema.kernel.leases import HOLDER, Lease

LEASE_NAME = "partner-subgraphs:graph"
TURN_TTL = timedelta(seconds=60)
TURN_WAIT_S = 30.0
_POLL_S = 0.05


class GraphBusy(RuntimeError):
    """Another composition held the turn for :data:`TURN_WAIT_S`; nothing was done.
    Retryable: the mutation answers it as a ``CONFLICT`` user error."""


@asynccontextmanager
async def graph_turn(db: AsyncDatabase, wait_s: float | None = None) -> AsyncIterator[None]:
    """Hold ``db``'s composition turn for the duration of the block."""
    lease = Lease(db, LEASE_NAME, holder=f"{HOLDER}:{ULID()}", ttl=TURN_TTL)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (TURN_WAIT_S if wait_s is None else wait_s)
    while not await lease.acquire():
        if loop.time() > deadline:
            raise GraphBusy("another partner subgraph change is being composed; try again")
        await asyncio.sleep(_POLL_S)
    try:
        yield
    finally:
        await asyncio.shield(lease.release())
