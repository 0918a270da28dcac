"""``syncInventory``: up to 10,000 stock items for one store, out-of-order safe.

Batch-level refusals (too many items, duplicate SKUs, storeId/storeCode not exactly one,
unknown or foreign store) write nothing. Otherwise each item is validated, its row id is
derived from (store, partner, SKU) without a read, and the items go through in chunks of
:data:`CHUNK`: the rows are point-read (the next chunk's reads overlap this chunk's writes),
the ordering rules (:mod:`schema.catalog.stock`) decide the new values, and each row's new
revision is claimed (:mod:`schema.kernel.claims`) before it is written in bulk; a row whose
revision another writer claimed first is re-read and decided again once that writer has
written it (backing off for up to :data:`RETRY_FOR_S`), so concurrent syncs of one store
converge. A claim whose writer abandoned it is taken over (``reclaim_abandoned``), and
claims this call could not write in time are left to such a takeover. A product is read
only when its row does not exist yet (is the SKU known?) or when the new level could fall
below the partner's highest threshold. An item INVALID on its own (a level out of range:
:mod:`schema.catalog.stock`; an ``occurredAt`` too far ahead: :mod:`schema.catalog.clock`) is
never read or written. New rows are inserted in bulk (a concurrent insert of the same row is
retried the same way). Every applied row gets a feed sequence number under one lease
(:mod:`schema.catalog.feed`), and the changes of each chunk are also recorded in the store's
own feed; a drop below the product's threshold writes an ``inventory.low_stock`` event into
the row's outbox in the same update.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import feed
from schema.catalog.clock import future_problem, max_future
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.products import Thresholds, get_products, product_id_for, thresholds
from schema.catalog.stock import ItemStatus, Movement, Outcome, apply, movement_problem
from schema.catalog.stocked import add_stocked
from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.claims import claim_many, reclaim_abandoned, write_expired
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.events import append_event, batch_marker, mark_pending
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

MAX_ITEMS = 10_000
CHUNK = feed.BLOCK   # a chunk's changes fill one feed page
RETRY_FOR_S = 20.0
_RETRY_PAUSE_S = (0.005, 0.25)

Document = dict[str, Any]


@dataclass
class _Plan:
    """One valid item on its way to its row."""

    item: Document
    product_id: str
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


def _available(row: Document | None, on_hand: int) -> int:
    return on_hand - (row.get("reserved", 0) if row else 0)


def _low_stock(threshold: int | None, row: Document | None, outcome: Outcome) -> bool:
    """Whether this change takes the level from at-or-above the threshold to below it."""
    if threshold is None or outcome.on_hand is None:
        return False
    before = _available(row, row["onHand"]) if row else None
    return _available(row, outcome.on_hand) < threshold and (before is None or
                                                             before >= threshold)


@dataclass
class _Prepared:
    """A chunk ready to write: new rows, existing rows whose revision was claimed, and the
    plans that lost the claim to a concurrent writer."""

    inserts: list[tuple[_Plan, Document]] = field(default_factory=list)
    updates: list[tuple[_Plan, Document]] = field(default_factory=list)
    lost: list[_Plan] = field(default_factory=list)
    with_events: list[str] = field(default_factory=list)
    claimed_at: datetime = field(default_factory=utcnow)


@dataclass
class _Decision:
    plan: _Plan
    row: Document | None
    outcome: Outcome


class InventorySync:
    """One syncInventory call for one store of one partner."""

    def __init__(self, db: AsyncDatabase, partner_id: str, store_id: str,
                 thresholds: Thresholds) -> None:
        self.db, self.partner_id, self.store_id = db, partner_id, store_id
        self.thresholds = thresholds
        self.report = SyncReport()
        self.products: dict[str, Document | None] = {}
        self.new_rows: set[str] = set()

    async def run(self, plans: list[_Plan]) -> Document:
        if plans:
            lease = await feed.take_lease(self.db, self.partner_id, len(plans))
            for offset, plan in enumerate(plans):
                plan.seq = lease.low + offset
            try:
                await self._apply_pipelined(lease, plans)
                await add_stocked(self.db, self.store_id, self.new_rows)
            finally:
                await feed.release(self.db, lease)
        return self.report.result()

    async def _apply_pipelined(self, lease: feed.Lease, plans: list[_Plan]) -> None:
        """Chunk by chunk: the next chunk is read, decided and claimed while this chunk's
        rows are written (on FerretDB the writes are the slow part, and one core's worth)."""
        chunks = [plans[i:i + CHUNK] for i in range(0, len(plans), CHUNK)]
        preparing = asyncio.create_task(self._prepare(chunks[0]))
        try:
            for index in range(len(chunks)):
                prepared = await preparing
                if index + 1 < len(chunks):
                    preparing = asyncio.create_task(self._prepare(chunks[index + 1]))
                changes: list[Document] = []
                retry = await self._write(prepared, changes)
                pause, give_up = _RETRY_PAUSE_S[0], time.monotonic() + RETRY_FOR_S
                while retry and time.monotonic() < give_up:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, _RETRY_PAUSE_S[1])
                    retry = await self._write(await self._prepare(retry), changes)
                for plan in retry:
                    self.report.add(plan.item["sku"], ItemStatus.CONFLICT, None,
                                    "the row kept changing concurrently; retry")
                await asyncio.gather(   # the partner's feed and the store's
                    feed.record_changes(self.db, lease, changes),
                    feed.record_store_changes(self.db, self.store_id,
                                              [c["rowId"] for c in changes]))
        finally:
            preparing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await preparing

    async def _read_rows(self, plans: list[_Plan]) -> list[Document | None]:
        return await get_many(self.db[INVENTORY], [p.row_id for p in plans])

    def _needs_product(self, decision: _Decision) -> bool:
        """A product is read to tell an unknown SKU (no row yet) or for its threshold."""
        if decision.row is None:
            return True
        outcome = decision.outcome
        return (outcome.status is ItemStatus.APPLIED and outcome.on_hand is not None
                and self.thresholds.ceiling is not None
                and _available(decision.row, outcome.on_hand) < self.thresholds.ceiling
                and not self._copy_is_current(decision.row))

    def _copy_is_current(self, row: Document) -> bool:
        """Whether the row's copy of its product's threshold is still the product's."""
        return "threshold" in row and row.get("thresholdAt") == self.thresholds.changed_at

    def _threshold(self, product: Document | None, row: Document | None) -> int | None:
        if product is not None:
            return product.get("lowStockThreshold")
        return row.get("threshold") if row is not None and self._copy_is_current(row) else None

    async def _load_products(self, product_ids: set[str]) -> None:
        missing = sorted(product_ids - self.products.keys())
        for product_id, doc in zip(missing, await get_products(self.db, missing), strict=True):
            self.products[product_id] = doc

    async def _prepare(self, plans: list[_Plan]) -> _Prepared:
        """Read and decide every plan, and claim the new revisions of existing rows."""
        read_at = utcnow()
        rows = await self._read_rows(plans)
        decisions = [_Decision(p, r, apply(r, _movement(p.item)))
                     for p, r in zip(plans, rows, strict=True)]
        await self._load_products({d.plan.product_id for d in decisions
                                   if self._needs_product(d)})
        prepared = _Prepared()
        updates: list[tuple[_Plan, Document]] = []
        for decision in decisions:
            plan, row, outcome = decision.plan, decision.row, decision.outcome
            product = self.products.get(plan.product_id)
            if row is None and product is None:
                self.report.add(plan.item["sku"], ItemStatus.UNKNOWN_SKU, None,
                                "no product with this SKU")
                continue
            if outcome.status is not ItemStatus.APPLIED:
                self.report.add(plan.item["sku"], outcome.status, outcome.on_hand,
                                outcome.message)
                continue
            fields = self._new_fields(plan, product, row, outcome)
            if "outbox" in fields:
                prepared.with_events.append(plan.row_id)
            (prepared.inserts if row is None else updates).append((plan, fields))
        await self._mark(prepared)
        keys = [f"{INVENTORY}:{p.row_id}:{f['rev']}" for p, f in updates]
        prepared.claimed_at = utcnow()
        won = await claim_many(self.db, keys)
        for update, ok in zip(updates, won, strict=True):
            (prepared.updates.append(update) if ok else prepared.lost.append(update[0]))
        await reclaim_abandoned(self.db, [k for k, ok in zip(keys, won, strict=True) if not ok],
                                read_at)
        return prepared

    async def _write(self, prepared: _Prepared, changes: list[Document]) -> list[_Plan]:
        """Write what :meth:`_prepare` decided; returns the plans to decide again (claims
        held too long are not written: they are left for takeover and decided again)."""
        retry = await self._insert(prepared.inserts, changes)
        if write_expired(prepared.claimed_at):
            prepared.lost.extend(plan for plan, _ in prepared.updates)
            prepared.updates = []
        await self._update(prepared.updates, changes)
        # Marked again: a relay's first pass over the first marker may have come before this
        # write; the second marker's first pass moves the event within a tick, instead of
        # the first marker's settled pass minutes later (schema.kernel.events).
        await self._mark(prepared)
        return retry + prepared.lost

    async def _mark(self, prepared: _Prepared) -> None:
        """A pending marker for the rows given events (each call adds one: the ids differ)."""
        if prepared.with_events:
            await mark_pending(self.db, [batch_marker(INVENTORY, prepared.with_events)])

    def _new_fields(self, plan: _Plan, product: Document | None, row: Document | None,
                    outcome: Outcome) -> Document:
        now = utcnow()
        revision = (row["rev"] if row else 0) + 1
        fields = {**(outcome.fields or {}), "rev": revision, "seq": plan.seq, "updatedAt": now}
        threshold = self._threshold(product, row)
        if product is not None:
            fields |= {"threshold": threshold, "thresholdAt": self.thresholds.changed_at}
        if _low_stock(threshold, row, outcome):
            fields |= append_event(
                row, "inventory.low_stock", self.partner_id, "InventoryLevel", plan.row_id,
                {"storeId": self.store_id, "productId": plan.product_id,
                 "sku": plan.item["sku"], "available": _available(row, outcome.on_hand or 0),
                 "threshold": threshold}, now)
        return fields

    def _applied(self, plan: _Plan, changes: list[Document]) -> None:
        self.report.applied += 1
        changes.append({"seq": plan.seq, "storeId": self.store_id, "rowId": plan.row_id})

    async def _insert(self, inserts: list[tuple[_Plan, Document]],
                      changes: list[Document]) -> list[_Plan]:
        documents = [InsertOne({"_id": p.row_id, "partnerId": self.partner_id,
                                "storeId": self.store_id, "productId": p.product_id,
                                "sku": p.item["sku"], "reserved": 0, "moves": [],
                                "countedAt": None, "outbox": [], **fields})
                     for p, fields in inserts]
        outcome = await bulk_write_chunked(self.db[INVENTORY], documents)
        retry = []
        for index, (plan, _) in enumerate(inserts):
            error = outcome.errors.get(index)
            if error is None:
                self._applied(plan, changes)
                self.new_rows.add(plan.product_id)
            elif error["code"] == 11000:
                retry.append(plan)
            else:
                raise RuntimeError(f"inventory insert failed: {error}")
        return retry

    async def _update(self, updates: list[tuple[_Plan, Document]],
                      changes: list[Document]) -> None:
        """Write rows whose new revision this call claimed. Rows are never deleted and a
        claimed revision has one writer, so every update matches."""
        outcome = await bulk_write_chunked(
            self.db[INVENTORY], [UpdateOne({"_id": plan.row_id}, {"$set": fields})
                                 for plan, fields in updates])
        if outcome.errors:
            raise RuntimeError(f"inventory update failed: {next(iter(outcome.errors.values()))}")
        for plan, _ in updates:
            self._applied(plan, changes)


async def sync_inventory(db: AsyncDatabase, partner_id: str, store_id: str,
                         items: list[Document]) -> Document:
    """Apply a batch already checked at batch level (:func:`batch_problem`)."""
    report_invalid = SyncReport()
    plans = []
    now, allowance = utcnow(), max_future()
    for item in items:
        problem = movement_problem(item) or future_problem(item["occurredAt"], now, allowance)
        if problem is not None:
            report_invalid.add(item["sku"], ItemStatus.INVALID, None, problem)
        else:
            product_id = product_id_for(partner_id, item["sku"])
            plans.append(_Plan(item, product_id, inventory_id(store_id, product_id)))
    sync = InventorySync(db, partner_id, store_id, await thresholds(db, partner_id))
    sync.report.problems.extend(report_invalid.problems)
    return await sync.run(plans)
