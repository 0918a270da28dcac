"""The running standalone gateway (``loopgate gateway``): its options, and the app with the
loops beside it, built the same way in a single process and in each ``--workers`` worker.

Options travel to workers as JSON (:class:`StandaloneOptions`), so everything here is
rebuilt from them: the supergraph file, the JWKS verifier (keys fetched at the first token),
the context-token signing key, the HTTP session and, with ``--mongo``, the database the
processes share. With a database the gateway follows the stored supergraph version
(:mod:`gateway.supergraph_versions`): it publishes its file at start if the current version
differs, and ``--hot-reload`` publishes each valid new version of the file (one process
watches, under a lease), so every worker and replica switches together. Without one each
process watches the file itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp

from auth.jwks import RemoteJwks
from auth.tokens import AUDIENCE
from auth.verify import TokenVerifier
from gateway.background import WithBackground, run_jobs_under_lease, run_under_lease
from gateway.context_key import load_signing_key
from gateway.federation import Supergraph, SupergraphError
from gateway.limits import OperationLimits
from gateway.limits.budget import AppLimits, sweep_budgets
from gateway.service import Gateway
from gateway.standalone import (
    JWKS_MAX_AGE_S,
    JWKS_MIN_REFETCH_S,
    context_signer,
    standalone_app,
    subgraph_router,
)
from gateway.supergraph_versions import (
    InvalidSupergraph,
    RouterFor,
    SupergraphVersions,
    publish_and_follow,
)
from gateway.transports.http import http_session
from gateway.transports.router import TransportRouter
from schema.kernel.mongo import Mongo

_log = logging.getLogger("loopgate.gateway")

WATCH_INTERVAL_S = 0.5


class StandaloneOptions(BaseModel):
    """Everything a gateway process is built from (the CLI's flags over the environment)."""

    supergraph: Path
    host: str = "127.0.0.1"
    port: int = 4000
    cors_origins: list[str] = []
    limits: OperationLimits = OperationLimits()
    subgraph_timeout: float = 10.0
    hot_reload: bool = False
    dedup: bool = True
    jwks: str | None = None
    issuer: str | None = None
    audience: str = AUDIENCE
    signing_key: Path | None = None
    context_issuer: str = ""
    mongo: str | None = None
    mongo_db: str = "loopgate"


def read_supergraph(path: Path) -> Supergraph:
    """Parse the supergraph file; OSError/UnicodeDecodeError/SupergraphError when unusable."""
    return Supergraph.parse(path.read_text(encoding="utf-8"))


def build_standalone(options: StandaloneOptions) -> ASGIApp:
    """The gateway app of one process, with its hot-reload loop (if any) beside it.

    Call it with an event loop running (the HTTP session needs one): uvicorn calls a factory
    from inside its serve coroutine.
    """
    supergraph = read_supergraph(options.supergraph)
    verifier = (TokenVerifier(RemoteJwks(options.jwks, min_refetch_s=JWKS_MIN_REFETCH_S,
                                         max_age_s=JWKS_MAX_AGE_S),
                              None, options.issuer or "", options.audience)
                if options.jwks else None)
    keys = load_signing_key(options.signing_key) if options.signing_key else None
    session = http_session(timeout=options.subgraph_timeout)
    mongo = Mongo.open(options.mongo, options.mongo_db) if options.mongo else None

    async def close() -> None:
        await session.close()
        if mongo is not None:
            await mongo.close()

    gateway, app = standalone_app(supergraph, session, verifier=verifier, signing_keys=keys,
                                  context_issuer=options.context_issuer,
                                  limits=options.limits, cors_origins=options.cors_origins,
                                  app_limits=(AppLimits.shared(options.limits, mongo.db)
                                              if mongo is not None else None),
                                  persisted_db=mongo.db if mongo is not None else None,
                                  on_shutdown=close, dedup=options.dedup)
    signer = context_signer(keys, options.context_issuer)

    def router_for(new: Supergraph) -> TransportRouter:
        return subgraph_router(new, session, verifier, signer, dedup=options.dedup)

    def loops() -> list[Coroutine[Any, Any, None]]:
        if mongo is None:
            return [watch_file(options.supergraph, gateway, router_for)] \
                if options.hot_reload else []
        started = [publish_and_follow(mongo.db, gateway, source=f"gateway:{options.supergraph}",
                                      router_for=router_for),
                   run_jobs_under_lease(mongo.db, (), (sweep_budgets,))]
        if options.hot_reload:
            started.append(run_under_lease(
                mongo.db, "supergraph-file",
                lambda: publish_file_changes(options.supergraph, mongo.db)))
        return started

    return WithBackground(app, loops)


async def watch_file(path: Path, gateway: Gateway, router_for: RouterFor,
                     interval: float = WATCH_INTERVAL_S) -> None:
    """Switch to each new valid version of the supergraph file; keep serving on a bad one."""
    async for supergraph in _file_versions(path, interval):
        gateway.replace_supergraph(supergraph, router_for(supergraph))
        _log.warning("supergraph reloaded from %s (subgraphs: %s)", path,
                     ", ".join(sorted(supergraph.subgraphs)))


async def publish_file_changes(path: Path, db: AsyncDatabase,
                               interval: float = WATCH_INTERVAL_S) -> None:
    """Publish each new valid version of the supergraph file to the version store."""
    async for supergraph in _file_versions(path, interval):
        try:
            version = await SupergraphVersions(db).publish(supergraph.sdl,
                                                           source=f"gateway:{path}")
        except InvalidSupergraph as exc:
            _log.error("hot reload skipped: %s", exc)
            continue
        _log.warning("supergraph file %s published as version %s", path, version.version)


async def _file_versions(path: Path, interval: float) -> AsyncIterator[Supergraph]:
    """Each new valid version of the file, polled by modification time; a bad one is
    logged and skipped."""
    seen = _modified(path)
    while True:
        await asyncio.sleep(interval)
        modified = _modified(path)
        if modified == seen:
            continue
        seen = modified
        try:
            yield read_supergraph(path)
        except (OSError, UnicodeDecodeError, SupergraphError) as exc:
            _log.error("hot reload skipped, still serving the previous supergraph: "
                       "invalid supergraph '%s': %s", path, exc)


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
