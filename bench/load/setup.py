"""What the load needs before it starts: the demo data, and one token per client.

The data is what ``loopgate serve --demo`` loads (:func:`gateway.demo.demo_steps`, the same
idempotent steps), seeded here before the server starts so the server's start-up is not part
of any measurement; only :data:`~bench.load.operations.STOCKED_STORES` stores get stock, which
keeps the first seeding to a minute rather than the full demo's million stock rows. Tokens are
minted through the token endpoint's logic (:func:`auth.direct.client_credentials_token`) for
apps of QuickMart, the demo store chain, with the issuer of the server they are sent to.
"""

from pymongo.asynchronous.database import AsyncDatabase

from auth.direct import client_credentials_token
from auth.service import AuthService
from bench.load.operations import SCOPES, STOCKED_STORES
from gateway.cli.seed import seed_demo
from gateway.config import Settings
from gateway.demo import demo_steps
from partners.demo import PARTNER_SEED, demo_partner_id
from schema.catalog.seed import PRODUCTS_SEED, stock_seed
from schema.kernel.seeding import SeedStep
from schema.stores.seed import STORES_SEED

CHAIN = "quickmart"

MIX_STEPS: tuple[SeedStep, ...] = (PARTNER_SEED, STORES_SEED, PRODUCTS_SEED,
                                   stock_seed(STOCKED_STORES))
"""Only what the mix reads (partners, stores, products, stock): for the short test run."""


async def seed(db: AsyncDatabase, steps: tuple[SeedStep, ...] | None = None) -> None:
    """The demo data (all of ``loopgate serve --demo``'s steps unless ``steps`` are given)."""
    await seed_demo(db, steps or demo_steps(Settings(demo_stock_stores=STOCKED_STORES)))


async def tokens(db: AsyncDatabase, issuer: str, count: int) -> list[str]:
    """``count`` tokens, each of its own QuickMart app, valid at ``issuer``."""
    service = AuthService.create(db, issuer=issuer)
    await service.start()
    minted = []
    for number in range(count):
        issued = await service.clients.create(partner_id=demo_partner_id(CHAIN),
                                              name=f"Load client {number}", scopes=SCOPES)
        answer = await client_credentials_token(service, issued.client.client_id,
                                                issued.client_secret)
        if answer.status != 200:
            raise RuntimeError(f"the token endpoint refused a load client: {answer.body}")
        minted.append(str(answer.body["access_token"]))
    return minted
