"""``loopgate token --client ID --secret S [--scopes …]``: mint an access token for local work.

Runs the real token-endpoint logic (authlib's client-credentials grant over the database), so
the token verifies at a server using the same database and issuer. The token alone goes to
stdout (``TOKEN=$(loopgate token …)``); details go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from auth.direct import client_credentials_token
from auth.service import AuthService
from gateway.cli._console import CliError, console_err
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="mint an access token (client credentials)")
    parser.add_argument("--client", required=True, help="client id (app_…)")
    parser.add_argument("--secret", help="client secret (default $LOOPGATE_CLIENT_SECRET)")
    parser.add_argument("--scopes", help="space-separated subset of the client's scopes")
    parser.add_argument("--host", help="host of the server the token is for (sets the issuer)")
    parser.add_argument("--port", type=int, help="port of that server (sets the issuer)")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


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
    with database_uri(settings) as uri:
        token = asyncio.run(mint(uri, settings, args.client, secret, args.scopes))
    print(token["access_token"])
    console_err.print(f"scope: {token['scope']}; expires in {token['expires_in']} s; "
                      f"issuer {settings.public_issuer}", highlight=False)
    return 0
