"""Coalition points operations: earn at a merchant, redeem at a merchant, reverse an entry.

Each runs under the partner's idempotency key (:func:`schema.kernel.idempotency.run_once`),
which binds the key to an operation id before anything moves; the wallet applies that
operation once (:mod:`schema.wallet`). Refusals that depend on nothing the operation wrote
(an unknown member, no earn rule) release the key (:class:`Refused`); the wallet's own
refusals (INSUFFICIENT_POINTS, a second reversal) are the operation's result, so a retry
with the same key gets the same answer.

Results are plain documents (they are stored with the key): ``entry`` (the ledger entry's
public fields), ``balance`` (the points balance after it) and ``userErrors``.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.idempotency import Refused, run_once
from schema.kernel.multipliers import points_multiplier
from schema.kernel.principal import Principal
from schema.kernel.time import utcnow
from schema.membership.earn_rules import get_rule, points_for
from schema.membership.expiry import expires_at_for, schedule_expiry
from schema.membership.members import get_member
from schema.membership.relationships import has_relationship, record_relationship
from schema.stores.read import get_store
from schema.wallet import WALLET, WalletRefused, earn, redeem, reverse

Result = dict[str, Any]
MAX_REFERENCE = 200


def refusal(*errors: UserError) -> Result:
    return {"entry": None, "balance": None, "userErrors": [e.to_dict() for e in errors]}


def _refuse(code: UserErrorCode, message: str, *field: str) -> Refused:
    return Refused(refusal(UserError(code, message, ("input", *field))))


def _entry_result(entry: dict[str, Any]) -> Result:
    public = {k: entry.get(k) for k in ("merchantId", "type", "points", "balanceAfter",
                                        "reference", "createdAt")}
    return {"entry": {"id": entry["_id"], **public}, "balance": entry["balanceAfter"],
            "userErrors": []}


def _wallet_refusal(refused: WalletRefused, *field: str) -> Result:
    return refusal(UserError(refused.code, refused.message, ("input", *field)))


async def _known_member(db: AsyncDatabase, member_id: str) -> None:
    if await get_member(db, member_id) is None:
        raise _refuse(UserErrorCode.NOT_FOUND, "no member with that id", "memberId")


async def earn_points(db: AsyncDatabase, merchant_id: str, member_id: str, amount: int,
                      currency: str, key: str, *, campaign_id: str | None = None) -> Result:
    """Points for a spend at ``merchant_id`` by its earn rule (per whole currency unit,
    rounded down), times the multiplier of the merchant's campaign ``campaign_id`` when one
    is named (it must be running: else NOT_FOUND)."""
    if amount <= 0:
        return refusal(UserError(UserErrorCode.INVALID, "spend must be positive",
                                 ("input", "spend", "amount")))

    async def run(operation_id: str) -> Result:
        await _known_member(db, member_id)
        rule = await get_rule(db, merchant_id)
        if rule is None:
            raise _refuse(UserErrorCode.FORBIDDEN, "set an earn rule (setEarnRule) before "
                          "issuing points")
        if currency != rule["pointValue"]["currency"]:
            raise _refuse(UserErrorCode.CURRENCY_MISMATCH, "the earn rule is in "
                          f"{rule['pointValue']['currency']}", "spend", "currency")
        multiplier = 1
        if campaign_id is not None:
            found = await points_multiplier(db, merchant_id, campaign_id, utcnow())
            if found is None:
                raise _refuse(UserErrorCode.NOT_FOUND, "no running campaign of yours with "
                              "that id", "campaignId")
            multiplier = found
        points = points_for(rule, amount) * multiplier
        if points <= 0:
            raise _refuse(UserErrorCode.INVALID, "the spend is too small to earn a point",
                          "spend", "amount")
        expires_at = expires_at_for(utcnow())
        await schedule_expiry(db, member_id, expires_at)
        await record_relationship(db, merchant_id, member_id)
        applied = await earn(db, member_id, operation_id, merchant_id=merchant_id,
                             points=points, reference=campaign_id, expires_at=expires_at)
        return _entry_result(applied.entries[0])

    body: dict[str, Any] = {"memberId": member_id,
                            "spend": {"amount": amount, "currency": currency}}
    if campaign_id is not None:
        body["campaignId"] = campaign_id
    return await run_once(db, merchant_id, "earnPoints", key, body, run, refusal)


async def _check_store(db: AsyncDatabase, principal: Principal, merchant_id: str,
                       store_id: str | None) -> None:
    if store_id is None:
        if principal.is_store_bound:
            raise _refuse(UserErrorCode.INVALID, "a store's app names its store", "storeId")
        return
    store = await get_store(db, store_id)
    if store is None or store["partnerId"] != merchant_id:
        raise _refuse(UserErrorCode.NOT_FOUND, "not one of your stores", "storeId")
    if not principal.may_act_at(store_id):
        raise _refuse(UserErrorCode.FORBIDDEN, "this app may not act at that store", "storeId")


async def redeem_points(db: AsyncDatabase, principal: Principal, merchant_id: str,
                        member_id: str, points: int, store_id: str | None,
                        reference: str | None, key: str) -> Result:
    """Spend a member's points at ``merchant_id``, which must take part in the programme."""
    if points <= 0:
        return refusal(UserError(UserErrorCode.INVALID, "points must be positive",
                                 ("input", "points")))
    if reference is not None and len(reference) > MAX_REFERENCE:
        return refusal(UserError(UserErrorCode.INVALID, f"reference is at most {MAX_REFERENCE} "
                                 "characters", ("input", "reference")))

    async def run(operation_id: str) -> Result:
        if await get_rule(db, merchant_id) is None:
            raise _refuse(UserErrorCode.FORBIDDEN, "only merchants with an earn rule take "
                          "points: set one with setEarnRule")
        await _check_store(db, principal, merchant_id, store_id)
        await _known_member(db, member_id)
        if not await has_relationship(db, merchant_id, member_id):
            raise _refuse(UserErrorCode.FORBIDDEN, "the member does not deal with you yet: "
                          "register them or scan their card first", "memberId")
        try:
            applied = await redeem(db, member_id, operation_id, merchant_id=merchant_id,
                                   points=points, reference=reference)
        except WalletRefused as refused:
            return _wallet_refusal(refused, "points")
        return _entry_result(applied.entries[0])

    body = {"memberId": member_id, "points": points, "storeId": store_id,
            "reference": reference}
    return await run_once(db, merchant_id, "redeemPoints", key, body, run, refusal)


async def reverse_points(db: AsyncDatabase, merchant_id: str, entry_id: str,
                         key: str) -> Result:
    """Reverse one of ``merchant_id``'s EARN or REDEEM entries, once."""

    async def run(operation_id: str) -> Result:
        original = await db[WALLET.entries].find_one({"_id": entry_id}, {"account": 1,
                                                                         "merchantId": 1})
        if original is None or original.get("merchantId") != merchant_id:
            raise _refuse(UserErrorCode.NOT_FOUND, "no points entry of yours with that id",
                          "entryId")
        try:
            applied = await reverse(db, original["account"], operation_id,
                                    entry_id=entry_id, merchant_id=merchant_id)
        except WalletRefused as refused:
            return _wallet_refusal(refused, "entryId")
        return _entry_result(applied.entries[0])

    return await run_once(db, merchant_id, "reversePoints", key, {"entryId": entry_id}, run,
                          refusal)
