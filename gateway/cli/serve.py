"""``loopgate serve``: the all-in-one server (gateway, platform subgraphs, OAuth)."""

import argparse
import asyncio
import os
import signal
import socket
import sys
from types import FrameType

import uvicorn
import uvloop

from gateway.app import create_app
from gateway.cli._console import CliError, console_err
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.cli.seed import seed_demo
from gateway.config import Settings
from gateway.demo import demo_steps
from gateway.logs import log_config
from schema.marketing.codes import STATE_DIR_ENV, voucher_keys
from schema.payments.providers import LIVE_ENV


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the all-in-one Loopgate server")
    parser.add_argument("--demo", action="store_true", help="load demo data first (idempotent)")
    parser.add_argument("--host", help="interface to bind (default $LOOPGATE_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default $LOOPGATE_PORT or 4000)")
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
        app = create_app(settings, mongo)
        config = uvicorn.Config(app, host=settings.host, port=settings.port,
                                log_level="info", access_log=False, lifespan="on",
                                log_config=log_config())
        console_err.print(f"Loopgate on http://{settings.host}:{settings.port}/graphql")
        await uvicorn.Server(config).serve()
    finally:
        await mongo.close()


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into an exception, so clean-up (stopping the embedded database) runs.

    uvicorn shuts down gracefully on SIGTERM and then re-raises the signal to this handler.
    """
    sys.exit(128 + signum)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    check_port_free(settings.host, settings.port)
    os.environ[STATE_DIR_ENV] = str(settings.state_dir)   # where the voucher key file lives
    try:   # voucher keys: made on first start, and a malformed set stops the start here
        voucher_keys()
    except (ValueError, OSError) as exc:
        raise CliError(f"voucher keys: {exc}") from exc
    if args.demo:   # a demo server takes live EXTERNAL portions through the sandbox provider
        os.environ.setdefault(LIVE_ENV, "1")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with database_uri(settings) as uri, asyncio.Runner(loop_factory=uvloop.new_event_loop) as loop:
        loop.run(_serve(uri, settings, args.demo))
    return 0
