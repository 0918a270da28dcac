"""Demo data as ordered, idempotent steps with progress (``loopgate seed``).

Each domain contributes steps; a step upserts documents by deterministic ids
(:func:`schema.kernel.ids.stable_id`), so seeding twice leaves the same data. A step that
finished is recorded (``seed_steps``), so the next start skips it instead of re-checking a
million rows; an interrupted step is simply run again.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import utcnow

SEED_STEPS = "seed_steps"

Advance = Callable[[int], None]


@dataclass(frozen=True)
class SeedStep:
    """A named unit of demo data: ``total`` units of work, reported through ``advance``."""

    name: str
    total: int
    apply: Callable[[AsyncDatabase, Advance], Awaitable[None]]

    @property
    def record_id(self) -> str:
        """What a finished run of this step is recorded as (its size is part of it)."""
        return f"seed:{self.name}:{self.total}"


async def is_done(db: AsyncDatabase, step: SeedStep) -> bool:
    return await db[SEED_STEPS].find_one({"_id": step.record_id}) is not None


async def mark_done(db: AsyncDatabase, step: SeedStep) -> None:
    await db[SEED_STEPS].replace_one({"_id": step.record_id},
                                     {"name": step.name, "total": step.total, "at": utcnow()},
                                     upsert=True)
