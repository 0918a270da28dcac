"""``loopgate compose CONFIG [--output FILE] [--check PREVIOUS]``: build a supergraph.

Reads the subgraph list (YAML or JSON), composes it with Apollo's rules in Python, and writes
the supergraph SDL to stdout or ``--output``. ``--check PREVIOUS`` also lists the changes that
would break clients of the previous supergraph and exits 2 when there are any.
"""

import argparse
from pathlib import Path

from rich.markup import escape

from gateway.cli._console import CliError, console, console_err
from gateway.compose import breaking_changes, compose_supergraph
from gateway.compose.config import ConfigError, read_config
from gateway.compose.fetch import load_source

BREAKING_EXIT_CODE = 2
DESCRIPTION = """\
Compose subgraph SDLs into an Apollo-format supergraph (link v1.0, join v0.5), in Python.

CONFIG lists the subgraphs (YAML or JSON; Rover's supergraph.yaml spelling works too):

  subgraphs:
    - name: stores
      url: http://localhost:4001/graphql       # routing URL written into the supergraph
      module: schema.stores.subgraph:schema    # an in-process Strawberry schema
    - name: partner
      url: https://partner.example/graphql
      sdl: partner.graphql                     # relative to CONFIG
    - name: remote
      url: https://remote.example/graphql
      introspect: true                         # fetch { _service { sdl } } from url

Exit codes: 0 composed; 1 composition or config errors (each with subgraph, file:line, Apollo
error code and what to do); 2 composed, but --check found breaking changes."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compose", help="compose subgraph SDLs into an Apollo-format supergraph",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", type=Path, help="YAML or JSON file listing the subgraphs")
    parser.add_argument("--output", "-o", type=Path, help="write the supergraph here")
    parser.add_argument("--check", type=Path, metavar="PREVIOUS",
                        help="list breaking changes against this previous supergraph")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        sources = [load_source(spec) for spec in read_config(args.config)]
    except ConfigError as exc:
        raise CliError(str(exc)) from exc
    result = compose_supergraph(sources)
    if result.supergraph_sdl is None:
        for error in result.errors:
            console_err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        raise CliError(f"composition failed with {len(result.errors)} error(s)")
    previous = _read_previous(args.check) if args.check else None
    if args.output:
        args.output.write_text(result.supergraph_sdl)
        console_err.print(f"supergraph written to {args.output}", highlight=False)
    else:
        console.out(result.supergraph_sdl, end="", highlight=False)
    if previous is None:
        return 0
    changes = breaking_changes(previous, result.supergraph_sdl)
    for change in changes:
        console_err.print(f"[bold yellow]breaking:[/] {escape(str(change))}", highlight=False)
    if changes:
        console_err.print(f"{len(changes)} breaking change(s) against {args.check}",
                          highlight=False)
        return BREAKING_EXIT_CODE
    console_err.print(f"no breaking changes against {args.check}", highlight=False)
    return 0


def _read_previous(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise CliError(f"{path}: cannot read the previous supergraph ({exc.strerror})") from exc
