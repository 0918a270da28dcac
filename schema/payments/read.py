"""What other domains may read of payments (DESIGN.md §3: through read functions, never the
collection): a payment document by id, a point read."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.payments.collections import PAYMENTS


async def get_payment(db: AsyncDatabase, payment_id: str) -> dict[str, Any] | None:
    """The payment ``payment_id`` in ``db`` (live or sandbox), or None."""
    return await db[PAYMENTS].find_one({"_id": payment_id})
