"""Which server a client talks to, asked once per client.

Queries are the same on MongoDB and FerretDB v1; only how they are batched differs, because
FerretDB v1 pushes down nothing but a one-key ``{_id: value}`` filter
(tests/kernel/test_ferretdb_quirks.py).
"""

import weakref
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

_ferretdb: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


async def on_ferretdb(collection: AsyncCollection) -> bool:
    """Whether ``collection`` lives on FerretDB (``buildInfo`` names its version)."""
    client = collection.database.client
    known = _ferretdb.get(client)
    if known is None:
        info = await client.admin.command("buildInfo")
        known = _ferretdb[client] = "ferretdbVersion" in info
    return known
