"""``syncInventory``: up to 10,000 stock items for one store, out-of-order safe.

Batch-level refusals (too many items, duplicate SKUs, storeId/storeCode not exactly one,
unknown or foreign store) write nothing. Otherwise each item is validated and resolved by
SKU, the rows are point-read, the ordering rules (:mod:`schema.catalog.stock`) decide the new
values, and each row is written with a compare-and-set on its revision (arbitrated by a claim
insert, :mod:`schema.kernel.claims`); a row that moved
meanwhile is re-read and decided again, so concurrent syncs of one store converge. New rows
are inserted in bulk (a concurrent insert of the same row is retried the same way).
Every applied row gets a feed sequence number under one lease (:mod:`schema.catalog.feed`),
and a drop below the product's threshold writes an ``inventory.low_stock`` event into the
row's outbox in the same update.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pymongo import InsertOne
from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import feed
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.stock import ItemStatus, Movement, Outcome, apply, movement_problem
from schema.catalog.stocked import add_stocked, stocked_products
from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.claims import claim_many
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.events import make_event, mark_pending, pending_marker
from schema.kernel.time import utcnow

MAX_ITEMS = 10_000
_ATTEMPTS = 8
_PARALLEL = 16

Document = dict[str, Any]


@dataclass
class _Plan:
    """One resolved, valid item on its way to its row."""

    item: Document
    product: Document
    row_id: str
    seq: int = 0


@dataclass
class SyncReport:
    applied: int = 0
    problems: list[Document] = field(default_factory=list)

    def add(self, sku: str, status: ItemStatus, on_hand: int | None, message: str | None) -> None:
        self.problems.append({"sku": sku, "status": status.value, "onHand": on_hand,
                              "message": message})

    def result(self) -> Document:
        counts = {s: sum(1 for p in self.problems if p["status"] == s.value) for s in ItemStatus}
        return {"applied": self.applied, "stale": counts[ItemStatus.STALE],
                "unknownSku": counts[ItemStatus.UNKNOWN_SKU],
                "invalid": counts[ItemStatus.INVALID], "conflicts": counts[ItemStatus.CONFLICT],
                "problems": self.problems, "userErrors": []}


def refusal(code: UserErrorCode, message: str, *path: str) -> Document:
    """A payload refusing the whole batch."""
    return {"applied": 0, "stale": 0, "unknownSku": 0, "invalid": 0, "conflicts": 0,
            "problems": [], "userErrors": [UserError(code, message, ("input", *path)).to_dict()]}


def batch_problem(items: list[Document]) -> Document | None:
    if len(items) > MAX_ITEMS:
        return refusal(UserErrorCode.INVALID, f"at most {MAX_ITEMS} items per call", "items")
    skus = [i["sku"] for i in items]
    if len(set(skus)) != len(skus):
        seen: set[str] = set()
        duplicates = sorted({s for s in skus if s in seen or seen.add(s)})  # type: ignore[func-returns-value]
        return refusal(UserErrorCode.INVALID,
                       f"duplicate SKUs in one batch: {', '.join(duplicates[:10])}", "items")
    return None


def _movement(item: Document) -> Movement:
    return Movement(at=item["occurredAt"], on_hand=item.get("onHand"), delta=item.get("delta"),
                    expected=item.get("expectedOnHand"))


def _low_stock(plan: _Plan, row: Document | None, outcome: Outcome) -> bool:
    threshold = plan.product.get("lowStockThreshold")
    if threshold is None or outcome.on_hand is None:
        return False
    reserved = row.get("reserved", 0) if row else 0
    before = row["onHand"] - reserved if row else None
    after = outcome.on_hand - reserved
    return after < threshold and (before is None or before >= threshold)


class InventorySync:
    """One syncInventory call for one store of one partner."""

    def __init__(self, db: AsyncDatabase, partner_id: str, store_id: str) -> None:
        self.db, self.partner_id, self.store_id = db, partner_id, store_id
        self.report = SyncReport()
        self.changes: list[Document] = []
        self.stocked: set[str] = set()
        self.first_attempt = True

    async def run(self, plans: list[_Plan]) -> Document:
        if plans:
            self.stocked = await stocked_products(self.db, self.store_id)
            lease = await feed.take_lease(self.db, self.partner_id, len(plans))
            for offset, plan in enumerate(plans):
                plan.seq = lease.low + offset
            try:
                await self._apply_all(plans)
                await feed.record_changes(self.db, lease, self.changes)
                await add_stocked(self.db, self.store_id,
                                  {c["productId"] for c in self.changes} - self.stocked)
            finally:
                await feed.release(self.db, lease)
        return self.report.result()

    async def _apply_all(self, plans: list[_Plan]) -> None:
        pending = plans
        for _ in range(_ATTEMPTS):
            if not pending:
                return
            pending = await self._attempt(pending)
        for plan in pending:
            self.report.add(plan.item["sku"], ItemStatus.CONFLICT, None,
                            "the row kept changing concurrently; retry")

    async def _attempt(self, plans: list[_Plan]) -> list[_Plan]:
        """Decide and write every plan once; returns the plans whose row moved meanwhile."""
        rows = await self._read_rows(plans)
        inserts: list[tuple[_Plan, Document]] = []
        updates: list[tuple[_Plan, Document, Document]] = []
        markers = []
        for plan, row in zip(plans, rows, strict=True):
            outcome = apply(row, _movement(plan.item))
            if outcome.status is not ItemStatus.APPLIED:
                self.report.add(plan.item["sku"], outcome.status, outcome.on_hand, outcome.message)
                continue
            change = self._new_fields(plan, row, outcome)
            if "outbox" in change:
                markers.append(pending_marker(INVENTORY, plan.row_id))
            if row is None:
                inserts.append((plan, change))
            else:
                updates.append((plan, row, change))
        await mark_pending(self.db, markers)
        retry = await self._insert(inserts)
        retry += await self._update(updates)
        return retry

    async def _read_rows(self, plans: list[_Plan]) -> list[Document | None]:
        """Current rows; on the first pass only rows the store is known to stock are read,
        since reading a missing row is a full scan on FerretDB."""
        collection = self.db[INVENTORY]
        known = self.stocked if self.first_attempt else None
        self.first_attempt = False

        async def read(plan: _Plan) -> Document | None:
            if known is not None and plan.product["_id"] not in known:
                return None
            return await collection.find_one({"_id": plan.row_id})

        return list(await asyncio.gather(*(read(p) for p in plans)))

    def _new_fields(self, plan: _Plan, row: Document | None, outcome: Outcome) -> Document:
        now = utcnow()
        revision = (row["rev"] if row else 0) + 1
        fields = {**(outcome.fields or {}), "rev": revision, "seq": plan.seq, "updatedAt": now}
        if _low_stock(plan, row, outcome):
            reserved = row.get("reserved", 0) if row else 0
            event = make_event(
                "inventory.low_stock", self.partner_id, "InventoryLevel", plan.row_id, revision,
                {"storeId": self.store_id, "productId": plan.product["_id"],
                 "sku": plan.product["sku"], "available": (outcome.on_hand or 0) - reserved,
                 "threshold": plan.product["lowStockThreshold"]}, now)
            fields["outbox"] = [*(row.get("outbox", []) if row else []), event]
        return fields

    def _applied(self, plan: _Plan) -> None:
        self.report.applied += 1
        self.changes.append({"seq": plan.seq, "storeId": self.store_id,
                             "productId": plan.product["_id"], "rowId": plan.row_id,
                             "at": utcnow()})

    async def _insert(self, inserts: list[tuple[_Plan, Document]]) -> list[_Plan]:
        documents = [InsertOne({"_id": p.row_id, "partnerId": self.partner_id,
                                "storeId": self.store_id, "productId": p.product["_id"],
                                "sku": p.product["sku"], "reserved": 0, "moves": [],
                                "countedAt": None, "outbox": [], **fields})
                     for p, fields in inserts]
        outcome = await bulk_write_chunked(self.db[INVENTORY], documents)
        retry = []
        for index, (plan, _) in enumerate(inserts):
            error = outcome.errors.get(index)
            if error is None:
                self._applied(plan)
            elif error["code"] == 11000:
                retry.append(plan)
            else:
                raise RuntimeError(f"inventory insert failed: {error}")
        return retry

    async def _update(self, updates: list[tuple[_Plan, Document, Document]]) -> list[_Plan]:
        """Write rows whose revision transition this call won; the rest are retried."""
        won = await claim_many(self.db, [f"{INVENTORY}:{p.row_id}:{f['rev']}"
                                         for p, _, f in updates])
        gate = asyncio.Semaphore(_PARALLEL)
        collection = self.db[INVENTORY]

        async def write(plan: _Plan, row: Document, fields: Document) -> _Plan | None:
            async with gate:
                result = await collection.update_one({"_id": plan.row_id}, {"$set": fields})
            if result.matched_count:
                self._applied(plan)
                return None
            return plan

        lost = [u[0] for u, ok in zip(updates, won, strict=True) if not ok]
        done = await asyncio.gather(*(write(*u) for u, ok in zip(updates, won, strict=True)
                                      if ok))
        return lost + [plan for plan in done if plan is not None]


async def sync_inventory(db: AsyncDatabase, partner_id: str, store_id: str,
                         items: list[Document], products: dict[str, Document]) -> Document:
    """Apply a batch already checked at batch level; ``products`` maps SKU → product."""
    report_invalid = SyncReport()
    plans = []
    for item in items:
        problem = movement_problem(item)
        if problem is not None:
            report_invalid.add(item["sku"], ItemStatus.INVALID, None, problem)
        elif item["sku"] not in products:
            report_invalid.add(item["sku"], ItemStatus.UNKNOWN_SKU, None,
                               "no product with this SKU")
        else:
            product = products[item["sku"]]
            plans.append(_Plan(item, product, inventory_id(store_id, product["_id"])))
    sync = InventorySync(db, partner_id, store_id)
    sync.report.problems.extend(report_invalid.problems)
    return await sync.run(plans)
