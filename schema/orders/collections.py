"""The orders subgraph's collections and the indexes its reads rely on."""

from schema.kernel.indexes import IndexSpec

ORDERS = "orders"
EXTERNAL_IDS = "order_external_ids"
"""One document per (merchant, channel, external id), inserted before the order: the unique
``_id`` is what makes DUPLICATE_EXTERNAL_ID hold under concurrency."""
EXPIRIES = "order_expiries"
"""Unpaid orders and when they lapse, so the expiry sweep reads only those, never all orders."""
FOLLOWUPS = "order_followups"
"""Markers of status changes whose follow-ups (stock, refunds, points) may not have run yet."""
LEASES = "order_feed_leases"
"""Writes of orders in flight, per merchant: the change feed's watermark (:mod:`feed`)."""

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(ORDERS, "merchantId", "updatedAt"),
    IndexSpec.on(ORDERS, "storeIds", "updatedAt"),
    IndexSpec.on(ORDERS, "memberId", "_id"),
    IndexSpec.on(ORDERS, "courierId", "status"),
    IndexSpec.on(EXPIRIES, "dueAt"),
    IndexSpec.on(LEASES, "feed"),
    IndexSpec.on(FOLLOWUPS, "at"),
)
