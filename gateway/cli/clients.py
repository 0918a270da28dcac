"""``loopgate clients create|rotate-secret|list``: OAuth clients (partner apps) for local work.

``create`` and ``list`` take ``--json`` for scripts: one JSON document on stdout (``create``'s
holds the one-time secret), nothing else there. ``create --store CODE`` binds the app to stores
of its partner (a store's staff app), resolved by code through the stores domain's reads;
``create --courier ID`` binds it to a courier instead (a courier's app: its tokens act as that
courier; the id is the merchant's own, 1 to 64 of A-Za-z0-9_-).
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any, TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import GRANT_TYPES, ClientRegistrationError, ClientRegistry, OAuthClient
from gateway.cli._console import CliError, console, console_err
from gateway.cli._database import add_settings_arguments, with_database
from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.sandbox import Databases
from schema.stores.read import get_store, store_id_for_code

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("clients", help="register and manage OAuth clients")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="register a client; prints its secret once")
    create.add_argument("--partner", required=True, help="partner id (ptn_…) or slug")
    create.add_argument("--scopes", required=True, help='space-separated, e.g. "stores:read"')
    create.add_argument("--name", help="app name shown on the consent page")
    create.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris",
                        help="allowed redirect URI (repeatable; needed for authorization_code)")
    create.add_argument("--grant", action="append", choices=sorted(GRANT_TYPES), dest="grants",
                        help="allowed grant type (repeatable; default client_credentials)")
    create.add_argument("--public", action="store_true",
                        help="a public client (no secret; PKCE only)")
    create.add_argument("--resource-server", action="store_true",
                        help="may call the introspection endpoint")
    create.add_argument("--sandbox", action="store_true",
                        help="tokens act in the partner's sandbox")
    create.add_argument("--store", action="append", default=[], dest="stores", metavar="CODE",
                        help="bind the app to this store of its partner, by store code "
                             "(repeatable; default: unbound, acts for all the partner's stores)")
    create.add_argument("--courier", metavar="ID",
                        help="bind the app to this courier (an id the merchant or its delivery "
                             "partner assigns: 1 to 64 of A-Za-z0-9_-); not with --store")
    create.add_argument("--json", action="store_true",
                        help="print the client, secret included, as one JSON object")
    create.set_defaults(run=run_create)

    rotate = actions.add_parser("rotate-secret", help="issue a new secret; the old one keeps "
                                "working during the overlap")
    rotate.add_argument("client_id")
    rotate.add_argument("--overlap-hours", type=float, default=24.0)
    rotate.set_defaults(run=run_rotate)

    revoke = actions.add_parser("revoke", help="revoke a client for good: no new tokens, and "
                                "the tokens it holds stop working within seconds")
    revoke.add_argument("client_id")
    revoke.set_defaults(run=run_revoke)

    listing = actions.add_parser("list", help="a partner's clients")
    listing.add_argument("--partner", required=True, help="partner id (ptn_…) or slug")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=run_list)

    for sub in (create, rotate, revoke, listing):
        add_settings_arguments(sub)


async def resolve_partner(db: AsyncDatabase, partner: str) -> str:
    """A partner id from an id or a slug; the partner must exist."""
    try:
        query = {"_id": parse_id(partner, "ptn")}
    except InvalidId:
        query = {"slug": partner}
    doc = await db["partners"].find_one(query, {"_id": 1})
    if doc is None:
        raise CliError(f"no partner {partner!r}; pass a ptn_ id or slug of an existing partner "
                       "(`loopgate seed` loads the demo partners)")
    return str(doc["_id"])


async def resolve_stores(db: AsyncDatabase, partner_id: str, codes: list[str],
                         sandbox: bool) -> list[str]:
    """The store ids of ``codes``, each a store of ``partner_id`` (in the sandbox database for
    a sandbox app, where its tokens act); any other code is an error naming it."""
    stores_db = Databases.beside(db).sandbox if sandbox else db
    found = []
    for code in dict.fromkeys(codes):
        store_id = await store_id_for_code(stores_db, partner_id, code)
        store = None if store_id is None else await get_store(stores_db, store_id)
        if store is None or store.get("partnerId") != partner_id:
            where = "sandbox " if sandbox else ""
            hint = (" (the sandbox demo stores appear with the partner's first sandbox request)"
                    if sandbox else "")
            raise CliError(f"the partner has no {where}store with code {code!r}: an app can "
                           f"only be bound to its own partner's stores{hint}")
        found.append(store_id)
    return found


def client_json(client: OAuthClient) -> dict[str, Any]:
    """A client as ``--json`` prints it (never its secret hashes)."""
    return {"client_id": client.client_id, "partner_id": client.partner_id,
            "name": client.name, "scopes": list(client.scopes),
            "grant_types": list(client.grant_types), "redirect_uris": list(client.redirect_uris),
            "public": client.public, "resource_server": client.resource_server,
            "sandbox": client.sandbox, "store_ids": list(client.store_ids),
            "courier_id": client.courier_id, "revoked": client.revoked}


def run_create(args: argparse.Namespace) -> int:
    async def create(db: AsyncDatabase) -> tuple[OAuthClient, str | None]:
        partner_id = await resolve_partner(db, args.partner)
        store_ids = await resolve_stores(db, partner_id, args.stores, args.sandbox)
        try:
            issued = await ClientRegistry(db).create(
                partner_id=partner_id, name=args.name or f"{args.partner} app",
                scopes=args.scopes, grant_types=args.grants or ["client_credentials"],
                redirect_uris=args.redirect_uris, public=args.public,
                resource_server=args.resource_server, sandbox=args.sandbox,
                store_ids=store_ids, courier_id=args.courier, created_by="cli")
        except ClientRegistrationError as exc:
            raise CliError(str(exc)) from exc
        return issued.client, issued.client_secret

    client, secret = with_database(args, create)
    if args.json:
        print(json.dumps({**client_json(client), "client_secret": secret}))
    else:
        console.print(f"client_id     {client.client_id}", highlight=False)
        if client.store_ids:
            console.print(f"store_ids     {' '.join(client.store_ids)}", highlight=False)
        if client.courier_id is not None:
            console.print(f"courier_id    {client.courier_id}", highlight=False, markup=False)
        if secret is not None:
            console.print(f"client_secret {secret}", highlight=False)
    if secret is not None:
        console_err.print("[yellow]store the secret now: it is not shown again[/]")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    async def rotate(db: AsyncDatabase) -> str:
        try:
            return await ClientRegistry(db).rotate_secret(
                args.client_id, overlap=timedelta(hours=args.overlap_hours))
        except ClientRegistrationError as exc:
            raise CliError(str(exc)) from exc

    secret = with_database(args, rotate)
    console.print(f"client_secret {secret}", highlight=False)
    console_err.print(f"the previous secret keeps working for {args.overlap_hours:g} h; "
                      "store the new one now: it is not shown again")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    async def revoke(db: AsyncDatabase) -> OAuthClient:
        try:
            return await ClientRegistry(db).revoke(args.client_id)
        except ClientRegistrationError as exc:
            raise CliError(str(exc)) from exc

    client = with_database(args, revoke)
    console.print(f"revoked {client.client_id}  {client.name}", highlight=False, markup=False)
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def listing(db: AsyncDatabase) -> list[OAuthClient]:
        partner_id = await resolve_partner(db, args.partner)
        return await ClientRegistry(db).list_for_partner(partner_id)

    clients = with_database(args, listing)
    if args.json:
        print(json.dumps([client_json(c) for c in clients]))
        return 0
    for c in clients:
        stores = f"  stores: {' '.join(c.store_ids)}" if c.store_ids else ""
        courier = f"  courier: {c.courier_id}" if c.courier_id is not None else ""
        revoked = "  REVOKED" if c.revoked else ""
        console.print(f"{c.client_id}  {c.name}  [{' '.join(c.grant_types)}]  "
                      f"{' '.join(c.scopes)}{stores}{courier}{revoked}", highlight=False,
                      markup=False)
    return 0
