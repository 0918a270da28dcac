"""The ordered demo-data steps, live and sandbox; each domain issue appends its own."""

from auth.demo import AUTH_SEED
from gateway.config import Settings
from partners.demo import PARTNER_SEED
from schema.catalog.seed import PRODUCTS_SEED, sandbox_catalog_seed, stock_seed
from schema.kernel.seeding import SeedStep
from schema.marketing.seed import MARKETING_SEED, sandbox_marketing_seed
from schema.membership.seed import MEMBERSHIP_SEED, sandbox_membership_seed
from schema.orders.seed import ORDERS_SEED, sandbox_orders_seed
from schema.payments.seed import PAYMENTS_SEED, sandbox_payments_seed
from schema.stores.seed import STORES_SEED, sandbox_stores_seed


def demo_steps(settings: Settings) -> tuple[SeedStep, ...]:
    """Partners, demo logins, 2,000 stores, 500 products and their stock
    (``LOOPGATE_DEMO_STOCK_STORES`` of the stores get stock: all by default), and members
    with points at the demo merchants, a few weeks of their payments, and QuickMart's demo
    campaign with two deals and vouchers sold and redeemed; 300 QuickMart orders across
    channels and states."""
    return (PARTNER_SEED, AUTH_SEED, STORES_SEED, PRODUCTS_SEED,
            stock_seed(settings.demo_stock_stores), MEMBERSHIP_SEED, PAYMENTS_SEED,
            MARKETING_SEED, ORDERS_SEED)


def sandbox_steps(partner_id: str) -> tuple[SeedStep, ...]:
    """What a partner's sandbox starts with, loaded on its first sandbox request
    (:class:`schema.kernel.sandbox.SandboxDemo`): 5 stores around People's Square, Shanghai,
    and 10 products with stock in each; an earn rule and a member with points there; a
    succeeded payment and one waiting for its external portion; a campaign, a deal and two
    vouchers of the member (one with a known code); three orders (CREATED, a PAID pickup, a
    PAID delivery). Partners and OAuth clients stay live."""
    return (sandbox_stores_seed(partner_id), sandbox_catalog_seed(partner_id),
            sandbox_membership_seed(partner_id), sandbox_payments_seed(partner_id),
            sandbox_marketing_seed(partner_id), sandbox_orders_seed(partner_id))
