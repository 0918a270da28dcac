"""``loopgate serve``: the all-in-one server (gateway, platform subgraphs, OAuth).

With ``--workers N`` (or ``LOOPGATE_WORKERS``) it serves from N uvicorn worker processes on
one port (:mod:`gateway.worker_app`). This process does the once-only work first: it starts
the embedded FerretDB (when no URI is configured), seeds the demo data, creates the platform
indexes and the first signing key; then each worker builds its own app. Relays, sweeps and
the OAuth upkeep run in one process at a time, under leases (:mod:`gateway.background`).

Each process serves the live graph and the sandbox graph with the partner subgraphs
registered in each database (:mod:`gateway.partner_graph`); the partner-call settings
(``LOOPGATE_ALLOW_NETWORKS``, ``LOOPGATE_PARTNER_SUBGRAPH_TIMEOUT_S``) are checked before
anything starts.
"""

import argparse
import asyncio
import os
import signal
import socket
import sys
from types import FrameType

import uvicorn
import uvloop

from auth.service import AuthService
from gateway.cli._console import CliError, console_err
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.cli.seed import seed_demo
from gateway.collector import tune_for_serving
from gateway.config import Settings
from gateway.demo import demo_steps
from gateway.logs import log_config
from gateway.observability import ObservabilitySettings
from gateway.partner_graph.routing import PartnerSubgraphSettings
from gateway.platform import ensure_platform_indexes
from gateway.worker_app import SERVE_FACTORY, run_workers, served_app
from partners.urls import NetworkPolicy
from schema.kernel.sandbox import Databases
from schema.marketing.codes import STATE_DIR_ENV, voucher_keys
from schema.payments.providers import LIVE_ENV


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the all-in-one Loopgate server")
    parser.add_argument("--demo", action="store_true", help="load demo data first (idempotent)")
    parser.add_argument("--host", help="interface to bind (default $LOOPGATE_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default $LOOPGATE_PORT or 4000)")
    parser.add_argument("--workers", type=int,
                        help="serve from N processes on the port (default $LOOPGATE_WORKERS "
                             "or 1)")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


def check_port_free(host: str, port: int) -> None:
    """Fail early, in one line, when another process holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port} ({exc.strerror}); is Loopgate already running? "
                "pass --port or set LOOPGATE_PORT"
            ) from exc


async def _serve(uri: str, settings: Settings, demo: bool) -> None:
    mongo = await connect(uri, settings)
    try:
        if demo:
            await seed_demo(mongo.db, demo_steps(settings))
        app = served_app(settings, mongo)
        tune_for_serving()
        config = uvicorn.Config(app, host=settings.host, port=settings.port,
                                log_level="info",
                                access_log=ObservabilitySettings().access_log, lifespan="on",
                                log_config=log_config())
        console_err.print(f"Loopgate on http://{settings.host}:{settings.port}/graphql")
        await uvicorn.Server(config).serve()
    finally:
        await mongo.close()


async def _prepare(uri: str, settings: Settings, demo: bool) -> None:
    """The once-only start-up before workers start: demo data, indexes, a signing key (so
    N workers starting at once do not each create one)."""
    mongo = await connect(uri, settings)
    try:
        if demo:
            await seed_demo(mongo.db, demo_steps(settings))
        await ensure_platform_indexes(Databases.beside(mongo.db))
        await AuthService.create(mongo.db, issuer=settings.public_issuer).start()
    finally:
        await mongo.close()


def _serve_workers(uri: str, settings: Settings, demo: bool) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as loop:
        loop.run(_prepare(uri, settings, demo))
    resolved = settings.model_copy(update={"mongodb_uri": uri})
    console_err.print(f"Loopgate on http://{settings.host}:{settings.port}/graphql "
                      f"({settings.workers} workers)")
    run_workers(SERVE_FACTORY, resolved.model_dump_json(), host=settings.host,
                port=settings.port, workers=settings.workers)


def check_partner_settings() -> None:
    """Refuse bad partner-call settings at start (else the first partner subgraph would meet
    them, in a worker's log)."""
    try:
        NetworkPolicy.from_env()
        PartnerSubgraphSettings()
    except ValueError as exc:   # pydantic's ValidationError is a ValueError
        raise CliError(f"partner subgraph settings: {exc}") from exc


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into an exception, so clean-up (stopping the embedded database) runs.

    uvicorn shuts down gracefully on SIGTERM and then re-raises the signal to this handler.
    """
    sys.exit(128 + signum)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.workers is not None:
        if not 1 <= args.workers <= 64:
            raise CliError(f"--workers must be between 1 and 64 (got {args.workers})")
        settings = settings.model_copy(update={"workers": args.workers})
    check_port_free(settings.host, settings.port)
    check_partner_settings()
    os.environ[STATE_DIR_ENV] = str(settings.state_dir)   # where the voucher key file lives
    try:   # voucher keys: made on first start, and a malformed set stops the start here
        voucher_keys()
    except (ValueError, OSError) as exc:
        raise CliError(f"voucher keys: {exc}") from exc
    if args.demo:   # a demo server takes live EXTERNAL portions through the sandbox provider
        os.environ.setdefault(LIVE_ENV, "1")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with database_uri(settings) as uri:
        if settings.workers > 1:
            _serve_workers(uri, settings, args.demo)
            return 0
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as loop:
            loop.run(_serve(uri, settings, args.demo))
    return 0
