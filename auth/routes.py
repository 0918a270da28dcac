"""The OAuth HTTP endpoints (DESIGN.md §6), as Starlette routes over one :class:`AuthService`.

Mount with ``routes=[*oauth_routes(service), …]`` and call ``await service.start()`` in the
app's lifespan. Every malformed request gets an RFC 6749 error code, never a 500; a caller
over its rate limit gets 429 (:mod:`auth.throttle`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.authorize import authorization_routes
from auth.metadata import (
    INTROSPECT_PATH,
    JWKS_PATH,
    METADATA_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    server_metadata,
)
from auth.requests import LoopgateOAuth2Request, MalformedForm, describable, oauth_request
from auth.responses import oauth_error, to_response
from auth.service import AuthService
from auth.set_password import set_password_routes


def _malformed(req: LoopgateOAuth2Request, required: str) -> InvalidRequestError | None:
    """RFC 6749 §3.2: a missing required parameter or any repeated one is invalid_request."""
    if (unprintable := req.unprintable_parameter()) is not None:
        return InvalidRequestError(f"'{unprintable}' must be printable ASCII")
    repeated = sorted(describable(k) for k, v in req.payload.datalist.items() if len(v) > 1)
    if repeated:
        return InvalidRequestError(f"repeated parameter(s): {', '.join(repeated)}")
    if not req.form.get(required):
        return InvalidRequestError(f"missing '{required}' (send it form-encoded in the body)")
    return None


def _unreadable_basic_auth(req: LoopgateOAuth2Request) -> InvalidClientError | None:
    """A Basic header that is not base64 of UTF-8 text is invalid_client (authlib would crash)."""
    scheme, _, credentials = str(req.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return InvalidClientError(status_code=401, description="unreadable Basic credentials")
    return None


def oauth_routes(service: AuthService) -> list[Route]:
    """Token, revocation, introspection, metadata, JWKS, and the member pages (sign-in,
    consent, connected apps, setting a password with a sign-in code).

    Token, revocation and introspection are rate limited (:mod:`auth.throttle`), and so
    is member sign-in (:mod:`auth.signins`).
    """
    server = service.server
    throttles = service.throttles

    async def token(request: Request) -> Response:
        try:
            req = await oauth_request(request, service.issuer)
        except MalformedForm as exc:
            return oauth_error(InvalidRequestError(str(exc)))
        if (error := _unreadable_basic_auth(req) or _malformed(req, "grant_type")) is not None:
            return oauth_error(error)
        return to_response(await service.run(server.create_token_response, req))

    def endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            try:
                req = await oauth_request(request, service.issuer)
            except MalformedForm as exc:
                return oauth_error(InvalidRequestError(str(exc)))
            if (error := _unreadable_basic_auth(req) or _malformed(req, "token")) is not None:
                return oauth_error(error)
            return to_response(await service.run(server.create_endpoint_response, name, req))
        return handle

    async def metadata(_request: Request) -> Response:
        return JSONResponse(server_metadata(service.issuer))

    async def jwks(_request: Request) -> Response:
        await service.keyring.refresh()
        return JSONResponse(service.keyring.jwks(), headers={"Cache-Control": "max-age=60"})

    return [
        Route(TOKEN_PATH, throttles.token.guard(token), methods=["POST"]),
        Route(REVOKE_PATH, throttles.revocation.guard(endpoint("revocation")), methods=["POST"]),
        Route(INTROSPECT_PATH, throttles.introspection.guard(endpoint("introspection")),
              methods=["POST"]),
        Route(METADATA_PATH, metadata, methods=["GET"]),
        Route(JWKS_PATH, jwks, methods=["GET"]),
        *authorization_routes(service),
        *set_password_routes(service),
    ]
