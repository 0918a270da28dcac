"""``loopgate db start|stop|status``: the embedded FerretDB."""

import argparse

from gateway.cli._console import CliError, console, console_err
from gateway.config import Settings
from gateway.embedded import server
from gateway.embedded.build import BuildError, binary_path, ensure_binary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="the embedded FerretDB (build, start, stop, status)")
    parser.add_argument("action", choices=["build", "start", "stop", "status"])
    parser.add_argument("--db-port", type=int,
                        help="port on 127.0.0.1 (default $LOOPGATE_EMBEDDED_PORT or 27117)")
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
    if args.action == "build":
        return _build(settings)
    if args.action == "stop":
        stopped = server.stop(settings.state_dir)
        console.print("embedded FerretDB " + ("stopped" if stopped else "was not running"))
        return 0
    try:
        with console_err.status("starting the embedded FerretDB…") as status:
            running = server.start(settings.state_dir, settings.cache_dir,
                                   port=args.db_port or settings.embedded_port,
                                   progress=lambda line: status.update(line[:100]))
    except (BuildError, server.EmbeddedDbError) as exc:
        raise CliError(str(exc)) from exc
    console.print(f"embedded FerretDB running (pid {running.pid}) at {running.uri}")
    console.print(f"export LOOPGATE_MONGODB_URI={running.uri}")
    return 0


def _build(settings: Settings) -> int:
    """Build (or find) the cached FerretDB binary, showing the Go tool's progress."""
    cached = binary_path(settings.cache_dir).is_file()
    try:
        with console_err.status("building FerretDB…") as status:
            path = ensure_binary(settings.cache_dir, lambda line: status.update(line[:100]))
    except BuildError as exc:
        raise CliError(str(exc)) from exc
    console.print(f"FerretDB {'already built' if cached else 'built'}: {path}")
    return 0
