"""``loopgate context-key new FILE`` and ``loopgate context-key jwks FILE``: the key a
standalone gateway signs ``Loopgate-Context`` tokens with (``loopgate gateway --signing-key``).

``new`` writes a fresh private key (JWK, mode 0600); ``jwks`` prints the public JWKS a
subgraph verifies with (the running gateway serves the same at /.well-known/jwks.json), so
a partner can be given it without reaching the gateway.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gateway.cli._console import CliError, console, console_err
from gateway.context_key import InvalidSigningKey, load_signing_key, new_key_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("context-key",
                                   help="the standalone gateway's context-token signing key")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="write a new RSA private key (JWK) to FILE")
    new.add_argument("file", type=Path, metavar="FILE")
    new.set_defaults(run=run_new)
    jwks = actions.add_parser("jwks", help="print the public JWKS of the key in FILE")
    jwks.add_argument("file", type=Path, metavar="FILE")
    jwks.set_defaults(run=run_jwks)


def run_new(args: argparse.Namespace) -> int:
    try:
        kid = new_key_file(args.file)
    except InvalidSigningKey as exc:
        raise CliError(str(exc)) from exc
    console_err.print(f"wrote signing key {kid} to {args.file} (keep it secret; subgraphs "
                      f"verify with `loopgate context-key jwks {args.file}`)", highlight=False,
                      markup=False)
    return 0


def run_jwks(args: argparse.Namespace) -> int:
    try:
        keys = load_signing_key(args.file)
    except InvalidSigningKey as exc:
        raise CliError(str(exc)) from exc
    console.print(json.dumps(keys.jwks(), indent=2), highlight=False, markup=False)
    return 0
