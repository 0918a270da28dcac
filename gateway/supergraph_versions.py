"""Versions of the composed supergraph in MongoDB, followed by every gateway process.

Split deployments run several gateways (``--workers N``, replicas behind a proxy) that must
serve the same supergraph and switch together (DESIGN.md §2). Each published supergraph is
one immutable document in :data:`VERSIONS` whose ``_id`` is its version number, taken from
a claimed counter (so two publishers never share a number); the version served is named by
one pointer document (:data:`POINTER`, ``_id`` ``"current"``), written through
:func:`schema.kernel.claims.update_claimed` because a conditional update is not atomic on
FerretDB. A rollback only moves the pointer back; publishing again adds a new version.

Every process runs :func:`follow_supergraph`: an ``_id`` point read of the pointer every
:data:`POLL_INTERVAL_S` seconds (the only indexed read on FerretDB), and on a change the
version is read, parsed (in a worker thread) and handed to the gateway's hot-reload path
(:meth:`gateway.service.Gateway.replace_supergraph`). A version that does not parse, or that
this process cannot route, is logged and skipped: the process keeps serving what it served.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from gateway.federation import Supergraph, SupergraphError
from gateway.service import Gateway
from gateway.transports.router import TransportRouter
from schema.kernel.claims import claim, update_claimed
from schema.kernel.counters import Counter
from schema.kernel.time import as_utc, utcnow

VERSIONS = "supergraph_versions"
POINTER = "supergraph_pointer"
CURRENT = "current"
POLL_INTERVAL_S = 2.0
PUBLISH_WAIT_S = 5.0
_NUMBERS = Counter("supergraph-version")

_log = logging.getLogger("loopgate.supergraph")

Document = dict[str, Any]


class UnknownVersion(LookupError):
    """No supergraph version has that number; nothing was changed."""


class InvalidSupergraph(ValueError):
    """The SDL is not a supergraph this gateway can serve; nothing was published."""


@dataclass(frozen=True, slots=True)
class SupergraphVersion:
    """One published supergraph: its number, SDL, digest, when and by whom it was published."""

    version: int
    sdl: str
    sha256: str
    published_at: datetime
    source: str

    @classmethod
    def from_document(cls, doc: Document) -> SupergraphVersion:
        return cls(version=int(doc["_id"]), sdl=doc["sdl"], sha256=doc["sha256"],
                   published_at=as_utc(doc["publishedAt"]), source=doc.get("source", ""))


def digest(sdl: str) -> str:
    return hashlib.sha256(sdl.encode("utf-8")).hexdigest()


class SupergraphVersions:
    """The version store in ``db``: a deployment's live database holds the live graph's
    versions, its sandbox twin the sandbox graph's (``loopgate serve`` serves both)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db

    async def current_version(self) -> int | None:
        """The number the pointer names now (one ``_id`` point read), None before any."""
        pointer = await self._db[POINTER].find_one({"_id": CURRENT})
        return None if pointer is None else int(pointer["version"])

    async def current(self) -> SupergraphVersion | None:
        version = await self.current_version()
        return None if version is None else await self.get(version)

    async def get(self, version: int) -> SupergraphVersion:
        found = await self._db[VERSIONS].find_one({"_id": version})
        if found is None:
            raise UnknownVersion(f"there is no supergraph version {version}")
        return SupergraphVersion.from_document(found)

    async def list(self, limit: int = 50) -> list[SupergraphVersion]:
        """The newest ``limit`` versions, newest first (a small collection: a scan is fine)."""
        cursor = self._db[VERSIONS].find({}).sort("_id", -1).limit(limit)
        return [SupergraphVersion.from_document(doc) async for doc in cursor]

    async def publish(self, sdl: str, *, source: str = "") -> SupergraphVersion:
        """Store ``sdl`` as a new version and point at it; returns the version served next.

        The SDL must parse as a supergraph (:class:`InvalidSupergraph` otherwise, nothing
        stored). Publishing what is current already adds nothing and returns it, and so does
        publishing what another process is publishing at the same moment over the same
        current version (N workers starting at once add one version, not N: the first to
        claim ``<digest>:<pointer revision>`` publishes, the others wait for it). Of two
        publishers of different SDL racing, the higher number wins the pointer: a publish
        never moves it back.
        """
        try:
            Supergraph.parse(sdl)
        except SupergraphError as exc:
            raise InvalidSupergraph(f"not a valid supergraph: {exc}") from exc
        sha = digest(sdl)
        pointer = await self._db[POINTER].find_one({"_id": CURRENT})
        current = None if pointer is None else await self.get(int(pointer["version"]))
        if current is not None and current.sha256 == sha:
            return current
        if not await claim(self._db, f"supergraph-publish:{sha}:{(pointer or {}).get('rev', 0)}"):
            published = await self._wait_for(sha)
            if published is not None:
                return published
        number = await _NUMBERS.add(self._db, "all", 1)
        assert number is not None   # no floor: an add is never refused
        await self._db[VERSIONS].insert_one({"_id": number, "sdl": sdl, "sha256": sha,
                                             "publishedAt": utcnow(), "source": source})
        pointed = await self._point(number, lambda now: now is None or now < number)
        return await self.get(pointed)

    async def _wait_for(self, sha: str) -> SupergraphVersion | None:
        """The current version once it has digest ``sha`` (another process is publishing
        it), or None after :data:`PUBLISH_WAIT_S` (that publisher died: publish anyway)."""
        deadline = asyncio.get_running_loop().time() + PUBLISH_WAIT_S
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            current = await self.current()
            if current is not None and current.sha256 == sha:
                return current
        return None

    async def rollback(self, version: int) -> SupergraphVersion:
        """Serve ``version`` again (every gateway switches at its next poll)."""
        target = await self.get(version)
        await self._point(version, lambda _now: True)
        return target

    async def _point(self, version: int, wanted: Callable[[int | None], bool]) -> int:
        """Move the pointer to ``version`` when ``wanted(current number)``; the number it
        names afterwards."""

        def change(current: Document | None) -> Document | None:
            now = None if current is None else int(current["version"])
            if not wanted(now) or now == version:
                return None
            return {"version": version, "changedAt": utcnow()}

        await update_claimed(self._db[POINTER], self._db, CURRENT, change)
        number = await self.current_version()
        assert number is not None
        return number


