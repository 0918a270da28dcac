"""Marketing demo data: QuickMart's demo campaign with two deals, vouchers bought by the demo
members over several channels and some of them redeemed at several stores, so the campaign's
stats have a shape; and, in a partner's sandbox, a campaign, a deal and two vouchers of the
sandbox member (one to redeem, with a known code, one to refund).

Everything goes through the code the mutations run, under stable operation ids, so seeding
again finds what it made and changes nothing. Purchases are paid by an EXTERNAL portion and
then marked paid, as the sandbox member would pay (a live EXTERNAL portion the provider may
not take, under ``loopgate seed`` without ``LOOPGATE_SANDBOX_PROVIDER_LIVE``, leaves that
purchase out, as the payments seed does). Runs after the stores, membership and payments
seeds.
"""

import hashlib
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.kernel.ids import stable_id
from schema.kernel.money import Money
from schema.kernel.principal import Principal
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow
from schema.marketing import campaigns, deals, purchase, redeem
from schema.marketing.codes import ALPHABET, InvalidCode, normalise_code, open_code
from schema.marketing.collections import PURCHASES, VOUCHERS
from schema.marketing.issue import voucher_id_for
from schema.membership.seed import MEMBERS, sandbox_member_id
from schema.payments.create import payment_id_for
from schema.payments.lifecycle import complete
from schema.payments.portions import PortionRequest
from schema.payments.status import advance as advance_status
from schema.stores.seed import demo_store_id

DEMO_CAMPAIGN_ID = stable_id("cmp", "demo:quickmart:autumn")
DEMO_DEAL_IDS = (stable_id("dea", "demo:quickmart:voucher-30"),
                 stable_id("dea", "demo:quickmart:breakfast"))
CHANNELS = ("APP", "WECHAT", "DIANPING", "PARTNER", "POS")
PURCHASES_PER_MEMBER = 3


def _merchant(partner_id: str) -> Principal:
    """The seed acts as the merchant's own unbound app."""
    return Principal(client_id=f"seed:{partner_id}", partner_id=partner_id,
                     scopes=frozenset({"deals:write", "vouchers:redeem", "payments:write"}))


async def _campaign(db: AsyncDatabase, merchant: str, campaign_id: str, name: str) -> None:
    if await campaigns.get_campaign(db, campaign_id) is None:
        now = utcnow()
        await campaigns.create_campaign(db, merchant, name, now - timedelta(days=7),
                                        now + timedelta(days=60), 2, campaign_id=campaign_id)


async def _deal(db: AsyncDatabase, merchant: str, deal_id: str, request: deals.DealRequest,
                ) -> None:
    if await deals.get_deal(db, deal_id) is None:
        await deals.create_deal(db, merchant, request, deal_id=deal_id)


def _terms(campaign_id: str, title: str, price: int, face: int, stores: list[str],
           stock: int | None) -> deals.DealRequest:
    now = utcnow()
    return deals.DealRequest(campaign_id=campaign_id, title=title, description=None,
                             price=Money(price, "CNY"), face_value=Money(face, "CNY"),
                             valid_from=now - timedelta(days=1),
                             valid_until=now + timedelta(days=60), store_ids=stores,
                             stock_limit=stock)


async def _bought(db: AsyncDatabase, merchant: str, request: purchase.PurchaseRequest,
                  operation_id: str) -> list[str]:
    """Buy as the merchant, pay the EXTERNAL portion; the vouchers issued (none when the
    provider does not take live payments here)."""
    made = await purchase.purchase_deal(db, _merchant(merchant), request, operation_id)
    if made["paymentId"] is None:
        return []
    moved = await advance_status(db, made["paymentId"], "PROCESSING")
    if moved.moved:
        await complete(db, moved.payment)
    found = await db[PURCHASES].find_one({"_id": payment_id_for(operation_id)})
    return list(found["voucherIds"]) if found else []


async def _redeemed(db: AsyncDatabase, merchant: str, voucher_id: str, store_id: str,
                    operation_id: str) -> None:
    voucher = await db[VOUCHERS].find_one({"_id": voucher_id})
    if voucher is not None:
        await redeem.redeem_voucher(db, _merchant(merchant), merchant,
                                    open_code(voucher["sealedCode"]), store_id, operation_id)


