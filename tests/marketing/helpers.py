"""Run the marketing schema as a merchant's app, a store's staff app or a member's token,
with stores, members and deals on the real FerretDB."""

import random
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.context import make_context
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from schema.kernel.time import to_iso, utcnow
from schema.marketing.schema import schema
from tests.payments.helpers import member_with
from tests.stores.helpers import make_store
from tests.stores.helpers import partner as store_partner

MERCHANT_SCOPES = frozenset({"deals:write", "catalog:read", "vouchers:read",
                             "vouchers:redeem", "refunds:write", "payments:write"})
MEMBER_SCOPES = frozenset({"catalog:read", "vouchers:read", "payments:write"})
ERRORS = "userErrors { code field message }"
VOUCHER = "id status code issuedAt expiresAt redeemedAt redeemedStore { id } deal { id }"

CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
  campaign { id name pointsMultiplier } """ + ERRORS + " } }"
CREATE_DEAL = """mutation($input: CreateDealInput!) { createDeal(input: $input) {
  deal { id title stockLimit sold status stores { id } } """ + ERRORS + " } }"
PURCHASE = """mutation($input: PurchaseDealInput!) { purchaseDeal(input: $input) {
  payment { id } vouchers { """ + VOUCHER + " } " + ERRORS + " } }"
REDEEM = """mutation($input: RedeemVoucherInput!) { redeemVoucher(input: $input) {
  voucher { """ + VOUCHER + " } " + ERRORS + " } }"
REFUND = """mutation($input: RefundVoucherInput!) { refundVoucher(input: $input) {
  voucher { id status } """ + ERRORS + " } }"
STATS = """query($id: ID!) { campaign(id: $id) { id stats { sold redeemed
  revenue { amount currency } redemptionRate topStores { store { id } redeemed }
  byChannel { channel sold revenue { amount } } updatedAt } } }"""


def merchant(partner_id: str | None = None, *, stores: frozenset[str] = frozenset(),
             scopes: frozenset[str] = MERCHANT_SCOPES) -> Principal:
    partner_id = partner_id or new_id("ptn")
    return Principal(client_id=f"app-{partner_id}-{len(stores)}", partner_id=partner_id,
                     scopes=scopes, store_ids=stores)


def member_token(member_id: str, app_partner: str | None = None) -> Principal:
    """A member's delegated token through some partner's app."""
    return Principal(client_id="member-app", partner_id=app_partner or new_id("ptn"),
                     member_id=member_id, scopes=MEMBER_SCOPES)


async def run(db: AsyncDatabase, query: str, principal: Principal | None,
              **variables: Any) -> Any:
    return await schema.execute(query, variable_values=variables,
                                context_value=make_context(db, {"principal": principal}))


async def data(db: AsyncDatabase, query: str, principal: Principal | None,
               **variables: Any) -> dict[str, Any]:
    result = await run(db, query, principal, **variables)
    assert result.errors is None, result.errors
    return result.data


def key() -> str:
    return new_id("evt")


async def stores_of(db: AsyncDatabase, partner_id: str, count: int = 2,
                    lat: float = 31.2304, lng: float = 121.4737) -> list[str]:
    owner = store_partner(partner_id)
    return [await make_store(db, owner, f"S{random.randrange(10**8)}", lat + i * 0.01, lng)
            for i in range(count)]


async def campaign(db: AsyncDatabase, who: Principal, multiplier: int = 1,
                   **times: Any) -> str:
    now = utcnow()
    out = await data(db, CREATE_CAMPAIGN, who, input={
        "name": "Autumn", "startsAt": to_iso(times.get("starts", now - timedelta(days=1))),
        "endsAt": to_iso(times.get("ends", now + timedelta(days=30))),
        "pointsMultiplier": multiplier})
    assert out["createCampaign"]["userErrors"] == [], out
    return out["createCampaign"]["campaign"]["id"]


def deal_input(**overrides: Any) -> dict[str, Any]:
    now = utcnow()
    return {"title": "Coffee voucher", "price": {"amount": 1_000},
            "faceValue": {"amount": 1_500}, "validFrom": to_iso(now - timedelta(hours=1)),
            "validUntil": to_iso(now + timedelta(days=30)), **overrides}


async def deal(db: AsyncDatabase, who: Principal, **overrides: Any) -> str:
    out = await data(db, CREATE_DEAL, who, input=deal_input(**overrides))
    assert out["createDeal"]["userErrors"] == [], out
    return out["createDeal"]["deal"]["id"]


async def buyer(db: AsyncDatabase, merchant_id: str, stored_value: int = 100_000) -> str:
    """A member known to the merchant, with stored value to pay from."""
    return await member_with(db, merchant_id, stored_value=stored_value)


def purchase_input(deal_id: str, member_id: str, quantity: int = 1, price: int = 1_000,
                   channel: str = "APP", **overrides: Any) -> dict[str, Any]:
    return {"dealId": deal_id, "memberId": member_id, "quantity": quantity,
            "channel": channel, "idempotencyKey": key(),
            "portions": [{"method": "STORED_VALUE", "amount": {"amount": price * quantity}}],
            **overrides}


async def purchase(db: AsyncDatabase, who: Principal, deal_id: str, member_id: str,
                   **kwargs: Any) -> dict[str, Any]:
    return (await data(db, PURCHASE, who,
                       input=purchase_input(deal_id, member_id, **kwargs)))["purchaseDeal"]


async def redeem(db: AsyncDatabase, who: Principal, code: str, store_id: str,
                 idempotency_key: str | None = None) -> dict[str, Any]:
    return (await data(db, REDEEM, who, input={
        "code": code, "storeId": store_id,
        "idempotencyKey": idempotency_key or key()}))["redeemVoucher"]


async def refund(db: AsyncDatabase, who: Principal, voucher_id: str) -> dict[str, Any]:
    return (await data(db, REFUND, who, input={"voucherId": voucher_id,
                                               "idempotencyKey": key()}))["refundVoucher"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]