Apply = Callable[[Supergraph], None]
"""Switch the gateway to a supergraph; raises ValueError when this process cannot serve it."""

RouterFor = Callable[[Supergraph], TransportRouter]


def applying_to(gateway: Gateway, router_for: RouterFor | None = None) -> Apply:
    """:meth:`Gateway.replace_supergraph` with ``router_for``'s router, or (without it) the
    gateway's own transports, refusing a supergraph naming a subgraph they do not reach."""

    def apply(supergraph: Supergraph) -> None:
        if router_for is not None:
            gateway.replace_supergraph(supergraph, router_for(supergraph))
            return
        missing = sorted(set(supergraph.subgraphs) - gateway.router.subgraphs)
        if missing:
            raise ValueError(f"no transport in this process for subgraph(s) {', '.join(missing)}")
        gateway.replace_supergraph(supergraph)

    return apply


async def follow_supergraph(db: AsyncDatabase, apply: Apply, *, applied: int | None = None,
                            interval_s: float = POLL_INTERVAL_S) -> None:
    """Poll the pointer and ``apply`` each new current version, until cancelled.

    ``applied`` is the version this process serves already (none: the first current one is
    applied). A version that fails to parse or to apply is logged once and skipped; a
    database error is logged and the poll goes on.
    """
    versions = SupergraphVersions(db)
    seen = applied
    while True:
        try:
            number = await versions.current_version()
            if number is not None and number != seen:
                seen = number
                await switch_to(await versions.get(number), apply)
        except (PyMongoError, UnknownVersion):
            _log.warning("could not read the current supergraph version", exc_info=True)
        await asyncio.sleep(interval_s)


async def publish_and_follow(db: AsyncDatabase, gateway: Gateway, *, source: str,
                             router_for: RouterFor | None = None,
                             interval_s: float = POLL_INTERVAL_S) -> None:
    """Publish the supergraph ``gateway`` serves (unless it is current already), then follow
    the store (:func:`follow_supergraph`), until cancelled.

    ``loopgate serve`` runs this in every process with its platform supergraph, so all
    processes on one database serve the current version and a rollback or publish reaches
    each within a poll. The publish is retried while the database is away.
    """
    published = await publish_retrying(db, gateway.supergraph.sdl, source=source,
                                       interval_s=interval_s)
    applied = published.version if published.sha256 == digest(gateway.supergraph.sdl) else None
    await follow_supergraph(db, applying_to(gateway, router_for), applied=applied,
                            interval_s=interval_s)


async def publish_retrying(db: AsyncDatabase, sdl: str, *, source: str,
                           interval_s: float = POLL_INTERVAL_S) -> SupergraphVersion:
    """:meth:`SupergraphVersions.publish`, tried again every ``interval_s`` while the
    database is away (InvalidSupergraph is raised at once)."""
    while True:
        try:
            return await SupergraphVersions(db).publish(sdl, source=source)
        except PyMongoError:
            _log.warning("could not publish the supergraph; retrying", exc_info=True)
            await asyncio.sleep(interval_s)


async def switch_to(version: SupergraphVersion, apply: Apply) -> bool:
    """``apply`` the version; False (logged, the previous one still served) when it does not
    parse or this process cannot serve it.

    The SDL is parsed in a worker thread: the platform's supergraph takes a few hundred
    milliseconds of CPU to parse, which on the event loop would stall every request of the
    process at each switch (the thread shares the interpreter, so requests slow down a
    little instead of stopping)."""
    try:
        supergraph = await asyncio.to_thread(Supergraph.parse, version.sdl)
        apply(supergraph)
    except (SupergraphError, ValueError) as exc:
        _log.error("supergraph version %s skipped, still serving the previous one: %s",
                   version.version, exc)
        return False
    _log.warning("now serving supergraph version %s (subgraphs: %s)", version.version,
                 ", ".join(sorted(supergraph.subgraphs)))
    return True
