"""``--workers N``: one app per uvicorn worker process, built by the factories named here.

uvicorn starts N worker processes that accept on one shared socket; each imports a factory
by its import string and builds its own app, so nothing can be handed over in memory. The
parent (``loopgate serve``/``loopgate gateway``) does the once-only work first (starts the
embedded FerretDB, seeds demo data, creates the first signing key, checks the supergraph
file and the JWKS) and passes each worker the resolved configuration as JSON in
:data:`WORKER_CONFIG_ENV`.

What workers share goes through the database: the leases that let one process run relays,
sweeps and upkeep (:mod:`gateway.background`), the supergraph version
(:mod:`gateway.supergraph_versions`) and OAuth signing keys. Plan and document caches stay
per process, and so do limits kept in memory.

Each factory imports what it builds when called, so a ``loopgate gateway`` worker never
loads the platform's subgraphs, and ``loopgate serve`` none of the standalone gateway.
"""

import os

import uvicorn
from starlette.types import ASGIApp

from gateway.collector import tune_for_serving
from gateway.config import Settings
from gateway.logs import log_config
from gateway.observability import ObservabilitySettings
from gateway.observability.metrics import share_between_workers
from schema.kernel.mongo import Mongo

WORKER_CONFIG_ENV = "LOOPGATE_WORKER_CONFIG"
SERVE_FACTORY = "gateway.worker_app:serve_app"
GATEWAY_FACTORY = "gateway.worker_app:gateway_app"


def served_app(settings: Settings, mongo: Mongo) -> ASGIApp:
    """The all-in-one app of one process, following the stored supergraph versions of the
    live database and of the sandbox: at start it publishes, for each, the platform composed
    with the partner subgraphs registered there (if the current version differs; the
    platform alone if they no longer compose), and it switches whenever a partner registers
    a subgraph or an operator publishes or rolls back (:mod:`gateway.partner_graph`)."""
    from gateway.app import create_app
    from partners.subgraphs import compose_graph

    return create_app(settings, mongo, compose=compose_graph)


def serve_app() -> ASGIApp:
    """The factory of a ``loopgate serve --workers N`` worker."""
    tune_for_serving()
    settings = Settings.model_validate_json(os.environ[WORKER_CONFIG_ENV])
    if settings.mongodb_uri is None:
        raise RuntimeError("a worker needs the database URI resolved by its parent")
    mongo = Mongo.open(settings.mongodb_uri, settings.db, timeout_ms=settings.mongodb_timeout_ms)
    return served_app(settings, mongo)


def gateway_app() -> ASGIApp:
    """The factory of a ``loopgate gateway --workers N`` worker."""
    from gateway.standalone_runtime import StandaloneOptions, build_standalone

    tune_for_serving()
    return build_standalone(StandaloneOptions.model_validate_json(os.environ[WORKER_CONFIG_ENV]))


def run_workers(factory: str, config_json: str, *, host: str, port: int, workers: int,
                log_level: str = "INFO") -> None:
    """Serve ``factory``'s app from ``workers`` processes until SIGINT/SIGTERM (uvicorn's
    supervisor restarts a worker that dies)."""
    os.environ[WORKER_CONFIG_ENV] = config_json
    share_between_workers()
    uvicorn.run(factory, factory=True, host=host, port=port, workers=workers, loop="uvloop",
                lifespan="on", access_log=ObservabilitySettings().access_log,
                log_level=log_level.lower(),
                log_config=log_config(log_level))
