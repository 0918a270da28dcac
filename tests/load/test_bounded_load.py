"""Concurrency without errors: 20 clients for 15 s against ``loopgate serve`` in its process.

The short version of ``python -m bench.load`` (the same code: :mod:`bench.load`), over a
fresh database on the session's FerretDB seeded with the demo data the mix reads. It checks
correctness under concurrency, not speed: every answer must be a 200 without ``errors``, and
the server's memory must not run away (a generous bound; the benchmark reports the numbers).
"""

import asyncio
from contextlib import ExitStack

import pytest

from bench.load.run import run_load
from bench.load.setup import MIX_STEPS, seed, tokens
from bench.served import serve
from gateway.embedded.server import free_port
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo

pytestmark = pytest.mark.slow

CLIENTS = 20
SECONDS = 15.0


async def test_twenty_clients_for_fifteen_seconds_without_an_error(
        ferretdb: str, mongo_client: Mongo) -> None:
    name = f"load_{new_id('evt')[4:].lower()}"
    db = mongo_client.client[name]
    stack = ExitStack()
    try:
        await seed(db, MIX_STEPS)
        base, pid = await asyncio.to_thread(stack.enter_context,
                                            serve(ferretdb, name, free_port()))
        minted = await tokens(db, base, CLIENTS)
        result = await run_load(base, minted, SECONDS, pid, sample_every=1.0)
    finally:
        await asyncio.to_thread(stack.close)
        await mongo_client.client.drop_database(name)
    print(result.summary())
    assert result.requests >= CLIENTS, result.summary()
    assert result.error_count == 0, result.summary()
    assert set(result.by_operation) == {"stores", "nearbyStores", "products", "storeInventory",
                                        "viewer"}, result.summary()
    assert result.rss_ratio < 1.5, result.summary()
    assert max(result.rss_mib) - min(result.rss_mib) < 200, result.summary()
