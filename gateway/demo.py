"""The ordered list of demo-data steps; each domain issue appends its own."""

from auth.demo import AUTH_SEED
from partners.demo import PARTNER_SEED
from schema.kernel.seeding import SeedStep

DEMO_STEPS: tuple[SeedStep, ...] = (PARTNER_SEED, AUTH_SEED)
