"""earnPoints with a campaignId: a running campaign of the earning merchant multiplies the
points; another merchant's, a finished or a future one is NOT_FOUND and earns nothing."""

from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import utcnow
from tests.marketing.helpers import campaign, merchant
from tests.membership import helpers as membership


async def test_a_running_campaign_multiplies_the_points(db: AsyncDatabase) -> None:
    shop = membership.partner()
    other = membership.partner()
    await membership.set_rule(db, shop, per_unit=2)
    member = await membership.register(db, shop, "+8613911112222")
    marketer = merchant(shop.partner_id)
    now = utcnow()
    running = await campaign(db, marketer, multiplier=3)
    future = await campaign(db, marketer, multiplier=3, starts=now + timedelta(days=1))
    past = await campaign(db, marketer, multiplier=3, starts=now - timedelta(days=9),
                          ends=now - timedelta(days=1))
    theirs = await campaign(db, merchant(other.partner_id), multiplier=3)

    plain = await membership.earn(db, shop, member, 1_000)
    tripled = await membership.earn_with(db, shop, member, 1_000, campaignId=running)
    refused = [await membership.earn_with(db, shop, member, 1_000, campaignId=c)
               for c in (future, past, theirs)]

    assert plain["entry"]["points"] == 20
    assert (tripled["entry"]["points"], tripled["entry"]["reference"], tripled["balance"]) == (
        60, running, 80)
    assert [[(e["code"], e["field"]) for e in r["userErrors"]] for r in refused] == [
        [("NOT_FOUND", ["input", "campaignId"])]] * 3
    assert all(r["entry"] is None for r in refused)
    again = await membership.earn_with(db, shop, member, 1_000, campaignId=running)
    assert again["balance"] == 140
