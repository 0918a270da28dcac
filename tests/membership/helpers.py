"""Run the membership schema as a partner app, a store's staff app or a member token."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.context import make_context
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from schema.membership.schema import schema

PARTNER_SCOPES = frozenset({"members:read", "members:write", "points:read", "points:write"})

REGISTER = """mutation($input: RegisterMemberInput!) { registerMember(input: $input) {
  member { id displayName phoneMasked tier } userErrors { code field message } } }"""
SET_RULE = """mutation($input: SetEarnRuleInput!) { setEarnRule(input: $input) {
  earnRule { merchant { id } pointsPerCurrencyUnit pointValue { amount currency } }
  userErrors { code field message } } }"""
ENTRY = "entry { id merchant { id } type points balanceAfter reference createdAt }"
EARN = ("mutation($input: EarnPointsInput!) { earnPoints(input: $input) { " + ENTRY
        + " balance userErrors { code field message } } }")
REDEEM = ("mutation($input: RedeemPointsInput!) { redeemPoints(input: $input) { " + ENTRY
          + " balance userErrors { code field message } } }")
REVERSE = ("mutation($input: ReversePointsInput!) { reversePoints(input: $input) { " + ENTRY
           + " balance userErrors { code field message } } }")


def partner(partner_id: str | None = None, *scopes: str, stores: frozenset[str] = frozenset(),
            ) -> Principal:
    """A partner app's principal (a fresh partner when omitted)."""
    partner_id = partner_id or new_id("ptn")
    return Principal(client_id=f"app-{partner_id}", partner_id=partner_id,
                     scopes=frozenset(scopes) if scopes else PARTNER_SCOPES, store_ids=stores)


def member_token(member_id: str, partner_id: str | None = None) -> Principal:
    """A member's delegated token through some partner's app."""
    return Principal(client_id="member-app", partner_id=partner_id or new_id("ptn"),
                     member_id=member_id, scopes=PARTNER_SCOPES)


async def run(db: AsyncDatabase, query: str, principal: Principal | None,
              **variables: Any) -> Any:
    return await schema.execute(query, variable_values=variables,
                                context_value=make_context(db, {"principal": principal}))


async def data(db: AsyncDatabase, query: str, principal: Principal | None,
               **variables: Any) -> dict[str, Any]:
    result = await run(db, query, principal, **variables)
    assert result.errors is None, result.errors
    return result.data


def _key(key: str | None) -> str:
    return new_id("evt") if key is None else key


async def register(db: AsyncDatabase, who: Principal, phone: str, name: str = "Ann") -> str:
    out = (await data(db, REGISTER, who, input={"phone": phone, "displayName": name}))
    assert out["registerMember"]["userErrors"] == [], out
    return out["registerMember"]["member"]["id"]


async def set_rule(db: AsyncDatabase, who: Principal, per_unit: int = 1,
                   value: int = 1) -> None:
    out = await data(db, SET_RULE, who, input={"pointsPerCurrencyUnit": per_unit,
                                               "pointValue": {"amount": value}})
    assert out["setEarnRule"]["userErrors"] == [], out


async def earn(db: AsyncDatabase, who: Principal, member_id: str, amount: int,
               key: str | None = None, currency: str = "CNY") -> dict[str, Any]:
    return (await data(db, EARN, who, input={
        "memberId": member_id, "spend": {"amount": amount, "currency": currency},
        "idempotencyKey": _key(key)}))["earnPoints"]


async def earn_with(db: AsyncDatabase, who: Principal, member_id: str, amount: int,
                    **extra: Any) -> dict[str, Any]:
    """earnPoints with more input fields (campaignId, orderId)."""
    return (await data(db, EARN, who, input={
        "memberId": member_id, "spend": {"amount": amount, "currency": "CNY"},
        "idempotencyKey": _key(None), **extra}))["earnPoints"]


async def redeem(db: AsyncDatabase, who: Principal, member_id: str, points: int,
                 key: str | None = None, **extra: Any) -> dict[str, Any]:
    return (await data(db, REDEEM, who, input={
        "memberId": member_id, "points": points, "idempotencyKey": _key(key),
        **extra}))["redeemPoints"]


async def reverse(db: AsyncDatabase, who: Principal, entry_id: str,
                  key: str | None = None) -> dict[str, Any]:
    return (await data(db, REVERSE, who, input={
        "entryId": entry_id, "idempotencyKey": _key(key)}))["reversePoints"]
