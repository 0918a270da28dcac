"""Demo sign-in data: a member credential and a public PKCE app, for trying the consent flow.

``loopgate serve --demo`` can append :data:`AUTH_SEED` to its steps. The member id is derived
from the same natural key the membership demo data should use (``stable_id("mem", …)``), and
the app belongs to the demo partner Harbor Coffee.
"""

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CLIENTS
from auth.members import MemberLogins
from partners.demo import demo_partner_id
from schema.kernel.ids import stable_id
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow

DEMO_MEMBER_KEY = "demo-member"
DEMO_USERNAME = "mia"
DEMO_PASSWORD = "loopgate-demo"
DEMO_APP_ID = stable_id("app", "demo-pkce-app")
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"


async def _seed(db: AsyncDatabase, advance: Advance) -> None:
    await MemberLogins(db).set_login(DEMO_USERNAME, DEMO_PASSWORD,
                                     stable_id("mem", DEMO_MEMBER_KEY))
    advance(1)
    now = utcnow()
    await db[CLIENTS].update_one({"_id": DEMO_APP_ID}, {
        "$set": {"partnerId": demo_partner_id("harbor-coffee"), "name": "Harbor Coffee app",
                 "scopes": ["members:read", "orders:read", "points:read", "vouchers:read"],
                 "grantTypes": ["authorization_code", "refresh_token"],
                 "redirectUris": [DEMO_REDIRECT_URI], "public": True, "resourceServer": False,
                 "sandbox": False, "secrets": []},
        "$setOnInsert": {"createdAt": now, "createdBy": "demo"}}, upsert=True)
    advance(1)


AUTH_SEED = SeedStep("auth", 2, _seed)
