"""The sandbox (DESIGN.md §5): a second database beside the live one, chosen by the principal.

A token of a sandbox app reads and writes ``<LOOPGATE_DB>_sandbox`` only, never the live
database, and the reverse. The choice is made once, in :meth:`Subgraph.context_factory
<schema.kernel.subgraph.Subgraph.context_factory>`, from :class:`Databases`: a subgraph's
resolvers only ever see ``context.db``, which is already the caller's database, so a new
subgraph cannot forget it. Work done without a principal (relays, sweeps, index creation)
runs once per database in :meth:`Databases.each`: the database it is handed *is* its mode,
and :func:`is_sandbox` tells it which (a live database's name never ends in the suffix:
``LOOPGATE_DB`` refuses one).

A partner's first sandbox request loads a small demo data set into the sandbox
(:class:`SandboxDemo`): once per partner across processes, under a claim.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import CLAIMS, claim, reclaim_abandoned
from schema.kernel.principal import Principal
from schema.kernel.seeding import SeedStep, is_done, mark_done
from schema.kernel.time import utcnow

SANDBOX_SUFFIX = "_sandbox"
_POLL_S = 0.05


def sandbox_name(live_name: str) -> str:
    """The sandbox database's name: ``loopgate`` → ``loopgate_sandbox``."""
    return f"{live_name}{SANDBOX_SUFFIX}"


def is_sandbox(db: AsyncDatabase) -> bool:
    """Whether ``db`` is a sandbox database: how work without a principal (a relay, a webhook
    worker, a provider's notification) knows the mode of the records it handles."""
    return db.name.endswith(SANDBOX_SUFFIX)


def live_twin(db: AsyncDatabase) -> AsyncDatabase:
    """The live database beside ``db`` (``db`` itself when it is live): where a sandbox
    request reads what has no sandbox twin, the partner registry and its OAuth clients."""
    return db.client[db.name.removesuffix(SANDBOX_SUFFIX)] if is_sandbox(db) else db


@dataclass(frozen=True)
class Databases:
    """The live database and its sandbox twin on the same client."""

    live: AsyncDatabase
    sandbox: AsyncDatabase

    @classmethod
    def beside(cls, live: AsyncDatabase) -> "Databases":
        """``live`` and ``<live name>_sandbox``."""
        return cls(live=live, sandbox=live.client[sandbox_name(live.name)])

    @classmethod
    def live_only(cls, live: AsyncDatabase) -> "Databases":
        """Every caller on ``live``: for data that has no sandbox (partners, OAuth clients)."""
        return cls(live=live, sandbox=live)

    def pick(self, principal: Principal | None) -> AsyncDatabase:
        """The caller's database: the sandbox for a sandbox token, live otherwise."""
        return self.sandbox if principal is not None and principal.sandbox else self.live

    def each(self) -> tuple[AsyncDatabase, ...]:
        """Every distinct database, live first: where principal-less work runs."""
        return (self.live,) if self.sandbox is self.live else (self.live, self.sandbox)


StepsFor = Callable[[str], Sequence[SeedStep]]


@dataclass
class SandboxDemo:
    """A partner's sandbox demo data, loaded on its first sandbox request.

    ``steps_for(partner_id)`` gives the steps (idempotent upserts by deterministic ids, as
    for ``loopgate seed``). Across processes one caller wins the claim
    ``sandbox-demo:<partnerId>`` and loads; the others wait until its steps are recorded as
    done, and take the claim over if its holder died (older than the claim lease). Within a
    process concurrent first requests share one load, and later ones cost nothing.
    """

    db: AsyncDatabase
    steps_for: StepsFor
    _ready: set[str] = field(default_factory=set, repr=False)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, repr=False)

    async def ensure(self, principal: Principal | None) -> None:
        """Load the caller's sandbox demo data if it is a sandbox partner's first request."""
        if principal is None or not principal.sandbox or principal.partner_id is None:
            return
        partner_id = principal.partner_id
        if partner_id in self._ready:
            return
        async with self._locks.setdefault(partner_id, asyncio.Lock()):
            if partner_id not in self._ready:
                await self._load_once(partner_id)
                self._ready.add(partner_id)

    async def _load_once(self, partner_id: str) -> None:
        steps = self.steps_for(partner_id)
        key = f"sandbox-demo:{partner_id}"
        while not await self._all_done(steps):
            read_at = utcnow()
            if await claim(self.db, key):
                try:
                    await self._load(steps)
                except BaseException:
                    await self.db[CLAIMS].delete_one({"_id": key})   # let the next one retry
                    raise
                return
            if not await reclaim_abandoned(self.db, [key], read_at):
                await asyncio.sleep(_POLL_S)

    async def _load(self, steps: Sequence[SeedStep]) -> None:
        for step in steps:
            if not await is_done(self.db, step):
                await step.apply(self.db, lambda _n: None)
                await mark_done(self.db, step)

    async def _all_done(self, steps: Sequence[SeedStep]) -> bool:
        for step in steps:
            if not await is_done(self.db, step):
                return False
        return True
