"""Issue 13's bad input: typed errors, and nothing sold, redeemed or refunded."""

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.context import make_context
from schema.kernel.time import to_iso, utcnow
from schema.marketing.collections import DEALS, PURCHASES, VOUCHERS
from schema.marketing.schema import schema
from schema.payments.collections import PAYMENTS
from tests.marketing.helpers import (
    CREATE_DEAL,
    PURCHASE,
    REDEEM,
    buyer,
    codes,
    data,
    deal,
    deal_input,
    member_token,
    merchant,
    purchase,
    purchase_input,
    redeem,
    refund,
    stores_of,
)
from tests.payments.helpers import balances


async def _create(db: AsyncDatabase, who: Any, **overrides: Any) -> dict[str, Any]:
    return (await data(db, CREATE_DEAL, who, input=deal_input(**overrides)))["createDeal"]


async def test_deals_with_bad_terms_are_refused_and_not_created(db: AsyncDatabase) -> None:
    shop, other = merchant(), merchant()
    [theirs] = await stores_of(db, other.partner_id, 1)
    now = utcnow()

    backwards = await _create(db, shop, validFrom=to_iso(now + timedelta(days=2)),
                              validUntil=to_iso(now + timedelta(days=1)))
    cheap = await _create(db, shop, faceValue={"amount": 999})
    foreign_store = await _create(db, shop, storeIds=[theirs])
    unknown_campaign = await _create(db, shop, campaignId="cmp_01JZZZZZZZZZZZZZZZZZZZZZZZ")
    no_stock = await _create(db, shop, stockLimit=0)

    assert [(p["userErrors"][0]["code"], p["userErrors"][0]["field"]) for p in (
        backwards, cheap, foreign_store, unknown_campaign, no_stock)] == [
        ("INVALID", ["input", "validUntil"]), ("INVALID", ["input", "faceValue", "amount"]),
        ("NOT_FOUND", ["input", "storeIds", "0"]), ("NOT_FOUND", ["input", "campaignId"]),
        ("INVALID", ["input", "stockLimit"])]
    assert all(p["deal"] is None for p in (backwards, cheap, foreign_store, unknown_campaign))
    assert await db[DEALS].count_documents({}) == 0


async def test_bad_purchases_sell_nothing(db: AsyncDatabase) -> None:
    shop = merchant()
    deal_id = await deal(db, shop, stockLimit=5)
    member = await buyer(db, shop.partner_id, stored_value=5_000)
    app = member_token(member)

    unknown = await purchase(db, app, "dea_01JZZZZZZZZZZZZZZZZZZZZZZZ", member)
    none = await purchase(db, app, deal_id, member, quantity=0)
    many = await purchase(db, app, deal_id, member, quantity=21)
    stranger = await purchase(db, member_token(await buyer(db, shop.partner_id)), deal_id,
                              member)
    short = await purchase(db, app, deal_id, member, quantity=5, price=1_000,
                           portions=[{"method": "STORED_VALUE", "amount": {"amount": 5_000}},
                                     {"method": "POINTS", "points": 1}])

    assert [codes(p) for p in (unknown, none, many, stranger)] == [
        ["NOT_FOUND"], ["INVALID"], ["INVALID"], ["FORBIDDEN"]]
    assert codes(short) == ["FORBIDDEN"]   # points only at merchants with an earn rule
    assert all(p["payment"] is None and p["vouchers"] == [] for p in (
        unknown, none, many, stranger, short))
    assert await db[VOUCHERS].count_documents({}) == 0
    assert await balances(db, member) == (0, 5_000)
    assert await db[PAYMENTS].count_documents({"status": "SUCCEEDED"}) == 0
    # the refused payment gave its held stock back: all 5 can still be bought
    assert (await purchase(db, app, deal_id, member, quantity=5))["userErrors"] == []
    assert await db[PURCHASES].count_documents({"state": "RELEASED"}) == 1


