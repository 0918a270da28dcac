"""Who is calling, as far as rate limiting can tell: the remote address and the client id.

Both are taken as presented, before anything is checked, so failed attempts are counted
under the name they tried. Values are turned into bounded keys: a long or odd client id is
hashed, and an IPv6 address counts as its /64 network (one host usually holds a whole /64,
so per-address limits would otherwise be free to dodge).

Behind a reverse proxy the remote address is the proxy's unless uvicorn trusts its
``X-Forwarded-For`` (``--forwarded-allow-ips``, by default only 127.0.0.1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from urllib.parse import unquote_plus

from starlette.requests import Request

from auth.requests import MalformedForm, read_form

_MAX_KEY = 64


def bounded_key(value: str) -> str:
    """``value`` itself when short and printable, else a digest of it (bounded memory)."""
    if len(value) <= _MAX_KEY and value.isprintable():
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def remote_address(request: Request) -> str:
    """The caller's address as a limit key: IPv4 as is, IPv6 as its /64 network."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bounded_key(host or "unknown")
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _basic_client_id(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return unquote_plus(decoded.partition(":")[0]) or None


async def presented_client_id(request: Request) -> str | None:
    """The client id of a Basic header, else the first ``client_id`` parameter; None if
    neither.

    The same precedence as authlib's client authentication over
    :func:`auth.requests.oauth_request` (query before form). Reading the form here is free
    for the handler: Starlette keeps the body it has read.
    """
    if (client_id := _basic_client_id(request)) is not None:
        return bounded_key(client_id)
    try:
        form = await read_form(request)
    except MalformedForm:
        form = []
    pairs = [*request.query_params.multi_items(), *form]
    client_id = next((value for key, value in pairs if key == "client_id"), "")
    return bounded_key(client_id) if client_id else None
