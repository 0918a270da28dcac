"""``loopgate persisted push|list|remove|mode``: apps' safelists of persisted operations.

``push FILE --client ID`` stores the operations of FILE (Apollo's persisted query manifest
JSON, or a ``.graphql`` document of named operations) on the app's safelist;
``--safelist-only`` makes the app run nothing else (an ERP connector), ``--no-safelist-only``
lifts that. Every operation must parse or nothing is stored; one that does not validate
against the schema is stored with a warning, since it may target a subgraph or field about
to be published, and the gateway validates every request anyway. The schema is
``--supergraph FILE``, else the supergraph version the deployment serves (``loopgate
supergraph publish``), else the platform's own. A sandbox app's safelist is kept in the
sandbox database, where its tokens act.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLSchema, validate
from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import ClientRegistry
from gateway.cli._console import CliError, console, console_err
from gateway.cli._database import add_settings_arguments, with_database
from gateway.cli.gateway import load_supergraph
from gateway.federation import Supergraph
from gateway.persisted import admin
from gateway.persisted.manifest import ManifestError, SafelistOperation, read_manifest
from gateway.persisted.operations import parse_document
from gateway.supergraph_versions import SupergraphVersions
from schema.kernel.sandbox import Databases


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("persisted", help="apps' safelists of persisted operations")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    push = actions.add_parser("push", help="add a manifest's operations to an app's safelist")
    push.add_argument("file", type=Path, metavar="FILE",
                      help="Apollo persisted query manifest (JSON) or a .graphql document")
    push.add_argument("--supergraph", type=Path, metavar="FILE",
                      help="validate against this supergraph (default: the version served, "
                           "else the platform's)")
    _mode_argument(push, required=False)
    push.set_defaults(run=run_push)

    listing = actions.add_parser("list", help="an app's safelisted operations")
    listing.add_argument("--json", action="store_true", help="print a JSON object")
    listing.set_defaults(run=run_list)

    remove = actions.add_parser("remove", help="remove operations from an app's safelist")
    remove.add_argument("refs", nargs="*", metavar="ID_OR_NAME",
                        help="operation ids or names to remove")
    remove.add_argument("--all", action="store_true", help="remove every operation")
    remove.set_defaults(run=run_remove)

    mode = actions.add_parser("mode", help="make an app safelist-only, or lift that")
    _mode_argument(mode, required=True)
    mode.set_defaults(run=run_mode)

    for sub in (push, listing, remove, mode):
        sub.add_argument("--client", required=True, metavar="ID", help="the app's client id")
        add_settings_arguments(sub)


def _mode_argument(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--safelist-only", action=argparse.BooleanOptionalAction,
                        required=required, default=None,
                        help="the app may run only its safelisted operations "
                             "(default for push: unchanged; a new app's is off)")


@dataclass(frozen=True, slots=True)
class _App:
    client_id: str
    db: AsyncDatabase
    sandbox: bool


async def find_app(db: AsyncDatabase, client_id: str) -> _App:
    """The app's client and the database its safelist lives in, or a CLI error."""
    client = await ClientRegistry(db).get(client_id)
    if client is None:
        raise CliError(f"no client {client_id!r}: pass the client id (app_…) of an existing "
                       "app (`loopgate clients list --partner P` shows a partner's)")
    where = Databases.beside(db).sandbox if client.sandbox else db
    return _App(client.client_id, where, client.sandbox)


def read_operations(path: Path) -> list[SafelistOperation]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CliError(f"manifest file '{path}' does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read manifest file '{path}': {exc}") from exc
    try:
        return read_manifest(text)
    except ManifestError as exc:
        raise CliError(f"invalid manifest '{path}': {exc}") from exc


async def schema_for(db: AsyncDatabase, path: Path | None) -> tuple[GraphQLSchema, str]:
    """The API schema operations are checked against, and what it is: the file's, else the
    supergraph version the deployment serves, else the platform's own composition."""
    if path is not None:
        return load_supergraph(path).api_schema, f"supergraph file {path}"
    current = await SupergraphVersions(db).current()
    if current is not None:
        return Supergraph.parse(current.sdl).api_schema, f"supergraph version {current.version}"
    from gateway.platform import compose_platform  # composing takes seconds: only here

    return Supergraph.parse(compose_platform()).api_schema, "the platform's supergraph"


def warn_invalid(operations: list[SafelistOperation], schema: GraphQLSchema) -> int:
    """Warn about each operation that does not validate; returns how many."""
    invalid = 0
    for op in operations:
        errors = validate(schema, parse_document(op.body))
        if errors:
            invalid += 1
            console_err.print(f"[yellow]warning:[/] {op.name or op.id} does not validate "
                              f"against the schema (stored anyway): {errors[0].message}",
                              highlight=False)
    return invalid


def run_push(args: argparse.Namespace) -> int:
    operations = read_operations(args.file)

    async def push(db: AsyncDatabase) -> admin.PushResult:
        app = await find_app(db, args.client)
        schema, source = await schema_for(db, args.supergraph)
        console_err.print(f"checking {len(operations)} operations against {source}",
                          highlight=False)
        warn_invalid(operations, schema)
        return await admin.push(app.db, app.client_id, operations, args.safelist_only)

    result = with_database(args, push)
    mode = "safelist-only" if result.safelist_only else "may also run other operations"
    console.print(f"{result.added} added, {result.replaced} replaced, {result.unchanged} "
                  f"unchanged; the app {mode}", highlight=False)
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def listing(db: AsyncDatabase) -> tuple[_App, bool | None, list[admin.Listed]]:
        app = await find_app(db, args.client)
        return (app, await admin.safelist_only(app.db, app.client_id),
                await admin.listed(app.db, app.client_id))

    app, only, items = with_database(args, listing)
    if args.json:
        print(json.dumps({"client_id": app.client_id, "sandbox": app.sandbox,
                          "safelist_only": bool(only),
                          "operations": [{"id": i.op_id, "name": i.name, "type": i.type,
                                          "body": i.body} for i in items]}))
        return 0
    console_err.print(f"{len(items)} operations; "
                      f"{'safelist-only' if only else 'not safelist-only'}", highlight=False)
    for item in items:
        console.print(f"{item.op_id}  {item.type}  {item.name or '(anonymous)'}",
                      highlight=False, markup=False)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    if bool(args.refs) == args.all:
        raise CliError("name the operations to remove (ids or names), or pass --all")

    async def remove(db: AsyncDatabase) -> list[admin.Listed]:
        app = await find_app(db, args.client)
        try:
            return await admin.remove(app.db, app.client_id, args.refs)
        except LookupError as exc:
            raise CliError(f"{exc.args[0]}; nothing was removed") from exc

    removed = with_database(args, remove)
    console.print(f"{len(removed)} removed", highlight=False)
    return 0


def run_mode(args: argparse.Namespace) -> int:
    async def mode(db: AsyncDatabase) -> None:
        app = await find_app(db, args.client)
        await admin.set_safelist_only(app.db, app.client_id, args.safelist_only)

    with_database(args, mode)
    state = "only its safelisted operations" if args.safelist_only else "any operation"
    console.print(f"{args.client} may run {state}", highlight=False, markup=False)
    return 0
