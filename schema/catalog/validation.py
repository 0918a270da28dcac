"""Checks on catalog input that refuse a whole request (nothing is written)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.sync_inventory import refusal
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.money import Money
from schema.stores import read as stores

MAX_PRODUCTS = 10_000


def product_errors(items: list[dict[str, Any]]) -> list[UserError]:
    errors: list[UserError] = []
    if len(items) > MAX_PRODUCTS:
        return [UserError(UserErrorCode.INVALID, f"at most {MAX_PRODUCTS} products per call",
                          ("input", "items"))]
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = ("input", "items", str(i))
        if not item["sku"].strip():
            errors.append(UserError(UserErrorCode.INVALID, "sku must not be empty", (*path, "sku")))
        if item["sku"] in seen:
            errors.append(UserError(UserErrorCode.INVALID, "duplicate SKU in one batch",
                                    (*path, "sku")))
        seen.add(item["sku"])
        if not item["name"].strip():
            errors.append(UserError(UserErrorCode.INVALID, "name must not be empty",
                                    (*path, "name")))
        try:
            if Money(item["price"]["amount"], item["price"]["currency"]).amount < 0:
                raise ValueError("a price must not be negative")
        except (TypeError, ValueError) as exc:
            errors.append(UserError(UserErrorCode.INVALID, str(exc), (*path, "price")))
    return errors


async def resolve_store(db: AsyncDatabase, partner_id: str, store_id: str | None,
                        store_code: str | None) -> tuple[str, dict[str, Any] | None]:
    """The caller's store named by exactly one of id or code, else a refusal payload."""
    if (store_id is None) == (store_code is None):
        return "", refusal(UserErrorCode.INVALID, "give exactly one of storeId and storeCode",
                           "storeId")
    if store_code is not None:
        found = await stores.store_id_for_code(db, partner_id, store_code)
        if found is None:
            return "", refusal(UserErrorCode.NOT_FOUND, "no store of yours has this code",
                               "storeCode")
        return found, None
    try:
        parsed = parse_id(store_id, "sto")
    except InvalidId:
        return "", refusal(UserErrorCode.NOT_FOUND, "no such store", "storeId")
    store = await stores.get_store(db, parsed)
    if store is None:
        return "", refusal(UserErrorCode.NOT_FOUND, "no such store", "storeId")
    if store["partnerId"] != partner_id:
        return "", refusal(UserErrorCode.FORBIDDEN, "the store belongs to another partner",
                           "storeId")
    return parsed, None
