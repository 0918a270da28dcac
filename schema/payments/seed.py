"""Payments demo data: a few weeks of payments by the demo member ``mia`` at the demo
merchants (stored value, points and external portions, one partly refunded), and, in a
partner's sandbox, one succeeded payment to refund and one waiting for its external portion
(to pay with ``loopgate sandbox pay`` or cancel; canceled by the sweep after 15 minutes, like
any other).

Every payment is created through the same code as ``createPayment`` with a stable operation
id, so seeding again finds the payments it made and changes nothing. Payments are booked at
the time they are seeded (as the wallet's entries are). Runs after the membership seed: the
demo member's stored value and points come from there.
"""

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.kernel.ids import stable_id
from schema.kernel.money import Money
from schema.kernel.seeding import Advance, SeedStep
from schema.membership.seed import DEMO_MEMBER_ID, WEEKS, sandbox_member_id
from schema.payments.collections import PAYMENTS
from schema.payments.create import Caller, PaymentRequest, create_payment, payment_id_for
from schema.payments.lifecycle import complete
from schema.payments.portions import PortionRequest
from schema.payments.refunds import RefundRequest, refund_payment
from schema.payments.status import advance as advance_status

Week = tuple[str, int, list[PortionRequest]]


def _cny(amount: int) -> Money:
    return Money(amount, "CNY")


def _week(week: int) -> list[Week]:
    """(merchant slug, amount, portions) of the demo member's payments in one week."""
    return [("quickmart", 1_200, [PortionRequest("STORED_VALUE", _cny(1_200), None)]),
            ("harbor-coffee", 900 + 2 * 50, [PortionRequest("STORED_VALUE", _cny(900), None),
                                             PortionRequest("POINTS", None, 50)]),
            ("quickmart", 2_500 + week * 100,
             [PortionRequest("EXTERNAL", _cny(2_500 + week * 100), None)])]


async def _paid(db: AsyncDatabase, merchant: str, member_id: str | None, amount: int,
                portions: list[PortionRequest], operation_id: str) -> None:
    """A payment made and, when it has an EXTERNAL portion, paid (as the sandbox member
    would). A live EXTERNAL portion the provider may not take (``loopgate seed`` without
    ``LOOPGATE_SANDBOX_PROVIDER_LIVE``) is left out of the demo."""
    request = PaymentRequest("ORDER", member_id, None, _cny(amount), portions)
    made = await create_payment(db, Caller(merchant, f"seed:{merchant}"), request,
                                operation_id)
    if made["paymentId"] is None:
        return
    moved = await advance_status(db, made["paymentId"], "PROCESSING")
    if moved.moved:
        await complete(db, moved.payment)


async def _seed(db: AsyncDatabase, advance: Advance) -> None:
    for week in range(WEEKS):
        for index, (slug, amount, portions) in enumerate(_week(week)):
            await _paid(db, demo_partner_id(slug), DEMO_MEMBER_ID, amount, portions,
                        stable_id("opn", f"seed-payment:{week}:{index}"))
        advance(1)
    refunded = payment_id_for(stable_id("opn", "seed-payment:0:0"))
    payment = await db[PAYMENTS].find_one({"_id": refunded})
    if payment is not None:
        await refund_payment(db, payment, RefundRequest(refunded, _cny(400), "demo refund"),
                             stable_id("opn", "seed-refund:0"))


PAYMENTS_SEED = SeedStep("payments", WEEKS, _seed)


def sandbox_paid_id(partner_id: str) -> str:
    """The sandbox's succeeded payment (the sandbox member paid it externally)."""
    return payment_id_for(stable_id("opn", f"sandbox-paid:{partner_id}"))


def sandbox_pending_id(partner_id: str) -> str:
    """The sandbox's payment waiting for its external portion."""
    return payment_id_for(stable_id("opn", f"sandbox-pending:{partner_id}"))


def sandbox_payments_seed(partner_id: str) -> SeedStep:
    """A succeeded payment and one waiting for its external portion, at the partner."""

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        member = sandbox_member_id(partner_id)
        await _paid(db, partner_id, member, 300, [PortionRequest("EXTERNAL", _cny(300), None)],
                    stable_id("opn", f"sandbox-paid:{partner_id}"))
        request = PaymentRequest("ORDER", member, None, _cny(800),
                                 [PortionRequest("EXTERNAL", _cny(800), None)])
        await create_payment(db, Caller(partner_id, f"seed:{partner_id}"), request,
                             stable_id("opn", f"sandbox-pending:{partner_id}"))
        advance(1)

    return SeedStep(f"sandbox-payments:{partner_id}", 1, seed)
