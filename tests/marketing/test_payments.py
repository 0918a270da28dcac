"""Deal purchases with an EXTERNAL portion (vouchers only after the provider's
notification; the held stock back when it fails or is canceled), and refunds of vouchers
moving their share of the payment back."""

from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.kernel.time import utcnow
from schema.marketing.collections import PURCHASES, VOUCHERS
from schema.marketing.deals import SOLD, STOCK
from schema.marketing.purchase import PurchaseRequest, purchase_deal
from schema.membership.earn_rules import set_rule
from schema.payments.collections import PAYMENTS
from schema.payments.lifecycle import end, finish
from schema.payments.notifications import apply_outcome
from schema.payments.portions import PortionRequest
from schema.wallet import earn
from tests.marketing.helpers import (
    buyer,
    campaign,
    deal,
    member_token,
    merchant,
    purchase,
    refund,
)
from tests.payments.helpers import balances


def _external(amount: int) -> list[dict]:
    return [{"method": "EXTERNAL", "amount": {"amount": amount}}]


async def test_external_purchases_issue_vouchers_only_when_paid(db: AsyncDatabase) -> None:
    shop = merchant()
    deal_id = await deal(db, shop, stockLimit=3, campaignId=await campaign(db, shop))
    member = await buyer(db, shop.partner_id, stored_value=0)
    app = member_token(member)

    paid = await purchase(db, app, deal_id, member, quantity=2, portions=_external(2_000))
    failed = await purchase(db, app, deal_id, member, quantity=1, portions=_external(1_000))

    assert paid["userErrors"] == [] and paid["vouchers"] == []
    assert failed["userErrors"] == [] and failed["vouchers"] == []
    assert await STOCK.value(db, deal_id) == 0
    assert await db[VOUCHERS].count_documents({}) == 0
    payment = await db[PAYMENTS].find_one({"_id": paid["payment"]["id"]})
    assert payment["status"] == "REQUIRES_PAYMENT" and payment["nextAction"] is not None

    await apply_outcome(db, payment, "SUCCEEDED")
    await apply_outcome(db, await db[PAYMENTS].find_one({"_id": failed["payment"]["id"]}),
                        "FAILED")

    vouchers = await db[VOUCHERS].find({}).to_list()
    assert [(v["paymentId"], v["status"]) for v in vouchers] == [
        (paid["payment"]["id"], "ISSUED")] * 2
    assert await STOCK.value(db, deal_id) == 1   # the failed one's voucher is for sale again
    assert await SOLD.value(db, deal_id) == 2
    # the handler is called at least once: a repeat changes nothing
    settled = await db[PAYMENTS].find_one({"_id": paid["payment"]["id"]})
    await finish(db, settled)
    await finish(db, await db[PAYMENTS].find_one({"_id": failed["payment"]["id"]}))
    assert await db[VOUCHERS].count_documents({}) == 2
    assert (await STOCK.value(db, deal_id), await SOLD.value(db, deal_id)) == (1, 2)


async def test_a_canceled_external_purchase_gives_its_stock_back(db: AsyncDatabase) -> None:
    shop = merchant()
    deal_id = await deal(db, shop, stockLimit=1)
    member = await buyer(db, shop.partner_id, stored_value=0)
    pending = await purchase(db, member_token(member), deal_id, member,
                             portions=_external(1_000))
    assert await STOCK.value(db, deal_id) == 0

    ended = await end(db, pending["payment"]["id"], "CANCELED", "test")
    await finish(db, ended.payment)

    assert await STOCK.value(db, deal_id) == 1
    assert (await db[PURCHASES].find_one({"_id": pending["payment"]["id"]}))["state"] == \
        "RELEASED"
    assert await db[VOUCHERS].count_documents({}) == 0


async def test_refunding_a_voucher_refunds_its_share_of_the_payment(db: AsyncDatabase) -> None:
    shop = merchant()
    deal_id = await deal(db, shop, stockLimit=10)
    member = await buyer(db, shop.partner_id, stored_value=5_000)
    bought = await purchase(db, member_token(member), deal_id, member, quantity=3)
    assert await balances(db, member) == (0, 2_000)

    first = await refund(db, shop, bought["vouchers"][0]["id"])
    second = await refund(db, shop, bought["vouchers"][1]["id"])

    assert first["userErrors"] == [] and second["userErrors"] == []
    assert await balances(db, member) == (0, 4_000)
    payment = await db[PAYMENTS].find_one({"_id": bought["payment"]["id"]})
    assert payment["amountRefunded"] == 2_000
    assert [r["status"] for r in payment["refunds"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert await SOLD.value(db, deal_id) == 1
    assert await STOCK.value(db, deal_id) == 7   # a refund does not put a voucher back on sale


async def test_a_refused_purchase_retried_as_the_same_operation_never_issues(
        db: AsyncDatabase) -> None:
    shop = merchant()
    deal_id = await deal(db, shop, stockLimit=1)
    member = await buyer(db, shop.partner_id, stored_value=0)
    await earn(db, member, new_id("opn"), merchant_id=shop.partner_id, points=1_000,
               reference="test", expires_at=utcnow() + timedelta(days=30))
    request = PurchaseRequest(deal_id=deal_id, member_id=member, quantity=1, channel="APP",
                              portions=[PortionRequest("POINTS", None, 1_000)])
    operation = new_id("opn")

    refused = await purchase_deal(db, member_token(member), request, operation)
    await set_rule(db, shop.partner_id, 1, 1, "CNY")   # now the points would be accepted
    retried = await purchase_deal(db, member_token(member), request, operation)

    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in retried["userErrors"]] == ["CONFLICT"]
    assert await db[VOUCHERS].count_documents({}) == 0
    assert await STOCK.value(db, deal_id) == 1
    assert await balances(db, member) == (1_000, 0)
