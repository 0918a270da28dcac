"""settlements(from, to): per merchant per Asia/Shanghai day, equal to a reference computed
from the payment documents another way (amount minus the points portion; Decimal rounding),
adding up exactly; refunds count on their own day; top-ups are not a merchant's takings."""

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.kernel.money import Money
from schema.membership.relationships import record_relationship
from schema.payments.collections import PAYMENTS
from schema.payments.create import Caller, top_up
from schema.payments.notifications import apply_outcome
from schema.payments.refunds import RefundRequest, refund_payment
from schema.payments.settlements import commission_of, set_commission_rate, settlements
from tests.payments.helpers import member_with, merchant_with_rule, pay, portion, request

# 15:59:59Z is the evening of Jan 1 in Shanghai (UTC+8); 16:00:00Z is Jan 2 there
INSTANTS = [datetime(2026, 1, 1, 15, 59, 59, tzinfo=UTC), datetime(2026, 1, 1, 16, 0, tzinfo=UTC),
            datetime(2026, 1, 2, 3, 0, tzinfo=UTC), datetime(2026, 1, 3, 20, 0, tzinfo=UTC)]


def _shanghai_day(instant: datetime) -> date:
    return (instant + timedelta(hours=8)).date()


def reference(payments: list[dict], rates: dict[str, Decimal]) -> list[tuple]:
    """(merchant, day, gross, refunds, commission, net) from the documents."""
    days: dict[tuple[str, date], list[int]] = {}
    for p in payments:
        points_money = sum(x["amount"] for x in p["portions"] if x["method"] == "POINTS")
        if p["purpose"] != "TOP_UP" and p["status"] == "SUCCEEDED":
            key = (p["merchantId"], _shanghai_day(p["succeededAt"]))
            days.setdefault(key, [0, 0])[0] += p["amount"] - points_money
        for r in p["refunds"] if p["purpose"] != "TOP_UP" else []:
            key = (p["merchantId"], _shanghai_day(r["succeededAt"]))
            days.setdefault(key, [0, 0])[1] += r["amount"] - r["split"]["POINTS"]
    lines = []
    for (merchant, day), (gross, refunds) in sorted(days.items()):
        commission = int((Decimal(gross - refunds) * rates[merchant]).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN))
        lines.append((merchant, day, gross, refunds, commission, gross - refunds - commission))
    return lines


async def _at(db: AsyncDatabase, payment_id: str, succeeded: datetime,
              refunds: list[datetime] = ()) -> None:
    payment = await db[PAYMENTS].find_one({"_id": payment_id})
    moved = [{**r, "succeededAt": at} for r, at in zip(payment["refunds"], refunds, strict=True)]
    await db[PAYMENTS].update_one({"_id": payment_id}, {"$set": {"succeededAt": succeeded,
                                                                 "refunds": moved}})


async def _refund(db: AsyncDatabase, payment_id: str, amount: int) -> None:
    payment = await db[PAYMENTS].find_one({"_id": payment_id})
    result = await refund_payment(db, payment, RefundRequest(payment_id, Money(amount), None),
                                  new_id("opn"))
    assert result["userErrors"] == [], result


async def test_settlements_equal_the_reference_and_add_up(db: AsyncDatabase) -> None:
    shop, cafe = await merchant_with_rule(db, point_value=2), await merchant_with_rule(db, 3)
    await set_commission_rate(db, cafe, "0.01")
    member = await member_with(db, shop, stored_value=50_000, points=1_000)
    await record_relationship(db, cafe, member)
    made = []
    for merchant, amount, portions in [
        (shop, 2_750, [portion("STORED_VALUE", 2_550), portion("POINTS", points=100)]),
        (shop, 1_000, [portion("EXTERNAL", 1_000)]),
        (cafe, 150, [portion("STORED_VALUE", 150)]),
        (cafe, 1_400, [portion("EXTERNAL", 500), portion("STORED_VALUE", 600),
                       portion("POINTS", points=100)]),
        (shop, 99_999, [portion("EXTERNAL", 99_999)]),
    ]:
        result = await pay(db, merchant, request(amount, *portions, member=member))
        payment = await db[PAYMENTS].find_one({"_id": result["paymentId"]})
        if payment["status"] == "REQUIRES_PAYMENT":
            await apply_outcome(db, payment, "SUCCEEDED")
        made.append(result["paymentId"])
    topped = await top_up(db, Caller(shop, "app"), member, Money(5_000), new_id("opn"))
    await apply_outcome(db, await db[PAYMENTS].find_one({"_id": topped["paymentId"]}),
                        "SUCCEEDED")
    await _refund(db, made[0], 2_700)   # 2,550 stored value, then 150 of the points
    await _refund(db, made[3], 900)     # 500 external, 400 stored value
    await _refund(db, made[3], 300)     # 200 stored value, 100 points
    await _at(db, made[0], INSTANTS[0], [INSTANTS[2]])
    await _at(db, made[1], INSTANTS[1])
    await _at(db, made[2], INSTANTS[0])
    await _at(db, made[3], INSTANTS[1], [INSTANTS[1], INSTANTS[3]])
    await _at(db, made[4], INSTANTS[3] + timedelta(days=40))    # outside the range
    await _at(db, topped["paymentId"], INSTANTS[1])

    lines = [line for merchant in (shop, cafe)
             for line in await settlements(db, merchant, date(2026, 1, 1), date(2026, 1, 31))]

    documents = await db[PAYMENTS].find({"_id": {"$in": made[:4]}}).to_list()
    expected = reference(documents, {shop: Decimal("0.006"), cafe: Decimal("0.01")})
    assert sorted((s.merchant_id, s.day, s.gross, s.refunds, s.commission, s.net)
                  for s in lines) == sorted(expected)
    assert all(s.gross - s.refunds - s.commission == s.net for s in lines)
    assert sum(s.gross for s in lines) == 2_550 + 1_000 + 150 + 1_100
    assert sum(s.refunds for s in lines) == 2_550 + 900 + 200
    assert {(s.merchant_id, s.day) for s in lines} == {
        (shop, date(2026, 1, 1)), (shop, date(2026, 1, 2)), (cafe, date(2026, 1, 1)),
        (cafe, date(2026, 1, 2)), (cafe, date(2026, 1, 4))}
    assert await settlements(db, shop, date(2026, 1, 3), date(2026, 1, 3)) == []


def test_commission_rounds_half_even() -> None:
    rate = Fraction(1, 100)
    assert [commission_of(rate, base) for base in (150, 250, 149, -150, 0)] == [2, 2, 1, -2, 0]
