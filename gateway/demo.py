"""The ordered list of demo-data steps; each domain issue appends its own.

``STOCK_SEED`` (1,000,000 inventory rows, schema.catalog.seed) is not in the list yet: on
FerretDB v1 its inserts slow down as the collection grows (about 5 s per 100 stores after the
first 500), so it would turn ``serve --demo`` into a ten-minute wait. It joins once inventory
rows are stored in a shape FerretDB writes in bulk quickly.
"""

from auth.demo import AUTH_SEED
from partners.demo import PARTNER_SEED
from schema.catalog.seed import PRODUCTS_SEED
from schema.kernel.seeding import SeedStep
from schema.stores.seed import STORES_SEED

DEMO_STEPS: tuple[SeedStep, ...] = (PARTNER_SEED, AUTH_SEED, STORES_SEED, PRODUCTS_SEED)
