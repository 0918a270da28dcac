"""``loopgate plan --supergraph FILE QUERY``: print the query plan of an operation."""

import argparse
from pathlib import Path

import orjson
from graphql import GraphQLError

from gateway.cli._console import CliError, console
from gateway.cli.gateway import add_supergraph_argument, load_supergraph
from gateway.federation import FederationError
from gateway.service import Gateway
from gateway.transports.router import TransportRouter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="print the query plan of an operation")
    add_supergraph_argument(parser)
    parser.add_argument("query", metavar="QUERY", help="the operation, or @FILE to read it")
    parser.add_argument("--operation-name", help="which operation of the document to plan")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(run=run)


def read_query(argument: str) -> str:
    """The query text itself, or the contents of the file named after ``@``."""
    if not argument.startswith("@"):
        return argument
    path = Path(argument[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read query file '{path}': {exc.strerror or exc}") from exc


def run(args: argparse.Namespace) -> int:
    supergraph = load_supergraph(args.supergraph)
    gateway = Gateway(supergraph, TransportRouter({}))
    try:
        plan = gateway.plan(read_query(args.query), args.operation_name)
    except GraphQLError as exc:
        raise CliError(f"invalid operation: {_located(exc)}") from exc
    except FederationError as exc:
        raise CliError(f"cannot plan the operation: {exc}") from exc
    if args.json:
        console.print(orjson.dumps(plan.to_json(), option=orjson.OPT_INDENT_2).decode(),
                      highlight=False, markup=False)
    else:
        console.print(plan.to_text(), highlight=False, markup=False)
    return 0


def _located(error: GraphQLError) -> str:
    if error.locations:
        location = error.locations[0]
        return f"{error.message} (line {location.line}, column {location.column})"
    return error.message
