"""Turning authlib's answers and errors into Starlette responses."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.responses import JSONResponse, RedirectResponse, Response

from auth.server import OAuthResponse

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def to_response(answer: OAuthResponse) -> Response:
    headers = {**_NO_STORE, **dict(answer.headers)}
    if 300 <= answer.status < 400:
        return RedirectResponse(headers["Location"], status_code=answer.status, headers={
            k: v for k, v in headers.items() if k.lower() != "location"})
    headers.pop("Content-Type", None)
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def oauth_error(error: OAuth2Error) -> Response:
    """An RFC 6749 §5.2 error body for a failure found before authlib ran."""
    status, body, headers = error()
    return to_response(OAuthResponse(status, dict(body), list(headers)))
