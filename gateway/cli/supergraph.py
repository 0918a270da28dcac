"""``loopgate supergraph list|show|publish|rollback``: the supergraph versions every gateway
on a database follows (:mod:`gateway.supergraph_versions`).

A publish or rollback is picked up by every running ``loopgate serve`` process (and every
``loopgate gateway --mongo``) on the same database within a couple of seconds; none needs a
restart. ``loopgate serve`` publishes, when it starts, the platform composed with the
partner subgraphs registered in the database, if the current version differs.

``--sandbox`` works on the sandbox graph (the one sandbox tokens get, with the subgraphs of
sandbox apps), whose versions live in the sandbox database beside the live one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import CliError, console
from gateway.cli._database import add_settings_arguments, with_database
from gateway.supergraph_versions import (
    InvalidSupergraph,
    SupergraphVersion,
    SupergraphVersions,
    UnknownVersion,
)
from schema.kernel.sandbox import Databases


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("supergraph", help="versions of the served supergraph")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the newest versions, the current one marked")
    listing.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="print the SDL of a version (default: current)")
    show.add_argument("version", type=int, nargs="?")
    show.set_defaults(run=run_show)
    publish = actions.add_parser("publish", help="publish a supergraph file as a new version "
                                 "(every gateway on the database switches to it)")
    publish.add_argument("file", type=Path, metavar="FILE")
    publish.set_defaults(run=run_publish)
    rollback = actions.add_parser("rollback", help="serve an earlier version again")
    rollback.add_argument("version", type=int, metavar="VERSION")
    rollback.set_defaults(run=run_rollback)
    for action in (listing, show, publish, rollback):
        action.add_argument("--sandbox", action="store_true",
                            help="the sandbox graph's versions (sandbox tokens' graph)")
        add_settings_arguments(action)


def _store(args: argparse.Namespace, db: AsyncDatabase) -> SupergraphVersions:
    """The versions of the live graph, or with ``--sandbox`` the sandbox graph's."""
    return SupergraphVersions(Databases.beside(db).sandbox if args.sandbox else db)


def _graph(args: argparse.Namespace) -> str:
    return "sandbox graph" if args.sandbox else "supergraph"


def _line(version: SupergraphVersion, current: int | None) -> str:
    mark = "*" if version.version == current else " "
    source = f"  {version.source}" if version.source else ""
    return (f"{mark} {version.version:>4}  {version.published_at:%Y-%m-%d %H:%M:%S}Z  "
            f"{version.sha256[:12]}{source}")


def run_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")

    async def listing(db: AsyncDatabase) -> tuple[list[SupergraphVersion], int | None]:
        store = _store(args, db)
        return await store.list(args.limit), await store.current_version()

    versions, current = with_database(args, listing)
    for version in versions:
        console.print(_line(version, current), highlight=False, markup=False)
    if not versions:
        console.print("no supergraph published yet", highlight=False)
    return 0


def run_show(args: argparse.Namespace) -> int:
    async def show(db: AsyncDatabase) -> SupergraphVersion:
        store = _store(args, db)
        try:
            found = await (store.current() if args.version is None else store.get(args.version))
        except UnknownVersion as exc:
            raise CliError(str(exc)) from exc
        if found is None:
            raise CliError("no supergraph published yet")
        return found

    console.print(with_database(args, show).sdl, highlight=False, markup=False, end="")
    return 0


def run_publish(args: argparse.Namespace) -> int:
    try:
        sdl = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read supergraph file '{args.file}': {exc}") from exc

    async def publish(db: AsyncDatabase) -> SupergraphVersion:
        try:
            return await _store(args, db).publish(sdl, source=f"cli:{args.file.name}")
        except InvalidSupergraph as exc:
            raise CliError(f"'{args.file}': {exc}") from exc

    version = with_database(args, publish)
    console.print(f"current {_graph(args)}: version {version.version}", highlight=False)
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    async def rollback(db: AsyncDatabase) -> SupergraphVersion:
        try:
            return await _store(args, db).rollback(args.version)
        except UnknownVersion as exc:
            raise CliError(str(exc)) from exc

    version = with_database(args, rollback)
    console.print(f"current {_graph(args)}: version {version.version} (every gateway on this "
                  "database switches within seconds)", highlight=False)
    return 0
