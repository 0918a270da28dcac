"""The token endpoint without HTTP, for the CLI: the same authlib path as ``POST /oauth/token``.

``loopgate token`` builds the request a client would send (Basic credentials, form body) and
hands it to the authorization server, so a token minted here is indistinguishable from one
minted over HTTP.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from auth.metadata import TOKEN_PATH
from auth.requests import LoopgateOAuth2Request
from auth.server import OAuthResponse
from auth.service import AuthService


async def client_credentials_token(service: AuthService, client_id: str, client_secret: str,
                                   scopes: str | None = None) -> OAuthResponse:
    """The token endpoint's answer for a client-credentials request (status, JSON body)."""
    basic = base64.b64encode(f"{quote(client_id)}:{quote(client_secret)}".encode()).decode()
    form = [("grant_type", "client_credentials")]
    if scopes:
        form.append(("scope", scopes))
    request = LoopgateOAuth2Request("POST", service.issuer + TOKEN_PATH,
                                    {"Authorization": f"Basic {basic}"}, [], form)
    return await service.run(service.server.create_token_response, request)
