"""Members, wallets and payments for the payments tests, on the real FerretDB."""

import random
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.idempotency import run_once
from schema.kernel.ids import new_id
from schema.kernel.money import Money
from schema.kernel.time import utcnow
from schema.membership.earn_rules import set_rule
from schema.membership.members import register
from schema.membership.relationships import record_relationship
from schema.payments import create
from schema.payments.portions import PortionRequest
from schema.wallet import WALLET, credit, earn, wallet_of

Result = dict[str, Any]


async def member_with(db: AsyncDatabase, merchant: str, *, stored_value: int = 0,
                      points: int = 0) -> str:
    """A new member registered at ``merchant`` (so it may take the member's balance), with
    ``stored_value`` fen and ``points`` earned there."""
    phone = f"+86139{random.randrange(10**8):08d}"
    member_id = (await register(db, phone, "Test member", merchant)).member["_id"]
    await record_relationship(db, merchant, member_id)
    if stored_value:
        await credit(db, member_id, new_id("opn"), amount=stored_value, kind="TOP_UP",
                     reference="test")
    if points:
        await earn(db, member_id, new_id("opn"), merchant_id=merchant, points=points,
                   reference="test", expires_at=utcnow() + timedelta(days=30))
    return member_id


async def merchant_with_rule(db: AsyncDatabase, point_value: int = 5) -> str:
    merchant = new_id("ptn")
    await set_rule(db, merchant, 1, point_value, "CNY")
    return merchant


def caller(merchant: str) -> create.Caller:
    return create.Caller(merchant_id=merchant, client_id=f"app_{merchant}")


def portion(method: str, amount: int | None = None, points: int | None = None,
            currency: str = "CNY") -> PortionRequest:
    return PortionRequest(method, Money(amount, currency) if amount is not None else None,
                          points)


def request(amount: int | None, *portions: PortionRequest, member: str | None = None,
            purpose: str = "ORDER", currency: str = "CNY",
            order: str | None = None) -> create.PaymentRequest:
    return create.PaymentRequest(purpose=purpose, member_id=member, order_id=order,
                                 amount=Money(amount, currency) if amount is not None else None,
                                 portions=list(portions))


async def pay(db: AsyncDatabase, merchant: str, payment: create.PaymentRequest,
              key: str | None = None) -> Result:
    """``createPayment`` as the mutation runs it: under an idempotency key."""

    async def run(operation_id: str) -> Result:
        return await create.create_payment(db, caller(merchant), payment, operation_id)

    return await run_once(db, merchant, "createPayment", key or new_id("evt"),
                          {"test": repr(payment)}, run,
                          lambda e: {"paymentId": None, "userErrors": [e.to_dict()]})


async def balances(db: AsyncDatabase, member_id: str) -> tuple[int, int]:
    """(points, stored value) of the member's wallet."""
    wallet = await wallet_of(db, member_id)
    return wallet.points, wallet.stored_value


async def ledger_sums(db: AsyncDatabase, member_id: str) -> tuple[int, int]:
    """(points, stored value) as the sums of the member's ledger entries."""
    entries = await db[WALLET.entries].find({"account": member_id}).to_list()
    account = await db[WALLET.accounts].find_one({"_id": member_id})
    posted = {e["_id"] for e in entries}
    entries += [e for e in (account or {}).get("unposted", []) if e["_id"] not in posted]
    return (sum(e.get("points", 0) for e in entries if e["ledger"] == "points"),
            sum(e.get("amount", 0) for e in entries if e["ledger"] == "storedValue"))


def codes(result: Result) -> list[str]:
    return [e["code"] for e in result["userErrors"]]
