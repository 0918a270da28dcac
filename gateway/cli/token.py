"""``loopgate token --client ID --secret S [--scopes …]``: mint an access token for local work.

Runs the real token-endpoint logic (authlib's client-credentials grant over the database), so
the token verifies at a server using the same database *and the same issuer*. The issuer comes
from the configuration the server reads too: ``LOOPGATE_ISSUER``, else
``http://LOOPGATE_HOST:LOOPGATE_PORT``, with ``--issuer``/``--host``/``--port`` laid over it,
as ``loopgate serve --host/--port`` does. Before minting, the command asks the server at that
issuer for its metadata: a server there that names another issuer is an error saying what to
pass; no server there is a warning (the token is still printed). The token alone goes to stdout
(``TOKEN=$(loopgate token …)``); details go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import aiohttp
from rich.markup import escape

from auth.direct import client_credentials_token
from auth.metadata import METADATA_PATH
from auth.service import AuthService
from gateway.cli._console import CliError, console_err
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.config import Settings

PROBE_TIMEOUT_S = 2.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="mint an access token (client credentials)")
    parser.add_argument("--client", required=True, help="client id (app_…)")
    parser.add_argument("--secret", help="client secret (default $LOOPGATE_CLIENT_SECRET)")
    parser.add_argument("--scopes", help="space-separated subset of the client's scopes")
    parser.add_argument("--host", help="host the server listens on, as given to serve "
                        "(default $LOOPGATE_HOST); sets the issuer http://HOST:PORT")
    parser.add_argument("--port", type=int, help="port the server listens on, as given to serve "
                        "(default $LOOPGATE_PORT); sets the issuer http://HOST:PORT")
    parser.add_argument("--issuer", help="the server's public base URL when it has one "
                        "(default $LOOPGATE_ISSUER); overrides --host/--port")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


async def check_issuer(issuer: str) -> str | None:
    """None when the server at ``issuer`` agrees it is that issuer; else a warning to show.

    A server there that names another issuer would refuse the token: that is an error.
    """
    timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)
    try:
        async with (aiohttp.ClientSession(timeout=timeout) as http,
                    http.get(issuer + METADATA_PATH) as answer):
            metadata = await answer.json(content_type=None) if answer.status == 200 else {}
        named = metadata.get("issuer")
    except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
        named = None
    if named is None:
        return (f"no Loopgate server answers at {issuer}; this token is only accepted by a "
                f"server whose issuer is {issuer}. If yours listens elsewhere, pass the same "
                "--host/--port it was started with (or --issuer, its LOOPGATE_ISSUER)")
    if named.rstrip("/") != issuer:
        raise CliError(f"the server at {issuer} has the issuer {named} and would refuse a token "
                       f"issued by {issuer}; pass --issuer {named}")
    return None


async def mint(uri: str, settings: Settings, client_id: str, secret: str,
               scopes: str | None) -> dict[str, Any]:
    mongo = await connect(uri, settings)
    try:
        service = AuthService.create(mongo.db, issuer=settings.public_issuer)
        await service.start()
        answer = await client_credentials_token(service, client_id, secret, scopes)
    finally:
        await mongo.close()
    if answer.status != 200:
        body = answer.body if isinstance(answer.body, dict) else {}
        raise CliError(f"{body.get('error', answer.status)}: "
                       f"{body.get('error_description', 'the token request was refused')}")
    return dict(answer.body)


def run(args: argparse.Namespace) -> int:
    secret = args.secret or os.environ.get("LOOPGATE_CLIENT_SECRET")
    if not secret:
        raise CliError("pass --secret or set LOOPGATE_CLIENT_SECRET")
    settings = settings_from(args)
    issuer = settings.public_issuer.rstrip("/")
    warning = asyncio.run(check_issuer(issuer))
    with database_uri(settings) as uri:
        token = asyncio.run(mint(uri, settings, args.client, secret, args.scopes))
    print(token["access_token"])
    console_err.print(f"scope: {token['scope']}; expires in {token['expires_in']} s; "
                      f"issuer {issuer}", highlight=False)
    if warning is not None:
        console_err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    return 0
