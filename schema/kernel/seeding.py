"""Demo data as ordered, idempotent steps with progress (``loopgate seed``).

Each domain contributes steps; a step upserts documents by deterministic ids
(:func:`schema.kernel.ids.stable_id`), so seeding twice leaves the same data.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

Advance = Callable[[int], None]


@dataclass(frozen=True)
class SeedStep:
    """A named unit of demo data: ``total`` units of work, reported through ``advance``."""

    name: str
    total: int
    apply: Callable[[AsyncDatabase, Advance], Awaitable[None]]
