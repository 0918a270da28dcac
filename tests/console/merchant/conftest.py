"""The merchant pages' fixtures: the console platform of ``tests/console/conftest.py`` on a
port of this suite's range (4860-4879), and a shop in it: a merchant with two always-open
stores stocked with product A, a campaign with a deal on sale, a member with stored value to
buy its vouchers, and console users (an admin, staff of store s1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from auth.console_users import ConsoleUsers
from tests.console.conftest import PASSWORD, ConsolePlatform
from tests.marketing import helpers as marketing
from tests.orders.helpers import World, move, order_input, place, stock, world


@dataclass
class Shop:
    """The merchant world, its campaign and deal, a buyer, and the console emails' keys
    (``shop_admin``, ``shop_staff``: staff of s1) in ``console.emails``."""

    console: ConsolePlatform
    world: World
    campaign_id: str
    deal_id: str
    member_id: str

    @property
    def db(self) -> Any:
        return self.console.live

    def store(self, name: str) -> str:
        return self.world.stores[name]

    async def paid_order(self, store: str = "s1", fulfillment: str = "PICKUP") -> str:
        """A new order at ``store``, paid (as the till marks a cash payment)."""
        placed = await place(self.db, self.world.owner, order_input(
            self.world, {"A": 1}, {"type": fulfillment, "storeId": self.store(store)}))
        assert placed["userErrors"] == [], placed
        await move(self.db, self.world.owner, placed["order"]["id"], "PAID")
        return str(placed["order"]["id"])

    async def status(self, order_id: str) -> str:
        found = await self.db["orders"].find_one({"_id": order_id})
        return str(found["status"])

    async def voucher(self) -> tuple[str, str]:
        """A voucher of the campaign's deal bought by the member: (id, code)."""
        bought = await marketing.purchase(self.db, marketing.member_token(self.member_id),
                                          self.deal_id, self.member_id)
        assert bought["userErrors"] == [], bought
        [voucher] = bought["vouchers"]
        return str(voucher["id"]), str(voucher["code"])


@pytest.fixture(scope="module")
async def shop(console: ConsolePlatform) -> Shop:
    db = console.live
    w = await world(db, {"s1": (31.23, 121.47), "s2": (31.24, 121.48)}, {"A": 1200})
    for name in ("s1", "s2"):
        await stock(db, w, name, {"A": 500})
    await db["partners"].insert_one({"_id": w.merchant, "name": "Merchant Mart",
                                     "type": "STORE_CHAIN"})
    owner = marketing.merchant(w.merchant)
    campaign_id = await marketing.campaign(db, owner)
    deal_id = await marketing.deal(db, owner, campaignId=campaign_id)
    member_id = await marketing.buyer(db, w.merchant)
    users = ConsoleUsers(db)
    suffix = w.merchant[-6:].lower()
    for key, role, stores in (("shop_admin", "admin", ()),
                              ("shop_staff", "staff", (w.stores["s1"],))):
        email = f"{key.replace('_', '-')}-{suffix}@merchant.test"
        await users.create(partner_id=w.merchant, email=email, role=role, password=PASSWORD,
                           store_ids=stores)
        console.emails[key] = email
    return Shop(console, w, campaign_id, deal_id, member_id)
