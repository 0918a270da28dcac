"""The ordered demo-data steps; each domain issue appends its own."""

from auth.demo import AUTH_SEED
from gateway.config import Settings
from partners.demo import PARTNER_SEED
from schema.catalog.seed import PRODUCTS_SEED, stock_seed
from schema.kernel.seeding import SeedStep
from schema.stores.seed import STORES_SEED


def demo_steps(settings: Settings) -> tuple[SeedStep, ...]:
    """Partners, demo logins, 2,000 stores, 500 products and their stock
    (``LOOPGATE_DEMO_STOCK_STORES`` of the stores get stock: all by default)."""
    return (PARTNER_SEED, AUTH_SEED, STORES_SEED, PRODUCTS_SEED,
            stock_seed(settings.demo_stock_stores))
