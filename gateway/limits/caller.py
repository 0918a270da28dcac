"""Who is calling, as the limits see it: a key per app and whether the caller authenticated.

An app is its OAuth client id; an anonymous caller is its remote address (an IPv6 /64 counts
as one, as for the OAuth rate limits), so anonymous callers cannot take an app's share. The
console is one first-party client for every partner's people, so there each partner is an app
of its own: one partner's console users never spend another's budget.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from auth.callers import remote_address
from auth.console_client import CONSOLE_CLIENT_ID
from gateway.authorization.wiring import principal_of


@dataclass(frozen=True, slots=True)
class Caller:
    key: str
    authenticated: bool


CallerFor = Callable[[Request, Mapping[str, Any]], Caller]


def trusted_caller(request: Request, _context: Mapping[str, Any]) -> Caller:
    """A gateway without authentication trusts everyone; each address is still one app."""
    return Caller(f"address:{remote_address(request)}", authenticated=True)


def principal_caller(request: Request, context: Mapping[str, Any]) -> Caller:
    """The app of the verified principal; an anonymous caller is its address."""
    principal = principal_of(context)
    if principal is None:
        return Caller(f"address:{remote_address(request)}", authenticated=False)
    if principal.client_id == CONSOLE_CLIENT_ID:
        return Caller(f"client:{CONSOLE_CLIENT_ID}:{principal.partner_id}", authenticated=True)
    return Caller(f"client:{principal.client_id}", authenticated=True)
