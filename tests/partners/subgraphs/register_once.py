"""Register one partner subgraph from a process of its own (the concurrency test's second
process): ``python -m tests.partners.subgraphs.register_once URI DB PARTNER NAME URL``.
Prints the user errors (none: an empty line)."""

import asyncio
import sys

from partners.subgraphs.register import register_subgraph
from schema.kernel.mongo import Mongo


async def main(uri: str, db_name: str, partner_id: str, name: str, url: str) -> None:
    mongo = Mongo.open(uri, db_name)
    try:
        outcome = await register_subgraph(mongo.db, partner_id, name, url)
    finally:
        await mongo.close()
    print("; ".join(e.message for e in outcome.errors), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