def _request(deal_id: str, member_id: str, quantity: int, price: int, channel: str,
             codes: tuple[str, ...] = ()) -> purchase.PurchaseRequest:
    return purchase.PurchaseRequest(
        deal_id=deal_id, member_id=member_id, quantity=quantity, channel=channel,
        portions=[PortionRequest("EXTERNAL", Money(price * quantity, "CNY"), None)],
        demo_codes=codes)


async def _seed(db: AsyncDatabase, advance: Advance) -> None:
    quickmart = demo_partner_id("quickmart")
    await _campaign(db, quickmart, DEMO_CAMPAIGN_ID, "Autumn O2O week")
    everywhere, breakfast = DEMO_DEAL_IDS
    await _deal(db, quickmart, everywhere, _terms(DEMO_CAMPAIGN_ID, "¥30 voucher for ¥20",
                                                  2_000, 3_000, [], 500))
    await _deal(db, quickmart, breakfast, _terms(
        DEMO_CAMPAIGN_ID, "Coffee and a pastry", 1_200, 1_800,
        [demo_store_id(n) for n in range(1, 6)], None))
    advance(1)
    for m, (key, _name, _phone) in enumerate(MEMBERS):
        member = stable_id("mem", key)
        for n in range(PURCHASES_PER_MEMBER):
            deal_id, price = (everywhere, 2_000) if (m + n) % 2 == 0 else (breakfast, 1_200)
            bought = await _bought(db, quickmart, _request(
                deal_id, member, 1 + (m + n) % 3, price, CHANNELS[(m + 2 * n) % len(CHANNELS)]),
                stable_id("opn", f"seed-deal:{key}:{n}"))
            for v, voucher_id in enumerate(bought[:1 + n % 2]):
                await _redeemed(db, quickmart, voucher_id, demo_store_id(1 + (m + v + n) % 5),
                                stable_id("opn", f"seed-redeem:{key}:{n}:{v}"))
        advance(1)


MARKETING_SEED = SeedStep("marketing", 1 + len(MEMBERS), _seed)


def sandbox_campaign_id(partner_id: str) -> str:
    return stable_id("cmp", f"sandbox:{partner_id}")


def sandbox_deal_id(partner_id: str) -> str:
    """The sandbox's deal: on sale at every store of the partner, stock 100, ¥10."""
    return stable_id("dea", f"sandbox:{partner_id}")


def _sandbox_operation(partner_id: str) -> str:
    return stable_id("opn", f"sandbox-deal:{partner_id}")


def sandbox_voucher_id(partner_id: str, index: int) -> str:
    """The sandbox member's vouchers: 0 (code :func:`sandbox_voucher_code`) and 1."""
    return voucher_id_for(payment_id_for(_sandbox_operation(partner_id)), index)


def sandbox_voucher_code(partner_id: str) -> str:
    """The known code of the sandbox member's first voucher, so a partner can try
    redeemVoucher in its sandbox (sandbox data only: live codes are random)."""
    digest = hashlib.sha256(f"sandbox-voucher:{partner_id}".encode()).digest()
    body = "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:15])
    for check in ALPHABET:
        try:
            return normalise_code(body + check)
        except InvalidCode:
            continue
    raise AssertionError("some check symbol always completes a code")


def sandbox_marketing_seed(partner_id: str) -> SeedStep:
    """A campaign, a deal and two vouchers of the sandbox member, paid and issued."""

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        await _campaign(db, partner_id, sandbox_campaign_id(partner_id), "Sandbox campaign")
        deal_id = sandbox_deal_id(partner_id)
        await _deal(db, partner_id, deal_id, _terms(sandbox_campaign_id(partner_id),
                                                    "Sandbox voucher", 1_000, 1_500, [], 100))
        await _bought(db, partner_id, _request(deal_id, sandbox_member_id(partner_id), 2, 1_000,
                                               "APP", (sandbox_voucher_code(partner_id),)),
                      _sandbox_operation(partner_id))
        advance(1)

    return SeedStep(f"sandbox-marketing:{partner_id}", 1, seed)

