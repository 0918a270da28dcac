"""New events become deliveries: the fan-out follows the feed of all events.

The relay appends every event to the sequenced feed :data:`schema.kernel.events.ALL_EVENTS_FEED`
(:mod:`schema.kernel.feeds`); the fan-out reads it below its safe watermark from its own
cursor (``whfanout:cursor``), so it never scans ``events`` and never skips one. Entries are
whole events; for each it reads the endpoint lists and endpoints of the partners it goes to
(its owner and the partners whose apps took part, ``alsoFor``: point reads, once per partner
per batch), makes a delivery per active endpoint subscribed to the topic (a duplicate-key
no-op when made already: a delivery's id is the event id and the endpoint id, so each
receiver gets each event once, whatever the number of copies of it in the feed), lists them
in the current due bucket and in their endpoints' delivery logs (:mod:`.log`), and only then
moves the cursor: a fan-out that dies redoes its batch; a repeated listing is skipped once its
delivery has moved on, or at worst sends it once more (receivers de-duplicate).
One fan-out runs at a time per database, under a lease (:mod:`.dispatcher`).
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from partners.webhooks import due
from partners.webhooks.deliveries import DELIVERIES, new_delivery
from partners.webhooks.endpoints import ACTIVE, ENDPOINTS, partner_endpoint_ids
from partners.webhooks.log import log_deliveries
from schema.kernel import feeds
from schema.kernel.claims import update_claimed
from schema.kernel.events import ALL_EVENTS_FEED, receivers
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

CURSOR = "whfanout:cursor"
BATCH = 500
_DUPLICATE_KEY = 11000

Document = dict[str, Any]


async def fan_out(db: AsyncDatabase, batch: int = BATCH) -> int:
    """Turn the next feed entries into deliveries; returns how many entries were read."""
    cursor = await db[due.DUE].find_one({"_id": CURSOR})
    after = (cursor or {}).get("after", 0)
    page = await feeds.read(db, ALL_EVENTS_FEED, after, batch)
    if page.entries:
        await _deliveries_for(db, page.entries)
    if page.cursor > after:
        def forward(current: Document | None) -> Document | None:
            if current is not None and current["after"] >= page.cursor:
                return None
            return {"after": page.cursor}

        await update_claimed(db[due.DUE], db, CURSOR, forward)
    return len(page.entries)


async def _deliveries_for(db: AsyncDatabase, entries: list[Document]) -> None:
    partners = list(dict.fromkeys(p for e in entries for p in receivers(e)))
    endpoints: dict[str, list[Document]] = {}
    for partner_id in partners:
        ids = await partner_endpoint_ids(db, partner_id)
        endpoints[partner_id] = [e for e in await get_many(db[ENDPOINTS], ids)
                                 if e is not None and e["status"] == ACTIVE]
    now = utcnow()
    made = list({d["_id"]: d for entry in entries for d in _made(entry, endpoints, now)}
                .values())
    if not made:
        return
    try:
        await db[DELIVERIES].insert_many(made, ordered=False)
    except BulkWriteError as exc:
        if any(e["code"] != _DUPLICATE_KEY for e in exc.details["writeErrors"]):
            raise
    await due.schedule(db, [due.entry(d["_id"], 1) for d in made], now)
    await log_deliveries(db, made)


def _made(entry: Document, endpoints: dict[str, list[Document]], now: datetime
          ) -> list[Document]:
    """The deliveries of one feed entry: one per subscribed endpoint of each receiver."""
    subscribed = [ep for partner_id in receivers(entry) for ep in endpoints.get(partner_id, [])
                  if entry["topic"] in ep["topics"]]
    if not subscribed:
        return []
    event = {k: v for k, v in entry.items() if k != "seq"}
    return [new_delivery(event, ep, now) for ep in subscribed]
