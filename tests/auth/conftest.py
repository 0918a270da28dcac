"""The auth fixtures (defined in :mod:`tests.auth.fixtures`, reusable from other folders)."""

from tests.auth.fixtures import (
    REDIRECT_URI,
    AuthServer,
    MintedToken,
    TokenFactory,
    auth_server,
    mint_token,
    serve_in_loop,
)

__all__ = ["REDIRECT_URI", "AuthServer", "MintedToken", "TokenFactory", "auth_server",
           "mint_token", "serve_in_loop"]
