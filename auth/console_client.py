"""The web console as a first-party OAuth client (issue #17).

The console signs people in through this server's own authorization-code flow with PKCE, as
any public client does, under the fixed client id :data:`CONSOLE_CLIENT_ID` owned by the
platform's INTERNAL partner. Being first-party changes three things, and only for this id:

- its authorize page signs in a console user (email and password, :mod:`auth.console_users`),
  never a member;
- no consent screen: the user is signing in to Loopgate itself;
- its tokens act for the *user's* partner with the scopes of the user's role (and staff's
  stores), read from the account when the token is issued, so a refresh after a role change or
  removal gets the new answer (a removed user's refresh fails).

The client document is written at start-up (:func:`ensure_console_client`), with the redirect
URI on the configured issuer; a revocation by the operator (``loopgate clients revoke console``)
is kept.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CLIENTS
from auth.console_users import ALL_ROLE_SCOPES
from schema.kernel.claims import update_claimed
from schema.kernel.time import utcnow

CONSOLE_CLIENT_ID = "console"
CALLBACK_PATH = "/console/callback"


def callback_uri(issuer: str) -> str:
    return issuer.rstrip("/") + CALLBACK_PATH


async def ensure_console_client(db: AsyncDatabase, issuer: str, platform_partner_id: str) -> None:
    """Register or update the console client (idempotent; several processes may race)."""
    wanted = {"partnerId": platform_partner_id, "name": "Loopgate console",
              "scopes": sorted(ALL_ROLE_SCOPES),
              "grantTypes": ["authorization_code", "refresh_token"],
              "redirectUris": [callback_uri(issuer)], "public": True, "resourceServer": False,
              "sandbox": False, "storeIds": [], "courierId": None, "secrets": [],
              "firstParty": True}

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is not None and all(doc.get(key) == value for key, value in wanted.items()):
            return None
        base = doc or {"createdAt": utcnow(), "createdBy": "loopgate", "revoked": False}
        return {**base, **wanted}

    await update_claimed(db[CLIENTS], db, CONSOLE_CLIENT_ID, change)
