"""``loopgate db start|stop|status``: the embedded FerretDB."""

import argparse

from gateway.cli._console import CliError, console, console_err
from gateway.config import Settings
from gateway.embedded import server
from gateway.embedded.build import BuildError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="the embedded FerretDB (start, stop, status)")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--db-port", type=int, default=server.DEFAULT_PORT,
                        help=f"port on 127.0.0.1 (default {server.DEFAULT_PORT})")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.action == "status":
        running = server.status(settings.state_dir)
        if running is None:
            console.print("embedded FerretDB: not running")
            return 3
        console.print(f"embedded FerretDB: running (pid {running.pid}) at {running.uri}")
        return 0
    if args.action == "stop":
        stopped = server.stop(settings.state_dir)
        console.print("embedded FerretDB stopped" if stopped else "embedded FerretDB was not running")
        return 0
    try:
        with console_err.status("starting the embedded FerretDB…") as status:
            running = server.start(settings.state_dir, settings.cache_dir, port=args.db_port,
                                   progress=lambda line: status.update(line[:100]))
    except (BuildError, server.EmbeddedDbError) as exc:
        raise CliError(str(exc)) from exc
    console.print(f"embedded FerretDB running (pid {running.pid}) at {running.uri}")
    console.print(f"export LOOPGATE_MONGODB_URI={running.uri}")
    return 0