async def test_a_replayed_key_with_another_body_is_refused(db: AsyncDatabase) -> None:
    shop = merchant()
    [store, other_store] = await stores_of(db, shop.partner_id)
    deal_id = await deal(db, shop)
    member = await buyer(db, shop.partner_id)
    app = member_token(member)
    first = purchase_input(deal_id, member, quantity=1)

    bought = (await data(db, PURCHASE, app, input=first))["purchaseDeal"]
    replay = (await data(db, PURCHASE, app, input=first))["purchaseDeal"]
    reused = (await data(db, PURCHASE, app, input={**first, "quantity": 2}))["purchaseDeal"]

    assert replay["payment"] == bought["payment"] and replay["vouchers"] == bought["vouchers"]
    assert codes(reused) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await db[VOUCHERS].count_documents({}) == 1
    code = bought["vouchers"][0]["code"]
    redeem_key = "till-1"
    assert (await redeem(db, shop, code, store, redeem_key))["userErrors"] == []
    moved = await redeem(db, shop, code, other_store, redeem_key)
    assert codes(moved) == ["IDEMPOTENCY_KEY_REUSED"]
    stored = await db[VOUCHERS].find_one({})
    assert stored["redeemedStoreId"] == store


async def test_redemptions_refused_by_store_validity_and_owner(db: AsyncDatabase) -> None:
    shop, other = merchant(), merchant()
    store, unlisted = await stores_of(db, shop.partner_id)
    [their_store] = await stores_of(db, other.partner_id, 1)
    now = utcnow()
    listed = await deal(db, shop, storeIds=[store])
    later = await deal(db, shop, validFrom=to_iso(now + timedelta(days=1)))
    member = await buyer(db, shop.partner_id)
    app = member_token(member)
    [at_store] = (await purchase(db, app, listed, member))["vouchers"]
    [not_yet] = (await purchase(db, app, later, member))["vouchers"]

    assert codes(await redeem(db, shop, at_store["code"], unlisted)) == [
        "VOUCHER_NOT_VALID_AT_STORE"]
    assert codes(await redeem(db, shop, not_yet["code"], store)) == ["VOUCHER_NOT_YET_VALID"]
    assert codes(await redeem(db, other, at_store["code"], their_store)) == ["NOT_FOUND"]
    assert codes(await redeem(db, shop, at_store["code"], their_store)) == ["NOT_FOUND"]
    refunded = await refund(db, shop, not_yet["id"])
    assert refunded["userErrors"] == [] and refunded["voucher"]["status"] == "REFUNDED"
    assert codes(await redeem(db, shop, not_yet["code"], store)) == ["VOUCHER_REFUNDED"]
    assert codes(await refund(db, shop, not_yet["id"])) == ["VOUCHER_REFUNDED"]
    assert codes(await refund(db, other, at_store["id"])) == ["NOT_FOUND"]
    assert await db[VOUCHERS].count_documents({"status": "REDEEMED"}) == 0
    assert await balances(db, member) == (0, 100_000 - 1_000)


class _NoDatabase:
    """A database any use of which fails the test."""

    name = "none"

    def __getitem__(self, name: str) -> Any:
        raise AssertionError(f"read {name} for a code that fails its check character")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"used the database ({name}) for a malformed code")


async def test_a_mistyped_code_is_refused_without_a_database_read(db: AsyncDatabase) -> None:
    shop = merchant()
    [store] = await stores_of(db, shop.partner_id, 1)
    member = await buyer(db, shop.partner_id)
    [voucher] = (await purchase(db, member_token(member), await deal(db, shop), member)
                 )["vouchers"]
    code = voucher["code"]
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")

    result = await schema.execute(REDEEM, variable_values={"input": {
        "code": typo, "storeId": store, "idempotencyKey": "k"}},
        context_value=make_context(_NoDatabase(), {"principal": shop}))  # type: ignore[arg-type]

    assert result.errors is None, result.errors
    payload = result.data["redeemVoucher"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID", ["input", "code"])]
    assert (await db[VOUCHERS].find_one({"_id": voucher["id"]}))["status"] == "ISSUED"
