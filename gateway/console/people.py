"""Who a console token stands for: the account its ``sub`` names, as the token and the account
say now (role and email from the account, partner, scopes and stores from the token)."""

from __future__ import annotations

from auth.errors import AuthError
from auth.service import AuthService
from auth.tokens import principal_from_claims
from gateway.console.sessions import SignedIn


async def person_of(auth: AuthService, access_token: str) -> SignedIn | None:
    """The signed-in person of a fresh console token; None when it does not verify or its
    account is gone or belongs to another partner."""
    try:
        claims = await auth.verifier.claims(access_token)
    except AuthError:
        return None
    principal = principal_from_claims(claims)
    user = await auth.console_users.get(str(claims["sub"]))
    if user is None or principal.partner_id != user.partner_id:
        return None
    return SignedIn(user.id, user.email, user.role, user.partner_id, principal.store_ids,
                    principal.scopes)
