"""Deals: vouchers for sale by a merchant, with a price, a face value, a validity window,
the stores that redeem them and an optional stock limit.

Creating one writes, in this order, what must exist before anybody can buy it: its stock
counter (a deal read before its counter would look sold out, never oversold), its entries
in the merchant's deal list and the expiry day's list, then the deal itself.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.counters import Counter
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import new_id
from schema.kernel.money import Money
from schema.kernel.reads import get_many
from schema.kernel.time import as_utc, utcnow
from schema.marketing.campaigns import get_campaign
from schema.marketing.collections import DEAL_EXPIRY, DEALS, MERCHANT_DEALS
from schema.stores.read import get_stores

Document = dict[str, Any]
STOCK = Counter("deal-stock")
"""Vouchers a stock-limited deal still has for sale: purchases hold theirs (floor 0)."""
SOLD = Counter("deal-sold")
"""Vouchers of a deal issued and not refunded (``Deal.sold``)."""
MAX_TITLE = 120
MAX_DESCRIPTION = 2000
MAX_STORES = 500
MAX_STOCK = 1_000_000


@dataclass(frozen=True, slots=True)
class DealRequest:
    """``CreateDealInput``, its ids already well-formed."""

    campaign_id: str | None
    title: str
    description: str | None
    price: Money
    face_value: Money
    valid_from: datetime
    valid_until: datetime
    store_ids: list[str]
    stock_limit: int | None


def _invalid(message: str, *field: str) -> UserError:
    return UserError(UserErrorCode.INVALID, message, ("input", *field))


def shape_problems(request: DealRequest) -> list[UserError]:
    """What is wrong with the request itself (nothing read)."""
    problems = []
    if not 0 < len(request.title.strip()) <= MAX_TITLE:
        problems.append(_invalid(f"title must be 1 to {MAX_TITLE} characters", "title"))
    if request.description is not None and len(request.description) > MAX_DESCRIPTION:
        problems.append(_invalid(f"description is at most {MAX_DESCRIPTION} characters",
                                 "description"))
    if request.price.amount <= 0:
        problems.append(_invalid("price must be positive", "price", "amount"))
    if request.face_value.currency != request.price.currency:
        problems.append(UserError(UserErrorCode.CURRENCY_MISMATCH, "faceValue and price must "
                                  "be in one currency", ("input", "faceValue", "currency")))
    elif request.face_value.amount < request.price.amount:
        problems.append(_invalid("faceValue must not be below the price", "faceValue",
                                 "amount"))
    if as_utc(request.valid_until) <= as_utc(request.valid_from):
        problems.append(_invalid("validUntil must be after validFrom", "validUntil"))
    elif as_utc(request.valid_until) <= utcnow():
        problems.append(_invalid("validUntil must be in the future", "validUntil"))
    if len(request.store_ids) > MAX_STORES:
        problems.append(_invalid(f"at most {MAX_STORES} stores", "storeIds"))
    if request.stock_limit is not None and not 0 < request.stock_limit <= MAX_STOCK:
        problems.append(_invalid(f"stockLimit must be 1 to {MAX_STOCK}", "stockLimit"))
    return problems


async def reference_problems(db: AsyncDatabase, merchant_id: str,
                             request: DealRequest) -> list[UserError]:
    """Unknown campaign or stores (another merchant's count as unknown)."""
    problems = []
    if request.campaign_id is not None:
        campaign = await get_campaign(db, request.campaign_id)
        if campaign is None or campaign["partnerId"] != merchant_id:
            problems.append(UserError(UserErrorCode.NOT_FOUND, "no campaign of yours with "
                                      "that id", ("input", "campaignId")))
    stores = await get_stores(db, request.store_ids)
    for index, store in enumerate(stores):
        if store is None or store["partnerId"] != merchant_id:
            problems.append(UserError(UserErrorCode.NOT_FOUND, "not one of your stores",
                                      ("input", "storeIds", str(index))))
    return problems


def expiry_day(at: datetime) -> str:
    """The UTC day a deal's validity ends, as its expiry list's id."""
    return as_utc(at).date().isoformat()


async def _append_id(db: AsyncDatabase, collection: str, document_id: str, key: str,
                     value: str) -> None:
    def change(current: Document | None) -> Document | None:
        ids = (current or {}).get(key, [])
        return None if value in ids else {**(current or {}), key: [*ids, value]}

    await update_claimed(db[collection], db, document_id, change)


def merchant_list_id(merchant_id: str) -> str:
    return f"deals:{merchant_id}"


async def create_deal(db: AsyncDatabase, merchant_id: str, request: DealRequest, *,
                      deal_id: str | None = None) -> Document:
    """Create the deal (``deal_id``: a seed's stable id, for a deal that does not exist)."""
    deal_id = deal_id or new_id("dea")
    if request.stock_limit is not None:
        await STOCK.add(db, deal_id, request.stock_limit, op="init")
    await _append_id(db, MERCHANT_DEALS, merchant_list_id(merchant_id), "dealIds", deal_id)
    await _append_id(db, DEAL_EXPIRY, expiry_day(request.valid_until), "dealIds", deal_id)
    now = utcnow()
    doc = {"_id": deal_id, "partnerId": merchant_id, "campaignId": request.campaign_id,
           "title": request.title.strip(), "description": request.description,
           "price": request.price.to_document(), "faceValue": request.face_value.to_document(),
           "validFrom": as_utc(request.valid_from), "validUntil": as_utc(request.valid_until),
           "storeIds": list(dict.fromkeys(request.store_ids)),
           "stockLimit": request.stock_limit, "status": "ACTIVE", "createdAt": now}
    await db[DEALS].insert_one(doc)
    return doc


async def get_deal(db: AsyncDatabase, deal_id: str) -> Document | None:
    return await db[DEALS].find_one({"_id": deal_id})


async def merchant_deals(db: AsyncDatabase, merchant_id: str) -> list[Document]:
    """The merchant's deals, oldest first (one list read, then point reads)."""
    listed = await db[MERCHANT_DEALS].find_one({"_id": merchant_list_id(merchant_id)})
    found = await get_many(db[DEALS], (listed or {}).get("dealIds", []))
    return [d for d in found if d is not None]


def status_at(deal: Document, at: datetime) -> str:
    """ACTIVE until its validity ends, then ENDED (a PAUSED deal stays PAUSED)."""
    if deal["status"] == "ACTIVE" and as_utc(deal["validUntil"]) <= as_utc(at):
        return "ENDED"
    return str(deal["status"])


def on_sale(deal: Document, at: datetime) -> bool:
    return status_at(deal, at) == "ACTIVE"


def redeemable_at(deal: Document, store: Document) -> bool:
    """Whether the store redeems the deal's vouchers: one of the merchant's, and among the
    deal's stores when it names some."""
    return store["partnerId"] == deal["partnerId"] and (
        not deal["storeIds"] or store["_id"] in deal["storeIds"])
